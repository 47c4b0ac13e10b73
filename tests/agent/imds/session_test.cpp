// The IMDSv2 session against the in-process fake: each behaviour asserts the
// exact requests the fake saw, the error text and the backoff waits (taken
// from a SkipClock, so no test sleeps through its backoff).
#include <catch2/catch.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <numeric>

#include "agent/imds/session.hpp"
#include "tests/support/fake_imds.hpp"

using kindling::core::Millis;
using kindling::imds::Session;
using kindling::imds::Settings;
using kindling::test::FakeImds;
using kindling::test::SkipClock;
using Lines = std::vector<std::string>;

namespace {

const std::string k_put = "PUT /latest/api/token - ttl=21600 200";

Settings settings_for(const std::string& url, Millis deadline = Millis(5000)) {
    Settings s;
    s.endpoints = {url};
    s.connect_timeout = Millis(1000);
    s.request_timeout = Millis(2000);
    s.deadline = deadline;
    return s;
}

auto fixed_jitter(double value) {
    return [value] { return value; };
}

// A closed port on 127.0.0.1: a fake that was started and stopped.
std::string dead_endpoint() {
    FakeImds gone;
    return gone.url();
}

Millis total(const std::vector<Millis>& sleeps) { return std::accumulate(sleeps.begin(), sleeps.end(), Millis(0)); }

}  // namespace

TEST_CASE("one token is fetched and reused for every request", "[imds]") {
    FakeImds imds;
    SkipClock clock;
    Session session(settings_for(imds.url()), clock);
    CHECK(session.get("/latest/meta-data/instance-id") == "i-1234567890abcdef0");
    CHECK(session.get("/latest/meta-data/placement/region") == "us-east-1");
    CHECK(session.list("/latest/meta-data/placement/") ==
          Lines{"availability-zone", "availability-zone-id", "group-name", "host-id", "partition-number", "region"});
    CHECK(imds.request_lines() == Lines{
                                      k_put,
                                      "GET /latest/meta-data/instance-id token 200",
                                      "GET /latest/meta-data/placement/region token 200",
                                      "GET /latest/meta-data/placement/ token 200",
                                  });
    CHECK(session.stats().requests == 4);
    CHECK(session.stats().retries == 0);
    CHECK(session.stats().token_refreshes == 0);
    CHECK(session.stats().endpoint == imds.url());
    CHECK(clock.sleeps().empty());
}

TEST_CASE("the configured token TTL is sent on the PUT", "[imds]") {
    FakeImds imds;
    SkipClock clock;
    auto s = settings_for(imds.url());
    s.token_ttl_seconds = 300;
    Session session(s, clock);
    REQUIRE(session.get("/latest/meta-data/ami-id"));
    CHECK(imds.request_lines() == Lines{"PUT /latest/api/token - ttl=300 200", "GET /latest/meta-data/ami-id token 200"});
}

TEST_CASE("404 is absent for get_optional and an error naming the path for get", "[imds]") {
    FakeImds imds;
    SkipClock clock;
    Session session(settings_for(imds.url()), clock);
    auto absent = session.get_optional("/latest/meta-data/nothing-here");
    REQUIRE(absent);
    CHECK(*absent == std::nullopt);
    auto missing = session.get("/latest/meta-data/nothing-here");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message == "GET /latest/meta-data/nothing-here: 404 Not Found");
    CHECK(session.stats().retries == 0);
}

TEST_CASE("a 401 mid-crawl refreshes the token and retries the same path once", "[imds][reliability]") {
    FakeImds imds;
    SkipClock clock;
    Session session(settings_for(imds.url()), clock);
    imds.revoke_tokens_after(3);
    CHECK(session.get("/latest/meta-data/instance-id"));
    CHECK(session.get("/latest/meta-data/local-hostname"));
    CHECK(session.get("/latest/meta-data/hostname") == "ip-172-16-34-43.ec2.internal");
    CHECK(imds.request_lines() == Lines{
                                      k_put,
                                      "GET /latest/meta-data/instance-id token 200",
                                      "GET /latest/meta-data/local-hostname token 200",
                                      "GET /latest/meta-data/hostname token 401",
                                      k_put,
                                      "GET /latest/meta-data/hostname token 200",
                                  });
    CHECK(session.stats().token_refreshes == 1);
    CHECK(session.stats().retries == 0);
}

