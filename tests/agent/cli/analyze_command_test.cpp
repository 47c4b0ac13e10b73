// `kindling analyze` against a recorded boot with fixed times: the exact
// report, slowest first, and the exit code when there is nothing to analyze.
#include <catch2/catch.hpp>

#include "agent/cli/analyze_command.hpp"
#include "tests/agent/cli/recorded_boot.hpp"
#include "tests/support/run_kindling.hpp"

using namespace kindling;
using kindling::test::ScratchRoot;

namespace {

const std::string k_report =
    "boot of i-0123456789abcdef0: done\n"
    "\n"
    "stages, slowest first:\n"
    "      420 ms  init\n"
    "       35 ms  final\n"
    "      455 ms  total\n"
    "\n"
    "modules, slowest first:\n"
    "      300 ms  init/set_hostname                 success\n"
    "      100 ms  init/ssh                          success\n"
    "       30 ms  final/runcmd                      success\n"
    "        0 ms  final/scripts_user                skipped\n"
    "      430 ms  total (3 ran, 1 skipped, 0 failed)\n"
    "\n"
    "imds: 250 ms (14 requests, 1 retry)\n";

}  // namespace

TEST_CASE("analyze lists stages and modules slowest first with totals", "[cli]") {
    CHECK(cli::format_analysis(test::recorded_record()) == k_report);
}

TEST_CASE("analyze shows a stage still running as running, counted as zero", "[cli]") {
    pipeline::BootRecord r = test::recorded_record("running");
    r.stages[1].modules.clear();
    r.imds = {};
    CHECK(cli::format_analysis(r) ==
          "boot of i-0123456789abcdef0: running\n"
          "\n"
          "stages, slowest first:\n"
          "      420 ms  init\n"
          "     running  final\n"
          "      420 ms  total\n"
          "\n"
          "modules, slowest first:\n"
          "      300 ms  init/set_hostname                 success\n"
          "      100 ms  init/ssh                          success\n"
          "      400 ms  total (2 ran, 0 skipped, 0 failed)\n");
}

TEST_CASE("kindling analyze prints the report of the recorded boot", "[cli][integration]") {
    ScratchRoot root;
    test::plant_boot(root);
    auto r = test::run_kindling({"analyze", "--root", root.path().string()});
    CHECK(r.exit_code == 0);
    CHECK(r.out == k_report);
    CHECK(r.err.empty());
}

TEST_CASE("kindling analyze without a recorded boot exits 66", "[cli][integration]") {
    ScratchRoot root;
    auto r = test::run_kindling({"analyze", "--root", root.path().string()});
    CHECK(r.exit_code == 66);
    CHECK(r.out.empty());
    CHECK(r.err == "kindling analyze: /run/kindling/status.json: no boot recorded\n");
}
