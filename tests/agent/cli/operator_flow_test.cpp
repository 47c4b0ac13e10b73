// The operator's commands after a real `kindling run` against the in-process
// fake IMDS: status, query, analyze and single read what the boot recorded, and
// after `clean` the next boot is a first boot again (baking an AMI).
#include <catch2/catch.hpp>

#include <fstream>

#include "agent/fake_imds/server.hpp"
#include "tests/support/run_kindling.hpp"
#include "tests/support/scratch_root.hpp"

using namespace kindling;
using kindling::test::ScratchRoot;

namespace {

std::string write_config(const ScratchRoot& root, const std::string& endpoint) {
    std::string path = root.host("/tmp/kindling-test.yaml").string();
    std::ofstream(path) << "imds:\n  endpoints: [\"" << endpoint
                        << "\"]\n  deadline_seconds: 20\n  connect_timeout_ms: 500\n  request_timeout_ms: 1000\n"
                           "stages:\n  init: [set_hostname]\n  final: []\n";
    return path;
}

}  // namespace

TEST_CASE("after a boot the operator's commands read its record, and clean makes the next boot a first boot",
          "[cli][integration]") {
    ScratchRoot root;
    fake_imds::Options options;
    options.tree = fake_imds::MetadataTree::from_file(KINDLING_SOURCE_DIR "/tests/data/imds/aemm-default-metadata.json");
    options.user_data = "#cloud-config\nhostname: baked-01\n";
    fake_imds::Server imds(options);
    imds.start();
    const std::string config = write_config(root, imds.url());
    const std::string dir = root.path().string();

    auto boot = test::run_kindling({"run", "--root", dir, "--config", config});
    INFO(boot.err);
    REQUIRE(boot.exit_code == 0);

    auto status = test::run_kindling({"status", "--root", dir});
    CHECK(status.exit_code == 0);
    CHECK(status.out == "status: done\n");

    auto id = test::run_kindling({"query", "--root", dir, "instance_id"});
    CHECK(id.exit_code == 0);
    CHECK(id.out == "i-1234567890abcdef0\n");
    auto ud = test::run_kindling({"query", "--root", dir, "user_data"});
    CHECK(ud.exit_code == 0);
    CHECK(ud.out == "#cloud-config\nhostname: baked-01\n");

    auto analyze = test::run_kindling({"analyze", "--root", dir});
    CHECK(analyze.exit_code == 0);
    CHECK(analyze.out.rfind("boot of i-1234567890abcdef0: done\n", 0) == 0);
    CHECK(analyze.out.find("  init/set_hostname ") != std::string::npos);
    CHECK(analyze.out.find(" total (1 ran, 0 skipped, 0 failed)\n") != std::string::npos);

    auto single = test::run_kindling({"single", "--root", dir, "--config", config, "--name", "set_hostname"});
    CHECK(single.exit_code == 0);
    CHECK(single.out == "module set_hostname: skipped (per-instance, already ran for i-1234567890abcdef0)\n");

    auto clean = test::run_kindling({"clean", "--root", dir});
    CHECK(clean.exit_code == 0);
    CHECK(clean.out == "removed /var/lib/kindling\nremoved /run/kindling\n");
    auto after = test::run_kindling({"status", "--root", dir});
    CHECK(after.out == "status: not started\n");

    // The same instance id, yet a first boot: set_hostname runs again.
    root.write("/etc/hostname", "changed\n");
    auto again = test::run_kindling({"run", "--root", dir, "--config", config});
    REQUIRE(again.exit_code == 0);
    CHECK(root.read("/etc/hostname") == "baked-01\n");
    auto long_status = test::run_kindling({"status", "--root", dir, "--long"});
    CHECK(long_status.out.find("instance: i-1234567890abcdef0 (first boot)\n") != std::string::npos);
}
