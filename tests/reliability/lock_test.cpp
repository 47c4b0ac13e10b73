// Two kindling runs on one root: the second waits for the instance lock
// (pipeline::InstanceLock, <run_dir>/kindling.lock) and runs only after the
// first is done, or gives up after 30 s naming the holder's pid with exit 75.
// Modules never run in both at once. The first run is held inside runcmd by a
// command that waits for the test's signal, so nothing depends on timing.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "tests/support/boot_fixture.hpp"
#include "tests/support/reliability_tally.hpp"

using namespace kindling;
using kindling::test::BootFixture;
using kindling::test::BootOptions;
using kindling::test::tally::Kind;

namespace {

// Waits (bounded) until `done` holds; a test setup step, never an assertion on time.
template <class Done>
bool wait_for(Done done, std::chrono::seconds limit = std::chrono::seconds(60)) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

}  // namespace

TEST_CASE("a second kindling waits for the first and never runs a module at the same time",
          "[integration][reliability][lock]") {
    BootOptions o;
    // runcmd every boot, so both runs run it; the directory shows overlap.
    o.init_stage = "[set_hostname]";
    o.final_stage = "[{module: runcmd, frequency: always}]";
    o.user_data = "#cloud-config\nruncmd:\n"
                  "  - [sh, -c, \"mkdir /var/tmp/inside || echo overlap >> /var/tmp/log; echo start >> /var/tmp/log; "
                  "sleep 2; echo end >> /var/tmp/log; rmdir /var/tmp/inside\"]\n";
    BootFixture boot(o);

    auto first = std::async(std::launch::async, [&] { return boot.run(); });
    // The first is inside runcmd, holding the lock.
    REQUIRE(wait_for([&] { return boot.root.exists("/var/tmp/inside"); }));
    auto second = boot.run();
    auto first_run = first.get();
    test::tally::tried(Kind::fault_injected);

    INFO(first_run.err);
    INFO(second.err);
    CHECK(first_run.exit_code == 0);
    CHECK(second.exit_code == 0);
    CHECK(boot.root.read("/var/tmp/log") == "start\nend\nstart\nend\n");
}

TEST_CASE("a second kindling gives up after 30 s naming the pid that holds the lock, and changes nothing",
          "[integration][reliability][lock]") {
    BootOptions o;
    o.init_stage = "[set_hostname]";
    o.final_stage = "[runcmd]";
    // The first run holds the lock inside runcmd until the test releases it.
    o.user_data = "#cloud-config\nhostname: first-run\nruncmd:\n"
                  "  - echo ran >> /var/tmp/runs\n"
                  "  - touch /var/tmp/holding; while [ ! -e /var/tmp/release ]; do sleep 0.1; done\n";
    BootFixture boot(o);
    auto first = std::async(std::launch::async, [&] { return boot.run(); });
    REQUIRE(wait_for([&] { return boot.root.exists("/var/tmp/holding"); }));
    std::string holder = boot.root.read("/run/kindling/kindling.lock");
    REQUIRE(holder.size() > 1);
    holder.pop_back();  // "PID\n"
    const std::string status_before = boot.root.read("/run/kindling/status.json");
    const std::size_t requests_before = boot.imds.requests().size();

    auto second = boot.run();
    test::tally::tried(Kind::fault_injected);
    CHECK(second.exit_code == 75);
    CHECK(second.err.find("another kindling is running (pid " + holder + "), gave up waiting after 30 s") !=
          std::string::npos);
    // The pid named is the first kindling's.
    CHECK(std::filesystem::read_symlink("/proc/" + holder + "/exe") == std::filesystem::path(KINDLING_BINARY));
    // It asked IMDS nothing, ran nothing and left the first run's status alone.
    CHECK(boot.imds.requests().size() == requests_before);
    CHECK(second.err.find("pipeline: module") == std::string::npos);
    CHECK(boot.root.read("/run/kindling/status.json") == status_before);

    // Released, the first completes alone: everything ran exactly once.
    boot.root.write("/var/tmp/release", "");
    auto first_run = first.get();
    INFO(first_run.err);
    CHECK(first_run.exit_code == 0);
    CHECK(boot.root.read("/etc/hostname") == "first-run\n");
    CHECK(boot.root.read("/var/tmp/runs") == "ran\n");
}
