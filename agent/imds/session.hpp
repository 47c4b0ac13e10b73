// IMDSv2 session: token PUT with TTL, the token reused and refreshed on 401 (the
// same request retried once), per-request timeouts, jittered exponential backoff
// on connection errors/5xx/429 with Retry-After, one overall deadline, IPv4 then
// IPv6 endpoints, IMDSv1 only when the settings allow it. No built-in address:
// the endpoints always come from Settings (kindling.yaml or a test's fake).
// The token is a Secret and never appears in a log. Logs at debug only.
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
    core::Millis deadline{240000};  // for the whole fetch
    bool allow_imdsv1 = false;
};

// What happened, for the log line and status.json ("imds": {...}).
struct Stats {
    int requests = 0;
    int retries = 0;
    int token_refreshes = 0;
    core::Millis elapsed{0};
    std::string endpoint;    // the endpoint that answered
    std::string last_error;  // "GET /latest/meta-data/instance-id: connection refused (7 tries)"
};

class Session {
public:
    // `clock` drives backoff and deadlines; `jitter` returns a value in [0,1)
    // (tests pass a fixed one).
    Session(Settings settings, core::Clock& clock, std::function<double()> jitter = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // GET path (e.g. "/latest/meta-data/instance-id"). 404 is an error here.
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