TEST_CASE("a 401 again after the refresh fails naming the request", "[imds][reliability]") {
    FakeImds imds;
    SkipClock clock;
    imds.set_token_lifetime(Millis(0));  // every token is dead on arrival
    Session session(settings_for(imds.url()), clock);
    auto r = session.get("/latest/meta-data/instance-id");
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "GET /latest/meta-data/instance-id: 401 Unauthorized after a token refresh (1 try)");
    CHECK(imds.request_lines() == Lines{
                                      k_put,
                                      "GET /latest/meta-data/instance-id token 401",
                                      k_put,
                                      "GET /latest/meta-data/instance-id token 401",
                                  });
    CHECK(session.stats().last_error == r.error().message);
}

TEST_CASE("a token is refreshed before its TTL runs out on a long run", "[imds]") {
    FakeImds imds;
    SkipClock clock;
    auto s = settings_for(imds.url(), Millis(3600 * 1000));
    s.token_ttl_seconds = 60;  // refreshed within the last 6 s (a tenth of the TTL)
    Session session(s, clock);
    REQUIRE(session.get("/latest/meta-data/ami-id"));
    clock.advance(Millis(50000));
    REQUIRE(session.get("/latest/meta-data/ami-id"));
    CHECK(imds.request_lines().size() == 3);  // still fresh: reused
    clock.advance(Millis(5000));
    REQUIRE(session.get("/latest/meta-data/ami-id"));
    CHECK(imds.request_lines() == Lines{
                                      "PUT /latest/api/token - ttl=60 200",
                                      "GET /latest/meta-data/ami-id token 200",
                                      "GET /latest/meta-data/ami-id token 200",
                                      "PUT /latest/api/token - ttl=60 200",
                                      "GET /latest/meta-data/ami-id token 200",
                                  });
    CHECK(session.stats().token_refreshes == 1);
}

TEST_CASE("5xx and 429 are retried with jittered exponential backoff", "[imds][reliability]") {
    FakeImds imds;
    SkipClock clock;
    auto [status, jitter, expected] = GENERATE(table<int, double, std::vector<Millis>>({
        {503, 0.0, {Millis(50), Millis(100), Millis(200)}},
        {500, 0.5, {Millis(75), Millis(150), Millis(300)}},
        {429, 1.0, {Millis(100), Millis(200), Millis(400)}},
    }));
    imds.fail_with(status, 3, "/latest/meta-data/");
    Session session(settings_for(imds.url()), clock, fixed_jitter(jitter));
    CHECK(session.get("/latest/meta-data/ami-id") == "ami-0a887e401f7654935");
    const std::string failed = "GET /latest/meta-data/ami-id token " + std::to_string(status);
    CHECK(imds.request_lines() ==
          Lines{k_put, failed, failed, failed, "GET /latest/meta-data/ami-id token 200"});
    CHECK(clock.sleeps() == expected);
    CHECK(session.stats().retries == 3);
}

TEST_CASE("backoff doubles up to the configured cap", "[imds][reliability]") {
    FakeImds imds;
    SkipClock clock;
    imds.fail_with(503, 5, "/latest/meta-data/");
    auto s = settings_for(imds.url());
    s.max_backoff = Millis(250);
    Session session(s, clock, fixed_jitter(1.0));
    REQUIRE(session.get("/latest/meta-data/ami-id"));
    CHECK(clock.sleeps() == std::vector<Millis>{Millis(100), Millis(200), Millis(250), Millis(250), Millis(250)});
}

