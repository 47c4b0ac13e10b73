#include "agent/imds/url_fetcher.hpp"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <thread>

#include "agent/core/limits.hpp"

namespace kindling::imds {
namespace {

constexpr core::Millis k_retry_pause{200};

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

std::string shown_url(const std::string& url) {
    try {
        Poco::URI uri(url);
        uri.setUserInfo("");
        uri.setQuery("");
        uri.setFragment("");
        return uri.toString();
    } catch (const Poco::Exception&) {
        return "(unparsable URL)";
    }
}

namespace {

struct TryFailure {
    std::string message;
    bool retryable = false;
};

// One try: the request and the redirects it leads to.
std::expected<std::string, TryFailure> fetch_once(const std::string& url, core::Millis timeout,
                                                  const detail::TlsSettings& tls) {
    std::string current = url;
    for (int redirects = 0;; ++redirects) {
        const std::string via = current == url ? "" : "redirected to '" + shown_url(current) + "': ";
        auto parsed = detail::parse_web_url(current);
        if (!parsed) return std::unexpected(TryFailure{via + parsed.error()});
        detail::Connection connection = parsed->https ? detail::Connection(parsed->host, parsed->port, tls)
                                                      : detail::Connection(parsed->host, parsed->port);
        auto reply = connection.exchange({"GET", parsed->path, {}}, timeout, timeout, limits::k_user_data_bytes);
        if (!reply) {
            const auto kind = reply.error().kind;
            return std::unexpected(TryFailure{via + reply.error().message, kind != detail::FailureKind::too_large &&
                                                                               kind != detail::FailureKind::tls});
        }
        if (reply->status >= 200 && reply->status < 300) return std::move(reply->body);
        if (is_redirect(reply->status) && reply->location) {
            if (redirects == k_max_redirects) {
                return std::unexpected(TryFailure{"more than " + std::to_string(k_max_redirects) + " redirects"});
            }
            std::string next;
            try {
                Poco::URI target(current);
                target.resolve(*reply->location);
                next = target.toString();
            } catch (const Poco::Exception& e) {
                return std::unexpected(TryFailure{via + "a redirect to an unparsable URL: " + e.message()});
            }
            if (parsed->https && Poco::URI(next).getScheme() == "http") {
                return std::unexpected(TryFailure{"redirected from https:// to '" + shown_url(next) +
                                                  "'; refused: plain http could be changed on its way"});
            }
            current = std::move(next);
            continue;
        }
        const std::string status = std::to_string(reply->status) + (reply->reason.empty() ? "" : " " + reply->reason);
        return std::unexpected(TryFailure{via + status, reply->status == 429 || reply->status >= 500});
    }
}

}  // namespace

Result<std::string> fetch_url(const std::string& url, core::Millis timeout, int retries,
                              const detail::TlsSettings& tls) {
    const std::string place = "'" + shown_url(url) + "'";
    std::string last_error;
    for (int tries = 1; tries <= retries + 1; ++tries) {
        auto body = fetch_once(url, timeout, tls);
        if (body) return std::move(*body);
        if (!body.error().retryable) return fail(place + ": " + body.error().message);
        last_error = body.error().message;
        if (tries <= retries) std::this_thread::sleep_for(k_retry_pause * tries);
    }
    return fail(place + ": " + last_error + " (" + std::to_string(retries + 1) + (retries == 0 ? " try)" : " tries)"));
}

}  // namespace kindling::imds
