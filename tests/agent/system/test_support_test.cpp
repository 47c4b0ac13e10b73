// The fixtures other tests stand on: run_program returns exactly what the child
// did, and ScratchRoot cleans up after itself without touching the host's /usr.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "tests/support/run_kindling.hpp"
#include "tests/support/scratch_root.hpp"

using kindling::test::RunOptions;
using kindling::test::run_program;
using kindling::test::ScratchRoot;

TEST_CASE("run_program returns exit code, stdout and stderr separately", "[system][integration]") {
    RunOptions options;
    options.env = {{"KINDLING_FIXTURE", "v"}};
    options.stdin_data = "from stdin\n";

    auto run = run_program("/bin/sh", {"-c", "cat; echo \"$KINDLING_FIXTURE\"; echo err >&2; exit 7"}, options);

    CHECK(run.exit_code == 7);
    CHECK(run.out == "from stdin\nv\n");
    CHECK(run.err == "err\n");
    CHECK_FALSE(run.timed_out);
}

TEST_CASE("run_program kills a child that outlives its timeout", "[system][integration]") {
    RunOptions options;
    options.timeout = std::chrono::seconds(1);

    auto run = run_program("/bin/sh", {"-c", "echo started; exec sleep 1000"}, options);

    CHECK(run.timed_out);
    CHECK(run.exit_code == 128 + 9);
    CHECK(run.out == "started\n");
}

TEST_CASE("a scratch root with /usr is unmounted and removed, the host's /usr untouched", "[system][integration]") {
    struct stat usr_before {};
    REQUIRE(::stat("/usr/bin/sh", &usr_before) == 0);
    std::filesystem::path dir;
    {
        ScratchRoot scratch = ScratchRoot::with_usr();
        dir = scratch.path();
        CHECK(std::filesystem::exists(scratch.host("/usr/bin/sh")));
        CHECK(std::filesystem::read_symlink(scratch.host("/bin")) == "usr/bin");
        // The bind is read-only: the host's /usr cannot be changed through it.
        CHECK(::mkdir(scratch.host("/usr/kindling-probe").c_str(), 0755) == -1);
        CHECK(errno == EROFS);
    }
    CHECK_FALSE(std::filesystem::exists(dir));
    struct stat usr_after {};
    REQUIRE(::stat("/usr/bin/sh", &usr_after) == 0);
    CHECK(usr_after.st_ino == usr_before.st_ino);
}
