// Whole boots against a broken machine: a read-only /etc, a full filesystem
// under a file being replaced, a read-only state directory, and commands that
// outlive processes.timeout_seconds. Each ends with a clear error naming the
// place, a non-zero exit, and the old files untouched.
#include <catch2/catch.hpp>

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/support/boot_fixture.hpp"
#include "tests/support/reliability_tally.hpp"

using namespace kindling;
using kindling::test::BootFixture;
using kindling::test::BootOptions;
using kindling::test::tally::Kind;

namespace {

const std::string k_write_motd = "#cloud-config\nhostname: new-name\nwrite_files:\n"
                                 "  - path: /etc/motd\n    content: \"new motd\\n\"\n";

BootOptions files_only(std::string user_data) {
    BootOptions o;
    o.user_data = std::move(user_data);
    o.init_stage = "[write_files, set_hostname]";
    o.final_stage = "[]";
    return o;
}

// Entries of a directory whose name marks an AtomicWrite temporary.
int temporaries_in(const std::filesystem::path& dir) {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        n += e.path().filename().string().find(".kindling-") != std::string::npos;
    }
    return n;
}

}  // namespace

TEST_CASE("a read-only /etc fails the boot with the path and the reason, old files intact",
          "[integration][reliability][disk]") {
    BootFixture boot(files_only(k_write_motd));
    boot.root.write("/etc/motd", "old motd\n");
    boot.root.write("/etc/hostname", "old-name\n");
    boot.root.bind_readonly("/etc");
    test::tally::tried(Kind::fault_injected);

    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("module write_files: failed: ") != std::string::npos);
    CHECK(r.err.find("'/etc/motd'") != std::string::npos);
    CHECK(r.err.find("Read-only file system") != std::string::npos);
    CHECK(r.err.find("module set_hostname: failed: ") != std::string::npos);
    CHECK(boot.root.read("/etc/motd") == "old motd\n");
    CHECK(boot.root.read("/etc/hostname") == "old-name\n");
    CHECK(boot.root.read("/run/kindling/status.json").find("\"status\": \"error\"") != std::string::npos);
}

TEST_CASE("a full filesystem under a replaced file keeps the old file and leaves no temporary",
          "[integration][reliability][disk]") {
    // 256 KiB of new content into a 64 KiB tmpfs that already holds the old file.
    const std::string big(256 * 1024, 'x');
    BootFixture boot(files_only("#cloud-config\nwrite_files:\n  - path: /etc/app/app.conf\n    content: " + big + "\n"));
    boot.root.mount_tmpfs("/etc/app", 64 * 1024);
    boot.root.write("/etc/app/app.conf", "old = 1\n", 0640);
    test::tally::tried(Kind::fault_injected);

    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("module write_files: failed: ") != std::string::npos);
    CHECK(r.err.find("'/etc/app/app.conf'") != std::string::npos);
    CHECK(r.err.find("No space left on device") != std::string::npos);
    CHECK(boot.root.read("/etc/app/app.conf") == "old = 1\n");
    CHECK(temporaries_in(boot.root.host("/etc/app")) == 0);
}

TEST_CASE("a read-only state directory stops the boot before any module runs",
          "[integration][reliability][disk]") {
    BootFixture boot(files_only(k_write_motd));
    boot.root.write("/etc/motd", "old motd\n");
    boot.root.mkdir("/var/lib/kindling");
    boot.root.bind_readonly("/var/lib/kindling");
    test::tally::tried(Kind::fault_injected);

    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code == 70);
    CHECK(r.err.find("state: ") != std::string::npos);
    CHECK(r.err.find("Read-only file system") != std::string::npos);
    CHECK(r.err.find("module write_files") == std::string::npos);
    CHECK(boot.root.read("/etc/motd") == "old motd\n");
}

TEST_CASE("a runcmd past processes.timeout_seconds is killed with its whole process group",
          "[integration][reliability][timeout]") {
    BootOptions o;
    o.init_stage = "[]";
    o.final_stage = "[scripts_user, runcmd]";
    o.extra_config = "processes: {timeout_seconds: 2}\n";
    // The command leaves a grandchild in the background, then waits.
    o.user_data = "#cloud-config\nruncmd:\n"
                  "  - [sh, -c, \"sleep 300 & echo $! > /var/tmp/grandchild; sleep 300; echo survived >> /var/tmp/log\"]\n";
    BootFixture boot(o);
    test::tally::tried(Kind::fault_injected);

    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("module runcmd: failed: ") != std::string::npos);
    CHECK(r.err.find("timed out after 2 s") != std::string::npos);
    CHECK_FALSE(boot.root.exists("/var/tmp/log"));
    // The grandchild went with the group (it may take a moment to be reaped).
    const pid_t grandchild = std::stoi(boot.root.read("/var/tmp/grandchild"));
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (::kill(grandchild, 0) == 0 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(::kill(grandchild, 0) == -1);
    CHECK(errno == ESRCH);
    std::string status = boot.root.read("/run/kindling/status.json");
    CHECK(status.find("timed out after 2 s") != std::string::npos);
}

TEST_CASE("a user script past processes.timeout_seconds fails scripts_user and the rest still runs",
          "[integration][reliability][timeout]") {
    BootOptions o;
    o.init_stage = "[]";
    o.final_stage = "[scripts_user, runcmd]";
    o.extra_config = "processes: {timeout_seconds: 1}\n";
    o.user_data = "Content-Type: multipart/mixed; boundary=\"B\"\nMIME-Version: 1.0\n\n"
                  "--B\nContent-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"slow.sh\"\n\n"
                  "#!/bin/sh\nsleep 300\necho survived >> /var/tmp/log\n"
                  "--B\nContent-Type: text/cloud-config\n\n#cloud-config\nruncmd:\n  - echo runcmd >> /var/tmp/log\n"
                  "--B--\n";
    BootFixture boot(o);
    test::tally::tried(Kind::fault_injected);

    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("module scripts_user: failed: ") != std::string::npos);
    CHECK(r.err.find("slow.sh") != std::string::npos);
    CHECK(r.err.find("timed out after 1 s") != std::string::npos);
    CHECK(boot.root.read("/var/tmp/log") == "runcmd\n");
}
