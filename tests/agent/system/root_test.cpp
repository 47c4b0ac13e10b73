// system::Root on a ScratchRoot: exact bytes, modes and owners after each
// operation, and the planted-symlink and ".." cases that must change nothing
// outside the intended file.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "agent/system/root.hpp"
#include "tests/support/recording_runner.hpp"
#include "tests/support/scratch_root.hpp"

using kindling::system::FileMode;
using kindling::system::Root;
using kindling::test::RecordingRunner;
using kindling::test::ScratchRoot;

namespace {

struct stat host_lstat(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st;
}

std::vector<std::string> host_entries(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

TEST_CASE("write_file creates the file with exact bytes, mode and owner", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);

    REQUIRE(root.write_file("/etc/app.conf", "a=1\n", FileMode{0640, 1000, 1001}));

    CHECK(scratch.read("/etc/app.conf") == "a=1\n");
    auto st = host_lstat(scratch.host("/etc/app.conf"));
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(st.st_uid == 1000);
    CHECK(st.st_gid == 1001);
    CHECK(S_ISREG(st.st_mode));
}

TEST_CASE("write_file keeps setuid bits on a file owned by another user", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);

    REQUIRE(root.write_file("/etc/tool", "#!/bin/sh\n", FileMode{04755, 1000, 1000}));

    auto st = host_lstat(scratch.host("/etc/tool"));
    CHECK((st.st_mode & 07777) == 04755);
    CHECK(st.st_uid == 1000);
}

TEST_CASE("write_file replaces an existing file and leaves no temporary file", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.write("/etc/hostname", "old\n", 0600);

    REQUIRE(root.write_file("/etc/hostname", "new-host\n", FileMode{0644, 0, 0}));

    CHECK(scratch.read("/etc/hostname") == "new-host\n");
    CHECK((host_lstat(scratch.host("/etc/hostname")).st_mode & 07777) == 0644);
    CHECK(host_entries(scratch.host("/etc")) ==
          std::vector<std::string>{"group", "gshadow", "hostname", "passwd", "shadow"});
}

TEST_CASE("write_file into a missing directory fails and names it", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);

    auto r = root.write_file("/etc/app/app.conf", "x", FileMode{});
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "'/etc/app': directory does not exist");
}

TEST_CASE("append_file adds bytes after the existing content and sets the mode", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.write("/etc/motd", "line 1\n", 0644);

    REQUIRE(root.append_file("/etc/motd", "line 2\n", FileMode{0600, 0, 0}));
    REQUIRE(root.append_file("/etc/new", "only\n", FileMode{0640, 0, 0}));

    CHECK(scratch.read("/etc/motd") == "line 1\nline 2\n");
    CHECK((host_lstat(scratch.host("/etc/motd")).st_mode & 07777) == 0600);
    CHECK(scratch.read("/etc/new") == "only\n");
}

TEST_CASE("read_file, lstat and list_dir report what is there", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.write("/srv/b", "bee");
    scratch.write("/srv/a", "ay");
    scratch.mkdir("/srv/c", 0700);

    CHECK(root.read_file("/srv/b").value() == std::optional<std::string>("bee"));
    CHECK(root.read_file("/srv/missing").value() == std::nullopt);
    CHECK(root.read_file("/nowhere/at/all").value() == std::nullopt);
    CHECK(root.read_file("/srv/c").error().message == "'/srv/c': is a directory");
    CHECK(root.list_dir("/srv").value() == std::vector<std::string>{"a", "b", "c"});
    CHECK(root.list_dir("/missing").value().empty());
    auto st = root.lstat("/srv/c").value();
    REQUIRE(st);
    CHECK(S_ISDIR(st->st_mode));
    CHECK((st->st_mode & 07777) == 0700);
    CHECK(root.lstat("/srv/zzz").value() == std::nullopt);
    CHECK(root.lstat("/").value().has_value());
}

