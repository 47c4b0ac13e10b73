// Tests modules/scripts_per_boot.cpp and the run-parts rules it shares
// (modules/script_rules.cpp) with real /bin/sh chrooted into a
// ScratchRoot::with_usr() root ([integration]). The cloud-init doc has no
// example for this module (it takes no keys).
#include <catch2/catch.hpp>

#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"

using namespace kindling;
using test::ModuleHarness;

namespace {

const pipeline::ModuleSpec& spec() { return *modules::builtin_registry().find("scripts_per_boot"); }
constexpr const char* k_dir = "/var/lib/kindling/scripts/per-boot";

}  // namespace

TEST_CASE("per-boot scripts run in sorted order, failures counted, the rest still run",
          "[module][scripts_per_boot][integration]") {
    ModuleHarness h(spec(), ModuleHarness::Runner::real, test::ScratchRoot::Usr::bind);
    h.scratch.write(std::string(k_dir) + "/10-first", "#!/bin/sh\necho first\n", 0700);
    h.scratch.write(std::string(k_dir) + "/20-fails", "#!/bin/sh\necho failing\nexit 7\n", 0700);
    h.scratch.write(std::string(k_dir) + "/30-not-executable", "#!/bin/sh\necho never\n", 0644);
    h.scratch.mkdir(std::string(k_dir) + "/40-a-directory");
    h.scratch.write(std::string(k_dir) + "/60-last", "#!/bin/sh\necho last\n", 0755);
    h.parse_clean("{}\n");

    CHECK_THROWS_WITH(h.run(), "1 of 3 scripts in /var/lib/kindling/scripts/per-boot failed: 20-fails (exit status 7)");
    CHECK(h.scratch.read("/var/log/kindling-output.log") == "first\nfailing\nlast\n");
}

TEST_CASE("a script that cannot start is a failure named with the reason", "[module][scripts_per_boot]") {
    ModuleHarness h(spec());
    h.scratch.write(std::string(k_dir) + "/a", "echo no shebang\n", 0700);
    h.scratch.write(std::string(k_dir) + "/b", "#!/bin/sh\n", 0700);
    h.parse_clean("{}\n");
    h.recorder.push_result(fail("exec: Exec format error"));
    CHECK_THROWS_WITH(h.run(),
                      "1 of 2 scripts in /var/lib/kindling/scripts/per-boot failed: a (exec: Exec format error)");
    CHECK(h.recorder.calls().size() == 2);
}

TEST_CASE("a missing per-boot directory means no scripts", "[module][scripts_per_boot]") {
    ModuleHarness h(spec());
    h.parse_clean("{}\n");
    CHECK(h.run().summary == "no scripts in /var/lib/kindling/scripts/per-boot");
    CHECK(h.recorder.calls().empty());
}

TEST_CASE("per-boot scripts run by path with the module timeout into the output log", "[module][scripts_per_boot]") {
    ModuleHarness h(spec());
    h.scratch.write(std::string(k_dir) + "/b", "#!/bin/sh\n", 0700);
    h.scratch.write(std::string(k_dir) + "/a", "#!/bin/sh\n", 0500);
    h.scratch.symlink("/bin/true", std::string(k_dir) + "/c-link");
    h.parse_clean("{}\n");
    CHECK(h.run().summary == "2 scripts in /var/lib/kindling/scripts/per-boot ran");
    CHECK(h.recorder.argvs() ==
          std::vector<std::vector<std::string>>{{std::string(k_dir) + "/a"}, {std::string(k_dir) + "/b"}});
    for (const auto& call : h.recorder.calls()) {
        CHECK(call.cmd.output == system::Output::output_log);
        CHECK(call.cmd.timeout == std::chrono::seconds(600));
    }
}