TEST_CASE("Retry-After is honoured, in seconds or as an HTTP-date", "[imds][reliability]") {
    FakeImds imds;
    SkipClock clock;
    Session session(settings_for(imds.url(), Millis(60000)), clock, fixed_jitter(0.0));
    SECTION("seconds") {
        imds.fail_with(429, 1, "/latest/meta-data/", 3);
        REQUIRE(session.get("/latest/meta-data/ami-id"));
        CHECK(clock.sleeps() == std::vector<Millis>{Millis(3000)});
    }
    SECTION("HTTP-date") {
        imds.fail_with(503, 1, "/latest/meta-data/", 5, true);
        REQUIRE(session.get("/latest/meta-data/ami-id"));
        REQUIRE(clock.sleeps().size() == 1);
        CHECK(clock.sleeps()[0] > Millis(3000));  // the date has a one-second resolution
        CHECK(clock.sleeps()[0] <= Millis(5000));
    }
    CHECK(imds.request_lines().size() == 3);
}

TEST_CASE("a Retry-After beyond the deadline is capped by it", "[imds][reliability]") {
    FakeImds imds;
    SkipClock clock;
    imds.fail_with(503, -1, "/latest/meta-data/", 600);
    Session session(settings_for(imds.url(), Millis(2000)), clock);
    auto r = session.get("/latest/meta-data/ami-id");
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "GET /latest/meta-data/ami-id: 503 Service Unavailable (1 try, deadline of 2000 ms reached)");
    REQUIRE(clock.sleeps().size() == 1);
    CHECK(clock.sleeps()[0] <= Millis(2000));
    CHECK(clock.sleeps()[0] > Millis(1000));
    CHECK(imds.request_lines() == Lines{k_put, "GET /latest/meta-data/ami-id token 503"});
}

TEST_CASE("persistent 500s end at the deadline with the request, the error and the tries", "[imds][reliability]") {
    FakeImds imds;
    SkipClock clock;
    imds.fail_with(500, -1, "/latest/meta-data/");
    Session session(settings_for(imds.url(), Millis(3000)), clock, fixed_jitter(0.0));
    auto r = session.get("/latest/meta-data/ami-id");
    REQUIRE_FALSE(r);
    auto lines = imds.request_lines();
    const auto tries = lines.size() - 1;
    CHECK(tries >= 5);
    CHECK(r.error().message == "GET /latest/meta-data/ami-id: 500 Internal Server Error (" + std::to_string(tries) +
                                   " tries, deadline of 3000 ms reached)");
    CHECK(std::count(lines.begin(), lines.end(), "GET /latest/meta-data/ami-id token 500") == static_cast<long>(tries));
    CHECK(total(clock.sleeps()) <= Millis(3000));
    CHECK(session.stats().retries == static_cast<int>(tries) - 1);
    CHECK(session.stats().last_error == r.error().message);
}

TEST_CASE("connection refused is retried until the deadline", "[imds][reliability]") {
    SkipClock clock;
    const std::string dead = dead_endpoint();
    Session session(settings_for(dead, Millis(2000)), clock, fixed_jitter(0.0));
    auto r = session.get("/latest/meta-data/instance-id");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message,
               Catch::Matches("GET /latest/meta-data/instance-id: " + dead +
                              ": token PUT: connection refused \\([0-9]+ tries, deadline of 2000 ms reached\\)"));
    CHECK(session.stats().requests >= 5);
    CHECK(session.stats().endpoint.empty());
}

TEST_CASE("an endpoint that refuses connections at first is used once it listens", "[imds][reliability]") {
    FakeImds imds(FakeImds::Config{.refuse_for = Millis(500)});
    kindling::core::RealClock clock;
    Session session(settings_for(imds.url(), Millis(10000)), clock);
    CHECK(session.get("/latest/meta-data/instance-id") == "i-1234567890abcdef0");
    CHECK(session.stats().retries >= 1);
    CHECK(imds.request_lines() == Lines{k_put, "GET /latest/meta-data/instance-id token 200"});
}

TEST_CASE("a hanging endpoint never hangs the run: timeouts and the deadline end it", "[imds][reliability]") {
    FakeImds imds;
    imds.set_hang(true);
    kindling::core::RealClock clock;
    auto s = settings_for(imds.url(), Millis(1000));
    s.request_timeout = Millis(200);
    Session session(s, clock);
    auto started = std::chrono::steady_clock::now();
    auto r = session.get("/latest/meta-data/instance-id");
    auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::StartsWith("GET /latest/meta-data/instance-id: " + imds.url() + ": token PUT: "));
    CHECK_THAT(r.error().message, Catch::Contains("timed out after 200 ms"));
    CHECK_THAT(r.error().message, Catch::EndsWith("deadline of 1000 ms reached)"));
    CHECK(took < std::chrono::seconds(5));  // sanity bound only: deadline plus generous slack
    for (const auto& line : imds.request_lines()) CHECK(line.ends_with(" 0"));  // never answered
}

