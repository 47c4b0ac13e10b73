// users_groups end to end through its ModuleSpec: cloud-init's documented
// examples (tests/data/cloud-init/module-docs/cc_users_groups/ and
// examples/cloud-config-user-groups.txt) against a scratch root.
//  - "[integration]" cases run the real useradd/groupadd/usermod/chpasswd/visudo
//    chrooted in a ScratchRoot::with_usr() root (they only touch that root's
//    /etc and /home) and assert /etc/passwd, /etc/group, /etc/shadow, homes,
//    sudoers bytes and modes exactly;
//  - the other cases use a RecordingRunner with a fake account tool (it edits
//    the scratch /etc the way useradd/groupadd would), where the real command
//    cannot run here (selinux_user needs an SELinux kernel) or to script a
//    failure (visudo rejecting a rule).
#include <sys/stat.h>

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "agent/system/root.hpp"
#include "tests/modules/users_groups_harness.hpp"
#include "tests/support/recording_runner.hpp"
#include "tests/support/scratch_root.hpp"

using kindling::modules::k_users_groups;
using kindling::test::RecordingRunner;
using kindling::test::ScratchRoot;
using namespace kindling::test::users_groups;
using Argv = std::vector<std::string>;

namespace {

const std::string k_docs = std::string(KINDLING_SOURCE_DIR) + "/tests/data/cloud-init/";

std::string read_data(const std::string& rel) {
    std::ifstream in(k_docs + rel);
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string today() {
    auto days = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()).time_since_epoch().count();
    return std::to_string(days);
}

// A Poco channel keeping every message logged under kindling.module.users_groups.
class LogRecorder : public Poco::Channel {
public:
    void log(const Poco::Message& msg) override { lines.push_back(msg.getText()); }
    std::vector<std::string> lines;
};

// A scratch root, the fake account tools recorded, a harness on them, and the
// module's log lines.
struct FakeTools {
    FakeTools() {
        runner.set_handler(fake_account_tools(scratch));
        h.log.setChannel(logs);
    }
    ScratchRoot scratch;
    RecordingRunner runner;
    Harness h{scratch, runner};
    Poco::AutoPtr<LogRecorder> logs{new LogRecorder};
};

}  // namespace

TEST_CASE("the full cloud-init users example warns of each key kindling does not apply", "[module][users_groups]") {
    auto p = parse_text(read_data("examples/cloud-config-user-groups.txt"), "user-data");
    CHECK_FALSE(p.has_errors);
    CHECK(p.messages == Argv{
                            "user-data, line 23, column 5: users[1].ssh_import_id: not supported by kindling, not applied",
                            "user-data, line 32, column 5: users[2].ssh_import_id: not supported by kindling, not applied",
                            "user-data, line 50, column 5: users[6].snapuser: not supported by kindling, not applied",
                        });
}

namespace {

// The refusal cloud-init puts before a redirected user's keys, for `user` and `disabled`.
std::string redirected(const std::string& user, const std::string& disabled, const std::string& key) {
    return "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command=\"echo 'Please login as the user \\\"" +
           user + "\\\" rather than the user \\\"" + disabled + "\\\".';echo;sleep 10;exit 142\" " + key + "\n";
}

const std::string k_metadata_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMetadataKey0000000000000000000000000 my-key-pair";

}  // namespace

