// Tests modules/final_message.cpp: the message logged at information level and
// <instance_dir>/boot-finished. The timestamp and uptime come from the clock,
// so they are matched by their exact shape; everything else is exact.
#include <catch2/catch.hpp>
#include <regex>

#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"

using namespace kindling;
using test::ModuleHarness;

namespace {

const pipeline::ModuleSpec& spec() { return *modules::builtin_registry().find("final_message"); }
const std::string k_version = KINDLING_VERSION;
const std::string k_timestamp =
    "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} \\+0000";
const std::string k_uptime = "[0-9]+\\.[0-9]{2}";
constexpr const char* k_boot_finished = "/var/lib/kindling/instances/i-0123456789abcdef0/boot-finished";

std::string escaped(const std::string& s) { return std::regex_replace(s, std::regex("[.]"), "\\."); }

std::string info_message(const ModuleHarness& h) {
    REQUIRE(h.log_lines().size() == 1);
    CHECK(h.log_lines()[0].priority == Poco::Message::PRIO_INFORMATION);
    return h.log_lines()[0].text;
}

}  // namespace

TEST_CASE("final_message doc example 1 is rendered and boot-finished written", "[module][final_message]") {
    ModuleHarness h(spec());
    h.scratch.mkdir("/var/lib/kindling/instances/i-0123456789abcdef0");
    h.parse_clean(test::source_file("tests/data/cloud-init/module-docs/cc_final_message/example1.yaml"));
    h.run();
    CHECK(std::regex_match(info_message(h),
                           std::regex("cloud-init has finished\nversion: " + escaped(k_version) +
                                      "\ntimestamp: " + k_timestamp + "\ndatasource: Ec2\nuptime: " + k_uptime)));
    CHECK(std::regex_match(h.scratch.read(k_boot_finished),
                           std::regex(k_uptime + " - " + k_timestamp + " - v\\. " + escaped(k_version) + "\n")));
    CHECK(test::stat_of(h.scratch, k_boot_finished) == test::Stat{0644, 0, 0});
}

TEST_CASE("without final_message the default message is logged", "[module][final_message]") {
    ModuleHarness h(spec());
    h.scratch.mkdir("/var/lib/kindling/instances/i-0123456789abcdef0");
    h.parse_clean("{}\n");
    h.run();
    CHECK(std::regex_match(info_message(h),
                           std::regex("Kindling v\\. " + escaped(k_version) + " finished at " + k_timestamp +
                                      "\\. Datasource Ec2\\.  Up " + k_uptime + " seconds")));
    CHECK(h.scratch.exists(k_boot_finished));
}

TEST_CASE("upper-case aliases, braces and jinja spellings are substituted", "[module][final_message]") {
    ModuleHarness h(spec());
    h.scratch.mkdir("/var/lib/kindling/instances/i-0123456789abcdef0");
    h.parse_clean("final_message: \"  ${VERSION} $DATASOURCE ${datasource}-$version$ $ {version}\\n\"\n");
    h.run();
    CHECK(info_message(h) == k_version + " Ec2 Ec2-" + k_version + "$ $ {version}");

    ModuleHarness j(spec());
    j.scratch.mkdir("/var/lib/kindling/instances/i-0123456789abcdef0");
    j.parse_clean("final_message: |\n  ## template: jinja\n  v{{ version }} on {{DATASOURCE}} $version\n");
    j.run();
    CHECK(info_message(j) == "v" + k_version + " on Ec2 $version");
}

TEST_CASE("an unknown variable is left as written with a warning", "[module][final_message]") {
    ModuleHarness h(spec());
    h.scratch.mkdir("/var/lib/kindling/instances/i-0123456789abcdef0");
    config::Report report = h.parse("final_message: costs $5 for ${HOME}\n");
    CHECK_FALSE(report.has_errors());
    CHECK(test::formatted(report) ==
          std::vector<std::string>{
              "user-data, line 1, column 16: final_message: unknown variable '5' is left as written (known: version, "
              "timestamp, datasource, uptime)",
              "user-data, line 1, column 16: final_message: unknown variable 'HOME' is left as written (known: "
              "version, timestamp, datasource, uptime)"});
    h.run();
    CHECK(info_message(h) == "costs $5 for ${HOME}");
}

TEST_CASE("final_message of the wrong type is reported exactly", "[module][final_message]") {
    ModuleHarness h(spec());
    CHECK(test::formatted(h.parse("final_message: [done]\n")) ==
          std::vector<std::string>{"user-data, line 1, column 16: final_message: expected a string, got a list"});
}

TEST_CASE("final_message fails when boot-finished cannot be written", "[module][final_message]") {
    ModuleHarness h(spec());
    h.parse_clean("{}\n");
    // The instance directory does not exist.
    CHECK_THROWS_WITH(h.run(), "'/var/lib/kindling': directory does not exist");
    CHECK_FALSE(h.scratch.exists(k_boot_finished));
}
