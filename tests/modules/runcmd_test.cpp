// Tests modules/runcmd.cpp with real /bin/sh chrooted into a
// ScratchRoot::with_usr() root ([integration]): the script bytes, the output
// log bytes, and that a failing line does not stop the next.
#include <catch2/catch.hpp>
#include <regex>

#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"

using namespace kindling;
using test::ModuleHarness;

namespace {

const pipeline::ModuleSpec& spec() { return *modules::builtin_registry().find("runcmd"); }
constexpr const char* k_script = "/var/lib/kindling/instances/i-0123456789abcdef0/scripts/runcmd";

}  // namespace

TEST_CASE("runcmd doc example 1 becomes cloud-init's script and runs in sh", "[module][runcmd][integration]") {
    ModuleHarness h(spec(), ModuleHarness::Runner::real, test::ScratchRoot::Usr::bind);
    h.parse_clean(test::source_file("tests/data/cloud-init/module-docs/cc_runcmd/example1.yaml"));
    CHECK(h.run().summary == "4 commands ran");

    CHECK(h.scratch.read(k_script) ==
          "#!/bin/sh\n"
          "'ls' '-l' '/'\n"
          "'sh' '-xc' 'echo $(date) '\\'': hello world!'\\'''\n"
          "'sh' '-c' 'echo \"=========hello world'\\''=========\"'\n"
          "ls -l /root\n");
    CHECK(test::stat_of(h.scratch, k_script) == test::Stat{0700, 0, 0});
    // `ls -l /` lists the scratch root and `date` varies; the rest is exact.
    std::string log = h.scratch.read("/var/log/kindling-output.log");
    std::regex expected(
        "total [0-9]+\n(.*\n)+"
        "\\+ date\n\\+ echo .+ : hello world!\n.+ : hello world!\n"
        "=========hello world'=========\n"
        "total 0\n");
    CHECK(std::regex_match(log, expected));
}

TEST_CASE("runcmd writes the output of every line, a failing one included", "[module][runcmd][integration]") {
    ModuleHarness h(spec(), ModuleHarness::Runner::real, test::ScratchRoot::Usr::bind);
    h.parse_clean(
        "runcmd:\n"
        "- [printf, '%s\\n', \"it's a 'quoted' $HOME\"]\n"
        "- echo one; false\n"
        "- echo two >&2\n"
        "- [sh, -c, 'exit 0']\n");
    CHECK(h.run().summary == "4 commands ran");
    CHECK(h.scratch.read("/var/log/kindling-output.log") == "it's a 'quoted' $HOME\none\ntwo\n");
}

TEST_CASE("runcmd fails when its last command fails", "[module][runcmd][integration]") {
    ModuleHarness h(spec(), ModuleHarness::Runner::real, test::ScratchRoot::Usr::bind);
    h.parse_clean("runcmd:\n- echo before\n- exit 4\n- echo never\n");
    CHECK_THROWS_WITH(h.run(), std::string(k_script) + ": exit status 4");
    CHECK(h.scratch.read("/var/log/kindling-output.log") == "before\n");
}

TEST_CASE("runcmd runs the saved script with the module's timeout into the output log", "[module][runcmd]") {
    ModuleHarness h(spec());
    h.child_timeout = std::chrono::seconds(42);
    h.parse_clean("runcmd:\n- [touch, /x]\n");
    CHECK(h.run().summary == "1 command ran");
    REQUIRE(h.recorder.calls().size() == 1);
    const system::Command& cmd = h.recorder.calls()[0].cmd;
    CHECK(cmd.argv == std::vector<std::string>{k_script});
    CHECK(cmd.timeout == std::chrono::seconds(42));
    CHECK(cmd.output == system::Output::output_log);
    CHECK(h.scratch.read(k_script) == "#!/bin/sh\n'touch' '/x'\n");
}

TEST_CASE("runcmd of the wrong type is reported exactly", "[module][runcmd]") {
    ModuleHarness h(spec());
    CHECK(test::formatted(h.parse("runcmd: {ls: -l}\n")) ==
          std::vector<std::string>{"user-data, line 1, column 9: runcmd: expected a list of commands, got a mapping"});
    CHECK(test::formatted(h.parse("runcmd:\n- [ls, {a: 1}]\n")) ==
          std::vector<std::string>{"user-data, line 2, column 8: runcmd[0][1]: expected a string, got a mapping"});
    CHECK(test::formatted(h.parse("runcmd:\n- 42\n")) ==
          std::vector<std::string>{"user-data, line 2, column 3: runcmd[0]: expected a string or a list of strings, got an integer"});
    h.parse_clean("runcmd:\n- '42'\n- [sleep, '5']\n");
}

TEST_CASE("argv words that are not strings run as cloud-init's str() makes them, with a warning", "[module][runcmd]") {
    ModuleHarness h(spec());
    CHECK(test::formatted(h.parse("runcmd:\n- [sleep, 5]\n- [chmod, 0755, /x]\n- [echo, yes, ~, 2024-01-02]\n")) ==
          std::vector<std::string>{
              "user-data, line 2, column 11: runcmd[0][1]: expected a string, got an integer; run as '5', as cloud-init does",
              "user-data, line 3, column 11: runcmd[1][1]: expected a string, got an integer; run as '493', as cloud-init does",
              "user-data, line 4, column 10: runcmd[2][1]: expected a string, got a boolean; run as 'True', as cloud-init does",
              "user-data, line 4, column 15: runcmd[2][2]: expected a string, got null; run as 'None', as cloud-init does",
              "user-data, line 4, column 18: runcmd[2][3]: expected a string, got a date; run as '2024-01-02', as cloud-init does",
          });
    h.run();
    CHECK(h.scratch.read(k_script) ==
          "#!/bin/sh\n'sleep' '5'\n'chmod' '493' '/x'\n'echo' 'True' 'None' '2024-01-02'\n");
}
