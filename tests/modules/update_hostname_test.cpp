// Tests modules/update_hostname.cpp against a ScratchRoot: /etc/hostname and
// <state_dir>/data/previous-hostname bytes across simulated boots (cloud-init's
// previous-hostname rule). No command is run; the running hostname is never
// set because the root is not "/".
#include <catch2/catch.hpp>

#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"

using namespace kindling;
using test::ModuleHarness;
using test::Stat;

namespace {

const pipeline::ModuleSpec& spec() { return *modules::builtin_registry().find("update_hostname"); }

std::string example(int n) {
    return test::source_file("tests/data/cloud-init/module-docs/cc_update_hostname/example" + std::to_string(n) +
                             ".yaml");
}

constexpr const char* k_prev = "/var/lib/kindling/data/previous-hostname";

}  // namespace

TEST_CASE("update_hostname doc example 1 writes the metadata name and records it", "[module][update_hostname]") {
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
    h.parse_clean(example(1));
    CHECK(h.run().summary == "hostname ip-172-16-34-43 written to /etc/hostname");
    CHECK(h.scratch.read("/etc/hostname") == "ip-172-16-34-43\n");
    CHECK(test::stat_of(h.scratch, "/etc/hostname") == Stat{0644, 0, 0});
    CHECK(h.scratch.read(k_prev) == "ip-172-16-34-43\n");
    CHECK(test::stat_of(h.scratch, k_prev) == Stat{0644, 0, 0});
}

TEST_CASE("update_hostname doc examples 2 and 3 (preserve_hostname) touch nothing", "[module][update_hostname]") {
    for (int n : {2, 3}) {
        ModuleHarness h(spec());
        h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
        h.scratch.write("/etc/hostname", "kept\n");
        h.parse_clean(example(n));
        CHECK(h.run().summary == "preserve_hostname is set, hostname left as it is");
        CHECK(h.scratch.read("/etc/hostname") == "kept\n");
        CHECK_FALSE(h.scratch.exists(k_prev));
    }
}

TEST_CASE("update_hostname doc example 4 writes the preferred FQDN", "[module][update_hostname]") {
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
    h.parse_clean(example(4));
    h.run();
    CHECK(h.scratch.read("/etc/hostname") == "external.fqdn.me\n");
    CHECK(h.scratch.read(k_prev) == "external.fqdn.me\n");
}

TEST_CASE("update_hostname with prefer_fqdn_over_hostname false writes the short metadata name",
          "[module][update_hostname]") {
    // The doc's example 5 (file missing from the corpus): local-hostname
    // external.fqdn.me gives hostname "external".
    ModuleHarness h(spec());
    h.instance.local_hostname = "external.fqdn.me";
    h.parse_clean("prefer_fqdn_over_hostname: false\n");
    h.run();
    CHECK(h.scratch.read("/etc/hostname") == "external\n");
}

TEST_CASE("update_hostname with create_hostname_file false does not create /etc/hostname",
          "[module][update_hostname]") {
    // The doc's example 6 (file missing from the corpus).
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
    h.parse_clean("create_hostname_file: false\n");
    h.run();
    CHECK_FALSE(h.scratch.exists("/etc/hostname"));
    CHECK(h.scratch.read(k_prev) == "ip-172-16-34-43\n");
}

TEST_CASE("a hostname changed by hand after the first boot is kept on later boots", "[module][update_hostname]") {
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
    h.parse_clean("{}");
    h.run();
    h.scratch.write("/etc/hostname", "my-own-name\n");
    CHECK(h.run().summary == "hostname my-own-name kept (changed by hand)");
    CHECK(h.scratch.read("/etc/hostname") == "my-own-name\n");
    CHECK(h.scratch.read(k_prev) == "ip-172-16-34-43\n");
    bool logged = false;
    for (const auto& line : h.log_lines()) {
        logged = logged || line.text.find("the administrator changed it") != std::string::npos;
    }
    CHECK(logged);
}

TEST_CASE("a new metadata name replaces the one this module wrote", "[module][update_hostname]") {
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
    h.parse_clean("{}");
    h.run();
    h.instance.local_hostname = "ip-10-1-2-3.ec2.internal";
    h.run();
    CHECK(h.scratch.read("/etc/hostname") == "ip-10-1-2-3\n");
    CHECK(h.scratch.read(k_prev) == "ip-10-1-2-3\n");
}

TEST_CASE("update_hostname does not overwrite an image's name it never wrote", "[module][update_hostname]") {
    // cloud-init: without a previous-hostname, an existing /etc/hostname is the
    // system's (set_hostname, which runs first, replaces it on a new instance).
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
    h.scratch.write("/etc/hostname", "debian\n");
    h.parse_clean("{}");
    CHECK(h.run().summary == "hostname ip-172-16-34-43 unchanged");
    CHECK(h.scratch.read("/etc/hostname") == "debian\n");
    CHECK(h.scratch.read(k_prev) == "ip-172-16-34-43\n");
}

TEST_CASE("update_hostname run twice changes nothing the second time", "[module][update_hostname]") {
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
    h.parse_clean("hostname: web\n");
    h.run();
    struct stat before {};
    REQUIRE(::lstat(h.scratch.host("/etc/hostname").c_str(), &before) == 0);
    CHECK(h.run().summary == "hostname web unchanged");
    struct stat after {};
    REQUIRE(::lstat(h.scratch.host("/etc/hostname").c_str(), &after) == 0);
    CHECK(before.st_ino == after.st_ino);
    CHECK(h.scratch.read("/etc/hostname") == "web\n");
}

TEST_CASE("update_hostname reports wrong types at parse time", "[module][update_hostname]") {
    ModuleHarness h(spec());
    config::Report report = h.parse("preserve_hostname: 'no'\nfqdn: [x]\n");
    CHECK(test::formatted(report) ==
          std::vector<std::string>{"user-data, line 1, column 20: preserve_hostname: expected a boolean, got a string",
                                   "user-data, line 2, column 7: fqdn: expected a string, got a list"});
}
