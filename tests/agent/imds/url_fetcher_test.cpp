// The #include URL fetcher against the fake (which serves any path it holds).
#include <catch2/catch.hpp>

#include "agent/imds/url_fetcher.hpp"
#include "tests/support/fake_imds.hpp"

using kindling::core::Millis;
using kindling::imds::fetch_url;
using kindling::test::FakeImds;

TEST_CASE("an http URL is fetched byte-exact", "[imds]") {
    FakeImds imds(FakeImds::Config{.allow_imdsv1 = true});
    CHECK(fetch_url(imds.url() + "/latest/meta-data/ami-id") == "ami-0a887e401f7654935");
    CHECK(imds.request_lines() == std::vector<std::string>{"GET /latest/meta-data/ami-id - 200"});
}

TEST_CASE("fetch errors name the URL, the status or error and the tries", "[imds][reliability]") {
    FakeImds imds(FakeImds::Config{.allow_imdsv1 = true});
    const std::string missing = imds.url() + "/nothing";
    CHECK(fetch_url(missing).error().message == "'" + missing + "': 404 Not Found");
    CHECK(imds.request_lines().size() == 1);  // 4xx is not retried

    imds.fail_with(503, 1);
    CHECK(fetch_url(imds.url() + "/latest/meta-data/ami-id", Millis(1000), 1) == "ami-0a887e401f7654935");

    imds.fail_with(500);
    const std::string broken = imds.url() + "/latest/meta-data/ami-id";
    CHECK(fetch_url(broken, Millis(1000), 1).error().message == "'" + broken + "': 500 Internal Server Error (2 tries)");

    FakeImds gone;
    const std::string dead = gone.url() + "/x";
    gone.server().stop();
    CHECK(fetch_url(dead, Millis(1000), 0).error().message == "'" + dead + "': connection refused (1 try)");
}

TEST_CASE("only plain http URLs without credentials are fetched", "[imds][reliability]") {
    CHECK(fetch_url("https://127.0.0.1/x").error().message == "'https://127.0.0.1/x': only http:// URLs are supported");
    CHECK(fetch_url("file:///etc/shadow").error().message == "'file:///etc/shadow': only http:// URLs are supported");
    CHECK(fetch_url("http://user:pw@127.0.0.1/x").error().message ==
          "'http://user:pw@127.0.0.1/x': credentials in the URL are not supported");
}

TEST_CASE("a body over the user-data limit is refused without retries", "[imds][reliability]") {
    FakeImds imds(FakeImds::Config{.allow_imdsv1 = true});
    imds.server().set_value("/latest/big", std::string(1024 * 1024 + 1, 'x'));
    const std::string url = imds.url() + "/latest/big";
    CHECK(fetch_url(url).error().message == "'" + url + "': reply body over the limit of 1048576 bytes");
    CHECK(imds.request_lines().size() == 1);
}
