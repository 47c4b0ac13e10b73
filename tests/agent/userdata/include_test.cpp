// #include through a real HTTP or HTTPS fetch on 127.0.0.1 (the fake IMDS, or
// a loopback server with a certificate made by the test, serving the included
// document), and the on-disk include-once cache under a scratch root.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "agent/imds/url_fetcher.hpp"
#include "agent/system/root.hpp"
#include "agent/userdata/decode.hpp"
#include "tests/support/fake_imds.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/recording_runner.hpp"
#include "tests/support/scratch_root.hpp"

using namespace kindling;
using namespace kindling::userdata;

namespace {

// imds::fetch_url behind the decoder's seam; its errors already start with
// the quoted URL, which the decoder names itself, so that prefix goes.
class HttpFetcher final : public IncludeFetcher {
public:
    // `ca_file` empty: the system's CA store, as in the agent.
    explicit HttpFetcher(std::string ca_file = {}) : m_tls{std::move(ca_file)} {}
    Result<std::string> fetch(const std::string& url) override {
        auto body = imds::fetch_url(url, core::Millis(2000), 0, m_tls);
        if (!body) {
            const std::string prefix = "'" + imds::shown_url(url) + "': ";
            std::string message = body.error().message;
            if (message.starts_with(prefix)) {
                message.erase(0, prefix.size());
            }
            return fail(message);
        }
        return body;
    }

private:
    imds::detail::TlsSettings m_tls;
};

}  // namespace

TEST_CASE("#include fetches from a loopback server and decodes what it serves", "[userdata][include]") {
    test::FakeImds imds({.user_data = "#cloud-config\nhostname: from-include\n", .allow_imdsv1 = true});
    HttpFetcher fetcher;
    auto d = decode("#include\n" + imds.url() + "/latest/user-data\n", {.fetcher = &fetcher});
    REQUIRE(d);
    REQUIRE(d->parts.size() == 1);
    CHECK(d->parts[0].kind == PartKind::cloud_config);
    CHECK(d->parts[0].body.reveal() == "#cloud-config\nhostname: from-include\n");
    CHECK(d->parts[0].origin == imds.url() + "/latest/user-data");
    CHECK(imds.request_lines() == std::vector<std::string>{"GET /latest/user-data - 200"});
}

TEST_CASE("an #include the loopback server answers with 404 fails decoding", "[userdata][include]") {
    test::FakeImds imds({.allow_imdsv1 = true});
    HttpFetcher fetcher;
    auto d = decode("#include " + imds.url() + "/latest/user-data?sig=x\n", {.fetcher = &fetcher});
    REQUIRE_FALSE(d);
    CHECK(d.error().message == "user data: #include '" + imds.url() + "/latest/user-data?...': 404 Not Found");
}

TEST_CASE("#include and #include-once fetch https URLs, verifying the server", "[userdata][include][https]") {
    test::TestPki pki;
    test::LoopbackServer server(pki);
    server.set("/once.sh", {200, "#!/bin/sh\necho once\n", {}});
    server.set("/config", {200, "#cloud-config\nhostname: over-tls\n", {}});
    const std::string raw = "#include-once " + server.url() + "/once.sh\n#include " + server.url() + "/config\n";
    HttpFetcher fetcher(pki.ca_file());
    MemoryIncludeOnceCache cache;
    for (int boot = 1; boot <= 2; ++boot) {
        auto d = decode(raw, {.fetcher = &fetcher, .once_cache = &cache});
        REQUIRE(d);
        REQUIRE(d->parts.size() == 2);
        CHECK(d->parts[0].kind == PartKind::script);
        CHECK(d->parts[0].body.reveal() == "#!/bin/sh\necho once\n");
        CHECK(d->parts[1].kind == PartKind::cloud_config);
        CHECK(d->parts[1].origin == server.url() + "/config");
    }
    // The include-once URL was fetched once; the plain include on each decode.
    CHECK(server.requests() == std::vector<std::string>{"GET /once.sh", "GET /config", "GET /config"});
}

TEST_CASE("an #include whose https server the system does not trust fails decoding, naming it",
          "[userdata][include][https]") {
    test::TestPki pki;
    test::LoopbackServer server(pki);
    server.set("/config", {200, "#cloud-config\n", {}});
    HttpFetcher fetcher;  // the system's CA store, as at boot
    auto d = decode("#include " + server.url() + "/config?X-Amz-Signature=abc\n", {.fetcher = &fetcher});
    REQUIRE_FALSE(d);
    CHECK(d.error().message == "user data: #include '" + server.url() +
                                   "/config?...': TLS: certificate not trusted: unable to get local issuer certificate");
    CHECK(server.requests().empty());
}

TEST_CASE("include-once content is cached 0600 under the root and read back", "[userdata][include]") {
    test::ScratchRoot scratch;
    test::RecordingRunner runner;
    system::Root root(scratch.path(), runner);
    RootIncludeOnceCache cache(root, "/var/lib/kindling/instances/i-1/data/urlcache");
    const std::string url = "http://127.0.0.1:1/a";

    auto missing = cache.load(url);
    REQUIRE(missing);
    CHECK_FALSE(missing->has_value());

    REQUIRE(cache.store(url, "#!/bin/sh\necho once\n"));
    // cloud-init names the file by the URL's MD5.
    CHECK(RootIncludeOnceCache::file_name(url) == "5ac95e525913c1cdb5db20e547dcadf3");
    const std::string inside = "/var/lib/kindling/instances/i-1/data/urlcache/" + RootIncludeOnceCache::file_name(url);
    CHECK(scratch.read(inside) == "#!/bin/sh\necho once\n");
    struct stat st {};
    REQUIRE(::stat(scratch.host(inside).c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    REQUIRE(::stat(scratch.host("/var/lib/kindling/instances/i-1/data/urlcache").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);

    auto loaded = cache.load(url);
    REQUIRE(loaded);
    CHECK(loaded->value() == "#!/bin/sh\necho once\n");
}

TEST_CASE("an #include URL's user info and query never appear in a message", "[userdata][include][reliability]") {
    test::FakeImds imds({.allow_imdsv1 = true});
    HttpFetcher fetcher;
    const std::string host = imds.url().substr(std::string("http://").size());
    auto d = decode("#include\nhttp://alice:PASSWORDX@" + host + "/404?sig=SECRETQ\n", {.fetcher = &fetcher});
    REQUIRE_FALSE(d);
    CHECK(d.error().message ==
          "user data: #include 'http://" + host + "/404?...': credentials in the URL are not supported");
    CHECK(imds.request_lines().empty());
}
