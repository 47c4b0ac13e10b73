// Tests modules/timezone.cpp against a ScratchRoot with a planted zoneinfo
// file. No command is run.
#include <catch2/catch.hpp>

#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"

using namespace kindling;
using test::ModuleHarness;
using test::Stat;

namespace {

const pipeline::ModuleSpec& spec() { return *modules::builtin_registry().find("timezone"); }

std::string link_target(const test::ScratchRoot& scratch, std::string_view inside) {
    return std::filesystem::read_symlink(scratch.host(inside)).string();
}

}  // namespace

TEST_CASE("timezone doc example 1 on Debian links /etc/localtime and writes /etc/timezone", "[module][timezone]") {
    ModuleHarness h(spec());
    h.scratch.write("/usr/share/zoneinfo/America/New_York", "TZif2 fake\n");
    h.scratch.write("/etc/debian_version", "12.5\n");
    h.scratch.write("/etc/localtime", "old zone\n");
    h.parse_clean(test::source_file("tests/data/cloud-init/module-docs/cc_timezone/example1.yaml"));
    CHECK(h.run().summary == "timezone set to America/New_York");
    CHECK(link_target(h.scratch, "/etc/localtime") == "/usr/share/zoneinfo/America/New_York");
    CHECK(h.scratch.read("/etc/timezone") == "America/New_York\n");
    CHECK(test::stat_of(h.scratch, "/etc/timezone") == Stat{0644, 0, 0});

    h.run();  // twice: the same tree
    CHECK(link_target(h.scratch, "/etc/localtime") == "/usr/share/zoneinfo/America/New_York");
    CHECK(h.scratch.read("/etc/timezone") == "America/New_York\n");
}

TEST_CASE("a distro without /etc/timezone only gets the /etc/localtime link", "[module][timezone]") {
    ModuleHarness h(spec());
    h.scratch.write("/usr/share/zoneinfo/Europe/Paris", "TZif2 fake\n");
    h.parse_clean("timezone: Europe/Paris\n");
    h.run();
    CHECK(link_target(h.scratch, "/etc/localtime") == "/usr/share/zoneinfo/Europe/Paris");
    CHECK_FALSE(h.scratch.exists("/etc/timezone"));
}

TEST_CASE("an existing /etc/timezone is kept up to date on any distro", "[module][timezone]") {
    ModuleHarness h(spec());
    h.scratch.write("/usr/share/zoneinfo/UTC", "TZif2 fake\n");
    h.scratch.write("/etc/timezone", "Etc/GMT+5\n");
    h.parse_clean("timezone: UTC\n");
    h.run();
    CHECK(h.scratch.read("/etc/timezone") == "UTC\n");
}

TEST_CASE("a zone missing from the root's zoneinfo fails and changes nothing", "[module][timezone]") {
    ModuleHarness h(spec());
    h.scratch.write("/etc/debian_version", "12.5\n");
    h.scratch.write("/etc/localtime", "old zone\n");
    h.scratch.mkdir("/usr/share/zoneinfo/America");
    for (const char* zone : {"Mars/Olympus", "America"}) {
        h.parse_clean(std::string("timezone: ") + zone + "\n");
        CHECK_THROWS_WITH(h.run(),
                          std::string("invalid timezone ") + zone + ", no file found at /usr/share/zoneinfo/" + zone);
    }
    CHECK(h.scratch.read("/etc/localtime") == "old zone\n");
    CHECK_FALSE(h.scratch.exists("/etc/timezone"));
}

TEST_CASE("timezone of the wrong type or outside zoneinfo is reported exactly", "[module][timezone]") {
    ModuleHarness h(spec());
    CHECK(test::formatted(h.parse("timezone: [UTC]\n")) ==
          std::vector<std::string>{"user-data, line 1, column 11: timezone: expected a string, got a list"});
    CHECK(test::formatted(h.parse("timezone: 5\n")) ==
          std::vector<std::string>{"user-data, line 1, column 11: timezone: expected a string, got an integer"});
    CHECK(test::formatted(h.parse("timezone: off\n")) ==
          std::vector<std::string>{"user-data, line 1, column 11: timezone: expected a string, got a boolean"});
    // {as written in YAML, the string it is}
    const std::pair<const char*, const char*> bad[] = {{"../../etc/shadow", "../../etc/shadow"},
                                                       {"/etc/shadow", "/etc/shadow"},
                                                       {"America/../UTC", "America/../UTC"},
                                                       {"'UTC '", "UTC "},
                                                       {"''", ""},
                                                       {"Etc//UTC", "Etc//UTC"},
                                                       {"America/", "America/"}};
    for (const auto& [yaml, text] : bad) {
        INFO(yaml);
        CHECK(test::formatted(h.parse(std::string("timezone: ") + yaml + "\n")) ==
              std::vector<std::string>{"user-data, line 1, column 11: timezone: '" + std::string(text) +
                                       "' is not a time zone name such as America/New_York"});
    }
}
