// One HTTP exchange over Poco, shared by the IMDS session and the #include URL
// fetcher: Poco's exceptions stop here and become a classified failure
// (refused, timed out, reset, TLS, other), bodies are capped and checked
// against Content-Length (a short body is a failure, not a value). Never logs;
// never retries except once on a stale keep-alive connection. IMDS is plain
// http; https (Poco NetSSL over OpenSSL) is for #include URLs.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/core/deadline.hpp"

namespace Poco::Net {
class HTTPClientSession;
}

namespace kindling::imds::detail {

struct HttpReply {
    int status = 0;
    std::string reason;  // "Service Unavailable"
    std::string body;
    std::optional<std::string> retry_after;  // the header as sent
    std::optional<std::string> location;     // the Location header (redirects)
};

enum class FailureKind { refused, timeout, reset, too_large, tls, other };

struct HttpFailure {
    FailureKind kind = FailureKind::other;
    std::string message;  // "connection refused", "timed out after 300 ms", "truncated body (10 of 74 bytes)"
};

struct HttpRequest {
    std::string method = "GET";
    std::string path;
    std::vector<std::pair<std::string, std::string>> headers;
};

// A parsed URL ("http://[::1]:8080/x" -> host "::1", port 8080, path "/x").
struct HttpUrl {
    std::string host;
    unsigned short port = 80;
    std::string path;  // "/" when empty; with the query
    bool https = false;
};
// http:// only (IMDS endpoints).
[[nodiscard]] std::expected<HttpUrl, std::string> parse_http_url(const std::string& url);
// http:// or https:// (#include URLs).
[[nodiscard]] std::expected<HttpUrl, std::string> parse_web_url(const std::string& url);

// How an https connection is verified. The server's certificate chain must
// lead to a trusted CA and its names (subjectAltName, else CN) must match the
// URL's host, IP addresses and localhost included; TLS 1.2 at least. A failed
// check is a FailureKind::tls failure naming the reason.
struct TlsSettings {
    // A PEM file of the CAs to trust, replacing the system's CA store (OpenSSL's
    // default paths: /etc/ssl/certs on Debian, /etc/pki/tls on Fedora/RHEL).
    // Empty (the system store) everywhere but in tests, which trust a CA they
    // made for their loopback server.
    std::string ca_file;
};

// Keeps one keep-alive connection to one host.
class Connection {
public:
    Connection(std::string host, unsigned short port);
    // An https connection.
    Connection(std::string host, unsigned short port, const TlsSettings& tls);
    ~Connection();
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;

    // Sends `request` and reads the whole reply (at most `body_cap` bytes).
    // `connect_timeout` bounds the connect, `io_timeout` each send/receive; the
    // caller passes values already capped by its deadline. Never throws.
    [[nodiscard]] std::expected<HttpReply, HttpFailure> exchange(const HttpRequest& request, core::Millis connect_timeout,
                                                                 core::Millis io_timeout, std::size_t body_cap);

private:
    std::unique_ptr<Poco::Net::HTTPClientSession> m_session;
    std::string m_host;
};

// Seconds to wait from a Retry-After value (delta-seconds or HTTP-date), nullopt
// when it is neither; a date in the past gives 0.
[[nodiscard]] std::optional<core::Millis> parse_retry_after(const std::string& value);

}  // namespace kindling::imds::detail