TEST_CASE("403 on the token PUT fails fast: IMDS endpoint disabled", "[imds][reliability]") {
    FakeImds imds;
    SkipClock clock;
    imds.forbid_token_put(true);
    Session session(settings_for(imds.url()), clock);
    auto r = session.get("/latest/meta-data/instance-id");
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "GET /latest/meta-data/instance-id: token PUT got 403 Forbidden: IMDS endpoint disabled (1 try)");
    CHECK(imds.request_lines() == Lines{"PUT /latest/api/token - ttl=21600 403"});
    CHECK(clock.sleeps().empty());
}

TEST_CASE("a silent token PUT with a fast 401 on a plain GET is diagnosed as the hop limit", "[imds][reliability]") {
    FakeImds imds;
    imds.black_hole_token_put(true);
    SkipClock clock;
    auto s = settings_for(imds.url());
    s.request_timeout = Millis(300);
    SECTION("IMDSv1 not allowed by the settings") {}
    SECTION("IMDSv1 allowed by the settings but not by the endpoint") { s.allow_imdsv1 = true; }
    Session session(s, clock);
    auto r = session.get("/latest/meta-data/instance-id");
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "GET /latest/meta-data/instance-id: token PUT not answered: hop limit too low? "
                               "(GET without a token got 401) (1 try)");
    CHECK(imds.request_lines() ==
          Lines{"PUT /latest/api/token - ttl=21600 0", "GET /latest/meta-data/instance-id - 401"});
}

TEST_CASE("a silent token PUT falls back to IMDSv1 only where the settings allow it", "[imds][reliability]") {
    FakeImds imds(FakeImds::Config{.allow_imdsv1 = true});
    imds.black_hole_token_put(true);
    SkipClock clock;
    auto s = settings_for(imds.url());
    s.request_timeout = Millis(300);
    SECTION("allowed") {
        s.allow_imdsv1 = true;
        Session session(s, clock);
        CHECK(session.get("/latest/meta-data/instance-id") == "i-1234567890abcdef0");
        CHECK(session.get("/latest/meta-data/ami-id") == "ami-0a887e401f7654935");
        CHECK(imds.request_lines() == Lines{
                                          "PUT /latest/api/token - ttl=21600 0",
                                          "GET /latest/meta-data/instance-id - 200",
                                          "GET /latest/meta-data/ami-id - 200",
                                      });
    }
    SECTION("not allowed") {
        Session session(s, clock);
        auto r = session.get("/latest/meta-data/instance-id");
        REQUIRE_FALSE(r);
        CHECK(r.error().message == "GET /latest/meta-data/instance-id: token PUT not answered: hop limit too low? "
                                   "(IMDSv1 answers but the settings do not allow it) (1 try)");
    }
}

TEST_CASE("the IPv6 endpoint is tried when the IPv4 one fails, and kept", "[imds][reliability]") {
    FakeImds v6(FakeImds::Config{.listen = "[::1]:0"});
    SkipClock clock;
    auto s = settings_for(dead_endpoint());
    s.endpoints.push_back(v6.url());
    Session session(s, clock);
    CHECK(session.get("/latest/meta-data/instance-id") == "i-1234567890abcdef0");
    CHECK(session.get("/latest/meta-data/ami-id") == "ami-0a887e401f7654935");
    CHECK(session.stats().endpoint == v6.url());
    CHECK(session.stats().requests == 4);  // refused PUT on IPv4, then PUT + 2 GETs on IPv6
    CHECK(v6.request_lines() == Lines{
                                    k_put,
                                    "GET /latest/meta-data/instance-id token 200",
                                    "GET /latest/meta-data/ami-id token 200",
                                });
    CHECK(clock.sleeps().empty());
}