TEST_CASE("make_dirs creates missing directories with the mode and owner and keeps existing ones", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);

    REQUIRE(root.make_dirs("/var/lib/kindling/instances/i-1", FileMode{0700, 1000, 1000}));

    auto lib = host_lstat(scratch.host("/var/lib"));
    CHECK((lib.st_mode & 07777) == 0755);
    CHECK(lib.st_uid == 0);
    for (auto p : {"/var/lib/kindling", "/var/lib/kindling/instances", "/var/lib/kindling/instances/i-1"}) {
        auto st = host_lstat(scratch.host(p));
        CHECK(S_ISDIR(st.st_mode));
        CHECK((st.st_mode & 07777) == 0700);
        CHECK(st.st_uid == 1000);
    }
    scratch.write("/var/file", "x");
    CHECK(root.make_dirs("/var/file/sub", FileMode{}).error().message == "'/var/file': not a directory");
}

TEST_CASE("ensure_dir creates or fixes one directory and refuses a symlink or a file in its place", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.mkdir("/home/u", 0777, 0, 0);

    REQUIRE(root.ensure_dir("/home/u", FileMode{0750, 1000, 1000}));
    REQUIRE(root.ensure_dir("/home/u/.ssh", FileMode{0700, 1000, 1000}));

    auto home = host_lstat(scratch.host("/home/u"));
    CHECK((home.st_mode & 07777) == 0750);
    CHECK(home.st_uid == 1000);
    auto ssh = host_lstat(scratch.host("/home/u/.ssh"));
    CHECK((ssh.st_mode & 07777) == 0700);
    CHECK(ssh.st_gid == 1000);

    scratch.symlink("/etc", "/home/v", 0, 0);
    CHECK(root.ensure_dir("/home/v", FileMode{0700, 1000, 1000}).error().message ==
          "'/home/v': is a symlink, not a directory");
    scratch.write("/home/w", "x");
    CHECK(root.ensure_dir("/home/w", FileMode{0700, 1000, 1000}).error().message == "'/home/w': not a directory");
    CHECK((host_lstat(scratch.host("/etc")).st_mode & 07777) == 0755);
}

TEST_CASE("remove deletes a file or symlink, accepts a missing path and refuses a directory", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.write("/etc/old", "x");
    scratch.symlink("/etc/passwd", "/etc/link");

    REQUIRE(root.remove("/etc/old"));
    REQUIRE(root.remove("/etc/link"));
    REQUIRE(root.remove("/etc/never"));
    REQUIRE(root.remove("/no/such/dir/file"));

    CHECK_FALSE(scratch.exists("/etc/old"));
    CHECK_FALSE(scratch.exists("/etc/link"));
    CHECK(scratch.exists("/etc/passwd"));
    CHECK(root.remove("/etc").error().message == "'/etc': is a directory");
}

TEST_CASE("symlink creates or replaces a link atomically", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.mkdir("/var/lib/kindling/instances/i-1");
    scratch.mkdir("/var/lib/kindling/instances/i-2");

    REQUIRE(root.symlink("instances/i-1", "/var/lib/kindling/instance"));
    REQUIRE(root.symlink("instances/i-2", "/var/lib/kindling/instance"));

    CHECK(std::filesystem::read_symlink(scratch.host("/var/lib/kindling/instance")) == "instances/i-2");
    CHECK(host_entries(scratch.host("/var/lib/kindling")) == std::vector<std::string>{"instance", "instances"});
}

TEST_CASE("set_mode changes mode and owner and refuses a symlink", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.write("/etc/tool", "x", 0600);
    scratch.mkdir("/srv/d", 0700);
    scratch.symlink("/etc/shadow", "/etc/sneaky", 0, 0);

    REQUIRE(root.set_mode("/etc/tool", FileMode{02755, 1000, 50}));
    REQUIRE(root.set_mode("/srv/d", FileMode{0751, 1000, 1000}));

    auto tool = host_lstat(scratch.host("/etc/tool"));
    CHECK((tool.st_mode & 07777) == 02755);
    CHECK(tool.st_uid == 1000);
    CHECK(tool.st_gid == 50);
    CHECK((host_lstat(scratch.host("/srv/d")).st_mode & 07777) == 0751);
    CHECK(root.set_mode("/etc/sneaky", FileMode{0666, 1000, 1000}).error().message ==
          "'/etc/sneaky': is a symlink, refusing to change its mode");
    CHECK((host_lstat(scratch.host("/etc/shadow")).st_mode & 07777) == 0640);
    CHECK(root.set_mode("/etc/none", FileMode{}).error().message == "'/etc/none': does not exist");
}

