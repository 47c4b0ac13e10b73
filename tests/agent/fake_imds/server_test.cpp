// The fake IMDS over real sockets: IMDSv2 semantics, request recording and each
// fault, as a client sees them. Requests go through the agent's transport so
// nothing here depends on the client's retry policy.
#include <catch2/catch.hpp>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>

#include <thread>

#include "agent/imds/transport.hpp"
#include "tests/support/fake_imds.hpp"

using kindling::fake_imds::Millis;
using kindling::imds::detail::Connection;
using kindling::imds::detail::FailureKind;
using kindling::imds::detail::HttpReply;
using kindling::imds::detail::HttpRequest;
using kindling::test::FakeImds;

namespace {

struct Client {
    Connection connection;
    explicit Client(const FakeImds& imds, Millis timeout = Millis(2000)) : connection(host(imds.url()), port(imds.url())), timeout(timeout) {}
    Millis timeout;

    static std::string host(const std::string& url) {
        auto parsed = kindling::imds::detail::parse_http_url(url);
        return parsed->host;
    }
    static unsigned short port(const std::string& url) { return kindling::imds::detail::parse_http_url(url)->port; }

    auto send(HttpRequest request) { return connection.exchange(request, timeout, timeout, 1 << 20); }
    HttpReply put_token(const std::string& ttl = "60") {
        auto reply = send({"PUT", "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", ttl}}});
        REQUIRE(reply);
        return *reply;
    }
    HttpReply get(const std::string& path, const std::string& token = "") {
        HttpRequest request{"GET", path, {}};
        if (!token.empty()) request.headers.emplace_back("X-aws-ec2-metadata-token", token);
        auto reply = send(request);
        REQUIRE(reply);
        return *reply;
    }
};

}  // namespace

TEST_CASE("a token PUT needs a TTL header between 1 and 21600", "[fake_imds]") {
    FakeImds imds;
    Client client(imds);
    CHECK(client.send({"PUT", "/latest/api/token", {}})->status == 400);
    CHECK(client.put_token("0").status == 400);
    CHECK(client.put_token("21601").status == 400);
    CHECK(client.put_token("12abc").status == 400);
    auto ok = client.put_token("21600");
    CHECK(ok.status == 200);
    CHECK(ok.body.size() >= 40);
    CHECK(client.put_token("1").status == 200);
    CHECK(imds.request_lines() == std::vector<std::string>{
                                      "PUT /latest/api/token - 400",
                                      "PUT /latest/api/token - ttl=0 400",
                                      "PUT /latest/api/token - ttl=21601 400",
                                      "PUT /latest/api/token - ttl=12abc 400",
                                      "PUT /latest/api/token - ttl=21600 200",
                                      "PUT /latest/api/token - ttl=1 200",
                                  });
}

TEST_CASE("a GET without a valid token gets 401 unless IMDSv1 is allowed", "[fake_imds]") {
    FakeImds imds;
    Client client(imds);
    CHECK(client.get("/latest/meta-data/instance-id").status == 401);
    CHECK(client.get("/latest/meta-data/instance-id", "forged").status == 401);
    auto token = client.put_token().body;
    auto reply = client.get("/latest/meta-data/instance-id", token);
    CHECK(reply.status == 200);
    CHECK(reply.body == "i-1234567890abcdef0");
    imds.set_allow_imdsv1(true);
    CHECK(client.get("/latest/meta-data/instance-id").body == "i-1234567890abcdef0");
    CHECK(client.get("/latest/meta-data/instance-id", "forged").status == 401);
    CHECK(imds.request_lines() == std::vector<std::string>{
                                      "GET /latest/meta-data/instance-id - 401",
                                      "GET /latest/meta-data/instance-id token 401",
                                      "PUT /latest/api/token - ttl=60 200",
                                      "GET /latest/meta-data/instance-id token 200",
                                      "GET /latest/meta-data/instance-id - 200",
                                      "GET /latest/meta-data/instance-id token 401",
                                  });
}

TEST_CASE("user data is served byte-exact and is 404 when there is none", "[fake_imds]") {
    const std::string bytes("#!/bin/sh\0\xff\xfe\r\nend", 16);
    FakeImds imds(FakeImds::Config{.user_data = bytes});
    Client client(imds);
    auto token = client.put_token().body;
    CHECK(client.get("/latest/user-data", token).body == bytes);
    imds.set_user_data(std::nullopt);
    auto none = client.get("/latest/user-data", token);
    CHECK(none.status == 404);
    CHECK(none.body.empty());
    imds.user_data_html_404(true);
    auto html = client.get("/latest/user-data", token);
    CHECK(html.status == 404);
    CHECK(html.body.starts_with("<?xml"));
    CHECK(html.body.find("404 - Not Found") != std::string::npos);
}

TEST_CASE("tokens expire after their TTL or when revoked after N requests", "[fake_imds][reliability]") {
    FakeImds imds;
    Client client(imds);
    SECTION("revoked after 2 requests") {
        imds.revoke_tokens_after(2);
        auto token = client.put_token().body;
        CHECK(client.get("/latest/meta-data/ami-id", token).status == 200);
        CHECK(client.get("/latest/meta-data/ami-id", token).status == 401);
        auto fresh = client.put_token().body;
        CHECK(client.get("/latest/meta-data/ami-id", fresh).status == 200);
    }
    SECTION("lifetime shorter than the TTL asked") {
        imds.set_token_lifetime(Millis(0));
        auto token = client.put_token("21600").body;
        CHECK(client.get("/latest/meta-data/ami-id", token).status == 401);
    }
}

