#include "agent/imds/session.hpp"

#include <Poco/Logger.h>

#include <algorithm>
#include <random>

#include "agent/core/limits.hpp"
#include "agent/imds/listing.hpp"
#include "agent/imds/transport.hpp"

namespace kindling::imds {

using detail::FailureKind;
using detail::HttpFailure;
using detail::HttpReply;
using detail::HttpRequest;

namespace {

const std::string k_token_path = "/latest/api/token";
const std::string k_token_header = "X-aws-ec2-metadata-token";
const std::string k_ttl_header = "X-aws-ec2-metadata-token-ttl-seconds";

std::string status_text(const HttpReply& reply) {
    return std::to_string(reply.status) + (reply.reason.empty() ? "" : " " + reply.reason);
}

bool retryable_status(int status) { return status == 429 || (status >= 500 && status <= 599); }

std::string tries_text(int tries) { return std::to_string(tries) + (tries == 1 ? " try" : " tries"); }

struct Endpoint {
    std::string url;
    std::optional<detail::Connection> connection;  // nullopt when the URL is unusable
    std::string url_error;
};

// How one attempt at a request ended.
struct Outcome {
    enum Kind { done, fatal, retry } kind;
    HttpReply reply;                      // done
    std::string error;                    // fatal, retry
    std::optional<core::Millis> wait;     // retry: from Retry-After
};

}  // namespace

struct Session::Impl {
    Settings settings;
    core::Clock& clock;
    std::function<double()> jitter;
    core::SteadyClock::time_point started;
    core::Deadline deadline;
    Stats stats;
    std::vector<Endpoint> endpoints;
    std::size_t current = 0;  // the endpoint that answered last; tried first
    std::optional<Secret<std::string>> token;
    std::size_t token_endpoint = 0;
    core::SteadyClock::time_point token_expires;
    bool imdsv1 = false;  // the token PUT went unanswered and the settings allow IMDSv1
    bool no_time_left = false;  // an exchange was skipped: the deadline had passed
    Poco::Logger& log = Poco::Logger::get("kindling.imds");

    Impl(Settings s, core::Clock& c, std::function<double()> j)
        : settings(std::move(s)), clock(c), jitter(std::move(j)), started(c.now()), deadline(c, settings.deadline) {
        if (!jitter) {
            jitter = [rng = std::mt19937_64{std::random_device{}()}]() mutable {
                return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
            };
        }
        for (const auto& url : settings.endpoints) {
            Endpoint endpoint{url, std::nullopt, {}};
            auto parsed = detail::parse_http_url(url);
            if (!parsed) {
                endpoint.url_error = "endpoint '" + url + "': " + parsed.error();
            } else {
                endpoint.connection.emplace(parsed->host, parsed->port);
            }
            endpoints.push_back(std::move(endpoint));
        }
    }

    // Deadline::expired() is false for the last sub-millisecond, while
    // remaining() already reads 0: both mean "out of time" here.
    bool out_of_time() const { return deadline.remaining().count() <= 0; }

    std::expected<HttpReply, HttpFailure> exchange(std::size_t index, const HttpRequest& request) {
        auto remaining = deadline.remaining();
        if (remaining.count() <= 0) {
            no_time_left = true;
            return std::unexpected(HttpFailure{FailureKind::timeout, "no time left before the deadline"});
        }
        auto io = std::min(settings.request_timeout, remaining);
        auto connect = std::min(settings.connect_timeout, remaining);
        ++stats.requests;
        auto result = endpoints[index].connection->exchange(request, connect, io, limits::k_imds_body_bytes);
        if (log.debug()) {
            log.debug(request.method + " " + endpoints[index].url + request.path + " -> " +
                      (result ? status_text(*result) + " (" + std::to_string(result->body.size()) + " bytes)"
                              : result.error().message));
        }
        return result;
    }

    bool token_usable(std::size_t index) const {
        if (!token || token_endpoint != index) return false;
        auto ttl = std::chrono::duration_cast<core::Millis>(std::chrono::seconds(settings.token_ttl_seconds));
        // Refresh ahead of expiry so a long run never sends a token about to die.
        auto margin = std::min<core::Millis>(core::Millis(60000), ttl / 10);
        return clock.now() + margin < token_expires;
    }