TEST_CASE("the full users example runs these exact commands", "[module][users_groups]") {
    // Recorded: selinux_user needs an SELinux kernel, so useradd cannot run here.
    ScratchRoot scratch;
    scratch.append("/etc/passwd", "sys:x:3:3:sys:/dev:/usr/sbin/nologin\n");
    scratch.append("/etc/group", "sys:x:3:\n");
    RecordingRunner runner;
    runner.set_handler(fake_account_tools(scratch));
    Harness h(scratch, runner);
    h.instance.public_keys = {k_metadata_key};
    auto out = h.run(read_data("examples/cloud-config-user-groups.txt"));
    REQUIRE(out.error.empty());

    CHECK(runner.argvs() ==
          std::vector<Argv>{
              {"groupadd", "admingroup"},
              {"groupadd", "cloud-users"},
              // default -> ec2-user with kindling.yaml's groups and sudo; useradd
              // leaves every new password locked ("!"), so no usermod --lock follows
              {"groupadd", "wheel"},
              {"groupadd", "adm"},
              {"groupadd", "systemd-journal"},
              {"useradd", "ec2-user", "--comment", "Default user", "--groups", "wheel,adm,systemd-journal",
               "--shell", "/bin/bash", "-m"},
              {"groupadd", "users"},
              {"groupadd", "foobar"},
              {"useradd", "foobar", "--expiredate", "2032-09-01", "--comment", "Foo B. Bar", "--groups", "users",
               "--gid", "foobar", "--selinux-user", "staff_u", "-m"},
              {"chpasswd", "-e"},
              {"groupadd", "admin"},
              {"useradd", "barfoo", "--comment", "Bar B. Foo", "--groups", "users,admin", "-m"},
              {"useradd", "testuser", "--comment", "Mr. Test", "--home", "/local/testdir", "-m"},
              {"useradd", "cloudy", "--comment", "Magic Cloud App Daemon User", "--inactive", "5", "--system",
               "-M"},
              {"useradd", "fizzbuzz", "--shell", "/bin/bash", "-m"},
              // the nameless snapuser entry makes no account
              {"useradd", "nosshlogins", "-m"},
              {"usermod", "-a", "-G", "admingroup", "root"},
              {"usermod", "-a", "-G", "admingroup", "sys"},
          });
    // foobar's hash went through stdin only.
    const auto& chpasswd = runner.calls()[9].cmd;
    REQUIRE(chpasswd.argv == Argv{"chpasswd", "-e"});
    CHECK(chpasswd.stdin_data ==
          "foobar:$6$j212wezy$7H/1LT4f9/N3wpgNunhsIqtMj62OKiS3nyNwuizouQc3u7MbYCarYeAHWYPYb2FT.lbioDm2RrkJPb9BZMN1O/\n");
    CHECK(scratch.read("/etc/sudoers.d/90-kindling-users") ==
          "# Created by kindling users_groups\n"
          "\n# User rules for ec2-user\nec2-user ALL=(ALL) NOPASSWD:ALL\n"
          "\n# User rules for barfoo\nbarfoo ALL=(ALL) NOPASSWD:ALL\n"
          "\n# User rules for testuser\ntestuser ALL=(ALL) NOPASSWD:ALL\n");
    CHECK(file_mode(scratch, "/etc/sudoers.d/90-kindling-users") == Mode{0100440, 0, 0});
    std::string key =
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDSL7uWGj8cgWyIOaspgKdVy0cKJ+UTjfv7jBOjG2H/GN8bJVXy72XAvnhM0dUM+CCs8FOf0YlPX+"
        "Frvz2hKInrmRhZVwRSL129PasD12MlI3l44u6IwS1o/W86Q+tkQYEljtqDOo0a+cOsaZkvUNzUyEXUwz/"
        "lmYa6G4hMKZH4NBj7nbAAF96wsMCoyNwbWryBnDYUr6wMbjRR1J9Pw7Xh7WRC73wy4Va2YuOgbD3V/5ZrFPLbWZW/"
        "7TFXVrql04QVbyei4aiFR5n//GvoqwQDNe58LmbzX/xvxyKJYdny2zXmdAhMxbrpFQsfpkJ9E/H5w0yOdSvnWbUoG5xNGoOB csmith@fringe\n";
    CHECK(scratch.read("/home/barfoo/.ssh/authorized_keys") == key);
    auto [uid, gid] = ids_of(scratch, "barfoo");
    CHECK(file_mode(scratch, "/home/barfoo/.ssh") == Mode{040700, uid, gid});
    CHECK(file_mode(scratch, "/home/barfoo/.ssh/authorized_keys") == Mode{0100600, uid, gid});
    CHECK(scratch.read("/home/fizzbuzz/.ssh/authorized_keys") == key);
    // ssh_redirect_user: the metadata key, behind a refusal naming the default user.
    CHECK(scratch.read("/home/nosshlogins/.ssh/authorized_keys") ==
          redirected("ec2-user", "nosshlogins", k_metadata_key));
    auto [nuid, ngid] = ids_of(scratch, "nosshlogins");
    CHECK(file_mode(scratch, "/home/nosshlogins/.ssh/authorized_keys") == Mode{0100600, nuid, ngid});
    CHECK_FALSE(scratch.exists("/home/foobar/.ssh"));  // ssh_import_id imported nothing
    CHECK(out.summary ==
          "7 users, created ec2-user, foobar, barfoo, testuser, cloudy, fizzbuzz, nosshlogins, groups created "
          "admingroup, cloud-users, wheel, adm, systemd-journal, users, foobar, admin, 3 keys added, sudo rules "
          "written, not applied: ssh_import_id of foobar, ssh_import_id of barfoo");
}

TEST_CASE("passwords never reach a command line, a message or a log", "[module][users_groups]") {
    FakeTools f;
    auto& [scratch, runner, h, logs] = f;
    h.log.setLevel(Poco::Message::PRIO_TRACE);

    auto out = h.run(
        "users:\n- name: amy\n  passwd: $6$MARK-passwd\n  plain_text_passwd: MARK-plain\n"
        "  hashed_passwd: $6$MARK-hashed\n  lock_passwd: false\n");
    REQUIRE(out.error.empty());
    CHECK(runner.argvs() == std::vector<Argv>{{"useradd", "amy", "-m"},
                                              {"chpasswd", "-e"},
                                              {"chpasswd"},
                                              {"chpasswd", "-e"}});
    CHECK(runner.calls()[1].cmd.stdin_data == "amy:$6$MARK-passwd\n");
    CHECK(runner.calls()[2].cmd.stdin_data == "amy:MARK-plain\n");
    CHECK(runner.calls()[3].cmd.stdin_data == "amy:$6$MARK-hashed\n");
    for (const auto& call : runner.calls()) {
        for (const auto& arg : call.cmd.argv) CHECK(arg.find("MARK") == std::string::npos);
        CHECK(call.cmd.label.find("MARK") == std::string::npos);
        for (const auto& [k, v] : call.cmd.env) CHECK(v.find("MARK") == std::string::npos);
    }
    CHECK(out.summary.find("MARK") == std::string::npos);
    for (const auto& line : logs->lines) CHECK(line.find("MARK") == std::string::npos);

    // A failing chpasswd names the user and its last line, never the password.
    ScratchRoot scratch2;
    RecordingRunner failing;
    failing.set_handler(failing_program(fake_account_tools(scratch2), "chpasswd",
                                        "chpasswd: (user amy) pam_chauthtok() failed\nchpasswd: line 1: MARK-plain?\n"));
    Harness h2(scratch2, failing);
    auto err = h2.run("users:\n- name: amy\n  plain_text_passwd: MARK-plain\n");
    CHECK(err.error == "chpasswd for 'amy': exit status 1: chpasswd: line 1: [password]?");
    // ... and the hash of a hashed password is blanked the same way.
    ScratchRoot scratch3;
    RecordingRunner failing_hash;
    failing_hash.set_handler(failing_program(fake_account_tools(scratch3), "chpasswd", "bad hash $6$MARK\n"));
    Harness h3(scratch3, failing_hash);
    CHECK(h3.run("users:\n- name: amy\n  hashed_passwd: $6$MARK\n").error ==
          "chpasswd for 'amy': exit status 1: bad hash [password]");
}

