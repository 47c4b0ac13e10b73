// Typed reads: what fetch_instance_info asks IMDS for (the request budget is
// part of the contract: it is benchmarked against cloud-init's 78 requests)
// and what it makes of the answers.
#include <catch2/catch.hpp>

#include <set>

#include "agent/imds/metadata.hpp"
#include "tests/support/fake_imds.hpp"

using kindling::core::Millis;
using kindling::fake_imds::MetadataTree;
using kindling::imds::Crawl;
using kindling::imds::Session;
using kindling::imds::Settings;
using kindling::test::FakeImds;
using kindling::test::SkipClock;
using Lines = std::vector<std::string>;

namespace {
Settings settings_for(const FakeImds& imds) {
    Settings s;
    s.endpoints = {imds.url()};
    s.deadline = Millis(5000);
    return s;
}
}  // namespace

TEST_CASE("instance info takes one token PUT and one GET per value", "[imds]") {
    FakeImds imds;
    SkipClock clock;
    Session session(settings_for(imds), clock);
    auto info = kindling::imds::fetch_instance_info(session);
    REQUIRE(info);
    CHECK(info->instance_id == "i-1234567890abcdef0");
    CHECK(info->local_hostname == "ip-172-16-34-43.ec2.internal");
    CHECK(info->hostname == "ip-172-16-34-43.ec2.internal");
    CHECK(info->local_ipv4 == "172.16.34.43");
    CHECK(info->region == "us-east-1");
    CHECK(info->availability_zone == "us-east-1a");
    CHECK(info->instance_type == "m4.xlarge");
    CHECK(info->ami_id == "ami-0a887e401f7654935");
    REQUIRE(info->public_keys.size() == 1);
    CHECK(info->public_keys[0].starts_with("ssh-rsa AAAAB3NzaC1yc2E"));
    CHECK(info->public_keys[0].ends_with(" test"));
    CHECK(info->launch_index == "0");
    CHECK(info->tree.size() == 10);
    CHECK(info->tree.at("placement/region") == "us-east-1");
    CHECK(info->tree.at("public-keys/0/openssh-key") == info->public_keys[0]);
    CHECK(imds.request_lines() == Lines{
                                      "PUT /latest/api/token - ttl=21600 200",
                                      "GET /latest/meta-data/instance-id token 200",
                                      "GET /latest/meta-data/local-hostname token 200",
                                      "GET /latest/meta-data/hostname token 200",
                                      "GET /latest/meta-data/local-ipv4 token 200",
                                      "GET /latest/meta-data/placement/region token 200",
                                      "GET /latest/meta-data/placement/availability-zone token 200",
                                      "GET /latest/meta-data/instance-type token 200",
                                      "GET /latest/meta-data/ami-id token 200",
                                      "GET /latest/meta-data/ami-launch-index token 200",
                                      "GET /latest/meta-data/public-keys/ token 200",
                                      "GET /latest/meta-data/public-keys/0/openssh-key token 200",
                                  });
    CHECK(session.stats().requests == 12);
}

TEST_CASE("missing optional values stay empty and the region falls back to the zone", "[imds]") {
    MetadataTree tree;
    tree.set("/latest/meta-data/instance-id", "i-0abc\n");
    tree.set("/latest/meta-data/placement/availability-zone", "eu-west-3b");
    tree.set("/latest/meta-data/public-keys/0/openssh-key", "ssh-ed25519 AAAA first\n");
    tree.set("/latest/meta-data/public-keys/2/openssh-key", "ssh-ed25519 BBBB third");
    FakeImds imds(FakeImds::Config{.tree = tree});
    SkipClock clock;
    Session session(settings_for(imds), clock);
    auto info = kindling::imds::fetch_instance_info(session);
    REQUIRE(info);
    CHECK(info->instance_id == "i-0abc");
    CHECK(info->hostname.empty());
    CHECK(info->local_hostname.empty());
    CHECK(info->region == "eu-west-3");
    CHECK(info->public_keys == Lines{"ssh-ed25519 AAAA first", "ssh-ed25519 BBBB third"});
}

TEST_CASE("a missing instance-id is an error naming the request", "[imds]") {
    MetadataTree tree;
    tree.set("/latest/meta-data/ami-id", "ami-1");
    FakeImds imds(FakeImds::Config{.tree = tree});
    SkipClock clock;
    Session session(settings_for(imds), clock);
    auto info = kindling::imds::fetch_instance_info(session);
    REQUIRE_FALSE(info);
    CHECK(info.error().message == "GET /latest/meta-data/instance-id: 404 Not Found");
}

TEST_CASE("a full crawl reads the whole tree except the IAM credentials", "[imds]") {
    FakeImds imds;
    SkipClock clock;
    Session session(settings_for(imds), clock);
    auto info = kindling::imds::fetch_instance_info(session, Crawl::full);
    REQUIRE(info);
    CHECK(info->tree.at("iam/info").find("InstanceProfileArn") != std::string::npos);
    CHECK(info->tree.at("network/interfaces/macs/0e:49:61:0f:c3:11/vpc-id") == "vpc-d295a6a7");
    CHECK(info->tree.at("tags/instance/Name") == "test-instance");
    CHECK(info->tree.contains("public-keys/0/openssh-key"));
    auto lines = imds.request_lines();
    std::set<std::string> unique(lines.begin(), lines.end());
    CHECK(unique.size() == lines.size());  // nothing read twice
    for (const auto& [path, value] : info->tree) CHECK(path.find("security-credentials") == std::string::npos);
    for (const auto& line : lines) {
        CHECK(line.find("security-credentials") == std::string::npos);
        CHECK(line.ends_with(" 200"));
    }
}

TEST_CASE("user data is returned byte-exact as a secret, 404 is none", "[imds]") {
    const std::string bytes("\x1f\x8b\x08\0binary\xff", 11);
    FakeImds imds(FakeImds::Config{.user_data = bytes});
    SkipClock clock;
    Session session(settings_for(imds), clock);
    auto data = kindling::imds::fetch_user_data(session);
    REQUIRE(data);
    REQUIRE(*data);
    CHECK((*data)->reveal() == bytes);

    imds.set_user_data(std::nullopt);
    auto none = kindling::imds::fetch_user_data(session);
    REQUIRE(none);
    CHECK(*none == std::nullopt);

    imds.user_data_html_404(true);  // the HTML body of a 404 is not user data
    auto html = kindling::imds::fetch_user_data(session);
    REQUIRE(html);
    CHECK(*html == std::nullopt);
}

TEST_CASE("user data over the size limit is refused with its size", "[imds][reliability]") {
    FakeImds imds(FakeImds::Config{.user_data = std::string(1024 * 1024 + 1, 'a')});
    SkipClock clock;
    Session session(settings_for(imds), clock);
    auto data = kindling::imds::fetch_user_data(session);
    REQUIRE_FALSE(data);
    CHECK(data.error().message == "user-data: 1048577 bytes, over the limit of 1048576 bytes");
}