TEST_CASE("token PUT faults: 403 and a PUT that never answers", "[fake_imds][reliability]") {
    FakeImds imds;
    SECTION("403") {
        Client client(imds);
        imds.forbid_token_put(true);
        CHECK(client.put_token().status == 403);
    }
    SECTION("black hole, while token-less GETs get 401") {
        Client client(imds, Millis(200));
        imds.black_hole_token_put(true);
        auto put = client.send({"PUT", "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}}});
        REQUIRE_FALSE(put);
        CHECK(put.error().kind == FailureKind::timeout);
        Client other(imds);
        CHECK(other.get("/latest/meta-data/instance-id").status == 401);
        CHECK(imds.request_lines() == std::vector<std::string>{
                                          "PUT /latest/api/token - ttl=60 0",
                                          "GET /latest/meta-data/instance-id - 401",
                                      });
    }
}

TEST_CASE("injected errors carry Retry-After in seconds or as an HTTP-date", "[fake_imds][reliability]") {
    FakeImds imds(FakeImds::Config{.allow_imdsv1 = true});
    Client client(imds);
    imds.fail_with(503, 2, "/latest/meta-data/", 7);
    auto first = client.get("/latest/meta-data/ami-id");
    CHECK(first.status == 503);
    CHECK(first.retry_after == "7");
    CHECK(client.get("/latest/user-data").status == 404);  // outside the prefix
    CHECK(client.get("/latest/meta-data/ami-id").status == 503);
    CHECK(client.get("/latest/meta-data/ami-id").status == 200);  // count used up

    imds.fail_with(429, 1, "", 30, true);
    auto dated = client.get("/latest/meta-data/ami-id");
    CHECK(dated.status == 429);
    REQUIRE(dated.retry_after);
    Poco::DateTime at;
    int tzd = 0;
    CHECK(Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, *dated.retry_after, at, tzd));
    auto wait = kindling::imds::detail::parse_retry_after(*dated.retry_after);
    REQUIRE(wait);
    CHECK(wait->count() > 25000);
    CHECK(wait->count() <= 30000);

    imds.fail_with(500);
    CHECK_FALSE(client.get("/latest/meta-data/ami-id").retry_after);
    CHECK(client.get("/latest/meta-data/ami-id").status == 500);
}

TEST_CASE("a hanging server accepts but never answers until stopped", "[fake_imds][reliability]") {
    auto imds = std::make_unique<FakeImds>(FakeImds::Config{.allow_imdsv1 = true});
    imds->set_hang(true);
    Client client(*imds, Millis(200));
    auto reply = client.send({"GET", "/latest/meta-data/ami-id", {}});
    REQUIRE_FALSE(reply);
    CHECK(reply.error().kind == FailureKind::timeout);
    CHECK(imds->request_lines() == std::vector<std::string>{"GET /latest/meta-data/ami-id - 0"});
    imds->set_hang(false);
    CHECK(Client(*imds).get("/latest/meta-data/ami-id").status == 200);
    imds->set_hang(true);
    std::thread stuck([&] { std::ignore = Client(*imds, Millis(5000)).send({"GET", "/latest/meta-data/ami-id", {}}); });
    std::this_thread::sleep_for(Millis(100));
    imds.reset();  // must wake the hung request, not wait for it
    stuck.join();
}

TEST_CASE("connections are refused for a while, then served", "[fake_imds][reliability]") {
    FakeImds imds(FakeImds::Config{.allow_imdsv1 = true, .refuse_for = Millis(300)});
    auto refused = Client(imds).send({"GET", "/latest/meta-data/ami-id", {}});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == FailureKind::refused);
    std::this_thread::sleep_for(Millis(600));
    CHECK(Client(imds).get("/latest/meta-data/ami-id").status == 200);
    imds.refuse_for(Millis(300));
    CHECK(Client(imds).send({"GET", "/latest/meta-data/ami-id", {}}).error().kind == FailureKind::refused);
    std::this_thread::sleep_for(Millis(600));
    CHECK(Client(imds).get("/latest/meta-data/ami-id").status == 200);
    CHECK(imds.request_lines().size() == 2);
}

TEST_CASE("reset and truncated replies are seen as short bodies", "[fake_imds][reliability]") {
    FakeImds imds(FakeImds::Config{.allow_imdsv1 = true});
    SECTION("reset mid-response") { imds.set_reset(true); }
    SECTION("Content-Length larger than the body") { imds.set_truncate(true); }
    auto reply = Client(imds).send({"GET", "/latest/meta-data/local-hostname", {}});
    REQUIRE_FALSE(reply);
    CHECK(reply.error().kind == FailureKind::reset);
}

TEST_CASE("added latency delays the answer past a short timeout", "[fake_imds][reliability]") {
    FakeImds imds(FakeImds::Config{.allow_imdsv1 = true});
    imds.set_latency(Millis(400));
    CHECK(Client(imds, Millis(100)).send({"GET", "/latest/meta-data/ami-id", {}}).error().kind == FailureKind::timeout);
    CHECK(Client(imds, Millis(3000)).get("/latest/meta-data/ami-id").status == 200);
}

TEST_CASE("the fake listens on [::1] too", "[fake_imds]") {
    FakeImds imds(FakeImds::Config{.listen = "[::1]:0"});
    CHECK(imds.url().starts_with("http://[::1]:"));
    Client client(imds);
    auto token = client.put_token().body;
    CHECK(client.get("/latest/meta-data/instance-id", token).body == "i-1234567890abcdef0");
}
