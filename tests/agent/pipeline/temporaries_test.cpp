// remove_stale_temporaries: what a run killed between creating a temporary and
// renaming it leaves is removed at the next boot, exactly that (by name and
// type), and only in the directories Kindling writes.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "agent/pipeline/temporaries.hpp"
#include "agent/system/atomic_write.hpp"
#include "tests/support/recording_runner.hpp"
#include "tests/support/scratch_root.hpp"

using kindling::pipeline::Paths;
using kindling::pipeline::remember_write_dir;
using kindling::pipeline::remove_stale_temporaries;
using kindling::system::parse_temporary_name;
using kindling::system::Root;
using kindling::system::TemporaryKind;
using kindling::test::RecordingRunner;
using kindling::test::ScratchRoot;

namespace {

bool present(const ScratchRoot& scratch, std::string_view inside) {
    struct stat st {};
    return ::lstat(scratch.host(inside).c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("parse_temporary_name accepts exactly the names Kindling gives its temporaries", "[system]") {
    CHECK(parse_temporary_name(kindling::system::temporary_name("hosts")).kind == TemporaryKind::file);
    CHECK(parse_temporary_name(kindling::system::temporary_name("hosts")).of == "hosts");
    CHECK(parse_temporary_name(kindling::system::temporary_name("localtime", "link-")).kind == TemporaryKind::link);
    CHECK(parse_temporary_name(kindling::system::temporary_name("app", "d")).kind == TemporaryKind::dir);
    CHECK(parse_temporary_name(".a.kindling-dd0123456").kind == TemporaryKind::dir);
    CHECK(parse_temporary_name(".a.kindling-dd012345").kind == TemporaryKind::file);
    CHECK(parse_temporary_name(".x.kindling-0a1b2c3d.kindling-0a1b2c3d").of == "x.kindling-0a1b2c3d");
    for (const char* not_one : {"hosts.kindling-0a1b2c3d", "..kindling-0a1b2c3d", ".hosts.kindling-0a1b2c3",
                                ".hosts.kindling-0a1b2c3dd", ".hosts.kindling-0A1B2C3D", ".hosts.kindling-xyz",
                                ".hosts.kindling-link-0a1b2c3", ".hosts.kindling-0a1b2c3d~", ".hosts"}) {
        INFO(not_one);
        CHECK(parse_temporary_name(not_one).kind == TemporaryKind::none);
    }
}

TEST_CASE("the boot sweep removes leftover temporaries where Kindling writes and keeps everything else",
          "[pipeline][unit]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");
    scratch.mkdir("/root", 0700);
    scratch.mkdir("/home/alice", 0755, 1000, 1000);
    scratch.write("/etc/hosts", "127.0.0.1 localhost\n");
    const std::vector<std::string> stale = {
        "/etc/.hosts.kindling-0a1b2c3d",
        "/etc/sudoers.d/.90-kindling-users.kindling-deadbeef",
        "/etc/ssh/sshd_config.d/.50-kindling.conf.kindling-11111111",
        "/var/lib/kindling/data/.previous-hostname.kindling-12345678",
        "/var/lib/kindling/instances/i-1/sem/.users_groups.kindling-abcdef01",
        "/var/lib/kindling/instances/i-1/.cloud-config.yaml.kindling-00c0ffee",
        "/run/kindling/.result.json.kindling-00000000",
        "/run/kindling/tmp/.bootcmd.sh.kindling-22222222",
        "/root/.ssh/.authorized_keys.kindling-33333333",
    };
    for (const std::string& path : stale) scratch.write(path, "127.0.0.1 secret-content\n", 0644);
    scratch.symlink("instances/i-1", "/var/lib/kindling/.instance.kindling-link-0badf00d");
    scratch.mkdir("/home/.alice.kindling-d44444444", 0700);  // make_dirs of a home, killed before its rename
    scratch.mkdir("/var/lib/.kindling.kindling-d55555555", 0700);

    // Kept: a look-alike symlink (never followed, its target untouched), names
    // that are not exactly a temporary's, a temporary type that does not match
    // its name, a non-empty temporary directory, and places Kindling does not write.
    scratch.write("/etc/shadow-target", "keep\n", 0600);
    scratch.symlink("/etc/shadow-target", "/etc/.shadow.kindling-0a1b2c3d");
    const std::vector<std::string> kept = {
        "/etc/.hosts.kindling-0a1b2c3",      "/etc/hosts.kindling-0a1b2c3d", "/etc/.hosts.kindling-XYZ",
        "/etc/.x.kindling-link-66666666",    "/etc/app/.app.conf.kindling-77777777",
        "/opt/.f.kindling-88888888",         "/var/lib/kindling/data/.previous-hostname.kindling-1234567g",
        "/home/.bob.kindling-d99999999/file",
    };
    for (const std::string& path : kept) scratch.write(path, "keep\n");
    scratch.mkdir("/home/.alice.kindling-daaaaaaaa/sub");  // not empty: kept
    scratch.mkdir("/etc/.hosts.kindling-bbbbbbbb");        // a directory named as a file temporary
    // A link inside the state dir to elsewhere: the recursive sweep does not follow it.
    scratch.symlink("/opt", "/var/lib/kindling/elsewhere");

    auto swept = remove_stale_temporaries(root, Paths{});
    CHECK(swept.errors.empty());
    CHECK(swept.removed == static_cast<int>(stale.size()) + 3);
    for (const std::string& path : stale) {
        INFO(path);
        CHECK_FALSE(present(scratch, path));
    }
    CHECK_FALSE(present(scratch, "/var/lib/kindling/.instance.kindling-link-0badf00d"));
    CHECK_FALSE(present(scratch, "/home/.alice.kindling-d44444444"));
    CHECK_FALSE(present(scratch, "/var/lib/.kindling.kindling-d55555555"));
    for (const std::string& path : kept) {
        INFO(path);
        CHECK(scratch.read(path) == "keep\n");
    }
    CHECK(present(scratch, "/etc/.shadow.kindling-0a1b2c3d"));
    CHECK(scratch.read("/etc/shadow-target") == "keep\n");
    CHECK(present(scratch, "/home/.alice.kindling-daaaaaaaa/sub"));
    CHECK(present(scratch, "/etc/.hosts.kindling-bbbbbbbb"));
    CHECK(scratch.read("/etc/hosts") == "127.0.0.1 localhost\n");

    // A second sweep finds nothing.
    auto again = remove_stale_temporaries(root, Paths{});
    CHECK(again.removed == 0);
    CHECK(again.errors.empty());
}

TEST_CASE("the boot sweep handles a user's ~/.ssh safely", "[pipeline][unit]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.write("/etc/passwd",
                  "root:x:0:0:root:/root:/bin/sh\n"
                  "alice:x:1000:1000::/home/alice:/bin/sh\n"
                  "mallory:x:1001:1001::/home/mallory:/bin/sh\n");
    // alice's own .ssh: the temporary (owned by her after the fchown) goes; her
    // look-alike link to /etc/shadow stays and is not followed.
    scratch.mkdir("/home/alice/.ssh", 0700, 1000, 1000);
    scratch.write("/home/alice/.ssh/.authorized_keys.kindling-0a1b2c3d", "ssh-ed25519 AAAA\n", 0600, 1000, 1000);
    scratch.write("/etc/shadow", "root:*:1::::::\n", 0600);
    scratch.symlink("/etc/shadow", "/home/alice/.ssh/.id.kindling-12345678", 1000, 1000);
    // mallory's ~/.ssh is her own link to a directory Kindling does not write:
    // not entered (an error for that directory only), its files kept.
    scratch.mkdir("/home/mallory", 0755, 1001, 1001);
    scratch.write("/srv/private/.data.kindling-87654321", "keep\n", 0600);
    scratch.symlink("/srv/private", "/home/mallory/.ssh", 1001, 1001);
    scratch.write("/etc/.hosts.kindling-0a1b2c3d", "x\n");

    auto swept = remove_stale_temporaries(root, Paths{});
    CHECK(swept.removed == 2);
    REQUIRE(swept.errors.size() == 1);
    CHECK(swept.errors[0] == "'/home/mallory/.ssh': refusing to follow symlink owned by uid 1001");
    CHECK_FALSE(present(scratch, "/home/alice/.ssh/.authorized_keys.kindling-0a1b2c3d"));
    CHECK_FALSE(present(scratch, "/etc/.hosts.kindling-0a1b2c3d"));
    CHECK(present(scratch, "/home/alice/.ssh/.id.kindling-12345678"));
    CHECK(scratch.read("/etc/shadow") == "root:*:1::::::\n");
    CHECK(scratch.read("/srv/private/.data.kindling-87654321") == "keep\n");
}

TEST_CASE("directories write_files writes in are noted and swept at the next boot", "[pipeline][unit]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    const std::string noted = "/var/lib/kindling/data/write-dirs";
    REQUIRE(remember_write_dir(root, Paths{}, "/opt/app/conf"));
    REQUIRE(remember_write_dir(root, Paths{}, "/opt/app/conf"));  // once
    REQUIRE(remember_write_dir(root, Paths{}, "/srv"));
    REQUIRE(remember_write_dir(root, Paths{}, "/etc"));                         // swept anyway
    REQUIRE(remember_write_dir(root, Paths{}, "/var/lib/kindling/instances"));  // swept anyway
    CHECK(scratch.read(noted) == "/opt/app/conf\n/srv\n");
    struct stat st {};
    REQUIRE(::stat(scratch.host(noted).c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);

    // A kill inside make_dirs("/opt/app/conf") and one before a rename in /srv.
    scratch.mkdir("/opt/.app.kindling-d0a1b2c3d", 0700);
    scratch.write("/srv/.site.conf.kindling-0a1b2c3d", "x\n");
    scratch.write("/srv/sub/.deeper.kindling-0a1b2c3d", "keep\n");  // not recursive
    scratch.write("/opt/.other.kindling-0a1b2c3d", "keep\n");       // /opt itself was not written in

    auto swept = remove_stale_temporaries(root, Paths{});
    CHECK(swept.errors.empty());
    CHECK(swept.removed == 2);
    CHECK_FALSE(present(scratch, "/opt/.app.kindling-d0a1b2c3d"));
    CHECK_FALSE(present(scratch, "/srv/.site.conf.kindling-0a1b2c3d"));
    CHECK(scratch.read("/srv/sub/.deeper.kindling-0a1b2c3d") == "keep\n");
    CHECK(scratch.read("/opt/.other.kindling-0a1b2c3d") == "keep\n");
    CHECK(scratch.read(noted) == "/opt/app/conf\n/srv\n");  // kept for later boots
}
