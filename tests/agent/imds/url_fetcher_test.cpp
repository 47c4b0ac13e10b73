// The #include URL fetcher against the fake (which serves any path it holds)
// and against loopback HTTP and HTTPS servers whose certificates are made here.
#include <catch2/catch.hpp>

#include "agent/imds/url_fetcher.hpp"
#include "tests/support/fake_imds.hpp"
#include "tests/support/loopback_server.hpp"

using kindling::core::Millis;
using kindling::imds::fetch_url;
using kindling::test::FakeImds;
using kindling::test::LoopbackServer;
using kindling::test::TestPki;

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

TEST_CASE("only http and https URLs without credentials are fetched", "[imds][reliability]") {
    CHECK(fetch_url("file:///etc/shadow").error().message ==
          "'file:///etc/shadow': only http:// and https:// URLs are supported");
    CHECK(fetch_url("ftp://127.0.0.1/x").error().message ==
          "'ftp://127.0.0.1/x': only http:// and https:// URLs are supported");
    CHECK(fetch_url("https://user:pw@127.0.0.1/x").error().message ==
          "'https://127.0.0.1/x': credentials in the URL are not supported");
    CHECK(fetch_url("http://user:pw@127.0.0.1/x").error().message ==
          "'http://127.0.0.1/x': credentials in the URL are not supported");
}

TEST_CASE("a body over the user-data limit is refused without retries", "[imds][reliability]") {
    FakeImds imds(FakeImds::Config{.allow_imdsv1 = true});
    imds.server().set_value("/latest/big", std::string(1024 * 1024 + 1, 'x'));
    const std::string url = imds.url() + "/latest/big";
    CHECK(fetch_url(url).error().message == "'" + url + "': reply body over the limit of 1048576 bytes");
    CHECK(imds.request_lines().size() == 1);
}

TEST_CASE("an https URL is fetched byte-exact when its certificate is trusted", "[imds][https]") {
    TestPki pki;
    LoopbackServer server(pki);
    server.set("/config?sig=1", {200, "#cloud-config\nhostname: tls\n", {}});
    CHECK(fetch_url(server.url() + "/config?sig=1", Millis(2000), 0, {.ca_file = pki.ca_file()}) ==
          "#cloud-config\nhostname: tls\n");
    CHECK(server.requests() == std::vector<std::string>{"GET /config?sig=1"});
}

TEST_CASE("by default an https certificate must chain to the system's CAs; no request is sent otherwise",
          "[imds][https][reliability]") {
    TestPki pki;  // its CA is in no system store
    LoopbackServer server(pki);
    server.set("/x", {200, "secret", {}});
    const std::string url = server.url() + "/x";
    CHECK(fetch_url(url, Millis(2000), 2).error().message ==
          "'" + url + "': TLS: certificate not trusted: unable to get local issuer certificate");
    CHECK(server.requests().empty());  // and no retries: TLS fails the same way each time

    TestPki other;  // trusted, but not the CA that signed the server's certificate
    CHECK(fetch_url(url, Millis(2000), 0, {.ca_file = other.ca_file()}).error().message ==
          "'" + url + "': TLS: certificate not trusted: unable to get local issuer certificate");
}

TEST_CASE("an https certificate must name the URL's host, also for 127.0.0.1", "[imds][https][reliability]") {
    TestPki pki({"DNS:include.example.com"});
    LoopbackServer server(pki);
    server.set("/x", {200, "x", {}});
    const std::string url = server.url() + "/x";
    CHECK(fetch_url(url, Millis(2000), 0, {.ca_file = pki.ca_file()}).error().message ==
          "'" + url + "': TLS: the server's certificate is not for '127.0.0.1'");
    CHECK(server.requests().empty());
}

TEST_CASE("redirects are followed, up to 5, and never from https to http", "[imds][https][reliability]") {
    TestPki pki;
    LoopbackServer tls(pki);
    LoopbackServer plain;
    plain.set("/final", {200, "plain body", {}});
    plain.set("/hop", {302, "", {{"Location", plain.url() + "/final"}}});
    tls.set("/final", {200, "tls body", {}});
    tls.set("/relative", {301, "", {{"Location", "/final"}}});
    tls.set("/down", {307, "", {{"Location", plain.url() + "/final?sig=secret"}}});
    tls.set("/loop", {302, "", {{"Location", "/loop"}}});
    const kindling::imds::detail::TlsSettings trust{pki.ca_file()};

    // http -> http, and http -> https (an upgrade) are followed.
    CHECK(fetch_url(plain.url() + "/hop", Millis(2000), 0) == "plain body");
    plain.set("/up", {302, "", {{"Location", tls.url() + "/final"}}});
    CHECK(fetch_url(plain.url() + "/up", Millis(2000), 0, trust) == "tls body");
    // https -> https, relative Location resolved against the URL.
    CHECK(fetch_url(tls.url() + "/relative", Millis(2000), 0, trust) == "tls body");

    // https -> http is refused, naming the target without its query; the
    // target is never asked.
    const auto before = plain.requests().size();
    CHECK(fetch_url(tls.url() + "/down", Millis(2000), 2, trust).error().message ==
          "'" + tls.url() + "/down': redirected from https:// to '" + plain.url() +
              "/final'; refused: plain http could be changed on its way");
    CHECK(plain.requests().size() == before);

    const auto loops_before = tls.requests().size();
    CHECK(fetch_url(tls.url() + "/loop", Millis(2000), 0, trust).error().message ==
          "'" + tls.url() + "/loop': more than 5 redirects");
    CHECK(tls.requests().size() - loops_before == 6);

    // A redirect's target failing is named.
    tls.set("/gone", {302, "", {{"Location", "/missing?token=x"}}});
    CHECK(fetch_url(tls.url() + "/gone", Millis(2000), 0, trust).error().message ==
          "'" + tls.url() + "/gone': redirected to '" + tls.url() + "/missing': 404 Not Found");
}
