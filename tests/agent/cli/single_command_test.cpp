// `kindling single` on a recorded instance: it runs the module with the stored
// cloud-config and instance info, honours its semaphore unless --frequency
// always, and its exit code follows the module's result.
#include <catch2/catch.hpp>

#include "tests/agent/cli/recorded_boot.hpp"
#include "tests/support/run_kindling.hpp"

using namespace kindling;
using kindling::test::ScratchRoot;

namespace {

test::ProgramRun single(const ScratchRoot& root, const std::vector<std::string>& args = {}) {
    return test::kindling_on(root, "single", args);
}

const std::string k_sem = "/var/lib/kindling/instances/i-0123456789abcdef0/sem/set_hostname";

}  // namespace

TEST_CASE("kindling single runs a module with the stored cloud-config, then honours its semaphore",
          "[cli][integration]") {
    ScratchRoot root;
    test::plant_instance(root);

    auto first = single(root, {"--name", "set_hostname"});
    INFO(first.err);
    CHECK(first.exit_code == 0);
    CHECK(first.out == "module set_hostname: ran (hostname set to web-01 in /etc/hostname)\n");
    CHECK(root.read("/etc/hostname") == "web-01\n");
    CHECK(root.exists(k_sem));

    // A new stored hostname: the semaphore keeps it from running again...
    root.write("/var/lib/kindling/instances/i-0123456789abcdef0/cloud-config.yaml", "hostname: web-02\n", 0600);
    auto second = single(root, {"--name", "set_hostname"});
    CHECK(second.exit_code == 0);
    CHECK(second.out == "module set_hostname: skipped (per-instance, already ran for i-0123456789abcdef0)\n");
    CHECK(root.read("/etc/hostname") == "web-01\n");

    // ...unless --frequency always.
    auto forced = single(root, {"--name", "set_hostname", "--frequency", "always"});
    CHECK(forced.exit_code == 0);
    CHECK(forced.out == "module set_hostname: ran (hostname set to web-02 in /etc/hostname)\n");
    CHECK(root.read("/etc/hostname") == "web-02\n");
    // It never touches the boot's record.
    CHECK_FALSE(root.exists("/run/kindling/status.json"));
}

TEST_CASE("kindling single exits 1 with the module's failure", "[cli][integration]") {
    ScratchRoot root;
    InstanceInfo info = test::recorded_instance();
    info.local_hostname.clear();
    test::plant_instance(root, info, "{}\n");
    auto r = single(root, {"--name", "set_hostname"});
    CHECK(r.exit_code == 1);
    CHECK(r.out == "module set_hostname: failed: no hostname in cloud-config and no local-hostname in metadata\n");
    CHECK_FALSE(root.exists("/etc/hostname"));
    CHECK_FALSE(root.exists(k_sem));
}

TEST_CASE("kindling single refuses an unknown module or frequency and a root with no instance", "[cli][integration]") {
    ScratchRoot root;
    auto none = single(root, {"--name", "set_hostname"});
    CHECK(none.exit_code == 66);
    CHECK(none.out.empty());
    CHECK(none.err == "kindling single: no instance recorded yet (the init stage has not run)\n");

    test::plant_instance(root);
    auto unknown = single(root, {"--name", "no_such_module"});
    CHECK(unknown.exit_code == 64);
    CHECK(unknown.err.rfind("kindling single: unknown module 'no_such_module' (modules: ", 0) == 0);
    CHECK(unknown.err.find("set_hostname") != std::string::npos);

    auto bad = single(root, {"--name", "set_hostname", "--frequency", "sometimes"});
    CHECK(bad.exit_code == 64);
    CHECK(bad.err == "kindling single: --frequency must be always, per-instance or once, not 'sometimes'\n");

    auto nameless = single(root, {});
    CHECK(nameless.exit_code == 64);
    CHECK(nameless.err == "kindling single: --name MODULE is required\n");
    CHECK_FALSE(root.exists("/etc/hostname"));
}
