// Tests modules/bootcmd.cpp. The doc example runs mkfs on /dev/vdb, so it goes
// to a RecordingRunner; the [integration] case runs real /bin/sh chrooted into
// a ScratchRoot::with_usr() root.
#include <catch2/catch.hpp>

#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"

using namespace kindling;
using test::ModuleHarness;

namespace {

const pipeline::ModuleSpec& spec() { return *modules::builtin_registry().find("bootcmd"); }

}  // namespace

TEST_CASE("bootcmd doc example 1 runs one sh script with INSTANCE_ID, then removes it", "[module][bootcmd]") {
    ModuleHarness h(spec());
    h.parse_clean(test::source_file("tests/data/cloud-init/module-docs/cc_bootcmd/example1.yaml"));
    std::string script_at_run;
    h.recorder.set_handler([&](const std::filesystem::path&, const system::Command&) -> Result<system::ChildResult> {
        script_at_run = h.scratch.read("/run/kindling/tmp/bootcmd.sh");
        system::ChildResult ok;
        ok.exit_code = 0;
        return ok;
    });
    pipeline::Outcome out = h.run();

    CHECK(out.summary == "2 commands ran");
    REQUIRE(h.recorder.calls().size() == 1);
    const system::Command& cmd = h.recorder.calls()[0].cmd;
    CHECK(h.recorder.calls()[0].root == h.scratch.path());
    CHECK(cmd.argv == std::vector<std::string>{"/bin/sh", "/run/kindling/tmp/bootcmd.sh"});
    CHECK(cmd.env == std::map<std::string, std::string>{{"INSTANCE_ID", "i-0123456789abcdef0"}});
    CHECK(cmd.output == system::Output::output_log);
    CHECK(cmd.timeout == std::chrono::seconds(600));
    CHECK(script_at_run ==
          "#!/bin/sh\n"
          "echo 192.168.1.130 us.archive.ubuntu.com > /etc/hosts\n"
          "'cloud-init-per' 'once' 'mymkfs' 'mkfs' '/dev/vdb'\n");
    CHECK_FALSE(h.scratch.exists("/run/kindling/tmp/bootcmd.sh"));
}

TEST_CASE("a failing bootcmd fails the module and still removes the script", "[module][bootcmd]") {
    ModuleHarness h(spec());
    h.parse_clean("bootcmd:\n- exit 3\n");
    h.recorder.push_exit(3);
    CHECK_THROWS_WITH(h.run(), "/bin/sh /run/kindling/tmp/bootcmd.sh: exit status 3");
    CHECK_FALSE(h.scratch.exists("/run/kindling/tmp/bootcmd.sh"));
}

TEST_CASE("bootcmd runs in real sh inside the root with INSTANCE_ID set", "[module][bootcmd][integration]") {
    ModuleHarness h(spec(), ModuleHarness::Runner::real, test::ScratchRoot::Usr::bind);
    h.parse_clean("bootcmd:\n- echo \"$INSTANCE_ID\" > /run/iid\n- [printf, '%s\\n', \"it's\"]\n");
    CHECK(h.run().summary == "2 commands ran");
    CHECK(h.scratch.read("/run/iid") == "i-0123456789abcdef0\n");
    CHECK(h.scratch.read("/var/log/kindling-output.log") == "it's\n");
    CHECK_FALSE(h.scratch.exists("/run/kindling/tmp/bootcmd.sh"));
}

TEST_CASE("bootcmd of the wrong type is reported exactly", "[module][bootcmd]") {
    ModuleHarness h(spec());
    CHECK(test::formatted(h.parse("bootcmd: echo hi\n")) ==
          std::vector<std::string>{"user-data, line 1, column 10: bootcmd: expected a list of commands, got a string"});
    CHECK(test::formatted(h.parse("bootcmd:\n- {a: b}\n- [ls, [x]]\n")) ==
          std::vector<std::string>{
              "user-data, line 2, column 3: bootcmd[0]: expected a string or a list of strings, got a mapping",
              "user-data, line 3, column 8: bootcmd[1][1]: expected a string, got a list"});
}