TEST_CASE("sudo rules that visudo rejects fail the module and leave no drop-in", "[module][users_groups]") {
    ScratchRoot scratch;
    scratch.write("/usr/sbin/visudo", "", 0755);  // present, so the check runs
    scratch.write("/etc/sudoers", "@includedir /etc/sudoers.d\n", 0440);
    RecordingRunner runner;
    runner.set_handler(failing_program(fake_account_tools(scratch), "visudo",
                                       // sudo 1.9's visudo: the error, the rule, a caret line under it.
                                       "/etc/sudoers.d/.90-kindling-users.check:3:10: syntax error\n"
                                       "bob ALL=(ALL NOPASSWD:ALL\n"
                                       "             ^~~~~~~~\n"));
    Harness h(scratch, runner);
    auto out = h.run("users:\n- name: bob\n  sudo: 'ALL=(ALL NOPASSWD:ALL'\n");
    CHECK(out.error == "visudo -c: exit status 1: /etc/sudoers.d/.90-kindling-users.check:3:10: syntax error");
    CHECK(runner.argvs().back() == Argv{"visudo", "-c", "-f", "/etc/sudoers.d/.90-kindling-users.check"});
    CHECK_FALSE(scratch.exists("/etc/sudoers.d/90-kindling-users"));
    CHECK_FALSE(scratch.exists("/etc/sudoers.d/.90-kindling-users.check"));
    CHECK(scratch.read("/etc/sudoers") == "@includedir /etc/sudoers.d\n");
}

TEST_CASE("a group member that exists nowhere is skipped with cloud-init's warning", "[module][users_groups]") {
    FakeTools f;
    auto& [scratch, runner, h, logs] = f;
    auto out = h.run("groups: {admins: [alice, nobody-here], ops: [ghost]}\nusers: [{name: alice}]\n");
    REQUIRE(out.error.empty());
    CHECK(runner.argvs() == std::vector<Argv>{
                                {"groupadd", "admins"},
                                {"groupadd", "ops"},
                                {"useradd", "alice", "-m"},
                                {"usermod", "-a", "-G", "admins", "alice"},
                            });
    CHECK(scratch.read("/etc/group") == "root:x:0:\nadmins:x:1000:alice\nops:x:1001:\nalice:x:1002:\n");
    CHECK(logs->lines == Argv{
                             "Unable to add group member 'nobody-here' to group 'admins'; user does not exist.",
                             "Unable to add group member 'ghost' to group 'ops'; user does not exist.",
                         });
    CHECK(out.summary ==
          "1 users, created alice, groups created admins, ops, not applied: member nobody-here of admins, member "
          "ghost of ops");
}

TEST_CASE("a failing useradd fails the module with its message", "[module][users_groups]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    runner.push_exit(4, "useradd: UID 1000 is not unique\n");
    Harness h(scratch, runner);
    auto out = h.run("users:\n- name: bob\n  uid: 1000\n");
    CHECK(out.error == "useradd 'bob': exit status 4: useradd: UID 1000 is not unique");
    CHECK(runner.argvs() == std::vector<Argv>{{"useradd", "bob", "--uid", "1000", "-m"}});
}

TEST_CASE("an existing user without a home directory gets the one useradd would make", "[module][users_groups]") {
    // A boot killed inside useradd can leave the passwd entry without the home.
    ScratchRoot scratch;
    scratch.append("/etc/passwd", "bob:x:1000:1000::/home/bob:/bin/sh\n");
    scratch.append("/etc/group", "bob:x:1000:\n");
    scratch.append("/etc/shadow", "bob:!:19000::::::\n");
    scratch.write("/etc/login.defs", "UMASK 027\n");
    RecordingRunner runner;
    Harness h(scratch, runner);
    auto out = h.run("users:\n- name: bob\n  ssh_authorized_keys: [ssh-ed25519 AAAAkey]\n");
    CHECK(out.error.empty());
    CHECK(file_mode(scratch, "/home/bob") == Mode{040750, 1000, 1000});
    CHECK(scratch.read("/home/bob/.ssh/authorized_keys") == "ssh-ed25519 AAAAkey\n");
    CHECK(runner.calls().empty());
}

