// The fake instance metadata service (kindling-imds and the tests' FakeImds):
// IMDSv2 semantics on a Poco HTTPServer, every request recorded, and faults
// switchable at run time from any thread (latency, hang, refused connections,
// resets, 5xx/429 with Retry-After, token revocation, 403 or silent token PUT,
// HTML 404 on user-data, truncated bodies). It listens only where it is told
// (127.0.0.1 or [::1] in tests); it has no default address of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/fake_imds/metadata_tree.hpp"

namespace kindling::fake_imds {

using Millis = std::chrono::milliseconds;

struct RecordedRequest {
    std::string method;
    std::string path;
    bool has_token = false;                 // X-aws-ec2-metadata-token was sent
    std::optional<std::string> ttl_header;  // X-aws-ec2-metadata-token-ttl-seconds, as sent
    int status = 0;                         // 0 while unanswered (hang, black hole) or reset
};

// What to break. Counters (`*_count`, `*_after`) are consumed as requests arrive.
struct Faults {
    Millis latency{0};       // added before every answer
    bool hang = false;       // accept and read the request, never answer (until cleared or stop)
    bool reset = false;      // send half the body, then reset the connection (RST)
    bool truncate = false;   // Content-Length larger than the body actually sent, then close

    // Answer with `error_status` (500, 503, 429, ...) instead of the real answer,
    // for `error_count` requests (-1: all) whose path starts with `error_path_prefix`.
    int error_status = 0;
    int error_count = -1;
    std::string error_path_prefix;
    std::optional<int> retry_after_seconds;  // adds Retry-After
    bool retry_after_as_date = false;        // ... as an HTTP-date instead of seconds

    int revoke_tokens_after = -1;  // after this many requests, revoke every token issued so far (once)
    std::optional<Millis> token_lifetime;  // tokens expire after this, whatever TTL was asked
    bool forbid_token_put = false;     // 403 on PUT /latest/api/token (IMDS endpoint disabled)
    bool token_put_black_hole = false; // PUT /latest/api/token never answers (hop limit symptom)
    bool user_data_html_404 = false;   // 404 with an HTML body on /latest/user-data
};

struct Options {
    std::string listen = "127.0.0.1:0";  // HOST:PORT, "[::1]:0" for IPv6; port 0 picks a free one
    MetadataTree tree;
    std::optional<std::string> user_data;  // served byte-exact; none -> 404
    bool allow_imdsv1 = false;
    std::string token_prefix;  // prepended to every token (secret-marker tests)
    Faults faults;
    Millis refuse_for{0};      // connection refused for this long after start()
};

class Server {
public:
    explicit Server(Options options);
    ~Server();  // stop()
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds (throws std::runtime_error naming the address on failure) and starts
    // serving, or only binds while `refuse_for` lasts.
    void start();
    // Wakes every hanging request, closes the socket and joins the threads.
    void stop();

    std::uint16_t port() const;
    std::string url() const;  // "http://127.0.0.1:PORT" or "http://[::1]:PORT"

    std::vector<RecordedRequest> requests() const;
    void clear_requests();

    Faults faults() const;
    void set_faults(const Faults& faults);
    void update_faults(const std::function<void(Faults&)>& change);
    // Closes the listening socket (new connections are refused), listens again after `d`.
    void refuse_connections_for(Millis d);
    void revoke_tokens();
    void set_user_data(std::optional<std::string> user_data);
    void set_allow_imdsv1(bool allow);
    void set_value(const std::string& path, std::string value);

    struct State;

private:
    std::shared_ptr<State> m_state;
};

}  // namespace kindling::fake_imds
