// ChildRunner with real processes: environment, stdin, captured output and its
// cap, the output log, exit/signal/timeout results, the process group killed at
// the timeout, and chroot into a ScratchRoot with the host's /usr.
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>

#include "agent/system/process.hpp"
#include "tests/support/scratch_root.hpp"

using kindling::system::ChildRunner;
using kindling::system::Command;
using kindling::system::Output;
using kindling::test::ScratchRoot;

namespace {

Command sh(std::string script) {
    Command cmd;
    cmd.argv = {"sh", "-c", std::move(script)};
    cmd.label = "probe";
    cmd.timeout = std::chrono::seconds(60);
    return cmd;
}

std::filesystem::path unused_log(const ScratchRoot& scratch) { return scratch.host("/var/log/kindling-output.log"); }

// True when the test process has no child left to reap (nothing leaked).
bool no_children_left() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

}  // namespace

TEST_CASE("a child's stdout and stderr are captured and its exit status is reported", "[system]") {
    ScratchRoot scratch;
    ChildRunner runner(unused_log(scratch));

    auto r = runner.run("/", sh("echo out; echo err >&2; exit 3"));

    REQUIRE(r);
    CHECK(r->exit_code == 3);
    CHECK(r->signal == 0);
    CHECK_FALSE(r->timed_out);
    CHECK_FALSE(r->ok());
    CHECK(r->output == "out\nerr\n");
    CHECK(r->describe() == "exit status 3");
    CHECK(no_children_left());
}

