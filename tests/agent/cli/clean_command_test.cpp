// `kindling clean` on a recorded boot: exactly Kindling's state goes (with
// --logs the logs, with --seed the host keys and the machine id's content),
// everything else stays, and a running boot is never cleaned under its feet.
#include <sys/file.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include "tests/agent/cli/recorded_boot.hpp"
#include "tests/support/run_kindling.hpp"

using namespace kindling;
using kindling::test::ScratchRoot;

namespace {

void plant_machine(const ScratchRoot& root) {
    test::plant_boot(root);
    root.write("/var/log/kindling.log", "2024-01-01 init: boot done\n", 0640);
    root.write("/var/log/kindling-output.log", "script output\n");
    root.write("/var/log/syslog", "other\n");
    root.write("/var/lib/other/state", "other\n");
    root.write("/etc/ssh/sshd_config", "PasswordAuthentication no\n");
    root.write("/etc/ssh/ssh_host_ed25519_key", "private\n", 0600);
    root.write("/etc/ssh/ssh_host_ed25519_key.pub", "public\n");
    root.write("/etc/ssh/ssh_host_rsa_key", "private\n", 0600);
    root.write("/etc/ssh/ssh_host_rsa_key.pub", "public\n");
    root.write("/etc/machine-id", "0123456789abcdef0123456789abcdef\n", 0444);
    root.symlink("/etc/machine-id", "/var/lib/dbus/machine-id");
}

test::ProgramRun clean(const ScratchRoot& root, const std::vector<std::string>& args = {}) {
    return test::kindling_on(root, "clean", args);
}

}  // namespace

TEST_CASE("kindling clean forgets the instance and keeps logs, keys and machine id", "[cli][integration]") {
    ScratchRoot root;
    plant_machine(root);
    auto r = clean(root);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "removed /var/lib/kindling\nremoved /run/kindling\n");
    CHECK(r.err.empty());
    CHECK_FALSE(root.exists("/var/lib/kindling"));
    CHECK_FALSE(root.exists("/run/kindling"));
    CHECK(root.exists("/var/lib"));
    CHECK(root.exists("/run"));
    CHECK(root.read("/var/lib/other/state") == "other\n");
    CHECK(root.read("/var/log/kindling.log") == "2024-01-01 init: boot done\n");
    CHECK(root.read("/var/log/kindling-output.log") == "script output\n");
    CHECK(root.read("/etc/ssh/ssh_host_rsa_key") == "private\n");
    CHECK(root.read("/etc/machine-id") == "0123456789abcdef0123456789abcdef\n");

    // Nothing left: a second clean removes nothing and says nothing.
    auto again = clean(root);
    CHECK(again.exit_code == 0);
    CHECK(again.out.empty());
}

TEST_CASE("kindling clean --logs --seed also removes the logs, host keys and machine id", "[cli][integration]") {
    ScratchRoot root;
    plant_machine(root);
    auto r = clean(root, {"--logs", "--seed"});
    CHECK(r.exit_code == 0);
    CHECK(r.out ==
          "removed /var/lib/kindling\n"
          "removed /run/kindling\n"
          "removed /var/log/kindling.log\n"
          "removed /var/log/kindling-output.log\n"
          "removed /etc/ssh/ssh_host_ed25519_key\n"
          "removed /etc/ssh/ssh_host_ed25519_key.pub\n"
          "removed /etc/ssh/ssh_host_rsa_key\n"
          "removed /etc/ssh/ssh_host_rsa_key.pub\n"
          "emptied /etc/machine-id\n");
    CHECK_FALSE(root.exists("/var/log/kindling.log"));
    CHECK_FALSE(root.exists("/var/log/kindling-output.log"));
    CHECK(root.read("/var/log/syslog") == "other\n");
    CHECK(root.read("/etc/ssh/sshd_config") == "PasswordAuthentication no\n");
    CHECK_FALSE(root.exists("/etc/ssh/ssh_host_rsa_key"));
    CHECK_FALSE(root.exists("/etc/ssh/ssh_host_ed25519_key.pub"));
    // Emptied in place, mode kept; D-Bus's link to it is left alone.
    CHECK(root.read("/etc/machine-id").empty());
    struct stat st {};
    REQUIRE(::lstat(root.host("/etc/machine-id").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0444);
    CHECK(std::filesystem::read_symlink(root.host("/var/lib/dbus/machine-id")) == "/etc/machine-id");
}

TEST_CASE("kindling clean --seed removes a D-Bus machine id that is a copy", "[cli][integration]") {
    ScratchRoot root;
    root.write("/etc/machine-id", "0123456789abcdef0123456789abcdef\n", 0444);
    root.write("/var/lib/dbus/machine-id", "0123456789abcdef0123456789abcdef\n", 0444);
    auto r = clean(root, {"--seed"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "emptied /etc/machine-id\nremoved /var/lib/dbus/machine-id\n");
    CHECK_FALSE(root.exists("/var/lib/dbus/machine-id"));
}

TEST_CASE("kindling clean refuses while a boot holds the lock and removes nothing", "[cli][integration]") {
    ScratchRoot root;
    plant_machine(root);
    int fd = ::open(root.host("/run/kindling/kindling.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, "4242\n", 5) == 5);
    REQUIRE(::flock(fd, LOCK_EX) == 0);
    auto r = clean(root);
    ::close(fd);
    CHECK(r.exit_code == 75);
    CHECK(r.out.empty());
    CHECK(r.err == "kindling clean: another kindling is running (pid 4242), gave up waiting after 0 s\n");
    CHECK(root.exists("/var/lib/kindling/data/instance-id"));
    CHECK(root.exists("/run/kindling/status.json"));
}