TEST_CASE("a section with a wrong type is never run", "[module][users_groups]") {
    kindling::config::Report report;
    auto doc = kindling::config::Node(YAML::Load("users:\n- name: bob\n  uid: many\n"), "user-data");
    std::ignore = k_users_groups.parse(doc, report);
    CHECK(report.has_errors());
    CHECK(k_users_groups.name == "users_groups");
    CHECK(k_users_groups.activation == kindling::pipeline::Activation::always);
    CHECK(k_users_groups.idempotent == kindling::pipeline::Idempotent::yes);
    CHECK(k_users_groups.frequency == kindling::pipeline::Frequency::per_instance);
}

// ---------------------------------------------------------------------------
// Real account tools, chrooted into a ScratchRoot::with_usr() root.

namespace {

// Records every command, then runs it for real (ChildRunner, chrooted).
class TeeRunner final : public kindling::system::ProcessRunner {
public:
    explicit TeeRunner(const ScratchRoot& scratch) : m_real(scratch.host("/var/log/kindling-output.log")) {}
    kindling::Result<kindling::system::ChildResult> run(const std::filesystem::path& root,
                                                        const kindling::system::Command& cmd) override {
        calls.push_back(cmd);
        return m_real.run(root, cmd);
    }
    std::vector<Argv> argvs() const {
        std::vector<Argv> out;
        for (const auto& c : calls) out.push_back(c.argv);
        return out;
    }
    std::vector<kindling::system::Command> calls;

private:
    kindling::system::ChildRunner m_real;
};

// What an EC2 image's /etc/login.defs sets for account creation (Debian and
// Amazon Linux agree on these).
ScratchRoot image_root() {
    auto scratch = ScratchRoot::with_usr();
    scratch.write("/etc/login.defs",
                  "UID_MIN 1000\nUID_MAX 60000\nSYS_UID_MIN 100\nSYS_UID_MAX 999\nGID_MIN 1000\nGID_MAX 60000\n"
                  "SYS_GID_MIN 100\nSYS_GID_MAX 999\nUSERGROUPS_ENAB yes\nHOME_MODE 0700\nENCRYPT_METHOD SHA512\n");
    scratch.write("/etc/pam.d/chpasswd", "password required pam_unix.so sha512\n");
    return scratch;
}

// Every file the module may change, with its mode and owner.
std::string snapshot(const ScratchRoot& scratch) {
    std::string out;
    for (const char* f : {"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/sudoers",
                          "/etc/sudoers.d/90-kindling-users"}) {
        if (!scratch.exists(f)) continue;
        std::ostringstream m;
        m << file_mode(scratch, f);
        out += std::string(f) + " " + m.str() + "\n" + scratch.read(f);
    }
    for (const auto& e : std::filesystem::recursive_directory_iterator(scratch.host("/home"))) {
        std::ostringstream m;
        struct stat st {};
        ::lstat(e.path().c_str(), &st);
        m << e.path().string().substr(scratch.path().string().size()) << " " << std::oct << st.st_mode << std::dec
          << " " << st.st_uid << ":" << st.st_gid << "\n";
        out += m.str();
        if (S_ISREG(st.st_mode)) out += scratch.read(e.path().string().substr(scratch.path().string().size()));
    }
    return out;
}

// Runs `yaml` again: no command may run and no file may change.
void check_rerun_changes_nothing(const ScratchRoot& scratch, TeeRunner& runner, Harness& h, const std::string& yaml,
                                 const std::string& summary) {
    std::string before = snapshot(scratch);
    runner.calls.clear();
    auto again = h.run(yaml);
    CHECK(again.error.empty());
    CHECK(again.summary == summary);
    CHECK(runner.argvs() == std::vector<Argv>{});
    CHECK(snapshot(scratch) == before);
}

// An image_root(), the real tools recorded, a harness on them, and the module's log lines.
struct RealTools {
    RealTools() { h.log.setChannel(logs); }
    ScratchRoot scratch = image_root();
    TeeRunner runner{scratch};
    Harness h{scratch, runner};
    Poco::AutoPtr<LogRecorder> logs{new LogRecorder};
};

// Debian's `sys` (example 2 makes it a member of admingroup).
void plant_sys(const ScratchRoot& scratch) {
    scratch.append("/etc/passwd", "sys:x:3:3:sys:/dev:/usr/sbin/nologin\n");
    scratch.append("/etc/group", "sys:x:3:\n");
    scratch.append("/etc/shadow", "sys:*:19000:0:99999:7:::\n");
    scratch.append("/etc/gshadow", "sys:*::\n");
}

}  // namespace