TEST_CASE("a root-owned intermediate symlink is followed inside the root", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.mkdir("/srv/data");
    scratch.symlink("/srv/data", "/data", 0, 0);           // absolute: from the root
    scratch.symlink("../usr/lib/os-release", "/etc/os-release", 0, 0);
    scratch.write("/usr/lib/os-release", "ID=debian\n");

    REQUIRE(root.write_file("/data/x", "inside", FileMode{}));

    CHECK(scratch.read("/srv/data/x") == "inside");
    CHECK(root.read_file("/etc/os-release").value() == std::optional<std::string>("ID=debian\n"));
}

TEST_CASE("a user's ~/.ssh symlinked to /etc is refused and /etc is unchanged", "[system][reliability]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.mkdir("/home/u", 0755, 1000, 1000);
    scratch.symlink("/etc", "/home/u/.ssh", 1000, 1000);
    const auto before = host_entries(scratch.host("/etc"));

    auto w = root.write_file("/home/u/.ssh/authorized_keys", "ssh-ed25519 AAAA\n", FileMode{0600, 1000, 1000});
    REQUIRE_FALSE(w);
    CHECK(w.error().message == "'/home/u/.ssh': refusing to follow symlink owned by uid 1000");
    CHECK(root.ensure_dir("/home/u/.ssh", FileMode{0700, 1000, 1000}).error().message ==
          "'/home/u/.ssh': is a symlink, not a directory");
    CHECK_FALSE(root.read_file("/home/u/.ssh/authorized_keys"));
    CHECK_FALSE(root.make_dirs("/home/u/.ssh/sub", FileMode{}));

    CHECK(host_entries(scratch.host("/etc")) == before);
    CHECK((host_lstat(scratch.host("/etc")).st_mode & 07777) == 0755);
    CHECK(host_lstat(scratch.host("/etc")).st_uid == 0);
}

TEST_CASE("authorized_keys symlinked to a shadow-like file is never read or written through", "[system][reliability]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.mkdir("/home/u/.ssh", 0700, 1000, 1000);
    scratch.symlink("/etc/shadow", "/home/u/.ssh/authorized_keys", 1000, 1000);
    const std::string shadow = scratch.read("/etc/shadow");

    auto read = root.read_file("/home/u/.ssh/authorized_keys");
    REQUIRE_FALSE(read);
    CHECK(read.error().message == "'/home/u/.ssh/authorized_keys': refusing to follow symlink owned by uid 1000");
    auto append = root.append_file("/home/u/.ssh/authorized_keys", "ssh-rsa K\n", FileMode{0600, 1000, 1000});
    REQUIRE_FALSE(append);
    CHECK(append.error().message == "'/home/u/.ssh/authorized_keys': is a symlink, refusing to follow it");
    CHECK(scratch.read("/etc/shadow") == shadow);

    // A write replaces the link itself: the key file is new, shadow untouched.
    REQUIRE(root.write_file("/home/u/.ssh/authorized_keys", "ssh-rsa K\n", FileMode{0600, 1000, 1000}));
    auto st = host_lstat(scratch.host("/home/u/.ssh/authorized_keys"));
    CHECK(S_ISREG(st.st_mode));
    CHECK(st.st_uid == 1000);
    CHECK(scratch.read("/home/u/.ssh/authorized_keys") == "ssh-rsa K\n");
    CHECK(scratch.read("/etc/shadow") == shadow);
    CHECK((host_lstat(scratch.host("/etc/shadow")).st_mode & 07777) == 0640);
}

TEST_CASE("'..' in a path or in a root-owned link target never leaves the root", "[system][reliability]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    const auto outside = scratch.path().parent_path();  // /tmp
    const std::string marker = scratch.path().filename().string() + "-escaped";
    scratch.symlink("../../../../../../../..", "/etc/up", 0, 0);
    scratch.symlink("/../../..", "/etc/abs-up", 0, 0);

    REQUIRE(root.write_file("/../../../../" + marker, "a", FileMode{}));
    REQUIRE(root.write_file("/etc/up/" + marker + "-2", "b", FileMode{}));
    REQUIRE(root.write_file("/etc/abs-up/tmp/" + marker + "-3", "c", FileMode{}));

    CHECK(scratch.read("/" + marker) == "a");
    CHECK(scratch.read("/" + marker + "-2") == "b");
    CHECK(scratch.read("/tmp/" + marker + "-3") == "c");
    CHECK_FALSE(std::filesystem::exists(outside / marker));
    CHECK_FALSE(std::filesystem::exists(outside / (marker + "-2")));
    CHECK_FALSE(std::filesystem::exists(std::filesystem::path("/tmp") / (marker + "-3")));
}

