// `kindling status` against recorded boots: the text, long and JSON forms, the
// cloud-init exit convention, and --wait returning only once final has ended.
#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include "agent/cli/status_command.hpp"
#include "tests/agent/cli/recorded_boot.hpp"
#include "tests/support/run_kindling.hpp"

using namespace kindling;
using kindling::test::ScratchRoot;

namespace {

test::ProgramRun status(const ScratchRoot& root, const std::vector<std::string>& args = {}) {
    return test::kindling_on(root, "status", args);
}

}  // namespace

TEST_CASE("kindling status exits 0 done, 1 error, 2 degraded as cloud-init status does", "[cli][integration]") {
    struct Case {
        std::string final_state;
        int exit_code;
        std::string out;
    };
    for (const Case& c : std::vector<Case>{
             {"done", 0, "status: done\n"},
             {"error", 1, "status: error\nfinal: error: module runcmd: command 1 exited with status 3\n"},
             {"degraded", 2, "status: degraded\nfinal: warning: user-data part 1, line 3, column 1: bogus: unknown key\n"},
         }) {
        INFO(c.final_state);
        ScratchRoot root;
        test::plant_boot(root, c.final_state);
        auto r = status(root);
        CHECK(r.exit_code == c.exit_code);
        CHECK(r.out == c.out);
    }
}

TEST_CASE("kindling status before any boot says not started and exits 0", "[cli][integration]") {
    ScratchRoot root;
    auto text = status(root);
    CHECK(text.exit_code == 0);
    CHECK(text.out == "status: not started\n");
    auto json = status(root, {"--format", "json"});
    CHECK(json.exit_code == 0);
    CHECK(json.out == "{\"status\": \"not started\"}\n");
}

TEST_CASE("kindling status --long shows every stage and module", "[cli][integration]") {
    ScratchRoot root;
    test::plant_boot(root);
    auto r = status(root, {"--long"});
    CHECK(r.exit_code == 0);
    CHECK(r.out ==
          "status: done\n"
          "instance: i-0123456789abcdef0 (first boot)\n"
          "imds: http://127.0.0.1:8080, 14 requests, 1 retries, 250 ms\n"
          "user-data part 1: text/cloud-config, 40 bytes -> cloud-config\n"
          "\n"
          "init: done (420 ms)\n"
          "  set_hostname                    ok       300 ms   hostname web-01 written to /etc/hostname\n"
          "  ssh                             ok       100 ms   2 keys added\n"
          "\n"
          "final: done (35 ms)\n"
          "  scripts_user                    skipped  0 ms     skipped (no configuration)\n"
          "  runcmd                          ok       30 ms    2 commands\n");
}

TEST_CASE("kindling status --format json prints status.json as written", "[cli][integration]") {
    ScratchRoot root;
    test::plant_boot(root);
    auto r = status(root, {"--format", "json"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == root.read("/run/kindling/status.json"));
    auto bad = status(root, {"--format", "yaml"});
    CHECK(bad.exit_code == 64);
    CHECK(bad.err == "kindling status: --format must be 'text' or 'json'\n");
}

TEST_CASE("kindling status --wait returns only after the final stage has ended", "[cli][integration]") {
    ScratchRoot root;
    test::plant_boot(root, "running");
    auto waiting = std::async(std::launch::async, [&] { return status(root, {"--wait"}); });
    // However long it has had, it cannot have returned while final is running.
    CHECK(waiting.wait_for(std::chrono::milliseconds(600)) == std::future_status::timeout);
    test::plant_status(root, test::recorded_record("error"));
    auto r = waiting.get();
    CHECK(r.exit_code == 1);
    // It reports the record written after it started: it waited for it.
    CHECK(r.out == "status: error\nfinal: error: module runcmd: command 1 exited with status 3\n");
}