TEST_CASE("example 1 creates the default user with useradd, sudo rules checked by visudo",
          "[module][users_groups][integration]") {
    auto scratch = image_root();
    TeeRunner runner(scratch);
    Harness h(scratch, runner);
    auto out = h.run(read_data("module-docs/cc_users_groups/example1.yaml"));
    REQUIRE(out.error.empty());
    CHECK(out.summary == "1 users, created ec2-user, groups created wheel, adm, systemd-journal, sudo rules written");

    CHECK(runner.argvs() == std::vector<Argv>{
                                {"groupadd", "wheel"},
                                {"groupadd", "adm"},
                                {"groupadd", "systemd-journal"},
                                {"useradd", "ec2-user", "--comment", "Default user", "--groups",
                                 "wheel,adm,systemd-journal", "--shell", "/bin/bash", "-m"},
                                {"visudo", "-c", "-f", "/etc/sudoers.d/.90-kindling-users.check"},
                            });
    CHECK(scratch.read("/etc/passwd") ==
          "root:x:0:0:root:/root:/bin/sh\nec2-user:x:1000:1003:Default user:/home/ec2-user:/bin/bash\n");
    CHECK(scratch.read("/etc/group") ==
          "root:x:0:\nwheel:x:1000:ec2-user\nadm:x:1001:ec2-user\nsystemd-journal:x:1002:ec2-user\nec2-user:x:1003:\n");
    CHECK(scratch.read("/etc/shadow") == "root:*:19000:0:99999:7:::\nec2-user:!:" + today() + "::::::\n");
    CHECK(file_mode(scratch, "/home/ec2-user") == Mode{040700, 1000, 1003});
    CHECK(scratch.read("/etc/sudoers.d/90-kindling-users") ==
          "# Created by kindling users_groups\n\n# User rules for ec2-user\nec2-user ALL=(ALL) NOPASSWD:ALL\n");
    CHECK(file_mode(scratch, "/etc/sudoers.d/90-kindling-users") == Mode{0100440, 0, 0});
    CHECK(file_mode(scratch, "/etc/sudoers.d") == Mode{040750, 0, 0});
    CHECK_FALSE(scratch.exists("/etc/sudoers.d/.90-kindling-users.check"));
    CHECK(scratch.read("/etc/sudoers") ==
          "# See sudoers(5) for more information on \"#include\" directives:\n\n"
          "# Added by kindling users_groups\n#includedir /etc/sudoers.d\n");
    CHECK(file_mode(scratch, "/etc/sudoers") == Mode{0100440, 0, 0});

    check_rerun_changes_nothing(scratch, runner, h, read_data("module-docs/cc_users_groups/example1.yaml"), "1 users");
}

TEST_CASE("example 2 creates the groups, adds the members and still creates the default user",
          "[module][users_groups][integration]") {
    auto scratch = image_root();
    plant_sys(scratch);
    scratch.write("/etc/sudoers", "Defaults env_reset\n@includedir /etc/sudoers.d\n", 0440);
    TeeRunner runner(scratch);
    Harness h(scratch, runner);
    auto out = h.run(read_data("module-docs/cc_users_groups/example2.yaml"));
    REQUIRE(out.error.empty());
    CHECK(scratch.read("/etc/group") ==
          "root:x:0:\nsys:x:3:\nadmingroup:x:1000:root,sys\ncloud-users:x:1001:\nwheel:x:1002:ec2-user\n"
          "adm:x:1003:ec2-user\nsystemd-journal:x:1004:ec2-user\nec2-user:x:1005:\n");
    CHECK(scratch.read("/etc/sudoers") == "Defaults env_reset\n@includedir /etc/sudoers.d\n");

    check_rerun_changes_nothing(scratch, runner, h, read_data("module-docs/cc_users_groups/example2.yaml"), "1 users");
}

TEST_CASE("the full users example (minus selinux_user) with real tools", "[module][users_groups][integration]") {
    auto scratch = image_root();
    plant_sys(scratch);
    TeeRunner runner(scratch);
    Harness h(scratch, runner);
    h.instance.public_keys = {k_metadata_key};
    std::string text = without_lines(read_data("examples/cloud-config-user-groups.txt"), {"selinux_user"});
    auto out = h.run(text);
    REQUIRE(out.error.empty());
    std::string t = today();
    CHECK(scratch.read("/etc/passwd") ==
          "root:x:0:0:root:/root:/bin/sh\n"
          "sys:x:3:3:sys:/dev:/usr/sbin/nologin\n"
          "ec2-user:x:1000:1005:Default user:/home/ec2-user:/bin/bash\n"
          "foobar:x:1001:1007:Foo B. Bar:/home/foobar:/bin/bash\n"
          "barfoo:x:1002:1009:Bar B. Foo:/home/barfoo:/bin/bash\n"
          "testuser:x:1003:1010:Mr. Test:/local/testdir:/bin/bash\n"
          "cloudy:x:999:999:Magic Cloud App Daemon User:/home/cloudy:/bin/bash\n"
          "fizzbuzz:x:1004:1011::/home/fizzbuzz:/bin/bash\n"
          "nosshlogins:x:1005:1012::/home/nosshlogins:/bin/bash\n");
    CHECK(scratch.read("/etc/shadow") ==
          "root:*:19000:0:99999:7:::\n"
          "sys:*:19000:0:99999:7:::\n"
          "ec2-user:!:" + t + "::::::\n"
          "foobar:$6$j212wezy$7H/1LT4f9/N3wpgNunhsIqtMj62OKiS3nyNwuizouQc3u7MbYCarYeAHWYPYb2FT.lbioDm2RrkJPb9BZMN1O/:" +
              t + ":::::" + std::to_string(*kindling::modules::days_since_epoch("2032-09-01")) + ":\n"
          "barfoo:!:" + t + "::::::\n"
          "testuser:!:" + t + "::::::\n"
          "cloudy:!:" + t + "::::5::\n"
          "fizzbuzz:!:" + t + "::::::\n"
          "nosshlogins:!:" + t + "::::::\n");
    CHECK(file_mode(scratch, "/local/testdir") == Mode{040700, 1003, 1010});
    CHECK_FALSE(scratch.exists("/home/cloudy"));
    CHECK(file_mode(scratch, "/home/fizzbuzz/.ssh/authorized_keys") == Mode{0100600, 1004, 1011});
    CHECK(file_mode(scratch, "/home/fizzbuzz/.ssh") == Mode{040700, 1004, 1011});
    CHECK(scratch.read("/home/nosshlogins/.ssh/authorized_keys") ==
          redirected("ec2-user", "nosshlogins", k_metadata_key));
    CHECK(file_mode(scratch, "/home/nosshlogins/.ssh/authorized_keys") == Mode{0100600, 1005, 1012});
    CHECK(file_mode(scratch, "/home/nosshlogins/.ssh") == Mode{040700, 1005, 1012});

    check_rerun_changes_nothing(scratch, runner, h, text,
                                "7 users, not applied: ssh_import_id of foobar, ssh_import_id of barfoo");
}