TEST_CASE("a symlink loop and oversized names fail with a named error", "[system][reliability]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.symlink("/loop/b", "/loop/a", 0, 0);
    scratch.symlink("/loop/a", "/loop/b", 0, 0);

    CHECK(root.write_file("/loop/a/x", "x", FileMode{}).error().message == "'/loop/a': more than 40 symlinks followed");
    CHECK(root.write_file(std::string("/etc/") + std::string(256, 'n'), "x", FileMode{}).error().message ==
          "'/etc/" + std::string(195, 'n') + "': name longer than 255 bytes");
    CHECK(root.write_file("/" + std::string(4096, 'p'), "x", FileMode{}).error().message ==
          "'/" + std::string(199, 'p') + "...': path longer than 4096 bytes");
    CHECK(root.write_file("etc/relative", "x", FileMode{}).error().message == "'etc/relative': not an absolute path");
    CHECK(root.read_file(std::string_view("/etc/pa\0sswd", 12)).error().message ==
          "'/etc/pa': path contains a NUL byte");
}

TEST_CASE("a full disk leaves the old file intact and no temporary file behind", "[system][reliability]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.mount_tmpfs("/full", 64 * 1024);
    REQUIRE(root.write_file("/full/app.conf", "old content\n", FileMode{0644, 0, 0}));

    auto r = root.write_file("/full/app.conf", std::string(256 * 1024, 'x'), FileMode{0600, 0, 0});

    REQUIRE_FALSE(r);
    CHECK(r.error().message == "'/full/app.conf': write: No space left on device");
    CHECK(scratch.read("/full/app.conf") == "old content\n");
    CHECK((host_lstat(scratch.host("/full/app.conf")).st_mode & 07777) == 0644);
    CHECK(host_entries(scratch.host("/full")) == std::vector<std::string>{"app.conf"});
}

TEST_CASE("a read-only target directory gives a clear error and keeps the old file", "[system][reliability]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    scratch.write("/ro/app.conf", "old\n");
    scratch.bind_readonly("/ro");

    auto r = root.write_file("/ro/app.conf", "new\n", FileMode{});

    REQUIRE_FALSE(r);
    CHECK(r.error().message == "'/ro/app.conf': create temporary file: Read-only file system");
    CHECK(scratch.read("/ro/app.conf") == "old\n");
}

TEST_CASE("setting the running hostname is refused when acting on another root", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);

    auto r = root.set_kernel_hostname("evil");
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "refusing to set the running hostname while acting on root '" +
                                   scratch.path().string() + "'");
    CHECK(root.kernel_hostname().value() != "evil");
}

TEST_CASE("on the host root the running hostname is set (private UTS namespace)", "[system]") {
    RecordingRunner runner;
    Root root("/", runner);
    REQUIRE(root.is_host());

    REQUIRE(root.set_kernel_hostname("kindling-system-test"));
    CHECK(root.kernel_hostname().value() == "kindling-system-test");
    CHECK(root.set_kernel_hostname(std::string(65, 'h')).error().message ==
          "hostname '" + std::string(65, 'h') + "' must be 1 to 64 bytes");
}

TEST_CASE("run hands the command and the root's directory to the runner", "[system]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Root root(scratch.path(), runner);
    runner.push_exit(3, "boom");

    kindling::system::Command cmd;
    cmd.argv = {"useradd", "-m", "u"};
    auto r = root.run(cmd);

    REQUIRE(r);
    CHECK(r->exit_code == 3);
    CHECK(r->output == "boom");
    REQUIRE(runner.calls().size() == 1);
    CHECK(runner.calls()[0].root == scratch.path());
    CHECK(runner.argvs()[0] == std::vector<std::string>{"useradd", "-m", "u"});
}