    // Gets a token from endpoint `index`; on success `token` is set. Otherwise
    // returns how this attempt ended (`done` when IMDSv1 answered instead).
    std::optional<Outcome> acquire_token(std::size_t index, const std::string& path, bool& connection_failed) {
        const bool refresh = token.has_value();
        token.reset();
        auto asked_at = clock.now();
        HttpRequest put{"PUT", k_token_path, {{k_ttl_header, std::to_string(settings.token_ttl_seconds)}}};
        auto reply = exchange(index, put);
        if (!reply) {
            if (reply.error().kind != FailureKind::timeout) {
                connection_failed = true;
                return Outcome{Outcome::retry, {}, endpoints[index].url + ": token PUT: " + reply.error().message, {}};
            }
            return probe_without_token(index, path, connection_failed);
        }
        if (reply->status == 200 && !reply->body.empty()) {
            token.emplace(std::move(reply->body));
            token_endpoint = index;
            token_expires = asked_at + std::chrono::seconds(settings.token_ttl_seconds);
            if (refresh) ++stats.token_refreshes;
            return std::nullopt;
        }
        const std::string what = "token PUT got " + status_text(*reply);
        if (reply->status == 403) return Outcome{Outcome::fatal, {}, what + ": IMDS endpoint disabled", {}};
        if (retryable_status(reply->status)) {
            std::optional<core::Millis> wait;
            if (reply->retry_after) wait = detail::parse_retry_after(*reply->retry_after);
            return Outcome{Outcome::retry, {}, what, wait};
        }
        if ((reply->status == 404 || reply->status == 405) && settings.allow_imdsv1) {
            log.debug("imds: no IMDSv2 token service, using IMDSv1 as the settings allow");
            imdsv1 = true;
            return std::nullopt;
        }
        return Outcome{Outcome::fatal, {}, what, {}};
    }

    // The PUT timed out. A token-less GET tells a dead endpoint from one that
    // drops only the PUT's reply: IMDS sends that reply with the instance's
    // hop limit as IP TTL, so inside a container it never arrives.
    std::optional<Outcome> probe_without_token(std::size_t index, const std::string& path, bool& connection_failed) {
        auto reply = exchange(index, HttpRequest{"GET", path, {}});
        if (!reply) {
            connection_failed = true;
            return Outcome{Outcome::retry, {}, endpoints[index].url + ": token PUT: timed out; " + reply.error().message, {}};
        }
        const std::string hop = "token PUT not answered: hop limit too low?";
        if (reply->status == 401) return Outcome{Outcome::fatal, {}, hop + " (GET without a token got 401)", {}};
        if (!settings.allow_imdsv1) {
            return Outcome{Outcome::fatal, {}, hop + " (IMDSv1 answers but the settings do not allow it)", {}};
        }
        log.debug("imds: token PUT not answered: hop limit too low? falling back to IMDSv1 as the settings allow");
        imdsv1 = true;
        if (retryable_status(reply->status)) return Outcome{Outcome::retry, {}, status_text(*reply), {}};
        return Outcome{Outcome::done, std::move(*reply), {}, {}};
    }

    // One attempt at GET `path` on endpoint `index`, with one token refresh on 401.
    Outcome attempt_on(std::size_t index, const std::string& path, bool& connection_failed) {
        for (int auth = 0;; ++auth) {
            if (!imdsv1 && !token_usable(index)) {
                if (auto ended = acquire_token(index, path, connection_failed)) return *ended;
            }
            HttpRequest get{"GET", path, {}};
            if (!imdsv1) get.headers.emplace_back(k_token_header, token->reveal());
            auto reply = exchange(index, get);
            if (!reply && reply.error().kind == FailureKind::too_large) {
                return Outcome{Outcome::fatal, {}, reply.error().message, {}};
            }
            if (!reply) {
                connection_failed = true;
                return Outcome{Outcome::retry, {}, endpoints[index].url + ": " + reply.error().message, {}};
            }
            if (reply->status == 200 || reply->status == 404) return Outcome{Outcome::done, std::move(*reply), {}, {}};
            if (reply->status == 401 && !imdsv1 && auth == 0) {
                token.emplace();  // marks the next PUT as a refresh
                token_expires = {};
                continue;
            }
            if (retryable_status(reply->status)) {
                std::optional<core::Millis> wait;
                if (reply->retry_after) wait = detail::parse_retry_after(*reply->retry_after);
                return Outcome{Outcome::retry, {}, status_text(*reply), wait};
            }
            std::string what = status_text(*reply);
            if (reply->status == 401 && !imdsv1) what += " after a token refresh";
            return Outcome{Outcome::fatal, {}, what, {}};
        }
    }