TEST_CASE("an existing user is updated with usermod, not recreated", "[module][users_groups][integration]") {
    auto scratch = image_root();
    scratch.append("/etc/passwd", "bob:x:1500:1500:old:/home/bob:/bin/sh\n");
    scratch.append("/etc/group", "bob:x:1500:\nwheel:x:10:\n");
    scratch.append("/etc/shadow", "bob:$6$old$hash:19000:0:99999:7:::\n");
    scratch.append("/etc/gshadow", "bob:!::\nwheel:!::\n");
    scratch.mkdir("/home/bob", 0750, 1500, 1500);
    scratch.mkdir("/home/bob/.ssh", 0700, 1500, 1500);
    scratch.write("/home/bob/.ssh/authorized_keys", "# mine\nssh-ed25519 AAAAkeep bob@laptop\n", 0600, 1500, 1500);
    TeeRunner runner(scratch);
    Harness h(scratch, runner);
    std::string yaml =
        "users:\n- name: bob\n  gecos: Bob\n  shell: /bin/bash\n  groups: [wheel, ops]\n"
        "  ssh_authorized_keys: [ssh-ed25519 AAAAkeep other-comment, ssh-ed25519 AAAAnew bob@ci]\n";
    auto out = h.run(yaml);
    REQUIRE(out.error.empty());
    CHECK(out.summary == "1 users, updated bob, groups created ops, 1 keys added");
    CHECK(runner.argvs() == std::vector<Argv>{
                                {"groupadd", "ops"},
                                {"usermod", "--comment", "Bob", "--append", "--groups", "wheel,ops", "--shell",
                                 "/bin/bash", "bob"},
                                {"usermod", "--lock", "bob"},
                            });
    CHECK(scratch.read("/etc/passwd") ==
          "root:x:0:0:root:/root:/bin/sh\nbob:x:1500:1500:Bob:/home/bob:/bin/bash\n");
    CHECK(scratch.read("/etc/group") == "root:x:0:\nbob:x:1500:\nwheel:x:10:bob\nops:x:1501:bob\n");
    CHECK(scratch.read("/etc/shadow") == "root:*:19000:0:99999:7:::\nbob:!$6$old$hash:19000:0:99999:7:::\n");
    CHECK(file_mode(scratch, "/home/bob") == Mode{040750, 1500, 1500});
    // A key whose blob is already there replaces that line in place (cloud-init's
    // ssh_util.update_authorized_keys); other lines keep their bytes.
    CHECK(scratch.read("/home/bob/.ssh/authorized_keys") ==
          "# mine\nssh-ed25519 AAAAkeep other-comment\nssh-ed25519 AAAAnew bob@ci\n");
    CHECK(file_mode(scratch, "/home/bob/.ssh/authorized_keys") == Mode{0100600, 1500, 1500});

    check_rerun_changes_nothing(scratch, runner, h, yaml, "1 users");
}

