// Tests modules/scripts_user.cpp with real /bin/sh chrooted into a
// ScratchRoot::with_usr() root ([integration]). The cloud-init doc has no
// example for this module (it takes no keys).
#include <catch2/catch.hpp>

#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"

using namespace kindling;
using test::ModuleHarness;

namespace {

const pipeline::ModuleSpec& spec() { return *modules::builtin_registry().find("scripts_user"); }
constexpr const char* k_dir = "/var/lib/kindling/instances/i-0123456789abcdef0/scripts";

}  // namespace

TEST_CASE("user scripts run in order with their output in the output log, runcmd left to runcmd",
          "[module][scripts_user][integration]") {
    ModuleHarness h(spec(), ModuleHarness::Runner::real, test::ScratchRoot::Usr::bind);
    h.scratch.write(std::string(k_dir) + "/part-002", "#!/bin/sh\necho two\n", 0700);
    h.scratch.write(std::string(k_dir) + "/part-001", "#!/bin/sh\necho one >&2\n", 0700);
    h.scratch.write(std::string(k_dir) + "/runcmd", "#!/bin/sh\necho runcmd\n", 0700);
    h.parse_clean("{}\n");
    CHECK(h.run().summary == "2 scripts in /var/lib/kindling/instances/i-0123456789abcdef0/scripts ran");
    CHECK(h.scratch.read("/var/log/kindling-output.log") == "one\ntwo\n");
}

TEST_CASE("a failed user script fails the module after the others ran", "[module][scripts_user][integration]") {
    ModuleHarness h(spec(), ModuleHarness::Runner::real, test::ScratchRoot::Usr::bind);
    h.scratch.write(std::string(k_dir) + "/a", "#!/bin/sh\nkill -9 $$\n", 0700);
    h.scratch.write(std::string(k_dir) + "/b", "#!/bin/sh\necho b\n", 0700);
    h.parse_clean("{}\n");
    CHECK_THROWS_WITH(h.run(),
                      "1 of 2 scripts in /var/lib/kindling/instances/i-0123456789abcdef0/scripts failed: "
                      "a (killed by signal 9)");
    CHECK(h.scratch.read("/var/log/kindling-output.log") == "b\n");
}

TEST_CASE("scripts_user is per-instance and never retried", "[module][scripts_user]") {
    CHECK(spec().frequency == pipeline::Frequency::per_instance);
    CHECK(spec().idempotent == pipeline::Idempotent::no);
    CHECK(spec().activation == pipeline::Activation::always);
}