    // One attempt over the endpoints: the last one that answered first, then
    // the others in configured order (IPv4 before IPv6) on connection failures.
    Outcome attempt(const std::string& path) {
        if (endpoints.empty()) return Outcome{Outcome::fatal, {}, "no IMDS endpoint configured", {}};
        std::vector<std::size_t> order{current};
        for (std::size_t i = 0; i < endpoints.size(); ++i) {
            if (i != current) order.push_back(i);
        }
        // When every endpoint fails to connect, the error names each one's
        // failure: on an instance without IPv6, the IPv4 cause must not hide
        // behind the IPv6 endpoint's "network is unreachable".
        Outcome last{Outcome::fatal, {}, {}, {}};
        std::string errors;
        for (auto index : order) {
            if (!endpoints[index].connection) {
                last = Outcome{Outcome::fatal, {}, endpoints[index].url_error, {}};
            } else {
                bool connection_failed = false;
                last = attempt_on(index, path, connection_failed);
                if (!connection_failed) {
                    if (last.kind == Outcome::done) {
                        current = index;
                        stats.endpoint = endpoints[index].url;
                    }
                    return last;
                }
            }
            errors += (errors.empty() ? "" : "; ") + last.error;
        }
        last.error = std::move(errors);
        return last;
    }

    core::Millis backoff(int retry) const {
        auto base = settings.initial_backoff * (1LL << std::min(retry, 20));
        auto capped = std::min<core::Millis>(base, settings.max_backoff);
        double factor = 0.5 + 0.5 * std::clamp(jitter(), 0.0, 1.0);
        return core::Millis(static_cast<long long>(static_cast<double>(capped.count()) * factor));
    }

    Result<std::optional<std::string>> fetch(const std::string& path) {
        const std::string request = "GET " + path;
        std::string last_error;
        auto deadline_error = [&](int tries) {
            return failed(request + ": " + last_error + " (" + tries_text(tries) + ", deadline of " +
                          std::to_string(settings.deadline.count()) + " ms reached)");
        };
        for (int tries = 1;; ++tries) {
            no_time_left = false;
            Outcome outcome = attempt(path);
            stats.elapsed = std::chrono::duration_cast<core::Millis>(clock.now() - started);
            if (outcome.kind == Outcome::done) {
                if (outcome.reply.status == 404) return std::optional<std::string>{};
                return std::optional<std::string>{std::move(outcome.reply.body)};
            }
            if (outcome.kind == Outcome::fatal) return failed(request + ": " + outcome.error + " (" + tries_text(tries) + ")");
            // A try cut short by the deadline keeps the previous try's error.
            if (!no_time_left || last_error.empty()) last_error = outcome.error;
            if (out_of_time()) return deadline_error(no_time_left && tries > 1 ? tries - 1 : tries);
            auto wait = outcome.wait ? *outcome.wait : backoff(tries - 1);
            log.debug(request + ": " + outcome.error + ", retrying in " + std::to_string(wait.count()) + " ms");
            clock.sleep_for(std::min(wait, deadline.remaining()));
            if (out_of_time()) return deadline_error(tries);
            ++stats.retries;
        }
    }

    std::unexpected<Error> failed(std::string message) {
        log.debug(message);
        stats.last_error = message;
        stats.elapsed = std::chrono::duration_cast<core::Millis>(clock.now() - started);
        return fail(std::move(message));
    }
};

Session::Session(Settings settings, core::Clock& clock, std::function<double()> jitter)
    : m_impl(std::make_unique<Impl>(std::move(settings), clock, std::move(jitter))) {}

Session::~Session() = default;

Result<std::optional<std::string>> Session::get_optional(const std::string& path) { return m_impl->fetch(path); }

Result<std::string> Session::get(const std::string& path) {
    auto value = m_impl->fetch(path);
    if (!value) return std::unexpected(value.error());
    if (!*value) return m_impl->failed("GET " + path + ": 404 Not Found");
    return std::move(**value);
}

Result<std::vector<std::string>> Session::list(const std::string& path) {
    auto body = get(path);
    if (!body) return std::unexpected(body.error());
    return parse_listing(*body);
}

const Stats& Session::stats() const { return m_impl->stats; }

std::optional<std::string> endpoint_problem(const std::string& url) {
    auto parsed = detail::parse_http_url(url);
    if (!parsed) return parsed.error();
    if (parsed->path != "/") return "an endpoint is http://HOST[:PORT], without a path or query";
    return std::nullopt;
}

}  // namespace kindling::imds
