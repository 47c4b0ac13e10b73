// system::Root::remove_tree (used by `kindling clean`): removes exactly the
// tree, never what a symlink in it points to, and never anything on another
// mount, including a bind mount of the same filesystem.
#include <sys/mount.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "agent/system/root.hpp"
#include "tests/support/recording_runner.hpp"
#include "tests/support/scratch_root.hpp"

using kindling::system::Root;
using kindling::test::RecordingRunner;
using kindling::test::ScratchRoot;

namespace {

// A bind mount made by the test, detached before the ScratchRoot goes.
class BindMount {
public:
    BindMount(const std::filesystem::path& source, const std::filesystem::path& target) : m_target(target) {
        std::filesystem::create_directories(target);
        REQUIRE(::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) == 0);
    }
    ~BindMount() { ::umount2(m_target.c_str(), MNT_DETACH); }
    BindMount(const BindMount&) = delete;
    BindMount& operator=(const BindMount&) = delete;

private:
    std::filesystem::path m_target;
};

}  // namespace

TEST_CASE("remove_tree removes a nested tree and leaves what its symlinks point to", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.write("/var/lib/kindling/instances/i-1/sem/ssh", "1\n");
    scratch.write("/var/lib/kindling/instances/i-1/user-data.raw", "x", 0600);
    scratch.write("/var/lib/kindling/data/instance-id", "i-1\n");
    scratch.symlink("instances/i-1", "/var/lib/kindling/instance");
    scratch.write("/outside/keep", "kept\n");
    scratch.symlink("/outside", "/var/lib/kindling/to-outside");
    scratch.symlink(scratch.host("/outside").string(), "/var/lib/kindling/to-outside-absolute");

    REQUIRE(root.remove_tree("/var/lib/kindling"));
    CHECK_FALSE(scratch.exists("/var/lib/kindling"));
    CHECK(scratch.exists("/var/lib"));
    CHECK(scratch.read("/outside/keep") == "kept\n");
}

TEST_CASE("remove_tree of a missing path succeeds, of a file or link removes just that", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    CHECK(root.remove_tree("/var/lib/kindling"));
    CHECK(root.remove_tree("/no/such/parent"));

    scratch.write("/var/log/kindling.log", "log\n");
    REQUIRE(root.remove_tree("/var/log/kindling.log"));
    CHECK_FALSE(scratch.exists("/var/log/kindling.log"));

    scratch.write("/data/keep", "kept\n");
    scratch.symlink("/data", "/var/lib/kindling");
    REQUIRE(root.remove_tree("/var/lib/kindling"));
    CHECK_FALSE(std::filesystem::is_symlink(scratch.host("/var/lib/kindling")));
    CHECK(scratch.read("/data/keep") == "kept\n");

    auto top = root.remove_tree("/");
    REQUIRE_FALSE(top);
    CHECK(top.error().message == "'/': is the root directory");
}

TEST_CASE("remove_tree refuses a mount point inside the tree and leaves the mount's files", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.mount_tmpfs("/var/lib/kindling/mounted", 1 << 20);
    scratch.write("/var/lib/kindling/mounted/keep", "kept\n");

    auto r = root.remove_tree("/var/lib/kindling");
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "'/var/lib/kindling/mounted': is on another filesystem (a mount point), refusing to remove");
    CHECK(scratch.read("/var/lib/kindling/mounted/keep") == "kept\n");
}

TEST_CASE("remove_tree refuses a bind mount of the same filesystem", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.write("/srv/data/keep", "kept\n");
    BindMount bind(scratch.host("/srv/data"), scratch.host("/var/lib/kindling/bound"));

    auto r = root.remove_tree("/var/lib/kindling");
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "'/var/lib/kindling/bound': is on another filesystem (a mount point), refusing to remove");
    CHECK(scratch.read("/srv/data/keep") == "kept\n");

    auto top = root.remove_tree("/var/lib/kindling/bound");
    REQUIRE_FALSE(top);
    CHECK(top.error().message == "'/var/lib/kindling/bound': is on another filesystem (a mount point), refusing to remove");
    CHECK(scratch.read("/srv/data/keep") == "kept\n");
}
