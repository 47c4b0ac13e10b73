#include "agent/imds/url_fetcher.hpp"

#include <thread>

#include "agent/core/limits.hpp"
#include "agent/imds/transport.hpp"

namespace kindling::imds {
namespace {

constexpr core::Millis k_retry_pause{200};

}  // namespace

Result<std::string> fetch_url(const std::string& url, core::Millis timeout, int retries) {
    const std::string place = "'" + url + "'";
    std::string last_error;
    for (int tries = 1; tries <= retries + 1; ++tries) {
        auto parsed = detail::parse_http_url(url);
        if (!parsed) return fail(place + ": " + parsed.error());
        detail::Connection connection(parsed->host, parsed->port);
        auto reply = connection.exchange({"GET", parsed->path, {}}, timeout, timeout, limits::k_user_data_bytes);
        if (reply && reply->status >= 200 && reply->status < 300) return std::move(reply->body);
        if (reply) {
            last_error = std::to_string(reply->status) + (reply->reason.empty() ? "" : " " + reply->reason);
            if (reply->status != 429 && reply->status < 500) return fail(place + ": " + last_error);
        } else {
            last_error = reply.error().message;
            if (reply.error().kind == detail::FailureKind::too_large) return fail(place + ": " + last_error);
        }
        if (tries <= retries) std::this_thread::sleep_for(k_retry_pause * tries);
    }
    return fail(place + ": " + last_error + " (" + std::to_string(retries + 1) + (retries == 0 ? " try)" : " tries)"));
}

}  // namespace kindling::imds
