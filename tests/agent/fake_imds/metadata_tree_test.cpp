// The fake's content: listings derived from the AEMM defaults the way IMDS
// prints them.
#include <catch2/catch.hpp>

#include "agent/fake_imds/metadata_tree.hpp"
#include "tests/support/fake_imds.hpp"

using kindling::fake_imds::MetadataTree;

namespace {
const MetadataTree& aemm() {
    static const MetadataTree tree = MetadataTree::from_file(kindling::test::default_metadata_file());
    return tree;
}
}  // namespace

TEST_CASE("the AEMM defaults serve leaves byte-exact and skip paths without values", "[fake_imds]") {
    CHECK(aemm().lookup("/latest/meta-data/instance-id") == "i-1234567890abcdef0");
    CHECK(aemm().lookup("/latest/meta-data/placement/region") == "us-east-1");
    CHECK(aemm().lookup("/latest/meta-data/events/maintenance/scheduled") == std::nullopt);
    CHECK(aemm().lookup("/latest/meta-data/spot/instance-action") == std::nullopt);
    CHECK(aemm().lookup("/latest/meta-data/no-such-thing") == std::nullopt);
    CHECK(aemm().lookup("/latest/user-data") == std::nullopt);
}

TEST_CASE("directory listings are newline-separated with sub-trees marked by a slash", "[fake_imds]") {
    CHECK(aemm().lookup("/latest/meta-data/placement/") ==
          "availability-zone\navailability-zone-id\ngroup-name\nhost-id\npartition-number\nregion");
    CHECK(aemm().lookup("/latest/meta-data/placement") == aemm().lookup("/latest/meta-data/placement/"));
    // A path that is both a value and a directory in AEMM is served as the directory.
    CHECK(aemm().lookup("/latest/meta-data/iam/") == "info\nsecurity-credentials/");
    CHECK(aemm().lookup("/latest/meta-data/iam/security-credentials/") == "baskinc-role");
    auto root = aemm().lookup("/latest/meta-data/");
    REQUIRE(root);
    CHECK(root->starts_with("ami-id\nami-launch-index\nami-manifest-path\nblock-device-mapping/\n"));
    CHECK(root->find("public-keys/") != std::string::npos);
    CHECK(root->find("events") == std::string::npos);  // all its paths lack values
    CHECK(root->back() != '\n');
}

TEST_CASE("public-keys are listed as index=name with the key text under openssh-key", "[fake_imds]") {
    CHECK(aemm().lookup("/latest/meta-data/public-keys/") == "0=test");
    CHECK(aemm().lookup("/latest/meta-data/public-keys/0/") == "openssh-key");
    auto key = aemm().lookup("/latest/meta-data/public-keys/0/openssh-key");
    REQUIRE(key);
    CHECK(key->starts_with("ssh-rsa AAAAB3NzaC1yc2E"));
    CHECK(key->ends_with(" test"));

    MetadataTree tree;
    tree.set("/latest/meta-data/public-keys/0/openssh-key", "ssh-ed25519 AAAA");
    tree.set("/latest/meta-data/public-keys/1/openssh-key", "ssh-ed25519 BBBB deploy");
    CHECK(tree.lookup("/latest/meta-data/public-keys") == "0=key-0\n1=deploy");
}

TEST_CASE("JSON object values are served as JSON documents", "[fake_imds]") {
    auto document = aemm().lookup("/latest/dynamic/instance-identity/document");
    REQUIRE(document);
    CHECK(document->starts_with("{"));
    CHECK(document->find("\"instanceId\": \"i-1234567890abcdef0\"") != std::string::npos);
    CHECK(document->find("\"region\": \"us-east-1\"") != std::string::npos);
}

TEST_CASE("a malformed metadata file is refused with the reason", "[fake_imds]") {
    CHECK_THROWS_WITH(MetadataTree::from_json("{"), Catch::StartsWith("invalid JSON: "));
    CHECK_THROWS_WITH(MetadataTree::from_json(R"({"metadata": {"values": {}}})"),
                      "section 'metadata' has no \"paths\" object");
    CHECK_THROWS_WITH(MetadataTree::from_json(R"({"metadata": {"paths": {"a": "/etc/x"}, "values": {"a": "1"}}})"),
                      "metadata.paths.a: '/etc/x' does not start with /latest/");
}
