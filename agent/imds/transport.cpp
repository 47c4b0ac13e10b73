#include "agent/imds/transport.hpp"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/InvalidCertificateHandler.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/VerificationErrorArgs.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include <istream>
#include <mutex>

namespace kindling::imds::detail {
namespace {

Poco::Timespan to_timespan(core::Millis d) {
    auto ms = d.count() > 0 ? d.count() : 1;
    return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms) * 1000);
}

// Why OpenSSL rejected the last certificate chain on this thread ("self-signed
// certificate"), set by the handler below during a handshake.
thread_local std::string t_verify_error;

// Poco hands certificate errors to a process-wide handler; without one it
// would build its default from an application configuration (a console prompt)
// inside OpenSSL's callback. This one records the reason and rejects.
class RejectAndRecord final : public Poco::Net::InvalidCertificateHandler {
public:
    RejectAndRecord() : InvalidCertificateHandler(false) {}
    void onInvalidCertificate(const void*, Poco::Net::VerificationErrorArgs& args) override {
        if (t_verify_error.empty()) t_verify_error = args.errorMessage();
        args.setIgnoreError(false);
    }
};

Poco::Net::Context::Ptr client_context(const TlsSettings& tls) {
    static std::once_flag once;
    std::call_once(once, [] {
        Poco::Net::initializeSSL();
        Poco::Net::SSLManager::instance().initializeClient(Poco::Net::SSLManager::PrivateKeyPassphraseHandlerPtr(),
                                                           new RejectAndRecord, Poco::Net::Context::Ptr());
    });
    Poco::Net::Context::Params params;
    // VERIFY_STRICT: for a client the same chain check as VERIFY_RELAXED, but
    // Poco then checks the host name for every host (RELAXED skips localhost).
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.loadDefaultCAs = tls.ca_file.empty();
    params.caLocation = tls.ca_file;
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4";
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    return context;
}

HttpFailure classify(const std::exception& e, core::Millis io_timeout, const std::string& host) {
    if (dynamic_cast<const Poco::Net::CertificateValidationException*>(&e)) {
        // Poco's only check after OpenSSL's: the certificate's names.
        return {FailureKind::tls, "TLS: the server's certificate is not for '" + host + "'"};
    }
    if (dynamic_cast<const Poco::Net::SSLConnectionUnexpectedlyClosedException*>(&e)) {
        return {FailureKind::reset, "connection closed during the TLS handshake"};
    }
    if (auto* ssl = dynamic_cast<const Poco::Net::SSLException*>(&e)) {
        if (!t_verify_error.empty()) return {FailureKind::tls, "TLS: certificate not trusted: " + t_verify_error};
        return {FailureKind::tls, "TLS: " + ssl->message()};
    }
    if (dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&e)) return {FailureKind::refused, "connection refused"};
    if (dynamic_cast<const Poco::TimeoutException*>(&e)) {
        return {FailureKind::timeout, "timed out after " + std::to_string(io_timeout.count()) + " ms"};
    }
    if (dynamic_cast<const Poco::Net::ConnectionResetException*>(&e) ||
        dynamic_cast<const Poco::Net::ConnectionAbortedException*>(&e)) {
        return {FailureKind::reset, "connection reset"};
    }
    if (dynamic_cast<const Poco::Net::NoMessageException*>(&e)) return {FailureKind::reset, "connection closed without a reply"};
    if (auto* poco = dynamic_cast<const Poco::Exception*>(&e)) return {FailureKind::other, poco->displayText()};
    return {FailureKind::other, e.what()};
}

}  // namespace

namespace {

std::expected<HttpUrl, std::string> parse_url(const std::string& url, bool allow_https) {
    try {
        Poco::URI uri(url);
        const bool https = allow_https && uri.getScheme() == "https";
        if (uri.getScheme() != "http" && !https) {
            return std::unexpected(allow_https ? "only http:// and https:// URLs are supported"
                                               : "only http:// URLs are supported");
        }
        if (uri.getHost().empty()) return std::unexpected("no host");
        if (!uri.getUserInfo().empty()) return std::unexpected("credentials in the URL are not supported");
        HttpUrl parsed{uri.getHost(), uri.getPort(), uri.getPathEtc(), https};
        if (parsed.path.empty()) parsed.path = "/";
        return parsed;
    } catch (const Poco::Exception& e) {
        return std::unexpected(e.displayText());
    }
}

void keep_alive(Poco::Net::HTTPClientSession& session) {
    session.setKeepAlive(true);
    // Shorter than the servers' keep-alive, so we rarely write on a socket the
    // peer is closing.
    session.setKeepAliveTimeout(Poco::Timespan(1, 0));
}

}  // namespace

