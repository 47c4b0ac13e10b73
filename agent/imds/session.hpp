// IMDSv2 session: token PUT with TTL, the token reused and refreshed on 401 (the
// same request retried once), per-request timeouts, jittered exponential backoff
// on connection errors/5xx/429 with Retry-After, one overall deadline, IPv4 then
// IPv6 endpoints, IMDSv1 only when the settings allow it. No built-in address:
// the endpoints always come from Settings (kindling.yaml or a test's fake).
// The token is a Secret and never appears in a log. Logs at debug only
// (logger kindling.imds). A 403 on the token PUT fails at once ("IMDS endpoint
// disabled"); a PUT that times out while a token-less GET gets a fast 401 is the
// container hop-limit symptom and is named as such (IMDSv1 only if allowed).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/deadline.hpp"
#include "agent/core/result.hpp"
#include "agent/core/secret.hpp"

namespace kindling::imds {

struct Settings {
    std::vector<std::string> endpoints;  // tried in order, e.g. {"http://169.254.169.254", "http://[fd00:ec2::254]"}
    int token_ttl_seconds = 21600;
    core::Millis connect_timeout{1000};
    core::Millis request_timeout{5000};
    core::Millis deadline{240000};  // for the whole fetch, from the Session's construction
    bool allow_imdsv1 = false;
    core::Millis initial_backoff{100};  // doubled per retry, jittered to [50%, 100%]
    core::Millis max_backoff{5000};
};

// What happened, for the log line and status.json ("imds": {...}).
struct Stats {
    int requests = 0;
    int retries = 0;
    int token_refreshes = 0;
    core::Millis elapsed{0};
    std::string endpoint;    // the endpoint that answered
    std::string last_error;  // the last failure returned, e.g. "GET /latest/meta-data/instance-id:
                             // http://169.254.169.254: token PUT: connection refused (7 tries, deadline of 240000 ms reached)"
};

// Why `url` cannot be an IMDS endpoint, or nullopt when it can: an endpoint is
// "http://HOST[:PORT]" with no path, query or credentials (the session adds
// "/latest/..."), e.g. "http://169.254.169.254" or "http://[fd00:ec2::254]".
[[nodiscard]] std::optional<std::string> endpoint_problem(const std::string& url);

class Session {
public:
    // `clock` drives backoff and deadlines; `jitter` returns a value in [0,1)
    // (tests pass a fixed one).
    Session(Settings settings, core::Clock& clock, std::function<double()> jitter = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // GET path (e.g. "/latest/meta-data/instance-id"). 404 is an error here.
    // Errors name the request, what went wrong and the tries, e.g.
    // "GET /latest/meta-data/instance-id: connection refused (7 tries, deadline of 2000 ms reached)".
    [[nodiscard]] Result<std::string> get(const std::string& path);
    // GET where 404 means "absent" (user-data, optional metadata).
    [[nodiscard]] Result<std::optional<std::string>> get_optional(const std::string& path);
    // Directory listing split into lines (sub-trees keep their trailing '/').
    [[nodiscard]] Result<std::vector<std::string>> list(const std::string& path);

    const Stats& stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace kindling::imds