TEST_CASE("a plain text password is set through chpasswd's stdin and never logged",
          "[module][users_groups][integration]") {
    auto scratch = image_root();
    TeeRunner runner(scratch);
    Harness h(scratch, runner);
    Poco::AutoPtr<LogRecorder> logs(new LogRecorder);
    h.log.setChannel(logs);
    h.log.setLevel(Poco::Message::PRIO_TRACE);
    auto out = h.run("users:\n- name: amy\n  plain_text_passwd: MARK-pw-1\n- name: ann\n  plain_text_passwd: MARK-pw-2\n"
                     "  lock_passwd: false\n");
    REQUIRE(out.error.empty());
    CHECK(runner.argvs() == std::vector<Argv>{{"useradd", "amy", "-m"},
                                              {"chpasswd"},
                                              {"usermod", "--lock", "amy"},
                                              {"useradd", "ann", "-m"},
                                              {"chpasswd"}});
    auto amy = kindling::modules::find_shadow(scratch.read("/etc/shadow"), "amy");
    auto ann = kindling::modules::find_shadow(scratch.read("/etc/shadow"), "ann");
    REQUIRE(amy);
    REQUIRE(ann);
    CHECK(amy->password.reveal().starts_with("!$6$"));
    CHECK(ann->password.reveal().starts_with("$6$"));
    for (const auto& call : runner.calls) {
        for (const auto& arg : call.argv) CHECK(arg.find("MARK") == std::string::npos);
    }
    CHECK(scratch.read("/etc/shadow").find("MARK") == std::string::npos);
    CHECK_FALSE(scratch.exists("/var/log/kindling-output.log"));  // captured, never logged
    for (const auto& line : logs->lines) CHECK(line.find("MARK") == std::string::npos);
}

TEST_CASE("example 3: ssh_import_id is not applied, newsuper is still created", "[module][users_groups][integration]") {
    RealTools f;
    auto& [scratch, runner, h, logs] = f;
    const std::string yaml = read_data("module-docs/cc_users_groups/example3.yaml");
    CHECK(parse_text(yaml, "example3.yaml").messages ==
          Argv{"example3.yaml, line 5, column 3: users[0].ssh_import_id: not supported by kindling, not applied"});
    auto out = h.run(yaml);
    REQUIRE(out.error.empty());
    CHECK(out.summary == "1 users, created newsuper, not applied: ssh_import_id of newsuper");
    CHECK(runner.argvs() == std::vector<Argv>{{"useradd", "newsuper", "--shell", "/bin/bash", "-m"}});
    CHECK(scratch.read("/etc/passwd") == "root:x:0:0:root:/root:/bin/sh\nnewsuper:x:1000:1000::/home/newsuper:/bin/bash\n");
    CHECK(scratch.read("/etc/shadow") == "root:*:19000:0:99999:7:::\nnewsuper:!:" + today() + "::::::\n");
    CHECK_FALSE(scratch.exists("/home/newsuper/.ssh"));
    CHECK(logs->lines == Argv{"user 'newsuper': ssh_import_id is not supported by kindling (it fetches keys from "
                              "Launchpad or GitHub over the network), no keys imported"});
    check_rerun_changes_nothing(scratch, runner, h, yaml, "1 users, not applied: ssh_import_id of newsuper");
}

TEST_CASE("example 4: doas rules go to /etc/doas.conf as cloud-init writes them", "[module][users_groups][integration]") {
    RealTools f;
    auto& [scratch, runner, h, logs] = f;
    const std::string yaml = read_data("module-docs/cc_users_groups/example4.yaml");
    auto out = h.run(yaml);
    REQUIRE(out.error.empty());
    CHECK(out.summary == "1 users, created newsuper, doas rules written");
    CHECK(scratch.read("/etc/doas.conf") ==
          "# Created by kindling users_groups\n\n# kindling User rules for newsuper\npermit nopass newsuper\n"
          "deny newsuper as root\n");
    CHECK(file_mode(scratch, "/etc/doas.conf") == Mode{0100440, 0, 0});
    // The host's /usr has no doas: written anyway (packages may install it later), with a warning.
    REQUIRE_FALSE(scratch.exists("/usr/bin/doas"));
    CHECK(logs->lines ==
          Argv{"/etc/doas.conf written, but the root has no doas: the rules apply once doas (opendoas) is installed"});
    CHECK_FALSE(scratch.exists("/etc/sudoers.d/90-kindling-users"));
    std::string before = scratch.read("/etc/doas.conf");
    check_rerun_changes_nothing(scratch, runner, h, yaml, "1 users");
    CHECK(scratch.read("/etc/doas.conf") == before);
}

TEST_CASE("doas rules are appended to the image's doas.conf, keeping its mode", "[module][users_groups]") {
    FakeTools f;
    auto& [scratch, runner, h, logs] = f;
    scratch.write("/etc/doas.conf", "permit persist :wheel", 0600);
    scratch.write("/usr/bin/doas", "", 04755);
    auto out = h.run("users:\n- {name: amy, doas: ['permit nopass amy cmd /usr/bin/systemctl args restart app']}\n"
                     "- {name: bob, doas: [deny bob]}\n");
    REQUIRE(out.error.empty());
    CHECK(scratch.read("/etc/doas.conf") ==
          "permit persist :wheel\n\n# kindling User rules for amy\npermit nopass amy cmd /usr/bin/systemctl args "
          "restart app\n\n# kindling User rules for bob\ndeny bob\n");
    CHECK(file_mode(scratch, "/etc/doas.conf") == Mode{0100600, 0, 0});
    CHECK(logs->lines.empty());  // the root has doas
}