TEST_CASE("truncated and reset replies are retried, never returned as values", "[imds][reliability]") {
    FakeImds imds;
    SkipClock clock;
    std::string expected;
    SECTION("truncated") {
        imds.set_truncate(true);
        expected = "token PUT: truncated body (";
    }
    SECTION("reset") {
        imds.set_reset(true);
        expected = "token PUT: ";
    }
    Session session(settings_for(imds.url(), Millis(1000)), clock, fixed_jitter(0.0));
    auto r = session.get("/latest/meta-data/instance-id");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains(expected));
    CHECK_THAT(r.error().message, Catch::EndsWith("deadline of 1000 ms reached)"));
    CHECK(clock.sleeps().size() >= 3);
}

TEST_CASE("a reply over the body size limit fails without a retry", "[imds][reliability]") {
    FakeImds imds;
    imds.server().set_value("/latest/meta-data/huge", std::string(3 * 1024 * 1024, 'x'));
    SkipClock clock;
    Session session(settings_for(imds.url()), clock);
    auto r = session.get("/latest/meta-data/huge");
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "GET /latest/meta-data/huge: reply body over the limit of 2097152 bytes (1 try)");
}

TEST_CASE("an endpoint that is not an http URL is an error naming it", "[imds]") {
    SkipClock clock;
    Session session(settings_for("https://127.0.0.1:1"), clock);
    auto r = session.get("/latest/meta-data/instance-id");
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "GET /latest/meta-data/instance-id: endpoint 'https://127.0.0.1:1': only http:// URLs are supported (1 try)");
    Session none(Settings{}, clock);
    CHECK(none.get("/latest/meta-data/instance-id").error().message ==
          "GET /latest/meta-data/instance-id: no IMDS endpoint configured (1 try)");
}

namespace {
class CaptureChannel final : public Poco::Channel {
public:
    void log(const Poco::Message& message) override { lines.push_back(message.getText()); }
    std::vector<std::string> lines;
};
}  // namespace

TEST_CASE("the token and the user data never reach the log, even at debug level", "[imds][reliability]") {
    const std::string token_marker = "TOKENMARKER7f3a";
    const std::string data_marker = "USERDATAMARKER9c1b";
    FakeImds imds(FakeImds::Config{.user_data = "#!/bin/sh\necho " + data_marker + "\n", .token_prefix = token_marker});
    imds.revoke_tokens_after(2);
    imds.fail_with(503, 1, "/latest/user-data");
    Poco::AutoPtr<CaptureChannel> capture(new CaptureChannel);
    auto& logger = Poco::Logger::get("kindling.imds");
    auto old_level = logger.getLevel();
    Poco::AutoPtr<Poco::Channel> old_channel(logger.getChannel(), true);
    logger.setChannel(capture);
    logger.setLevel(Poco::Message::PRIO_DEBUG);
    {
        SkipClock clock;
        Session session(settings_for(imds.url()), clock);
        CHECK(session.get("/latest/meta-data/instance-id"));
        auto data = session.get("/latest/user-data");
        REQUIRE(data);
        CHECK(data->find(data_marker) != std::string::npos);
        CHECK(session.stats().token_refreshes == 1);
    }
    logger.setLevel(old_level);
    logger.setChannel(old_channel);
    CHECK(capture->lines.size() >= 5);
    for (const auto& line : capture->lines) {
        CHECK(line.find(token_marker) == std::string::npos);
        CHECK(line.find(data_marker) == std::string::npos);
    }
}

TEST_CASE("when every endpoint fails, the error names each endpoint's own failure", "[imds][reliability]") {
    FakeImds imds;
    imds.set_truncate(true);
    const std::string dead = dead_endpoint();
    SkipClock clock;
    Settings s = settings_for(imds.url(), Millis(1000));
    s.endpoints = {imds.url(), dead};  // as IPv4 then IPv6
    Session session(s, clock, fixed_jitter(0.0));
    auto r = session.get("/latest/meta-data/instance-id");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message,
               Catch::Matches("GET /latest/meta-data/instance-id: " + imds.url() +
                              ": token PUT: truncated body \\(.*\\); " + dead +
                              ": token PUT: connection refused \\([0-9]+ tries, deadline of 1000 ms reached\\)"));
}
