// Test fixtures for everything that talks to IMDS: FakeImds runs the fake
// metadata service in-process on 127.0.0.1 (or [::1]) port 0 with the bundled
// AEMM metadata, records every request and misbehaves on command; SkipClock
// makes backoff sleeps instant while real time (socket timeouts) still counts.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/deadline.hpp"
#include "agent/fake_imds/server.hpp"

// Tests configure FakeImds with designated initializers naming only what they
// change; GCC 12's -Wextra warns about the members left to their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace kindling::test {

// tests/data/imds/aemm-default-metadata.json in the source tree.
std::filesystem::path default_metadata_file();

class FakeImds {
public:
    struct Config {
        std::string listen = "127.0.0.1:0";
        std::optional<fake_imds::MetadataTree> tree;  // default: default_metadata_file()
        std::optional<std::string> user_data;
        bool allow_imdsv1 = false;
        std::string token_prefix;
        fake_imds::Millis refuse_for{0};
    };

    FakeImds();
    explicit FakeImds(Config config);
    ~FakeImds();  // stops the server, waking hung requests
    FakeImds(const FakeImds&) = delete;
    FakeImds& operator=(const FakeImds&) = delete;

    std::string url() const;
    std::vector<fake_imds::RecordedRequest> requests() const;
    // Requests as lines "METHOD PATH token|- STATUS" (ttl=N on token PUTs), for exact asserts.
    std::vector<std::string> request_lines() const;
    void clear_requests();
    fake_imds::Server& server() { return m_server; }

    // Faults, switchable while clients run.
    void set_latency(fake_imds::Millis latency);
    void set_hang(bool hang);
    void refuse_for(fake_imds::Millis duration);
    void set_reset(bool reset);
    void set_truncate(bool truncate);
    // `count` requests (-1: all) under `path_prefix` answer `status`.
    void fail_with(int status, int count = -1, std::string path_prefix = "", std::optional<int> retry_after_seconds = {},
                   bool retry_after_as_date = false);
    void revoke_tokens_after(int requests);
    void set_token_lifetime(std::optional<fake_imds::Millis> lifetime);
    void forbid_token_put(bool forbid);
    void black_hole_token_put(bool black_hole);
    void user_data_html_404(bool html);
    void set_user_data(std::optional<std::string> user_data);
    void set_allow_imdsv1(bool allow);

private:
    fake_imds::Server m_server;
};

// now() is the real steady clock plus every sleep skipped so far; sleep_for
// records the duration and returns at once.
class SkipClock final : public core::Clock {
public:
    core::SteadyClock::time_point now() const override { return core::SteadyClock::now() + m_skipped; }
    void sleep_for(core::Millis d) override {
        m_sleeps.push_back(d);
        m_skipped += d;
    }
    void advance(core::Millis d) { m_skipped += d; }
    const std::vector<core::Millis>& sleeps() const { return m_sleeps; }

private:
    core::Millis m_skipped{0};
    std::vector<core::Millis> m_sleeps;
};

}  // namespace kindling::test
