// Tests modules/package_update_upgrade_install.cpp. apt-get, dnf and snap
// would change this machine or reach the network, so every command goes to a
// RecordingRunner; the root "has" a package manager when its binary exists
// under /usr/bin (an empty planted file).
#include <catch2/catch.hpp>

#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"

using namespace kindling;
using test::ModuleHarness;
using Argvs = std::vector<std::vector<std::string>>;

namespace {

const pipeline::ModuleSpec& spec() { return *modules::builtin_registry().find("package_update_upgrade_install"); }

std::string example(int n) {
    return test::source_file("tests/data/cloud-init/module-docs/cc_package_update_upgrade_install/example" +
                             std::to_string(n) + ".yaml");
}

std::vector<std::string> apt(std::vector<std::string> rest) {
    std::vector<std::string> argv{"apt-get", "-y", "-o", "Dpkg::Options::=--force-confold"};
    argv.insert(argv.end(), rest.begin(), rest.end());
    return argv;
}

}  // namespace

TEST_CASE("package doc example 1 on an apt root with snap", "[module][package_update_upgrade_install]") {
    ModuleHarness h(spec());
    h.scratch.write("/usr/bin/apt-get", "", 0755);
    h.scratch.write("/usr/bin/snap", "", 0755);
    h.scratch.write("/var/run/reboot-required", "*** System restart required ***\n");
    h.parse_clean(example(1));
    pipeline::Outcome out = h.run();

    CHECK(h.recorder.argvs() ==
          Argvs{apt({"update"}),
                apt({"dist-upgrade"}),
                {"snap", "refresh"},
                apt({"install", "pwgen", "pastebinit", "libpython3.8=3.8.10-0ubuntu1~20.04.2", "mg"}),
                {"snap", "install", "certbot"},
                {"snap", "install", "juju", "--edge"},
                {"snap", "install", "lxd", "--channel=5.15/stable"}});
    for (const auto& call : h.recorder.calls()) {
        CHECK(call.root == h.scratch.path());
        CHECK(call.cmd.output == system::Output::output_log);
        CHECK(call.cmd.timeout == std::chrono::seconds(600));
        if (call.cmd.argv[0] == "apt-get") {
            CHECK(call.cmd.env == std::map<std::string, std::string>{{"DEBIAN_FRONTEND", "noninteractive"}});
        } else {
            CHECK(call.cmd.env.empty());
        }
    }
    // A --root target is never rebooted.
    CHECK(out.summary ==
          "updated, upgraded, 7 packages installed, /var/run/reboot-required exists; no reboot of a --root target");
}

TEST_CASE("package doc example 1 on a dnf root without snap installs what it can, then fails",
          "[module][package_update_upgrade_install]") {
    ModuleHarness h(spec());
    h.scratch.write("/usr/bin/dnf", "", 0755);
    h.parse_clean(example(1));
    CHECK_THROWS_WITH(h.run(),
                      "apt packages requested but the root has no apt-get; "
                      "snap packages requested but the root has no snap");
    CHECK(h.recorder.argvs() ==
          Argvs{{"dnf", "-y", "makecache"},
                {"dnf", "-y", "upgrade"},
                {"dnf", "-y", "install", "pwgen", "pastebinit", "libpython3.8-3.8.10-0ubuntu1~20.04.2"}});
}

TEST_CASE("package doc example 2 updates and upgrades; its snap key belongs to another module",
          "[module][package_update_upgrade_install]") {
    ModuleHarness h(spec());
    h.scratch.write("/usr/bin/apt-get", "", 0755);
    h.parse_clean(example(2));
    CHECK(h.run().summary == "updated, upgraded");
    CHECK(h.recorder.argvs() == Argvs{apt({"update"}), apt({"dist-upgrade"})});
}

TEST_CASE("yum is used when the root has neither apt-get nor dnf", "[module][package_update_upgrade_install]") {
    ModuleHarness h(spec());
    h.scratch.write("/usr/bin/yum", "", 0755);
    h.parse_clean("packages: [httpd, [nginx, 1.20.1]]\n");
    CHECK(h.run().summary == "updated, 2 packages installed");
    CHECK(h.recorder.argvs() == Argvs{{"yum", "-y", "makecache"}, {"yum", "-y", "install", "httpd", "nginx-1.20.1"}});
}

TEST_CASE("a failed step does not stop the next; the failures are reported together",
          "[module][package_update_upgrade_install]") {
    ModuleHarness h(spec());
    h.scratch.write("/usr/bin/apt-get", "", 0755);
    h.parse_clean("package_update: true\npackages: [vim]\n");
    h.recorder.push_exit(100);
    h.recorder.push_exit(100);
    CHECK_THROWS_WITH(h.run(),
                      "package update failed: apt-get exit status 100; "
                      "package install failed: apt-get exit status 100");
    CHECK(h.recorder.argvs() == Argvs{apt({"update"}), apt({"install", "vim"})});
}

TEST_CASE("no package manager in the root fails before running anything", "[module][package_update_upgrade_install]") {
    ModuleHarness h(spec());
    h.parse_clean("packages: [vim]\n");
    CHECK_THROWS_WITH(h.run(), "no package manager (apt-get, dnf or yum) in the root");
    CHECK(h.recorder.calls().empty());
}

TEST_CASE("the old apt_* spellings mean the same", "[module][package_update_upgrade_install]") {
    ModuleHarness h(spec());
    h.scratch.write("/usr/bin/apt-get", "", 0755);
    h.parse_clean("apt_update: true\napt_upgrade: true\n");
    h.run();
    CHECK(h.recorder.argvs() == Argvs{apt({"update"}), apt({"dist-upgrade"})});
}

TEST_CASE("package keys of the wrong type are reported exactly", "[module][package_update_upgrade_install]") {
    struct Case {
        std::string yaml;
        std::vector<std::string> messages;
    };
    const std::vector<Case> cases = {
        {"package_update: 'yes'\n", {"user-data, line 1, column 17: package_update: expected a boolean, got a string"}},
        {"package_upgrade: [true]\n",
         {"user-data, line 1, column 18: package_upgrade: expected a boolean, got a list"}},
        {"package_reboot_if_required: 2\n",
         {"user-data, line 1, column 29: package_reboot_if_required: expected a boolean, got an integer"}},
        {"packages: vim\n", {"user-data, line 1, column 11: packages: expected a list of packages, got a string"}},
        {"packages:\n- [a, b, c]\n",
         {"user-data, line 2, column 3: packages[0]: expected a package name or [name, version], got a list of 3 "
          "items"}},
        {"packages:\n- [a, {b: c}]\n",
         {"user-data, line 2, column 7: packages[0][1]: expected a string, got a mapping"}},
        {"packages:\n- pip: [requests]\n",
         {"user-data, line 2, column 8: packages[0].pip: unsupported package manager 'pip' (apt or snap)"}},
        {"packages:\n- 7zip\n- true\n- [libc6, 2.31]\n",
         {"user-data, line 3, column 3: packages[1]: expected a package name or [name, version], got a boolean",
          "user-data, line 4, column 11: packages[2][1]: expected a string, got a number; used as '2.31' (quote it)"}},
        {"packages:\n- snap: certbot\n",
         {"user-data, line 2, column 9: packages[0].snap: expected a list of packages, got a string"}},
    };
    for (const Case& c : cases) {
        ModuleHarness h(spec());
        INFO(c.yaml);
        CHECK(test::formatted(h.parse(c.yaml)) == c.messages);
    }
}