std::expected<HttpUrl, std::string> parse_http_url(const std::string& url) { return parse_url(url, false); }

std::expected<HttpUrl, std::string> parse_web_url(const std::string& url) { return parse_url(url, true); }

Connection::Connection(std::string host, unsigned short port)
    : m_session(std::make_unique<Poco::Net::HTTPClientSession>(host, port)), m_host(std::move(host)) {
    keep_alive(*m_session);
}

Connection::Connection(std::string host, unsigned short port, const TlsSettings& tls)
    : m_session(std::make_unique<Poco::Net::HTTPSClientSession>(host, port, client_context(tls))),
      m_host(std::move(host)) {
    keep_alive(*m_session);
}

Connection::~Connection() = default;
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;

std::expected<HttpReply, HttpFailure> Connection::exchange(const HttpRequest& request, core::Millis connect_timeout,
                                                          core::Millis io_timeout, std::size_t body_cap) {
    for (int attempt = 0;; ++attempt) {
        const bool reused = m_session->connected();
        t_verify_error.clear();
        try {
            m_session->setTimeout(to_timespan(connect_timeout), to_timespan(io_timeout), to_timespan(io_timeout));
            Poco::Net::HTTPRequest http(request.method, request.path, Poco::Net::HTTPMessage::HTTP_1_1);
            for (const auto& [name, value] : request.headers) http.set(name, value);
            if (request.method == "PUT" || request.method == "POST") http.setContentLength(0);
            m_session->sendRequest(http);
            Poco::Net::HTTPResponse response;
            std::istream& in = m_session->receiveResponse(response);
            HttpReply reply;
            reply.status = static_cast<int>(response.getStatus());
            reply.reason = response.getReason();
            if (response.has("Retry-After")) reply.retry_after = response.get("Retry-After");
            if (response.has("Location")) reply.location = response.get("Location");
            char buffer[8192];
            while (in) {
                in.read(buffer, sizeof buffer);
                reply.body.append(buffer, static_cast<std::size_t>(in.gcount()));
                if (reply.body.size() > body_cap) {
                    m_session->reset();
                    return std::unexpected(
                        HttpFailure{FailureKind::too_large, "reply body over the limit of " + std::to_string(body_cap) + " bytes"});
                }
            }
            if (response.hasContentLength() && response.getContentLength64() >= 0 &&
                reply.body.size() != static_cast<std::size_t>(response.getContentLength64())) {
                m_session->reset();
                return std::unexpected(HttpFailure{FailureKind::reset, "truncated body (" + std::to_string(reply.body.size()) +
                                                                           " of " + std::to_string(response.getContentLength64()) +
                                                                           " bytes)"});
            }
            if (!response.getKeepAlive()) m_session->reset();
            return reply;
        } catch (const std::exception& e) {
            m_session->reset();
            HttpFailure failure = classify(e, io_timeout, m_host);
            // A kept-alive connection the server closed meanwhile: one fresh try.
            if (reused && attempt == 0 && failure.kind == FailureKind::reset) continue;
            return std::unexpected(failure);
        }
    }
}

std::optional<core::Millis> parse_retry_after(const std::string& value) {
    constexpr long long k_max_seconds = 24 * 3600;
    if (value.empty()) return std::nullopt;
    if (value.find_first_not_of("0123456789") == std::string::npos) {
        if (value.size() > 6) return core::Millis(k_max_seconds * 1000);
        return core::Millis(std::min(std::stoll(value), k_max_seconds) * 1000);
    }
    Poco::DateTime at;
    int tzd = 0;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, value, at, tzd)) return std::nullopt;
    at.makeUTC(tzd);
    long long ms = (at.timestamp() - Poco::Timestamp()) / 1000;
    return core::Millis(std::clamp(ms, 0LL, k_max_seconds * 1000));
}

}  // namespace kindling::imds::detail