TEST_CASE("a default user's doas rule for someone else fails before any change", "[module][users_groups]") {
    ScratchRoot scratch;
    RecordingRunner runner;
    Harness h(scratch, runner);
    auto out = h.run("users:\n- name: default\n  doas: [permit nopass admin]\n- name: bob\n");
    CHECK(out.error == "user 'ec2-user': the doas rule 'permit nopass admin' is for 'admin', not for 'ec2-user'");
    CHECK(runner.calls().empty());
    CHECK_FALSE(scratch.exists("/etc/doas.conf"));
}

TEST_CASE("ssh_redirect_user without a default user or without metadata keys is skipped with a warning",
          "[module][users_groups]") {
    FakeTools f;
    auto& [scratch, runner, h, logs] = f;
    h.instance.public_keys = {k_metadata_key};
    auto out = h.run("users:\n- {name: legacy, ssh_redirect_user: true}\n");
    REQUIRE(out.error.empty());
    CHECK(out.summary == "1 users, created legacy, not applied: ssh_redirect_user of legacy");
    CHECK(logs->lines ==
          Argv{"user 'legacy': ssh_redirect_user ignored: there is no default user (users leaves it out)"});
    CHECK_FALSE(scratch.exists("/home/legacy/.ssh"));

    logs->lines.clear();
    h.instance.public_keys.clear();
    out = h.run("users:\n- default\n- {name: legacy, ssh_redirect_user: default}\n");
    REQUIRE(out.error.empty());
    CHECK(out.summary ==
          "2 users, created ec2-user, groups created wheel, adm, systemd-journal, sudo rules written, not applied: "
          "ssh_redirect_user of legacy");
    CHECK(logs->lines ==
          Argv{"user 'legacy': ssh_redirect_user: no public keys in metadata, SSH logins not redirected"});
    CHECK_FALSE(scratch.exists("/home/legacy/.ssh"));
}

TEST_CASE("ssh_redirect_user puts every metadata key behind the refusal, merged into existing keys",
          "[module][users_groups]") {
    ScratchRoot scratch;
    scratch.append("/etc/passwd", "legacy:x:1200:1200::/home/legacy:/bin/sh\n");
    scratch.append("/etc/group", "legacy:x:1200:\n");
    scratch.append("/etc/shadow", "legacy:!:19000::::::\n");
    scratch.mkdir("/home/legacy", 0700, 1200, 1200);
    scratch.mkdir("/home/legacy/.ssh", 0700, 1200, 1200);
    // The metadata key already there without options: replaced in place, as cloud-init does.
    scratch.write("/home/legacy/.ssh/authorized_keys", "# old\n" + k_metadata_key + "\n", 0600, 1200, 1200);
    RecordingRunner runner;
    runner.set_handler(fake_account_tools(scratch));
    Harness h(scratch, runner);
    const std::string second = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCsecond other-pair";
    h.instance.public_keys = {k_metadata_key, "not a key", second};
    h.def.name = "admin";
    auto out = h.run("users: [default, {name: legacy, ssh_redirect_user: true}]\n");
    REQUIRE(out.error.empty());
    CHECK(out.summary == "2 users, created admin, groups created wheel, adm, systemd-journal, 1 keys added, sudo "
                         "rules written");
    CHECK(scratch.read("/home/legacy/.ssh/authorized_keys") ==
          "# old\n" + redirected("admin", "legacy", k_metadata_key) + redirected("admin", "legacy", second));
    CHECK(file_mode(scratch, "/home/legacy/.ssh/authorized_keys") == Mode{0100600, 1200, 1200});
    CHECK_FALSE(scratch.exists("/home/admin/.ssh"));  // the ssh module gives the default user its keys
    // Again: nothing to add.
    auto again = h.run("users: [default, {name: legacy, ssh_redirect_user: true}]\n");
    CHECK(again.summary == "2 users");
}

TEST_CASE("a snapuser entry with a name makes no account and says so", "[module][users_groups]") {
    FakeTools f;
    auto& [scratch, runner, h, logs] = f;
    auto out = h.run("users:\n- {name: joe, snapuser: joe@example.com, sudo: ALL}\n- {name: amy}\n");
    REQUIRE(out.error.empty());
    CHECK(runner.argvs() == std::vector<Argv>{{"useradd", "amy", "-m"}});
    CHECK(out.summary == "2 users, created amy, not applied: snapuser joe");
    CHECK(logs->lines == Argv{"user 'joe': snapuser is not supported by kindling (snap create-user needs snapd and "
                              "the snap store), user not created"});
    CHECK_FALSE(scratch.exists("/etc/sudoers.d/90-kindling-users"));
}

TEST_CASE("chpasswd failing in a root without PAM configuration reports its own last line",
          "[module][users_groups][integration]") {
    // The real chpasswd in a root that has no /etc/pam.d (a bare image).
    auto scratch = ScratchRoot::with_usr();
    scratch.write("/etc/login.defs", "UID_MIN 1000\nGID_MIN 1000\nUSERGROUPS_ENAB yes\nENCRYPT_METHOD SHA512\n");
    TeeRunner runner(scratch);
    Harness h(scratch, runner);
    auto out = h.run("users:\n- name: amy\n  plain_text_passwd: MARK-pw-3\n");
    CHECK(out.error.find("MARK") == std::string::npos);
    CHECK(out.error == "chpasswd for 'amy': exit status 1: chpasswd: (line 1, user amy) password not changed");
}