TEST_CASE("a child gets a clean environment plus the command's variables", "[system]") {
    ScratchRoot scratch;
    ChildRunner runner(unused_log(scratch));
    ::setenv("KINDLING_TEST_LEAK", "secret", 1);

    Command cmd;
    cmd.argv = {"env"};
    cmd.env = {{"FOO", "bar baz"}, {"LANG", "C"}};
    auto r = runner.run("/", cmd);
    ::unsetenv("KINDLING_TEST_LEAK");

    REQUIRE(r);
    CHECK(r->ok());
    CHECK(r->output ==
          "FOO=bar baz\nHOME=/root\nLANG=C\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
}

TEST_CASE("stdin_data is fed to the child and stdin is /dev/null otherwise", "[system]") {
    ScratchRoot scratch;
    ChildRunner runner(unused_log(scratch));

    Command cat;
    cat.argv = {"cat"};
    cat.stdin_data = std::string("line 1\n\0binary\n", 15);
    auto fed = runner.run("/", cat);
    cat.stdin_data.reset();
    auto empty = runner.run("/", cat);

    REQUIRE(fed);
    CHECK(fed->output == std::string("line 1\n\0binary\n", 15));
    REQUIRE(empty);
    CHECK(empty->ok());
    CHECK(empty->output.empty());
}

TEST_CASE("a child that stops reading its stdin does not kill the agent", "[system][reliability]") {
    ScratchRoot scratch;
    ChildRunner runner(unused_log(scratch));

    Command head;
    head.argv = {"head", "-c", "5"};
    head.stdin_data = std::string(4 * 1024 * 1024, 'z');
    auto r = runner.run("/", head);

    REQUIRE(r);
    CHECK(r->exit_code == 0);
    CHECK(r->output == "zzzzz");
}

TEST_CASE("captured output is cut at the limit and says so", "[system][reliability]") {
    ScratchRoot scratch;
    ChildRunner runner(unused_log(scratch));

    auto r = runner.run("/", sh("head -c 3000000 /dev/zero | tr '\\0' 'y'"));

    REQUIRE(r);
    CHECK(r->ok());
    const std::string note = "\n[kindling: output truncated after 1048576 bytes]\n";
    REQUIRE(r->output.size() == 1048576 + note.size());
    CHECK(r->output.substr(1048576) == note);
    CHECK(r->output.find_first_not_of('y') == 1048576);
}

TEST_CASE("a child killed by a signal is reported as such", "[system]") {
    ScratchRoot scratch;
    ChildRunner runner(unused_log(scratch));

    auto r = runner.run("/", sh("kill -TERM $$"));

    REQUIRE(r);
    CHECK(r->signal == SIGTERM);
    CHECK_FALSE(r->ok());
    CHECK(r->describe() == "killed by signal 15");
}

TEST_CASE("at the timeout the whole process group is killed, grandchildren included", "[system][reliability]") {
    ScratchRoot scratch;
    ChildRunner runner(unused_log(scratch));
    // Orphans are re-parented to this process so the grandchild's fate can be read.
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);

    Command cmd = sh("sleep 1000 & echo $!; wait");
    cmd.timeout = std::chrono::seconds(1);
    auto r = runner.run("/", cmd);

    REQUIRE(r);
    CHECK(r->timed_out);
    CHECK_FALSE(r->ok());
    CHECK(r->describe() == "timed out after 1 s");
    const pid_t grandchild = static_cast<pid_t>(std::atoi(r->output.c_str()));
    REQUIRE(grandchild > 0);
    // Bounded wait for the (already killed) grandchild; if it still runs, kill it and fail.
    int status = 0;
    pid_t reaped = 0;
    for (int i = 0; i < 1000 && reaped == 0; ++i) {
        reaped = ::waitpid(grandchild, &status, WNOHANG);
        if (reaped == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (reaped == 0) {
        ::kill(grandchild, SIGKILL);
        ::waitpid(grandchild, nullptr, 0);
    }
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
    REQUIRE(reaped == grandchild);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    CHECK(no_children_left());
}

TEST_CASE("a program that cannot be found or started is an error, and nothing is left to reap", "[system]") {
    ScratchRoot scratch;
    ChildRunner runner(unused_log(scratch));
    scratch.write("/bin/not-a-program", "just text, no interpreter\n", 0755);

    Command missing;
    missing.argv = {"no-such-program-kindling"};
    missing.label = "runcmd";
    auto r1 = runner.run(scratch.path(), missing);
    REQUIRE_FALSE(r1);
    CHECK(r1.error().message == "runcmd: 'no-such-program-kindling': command not found in PATH");

    Command bad;
    bad.argv = {"/bin/not-a-program"};
    bad.label = "scripts_user";
    auto r2 = runner.run(scratch.path(), bad);
    REQUIRE_FALSE(r2);
    CHECK(r2.error().message.starts_with("scripts_user: cannot start '/bin/not-a-program': "));
    CHECK(no_children_left());

    Command empty;
    CHECK(runner.run("/", empty).error().message == "command: empty command");
}

TEST_CASE("output_log appends each child's output to the log, created 0640", "[system]") {
    ScratchRoot scratch;
    const auto log = unused_log(scratch);
    ChildRunner runner(log);
    CHECK_FALSE(std::filesystem::exists(log));  // created lazily

    Command first = sh("echo first; echo oops >&2");
    first.output = Output::output_log;
    Command second = sh("echo second");
    second.output = Output::output_log;
    auto r1 = runner.run("/", first);
    auto r2 = runner.run("/", second);

    REQUIRE(r1);
    REQUIRE(r2);
    CHECK(r1->output.empty());
    CHECK(scratch.read("/var/log/kindling-output.log") == "first\noops\nsecond\n");
    struct stat st {};
    REQUIRE(::stat(log.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);

    ChildRunner again(log);  // an existing log is appended to, not replaced
    REQUIRE(again.run("/", second));
    CHECK(scratch.read("/var/log/kindling-output.log") == "first\noops\nsecond\nsecond\n");
}

TEST_CASE("an output log that is a symlink is refused", "[system][reliability]") {
    ScratchRoot scratch;
    scratch.symlink("/etc/shadow", "/var/log/kindling-output.log");
    const std::string shadow = scratch.read("/etc/shadow");
    ChildRunner runner(unused_log(scratch));

    Command cmd = sh("echo pwned");
    cmd.output = Output::output_log;
    auto r = runner.run("/", cmd);

    REQUIRE_FALSE(r);
    CHECK(r.error().message == "probe: cannot open output log '" + unused_log(scratch).string() +
                                   "': Too many levels of symbolic links");
    CHECK(scratch.read("/etc/shadow") == shadow);
}

TEST_CASE("a chrooted child runs inside the root and sees the root's files", "[system][integration]") {
    ScratchRoot scratch = ScratchRoot::with_usr();
    scratch.write("/etc/marker", "inside the scratch root\n");
    scratch.write("/opt/bin/hello", "#!/bin/sh\necho \"hello from $(pwd) as $(id -u)\"\n", 0755);
    ChildRunner runner(unused_log(scratch));

    auto r = runner.run(scratch.path(), sh("cat /etc/marker; test -e " + scratch.path().string() +
                                           " && echo host-visible; echo done >/dev/null; echo ok"));
    Command hello;
    hello.argv = {"hello"};
    hello.env = {{"PATH", "/opt/bin:/usr/bin:/bin"}};
    auto h = runner.run(scratch.path(), hello);

    REQUIRE(r);
    CHECK(r->exit_code == 0);
    CHECK(r->output == "inside the scratch root\nok\n");
    REQUIRE(h);
    CHECK(h->output == "hello from / as 0\n");
}

TEST_CASE("useradd chrooted into a scratch root edits only the root's account files", "[system][integration]") {
    ScratchRoot scratch = ScratchRoot::with_usr();
    ChildRunner runner(unused_log(scratch));
    const std::string fresh_passwd = ScratchRoot(ScratchRoot::Usr::none).read("/etc/passwd");

    Command cmd;
    cmd.argv = {"useradd", "-m", "-U", "-s", "/bin/sh", "-c", "Scratch User", "scratchy"};
    cmd.label = "useradd";
    auto r = runner.run(scratch.path(), cmd);

    REQUIRE(r);
    INFO(r->output);
    CHECK(r->exit_code == 0);
    const std::string passwd = scratch.read("/etc/passwd");
    CHECK(passwd.starts_with(fresh_passwd));
    CHECK(passwd.find("\nscratchy:x:1000:1000:Scratch User:/home/scratchy:/bin/sh\n") != std::string::npos);
    CHECK(scratch.read("/etc/group").find("\nscratchy:x:1000:\n") != std::string::npos);
    struct stat home {};
    REQUIRE(::stat(scratch.host("/home/scratchy").c_str(), &home) == 0);
    CHECK(home.st_uid == 1000);
}
