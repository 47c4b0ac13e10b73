// Tests modules/ssh.cpp against a ScratchRoot: exact bytes, modes and owners of
// host keys, sshd configuration and authorized_keys, the commands run and the
// fingerprint lines logged. ssh-keygen is a RecordingRunner (its handler plays
// ssh-keygen by writing the key files) except in the test tagged [integration],
// which runs the real ssh-keygen chrooted in a with_usr() scratch root.
#include <catch2/catch.hpp>

#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"

using namespace kindling;
using test::ModuleHarness;
using test::Stat;

namespace {

const pipeline::ModuleSpec& spec() { return *modules::builtin_registry().find("ssh"); }

std::string example(const std::string& dir, int n) {
    return test::source_file("tests/data/cloud-init/module-docs/" + dir + "/example" + std::to_string(n) + ".yaml");
}

// A real ed25519 key; fingerprints from `ssh-keygen -l` and hashlib.
const std::string k_alice =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHMGv45Vn7S8D0K2q4eXCUKyb8xVgJ4gCmaStzRhNP0B alice@example";
const std::string k_meta = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 metadata-key";
const std::string k_default_opts =
    "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command=\"echo 'Please login as the user "
    "\\\"ec2-user\\\" rather than the user \\\"root\\\".';echo;sleep 10;exit 142\"";

void add_default_user(const test::ScratchRoot& scratch) {
    scratch.append("/etc/passwd", "ec2-user:x:1000:1000:Default user:/home/ec2-user:/bin/bash\n");
    scratch.append("/etc/group", "ec2-user:x:1000:\n");
    scratch.mkdir("/home/ec2-user", 0755, 1000, 1000);
}

// Plays ssh-keygen: -t writes KEY and KEY.pub (0644, to show the module sets the
// modes); -y prints a public key.
void fake_keygen(ModuleHarness& h) {
    h.recorder.set_handler(
        [&h](const std::filesystem::path&, const system::Command& cmd) -> Result<system::ChildResult> {
            system::ChildResult r;
            r.exit_code = 0;
            if (cmd.argv.size() == 7 && cmd.argv[1] == "-t") {
                h.scratch.write(cmd.argv[6], "PRIVATE " + cmd.argv[2] + "\n", 0644);
                h.scratch.write(cmd.argv[6] + ".pub", k_alice + "\n", 0644);
            } else if (cmd.argv.size() == 4 && cmd.argv[1] == "-y") {
                r.output = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHMGv45Vn7S8D0K2q4eXCUKyb8xVgJ4gCmaStzRhNP0B\n";
            }
            return r;
        });
}

bool logged(const ModuleHarness& h, const std::string& text) {
    for (const auto& line : h.log_lines()) {
        if (line.text == text) return true;
    }
    return false;
}

std::size_t count_logged_containing(const ModuleHarness& h, const std::string& part) {
    std::size_t n = 0;
    for (const auto& line : h.log_lines()) n += line.text.find(part) != std::string::npos;
    return n;
}

}  // namespace

TEST_CASE("ssh doc example 1 installs supplied host keys, a certificate and both users' keys", "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    h.scratch.write("/etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n");
    h.scratch.write("/etc/ssh/ssh_host_ed25519_key", "image key\n", 0600);
    h.scratch.write("/etc/ssh/ssh_host_ed25519_key.pub", "image pub\n");
    h.scratch.write("/etc/ssh/ssh_host_ecdsa_key-cert.pub", "image cert\n");
    h.scratch.write("/etc/ssh/moduli", "moduli\n");

    config::Report report = h.parse(example("cc_ssh", 1));
    CHECK(test::formatted(report) ==
          std::vector<std::string>{"user-data, line 22, column 3: ssh_publish_hostkeys: EC2 cannot receive published "
                                   "host keys; ignored"});
    CHECK_FALSE(report.has_errors());
    CHECK(h.run().summary ==
          "host keys written: 3; sshd configuration updated; ec2-user: 2 added, 0 replaced; root: 2 added, 0 replaced");

    CHECK(h.recorder.calls().empty());
    CHECK_FALSE(h.scratch.exists("/etc/ssh/ssh_host_ed25519_key"));
    CHECK_FALSE(h.scratch.exists("/etc/ssh/ssh_host_ed25519_key.pub"));
    CHECK_FALSE(h.scratch.exists("/etc/ssh/ssh_host_ecdsa_key-cert.pub"));
    CHECK(h.scratch.read("/etc/ssh/moduli") == "moduli\n");
    CHECK(h.scratch.read("/etc/ssh/ssh_host_rsa_key") ==
          "-----BEGIN RSA PRIVATE KEY-----\nMIIBxwIBAAJhAKD0YSHy73nUgysO13XsJmd4fHiFyQ+00R7VVu2iV9Qco\n...\n"
          "-----END RSA PRIVATE KEY-----\n");
    CHECK(test::stat_of(h.scratch, "/etc/ssh/ssh_host_rsa_key") == Stat{0600, 0, 0});
    CHECK(h.scratch.read("/etc/ssh/ssh_host_rsa_key.pub") ==
          "ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAGEAoPRhIfLvedSDKw7Xd ...");
    CHECK(test::stat_of(h.scratch, "/etc/ssh/ssh_host_rsa_key.pub") == Stat{0644, 0, 0});
    CHECK(h.scratch.read("/etc/ssh/ssh_host_rsa_key-cert.pub") ==
          "ssh-rsa-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQt ...\n");
    CHECK(test::stat_of(h.scratch, "/etc/ssh/ssh_host_rsa_key-cert.pub") == Stat{0644, 0, 0});
    CHECK(h.scratch.read("/etc/ssh/sshd_config") == "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n");
    CHECK(h.scratch.read("/etc/ssh/sshd_config.d/50-kindling.conf") ==
          "HostCertificate /etc/ssh/ssh_host_rsa_key-cert.pub\n");
    CHECK(test::stat_of(h.scratch, "/etc/ssh/sshd_config.d/50-kindling.conf") == Stat{0600, 0, 0});

    const std::string keys =
        "ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAGEA3FSyQwBI6Z+nCSjUU ...\n"
        "ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA3I7VUf2l5gSn5uavROsc5HRDpZ ...\n";
    CHECK(h.scratch.read("/home/ec2-user/.ssh/authorized_keys") == keys);
    CHECK(test::stat_of(h.scratch, "/home/ec2-user/.ssh") == Stat{0700, 1000, 1000});
    CHECK(test::stat_of(h.scratch, "/home/ec2-user/.ssh/authorized_keys") == Stat{0600, 1000, 1000});
    CHECK(h.scratch.read("/root/.ssh/authorized_keys") ==
          "no-port-forwarding,no-agent-forwarding,no-X11-forwarding ssh-rsa "
          "AAAAB3NzaC1yc2EAAAABIwAAAGEA3FSyQwBI6Z+nCSjUU ...\n"
          "no-port-forwarding,no-agent-forwarding,no-X11-forwarding ssh-rsa "
          "AAAAB3NzaC1yc2EAAAABIwAAAQEA3I7VUf2l5gSn5uavROsc5HRDpZ ...\n");
    CHECK(test::stat_of(h.scratch, "/root/.ssh") == Stat{0700, 0, 0});
    CHECK(test::stat_of(h.scratch, "/root/.ssh/authorized_keys") == Stat{0600, 0, 0});
    // The example's public host key is truncated ("..."), so it has no fingerprint.
    CHECK(logged(h, "host key ssh_host_rsa_key.pub is not a public key line; no fingerprint"));
    CHECK(count_logged_containing(h, "authorized key fingerprint (sha256) for ec2-user: ssh-rsa ") == 2);
}

TEST_CASE("metadata keys and ssh_authorized_keys go to the default user, and behind the refusal to root",
          "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    h.instance.public_keys = {k_meta};
    h.scratch.write("/home/ec2-user/.ssh/authorized_keys", "# mine\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 old\n",
                    0644, 1000, 1000);
    h.scratch.mkdir("/home/ec2-user/.ssh", 0755, 1000, 1000);
    h.parse_clean("ssh_authorized_keys: ['" + k_alice + "']\nssh_deletekeys: false\nssh_genkeytypes: []\n");
    CHECK(h.run().summary == "host keys generated: none; ec2-user: 1 added, 1 replaced; root: 2 added, 0 replaced");
    CHECK(h.scratch.read("/home/ec2-user/.ssh/authorized_keys") == "# mine\n" + k_meta + "\n" + k_alice + "\n");
    CHECK(test::stat_of(h.scratch, "/home/ec2-user/.ssh") == Stat{0700, 1000, 1000});
    CHECK(test::stat_of(h.scratch, "/home/ec2-user/.ssh/authorized_keys") == Stat{0600, 1000, 1000});
    CHECK(h.scratch.read("/root/.ssh/authorized_keys") ==
          k_default_opts + " " + k_meta + "\n" + k_default_opts + " " + k_alice + "\n");
    CHECK(logged(h,
                 "authorized key fingerprint (sha256) for ec2-user: ssh-ed25519 "
                 "9a:f4:4e:d0:6e:a6:e9:34:08:31:a5:5b:1a:fe:37:7f:63:3c:22:59:23:25:73:f9:ab:53:c0:09:c0:3a:4a:14 "
                 "alice@example"));
}

TEST_CASE("disable_root false gives root the keys without options; allow_public_ssh_keys false skips metadata",
          "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    h.instance.public_keys = {k_meta};
    h.scratch.write("/root/.ssh/authorized_keys", "no-pty " + k_alice + "\n", 0600);
    h.parse_clean("ssh_authorized_keys: ['" + k_alice +
                  "']\ndisable_root: false\nallow_public_ssh_keys: false\n"
                  "ssh_genkeytypes: []\n");
    h.run();
    CHECK(h.scratch.read("/home/ec2-user/.ssh/authorized_keys") == k_alice + "\n");
    CHECK(h.scratch.read("/root/.ssh/authorized_keys") == k_alice + "\n");
}

TEST_CASE("disable_root_opts substitutes $USER and $DISABLE_USER", "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    h.parse_clean("ssh_authorized_keys: ['" + k_alice +
                  "']\ndisable_root_opts: 'command=\"echo $USER not $DISABLE_USER\"'\n"
                  "ssh_genkeytypes: []\n");
    h.run();
    CHECK(h.scratch.read("/root/.ssh/authorized_keys") == "command=\"echo ec2-user not root\" " + k_alice + "\n");
}

TEST_CASE("host keys are generated with ssh-keygen, modes set as cloud-init does", "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    fake_keygen(h);
    h.scratch.write("/etc/ssh/ssh_host_rsa_key", "old\n", 0600);
    h.parse_clean("ssh_genkeytypes: [ed25519, ecdsa]\n");
    CHECK(h.run().summary == "host keys generated: ed25519,ecdsa; no authorized keys");
    REQUIRE(h.recorder.calls().size() == 2);
    CHECK(h.recorder.argvs() == std::vector<std::vector<std::string>>{
                                    {"ssh-keygen", "-t", "ed25519", "-N", "", "-f", "/etc/ssh/ssh_host_ed25519_key"},
                                    {"ssh-keygen", "-t", "ecdsa", "-N", "", "-f", "/etc/ssh/ssh_host_ecdsa_key"}});
    const system::Command& cmd = h.recorder.calls()[0].cmd;
    CHECK(cmd.env == std::map<std::string, std::string>{{"LANG", "C"}});
    CHECK(cmd.output == system::Output::output_log);
    CHECK(cmd.timeout == std::chrono::seconds(600));
    CHECK(h.recorder.calls()[0].root == h.scratch.path());
    CHECK_FALSE(h.scratch.exists("/etc/ssh/ssh_host_rsa_key"));
    CHECK(test::stat_of(h.scratch, "/etc/ssh/ssh_host_ed25519_key") == Stat{0600, 0, 0});
    CHECK(test::stat_of(h.scratch, "/etc/ssh/ssh_host_ed25519_key.pub") == Stat{0644, 0, 0});
    CHECK(test::stat_of(h.scratch, "/etc/ssh/ssh_host_ecdsa_key") == Stat{0600, 0, 0});
    CHECK(count_logged_containing(h,
                                  "host key fingerprint: SHA256:mvRO0G6m6TQIMaVbGv43f2M8IlkjJXP5q1PACcA6ShQ "
                                  "ssh-ed25519 alice@example") == 2);
}

TEST_CASE("where the ssh_keys group exists private host keys are 0640 root:ssh_keys", "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    h.scratch.append("/etc/group", "ssh_keys:x:998:\n");
    fake_keygen(h);
    h.parse_clean("ssh_genkeytypes: [ed25519]\nssh_quiet_keygen: true\n");
    h.run();
    CHECK(h.recorder.calls()[0].cmd.output == system::Output::capture);
    CHECK(test::stat_of(h.scratch, "/etc/ssh/ssh_host_ed25519_key") == Stat{0640, 0, 998});
    CHECK(test::stat_of(h.scratch, "/etc/ssh/ssh_host_ed25519_key.pub") == Stat{0644, 0, 0});
}

TEST_CASE("existing host keys are kept when ssh_deletekeys is false", "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    h.scratch.write("/etc/ssh/ssh_host_ed25519_key", "keep\n", 0600);
    h.scratch.write("/etc/ssh/ssh_host_ed25519_key.pub", k_alice + "\n");
    h.parse_clean("ssh_deletekeys: false\nssh_genkeytypes: [ed25519]\n");
    h.run();
    CHECK(h.recorder.calls().empty());
    CHECK(h.scratch.read("/etc/ssh/ssh_host_ed25519_key") == "keep\n");
    CHECK(logged(h,
                 "host key fingerprint: SHA256:mvRO0G6m6TQIMaVbGv43f2M8IlkjJXP5q1PACcA6ShQ ssh-ed25519 alice@example"));
}

TEST_CASE("a supplied private host key without its public half gets one derived", "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    fake_keygen(h);
    h.parse_clean("ssh_keys:\n  ed25519_private: |\n    PRIVATE\n");
    CHECK(h.run().summary == "host keys written: 2; no authorized keys");
    CHECK(h.recorder.argvs() ==
          std::vector<std::vector<std::string>>{{"ssh-keygen", "-y", "-f", "/etc/ssh/ssh_host_ed25519_key"}});
    CHECK(h.recorder.calls()[0].cmd.output == system::Output::capture);
    CHECK(h.scratch.read("/etc/ssh/ssh_host_ed25519_key") == "PRIVATE\n");
    CHECK(h.scratch.read("/etc/ssh/ssh_host_ed25519_key.pub") ==
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHMGv45Vn7S8D0K2q4eXCUKyb8xVgJ4gCmaStzRhNP0B root@localhost\n");
    CHECK(test::stat_of(h.scratch, "/etc/ssh/ssh_host_ed25519_key.pub") == Stat{0644, 0, 0});
}

TEST_CASE("a failing ssh-keygen fails the module with its status", "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    h.recorder.push_exit(1, "unknown key type ed25519\n");
    h.parse_clean("ssh_genkeytypes: [ed25519]\nssh_quiet_keygen: true\n");
    CHECK_THROWS_WITH(h.run(), "ssh-keygen -t ed25519: exit status 1: unknown key type ed25519");
}

TEST_CASE("a failing ssh-keygen whose output went to the output log says where to look", "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    h.recorder.push_exit(1, "");
    h.parse_clean("ssh_genkeytypes: [ed25519]\n");
    CHECK_THROWS_WITH(h.run(), "ssh-keygen -t ed25519: exit status 1 (its output is in /var/log/kindling-output.log)");
    CHECK(h.recorder.calls()[0].cmd.output == system::Output::output_log);
}

TEST_CASE("ssh_pwauth edits sshd_config in place when it has no drop-in Include", "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    h.scratch.write("/etc/ssh/sshd_config",
                    "Port 22\n  passwordauthentication   yes\nMatch User bob\n  X11Forwarding no\n", 0640);
    h.parse_clean("ssh_pwauth: false\nssh_genkeytypes: []\n");
    CHECK(h.run().summary == "host keys generated: none; sshd configuration updated; no authorized keys");
    CHECK(h.scratch.read("/etc/ssh/sshd_config") ==
          "Port 22\nPasswordAuthentication no\nMatch User bob\n  X11Forwarding no\n");
    CHECK(test::stat_of(h.scratch, "/etc/ssh/sshd_config") == Stat{0640, 0, 0});

    ModuleHarness add(spec());
    add_default_user(add.scratch);
    add.scratch.write("/etc/ssh/sshd_config", "Port 22\nMatch User bob\n  X11Forwarding no\n");
    add.parse_clean("ssh_pwauth: true\nssh_genkeytypes: []\n");
    add.run();
    CHECK(add.scratch.read("/etc/ssh/sshd_config") ==
          "Port 22\nPasswordAuthentication yes\nMatch User bob\n  X11Forwarding no\n");
}

TEST_CASE("ssh_pwauth goes to a drop-in when sshd_config includes sshd_config.d", "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    const std::string main = "Include sshd_config.d/*.conf\nPasswordAuthentication yes\n";
    h.scratch.write("/etc/ssh/sshd_config", main);
    h.parse_clean("ssh_pwauth: no\nssh_genkeytypes: []\n");
    h.run();
    CHECK(h.scratch.read("/etc/ssh/sshd_config") == main);
    CHECK(h.scratch.read("/etc/ssh/sshd_config.d/50-kindling.conf") == "PasswordAuthentication no\n");
    CHECK(test::stat_of(h.scratch, "/etc/ssh/sshd_config.d/50-kindling.conf") == Stat{0600, 0, 0});
    CHECK(test::stat_of(h.scratch, "/etc/ssh/sshd_config.d") == Stat{0755, 0, 0});
}

TEST_CASE("ssh_pwauth unchanged, or absent, leaves sshd alone", "[module][ssh]") {
    for (const char* yaml : {"ssh_pwauth: unchanged\nssh_genkeytypes: []\n", "ssh_genkeytypes: []\n"}) {
        ModuleHarness h(spec());
        add_default_user(h.scratch);
        h.scratch.write("/etc/ssh/sshd_config", "PasswordAuthentication yes\n");
        h.parse_clean(yaml);
        h.run();
        CHECK(h.scratch.read("/etc/ssh/sshd_config") == "PasswordAuthentication yes\n");
        CHECK_FALSE(h.scratch.exists("/etc/ssh/sshd_config.d"));
    }
}

TEST_CASE("ssh_authkey_fingerprints doc examples: no_ssh_fingerprints and authkey_hash", "[module][ssh]") {
    ModuleHarness quiet(spec());
    add_default_user(quiet.scratch);
    quiet.parse_clean(example("cc_ssh_authkey_fingerprints", 1) + "ssh_authorized_keys: ['" + k_alice +
                      "']\nssh_genkeytypes: []\n");
    quiet.run();
    CHECK(count_logged_containing(quiet, "authorized key fingerprint") == 0);

    ModuleHarness sha512(spec());
    add_default_user(sha512.scratch);
    sha512.parse_clean(example("cc_ssh_authkey_fingerprints", 2) + "ssh_authorized_keys: ['" + k_alice +
                       "']\nssh_genkeytypes: []\n");
    sha512.run();
    CHECK(count_logged_containing(sha512,
                                  "authorized key fingerprint (sha512) for ec2-user: ssh-ed25519 "
                                  "2a:2a:ce:28:62:0a:90:ed:") == 1);
}

TEST_CASE("an authorized key whose data is not base64 is installed and logged without a fingerprint", "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    // The AEMM sample's key-pair is a truncated paste: 373 base64 characters.
    h.parse_clean("ssh_authorized_keys: ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC/JxG truncated']\nssh_genkeytypes: []\n");
    h.run();
    CHECK(h.scratch.read("/home/ec2-user/.ssh/authorized_keys") == "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC/JxG truncated\n");
    CHECK(logged(h, "authorized key fingerprint (sha256) for ec2-user: ssh-rsa "
                    "(no fingerprint: key data is not valid base64) truncated"));
}

TEST_CASE("without the default user ssh still makes host keys and keys root, then fails to be retried",
          "[module][ssh]") {
    // Regression: a failed users_groups used to leave the instance with no host
    // keys at all, so nobody could ever log in.
    ModuleHarness h(spec());
    fake_keygen(h);
    h.parse_clean("ssh_genkeytypes: [ed25519]\nssh_authorized_keys: ['" + k_alice + "']\n");
    CHECK_THROWS_WITH(h.run(), "default user 'ec2-user' does not exist (users_groups creates it); "
                               "host keys generated: ed25519; root: 1 added, 0 replaced");
    CHECK(h.scratch.exists("/etc/ssh/ssh_host_ed25519_key"));
    std::string root_keys = h.scratch.read("/root/.ssh/authorized_keys");
    CHECK(root_keys.find("Please login as the user \\\"NONE\\\" rather than the user \\\"root\\\"") != std::string::npos);
    CHECK(root_keys.find(k_alice.substr(k_alice.find(' ') + 1, 40)) != std::string::npos);
    CHECK(spec().idempotent == pipeline::Idempotent::yes);
}

TEST_CASE("users without 'default' means no default user: keys for root only, and success", "[module][ssh]") {
    ModuleHarness h(spec());
    fake_keygen(h);
    h.parse_clean("users: [{name: bob}]\ndisable_root: false\nssh_genkeytypes: [ed25519]\nssh_authorized_keys: ['" +
                  k_alice + "']\n");
    pipeline::Outcome out = h.run();
    CHECK(out.summary == "host keys generated: ed25519; root: 1 added, 0 replaced; "
                         "no default user (users: leaves it out), keys for root only");
    CHECK(h.scratch.read("/root/.ssh/authorized_keys") == k_alice + "\n");
}

TEST_CASE("ssh run twice changes nothing the second time", "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    h.instance.public_keys = {k_meta};
    h.scratch.write("/etc/ssh/sshd_config", "PasswordAuthentication yes\n");
    fake_keygen(h);
    h.parse_clean("ssh_authorized_keys: ['" + k_alice +
                  "']\nssh_deletekeys: false\nssh_genkeytypes: [ed25519]\n"
                  "ssh_pwauth: false\n");
    h.run();
    const std::vector<std::string> files{"/home/ec2-user/.ssh/authorized_keys", "/root/.ssh/authorized_keys",
                                         "/etc/ssh/sshd_config", "/etc/ssh/ssh_host_ed25519_key"};
    std::vector<std::string> before;
    for (const auto& f : files) before.push_back(h.scratch.read(f));
    CHECK(h.run().summary == "host keys generated: none; ec2-user: 0 added, 0 replaced; root: 0 added, 0 replaced");
    for (std::size_t i = 0; i < files.size(); ++i) CHECK(h.scratch.read(files[i]) == before[i]);
    CHECK(h.recorder.calls().size() == 1);
}

TEST_CASE("a ~/.ssh symlink planted by the user is refused and the target is untouched", "[module][ssh][reliability]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    h.scratch.mkdir("/outside", 0755);
    h.scratch.write("/outside/authorized_keys", "precious\n", 0644);
    h.scratch.symlink("/outside", "/home/ec2-user/.ssh", 1000, 1000);
    h.parse_clean("ssh_authorized_keys: ['" + k_alice + "']\nssh_genkeytypes: []\n");
    CHECK_THROWS(h.run());
    CHECK(h.scratch.read("/outside/authorized_keys") == "precious\n");
    CHECK(test::stat_of(h.scratch, "/outside/authorized_keys") == Stat{0644, 0, 0});
    CHECK(test::stat_of(h.scratch, "/outside") == Stat{0755, 0, 0});
}

TEST_CASE("an authorized_keys symlink planted by the user is refused and the target is untouched",
          "[module][ssh][reliability]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    h.scratch.write("/etc/shadow", "root:*:19000:0:99999:7:::\n", 0640);
    h.scratch.mkdir("/home/ec2-user/.ssh", 0700, 1000, 1000);
    h.scratch.symlink("/etc/shadow", "/home/ec2-user/.ssh/authorized_keys", 1000, 1000);
    h.parse_clean("ssh_authorized_keys: ['" + k_alice + "']\nssh_genkeytypes: []\n");
    CHECK_THROWS_WITH(h.run(), "'/home/ec2-user/.ssh/authorized_keys': refusing to follow symlink owned by uid 1000");
    CHECK(h.scratch.read("/etc/shadow") == "root:*:19000:0:99999:7:::\n");
    CHECK(test::stat_of(h.scratch, "/etc/shadow") == Stat{0640, 0, 0});
}

TEST_CASE("ssh keys with wrong types or values are reported at parse time", "[module][ssh]") {
    struct Case {
        const char* yaml;
        const char* message;
    };
    const Case cases[] = {
        {"ssh_authorized_keys: ssh-rsa AAAA",
         "user-data, line 1, column 22: ssh_authorized_keys: expected a list of strings, got a string"},
        {"ssh_authorized_keys: [[a]]",
         "user-data, line 1, column 23: ssh_authorized_keys[0]: expected a string, got a list"},
        {"ssh_authorized_keys: ['not a key']",
         "user-data, line 1, column 23: ssh_authorized_keys[0]: expected a public key line ([options] key-type base64 "
         "[comment]), got 'not a key'"},
        {"disable_root: 'yes'", "user-data, line 1, column 15: disable_root: expected a boolean, got a string"},
        {"disable_root_opts: [x]", "user-data, line 1, column 20: disable_root_opts: expected a string, got a list"},
        {"ssh_deletekeys: 0", "user-data, line 1, column 17: ssh_deletekeys: expected a boolean, got an integer"},
        {"ssh_genkeytypes: rsa",
         "user-data, line 1, column 18: ssh_genkeytypes: expected a list of strings, got a string"},
        {"ssh_genkeytypes: [dsa]",
         "user-data, line 1, column 19: ssh_genkeytypes[0]: expected one of ecdsa, ed25519, rsa, got 'dsa'"},
        {"ssh_genkeytypes: [ed25519-sk]",
         "user-data, line 1, column 19: ssh_genkeytypes[0]: 'ed25519-sk' host keys are not supported (they need a "
         "hardware token)"},
        {"ssh_keys: [a]", "user-data, line 1, column 11: ssh_keys: expected a mapping, got a list"},
        {"ssh_keys: {dsa_private: x}",
         "user-data, line 1, column 25: ssh_keys.dsa_private: unknown ssh_keys entry 'dsa_private' (expected "
         "<ecdsa|ed25519|rsa>_<private|public|certificate>)"},
        {"ssh_keys: {ecdsa-sk_public: x}",
         "user-data, line 1, column 29: ssh_keys.ecdsa-sk_public: 'ecdsa-sk' host keys are not supported (they need a "
         "hardware token)"},
        {"ssh_keys: {rsa_public: [x]}",
         "user-data, line 1, column 24: ssh_keys.rsa_public: expected a string, got a list"},
        {"ssh_quiet_keygen: x", "user-data, line 1, column 19: ssh_quiet_keygen: expected a boolean, got a string"},
        {"allow_public_ssh_keys: {}",
         "user-data, line 1, column 24: allow_public_ssh_keys: expected a boolean, got a mapping"},
        {"ssh_pwauth: maybe",
         "user-data, line 1, column 13: ssh_pwauth: expected a boolean or \"unchanged\", got 'maybe'"},
        {"ssh_pwauth: [yes]",
         "user-data, line 1, column 13: ssh_pwauth: expected a boolean or \"unchanged\", got a list"},
        {"ssh_publish_hostkeys: true",
         "user-data, line 1, column 23: ssh_publish_hostkeys: expected a mapping, got a boolean"},
        {"ssh_publish_hostkeys: {enabled: false, blacklist: rsa}",
         "user-data, line 1, column 51: ssh_publish_hostkeys.blacklist: expected a list of strings, got a string"},
        {"ssh_publish_hostkeys: {enabled: false, other: 1}",
         "user-data, line 1, column 40: ssh_publish_hostkeys.other: unknown key (expected enabled or blacklist)"},
        {"no_ssh_fingerprints: 'true'",
         "user-data, line 1, column 22: no_ssh_fingerprints: expected a boolean, got a string"},
        {"authkey_hash: sha3",
         "user-data, line 1, column 15: authkey_hash: expected one of md5, sha1, sha224, sha256, sha384, sha512, got "
         "'sha3'"},
    };
    for (const Case& c : cases) {
        INFO(c.yaml);
        ModuleHarness h(spec());
        config::Report report = h.parse(c.yaml);
        CHECK(test::formatted(report) == std::vector<std::string>{c.message});
        CHECK(report.has_errors());
    }
}

TEST_CASE("a quoted ssh_pwauth string still works, with a deprecation warning", "[module][ssh]") {
    ModuleHarness h(spec());
    add_default_user(h.scratch);
    h.scratch.write("/etc/ssh/sshd_config", "Port 22\n");
    config::Report report = h.parse("ssh_pwauth: 'no'\nssh_genkeytypes: []\n");
    CHECK(test::formatted(report) ==
          std::vector<std::string>{
              "user-data, line 1, column 13: ssh_pwauth: a string value is deprecated, use a boolean"});
    CHECK_FALSE(report.has_errors());
    h.run();
    CHECK(h.scratch.read("/etc/ssh/sshd_config") == "Port 22\nPasswordAuthentication no\n");
}

TEST_CASE("the real ssh-keygen generates an ed25519 host key in a scratch root", "[module][ssh][integration]") {
    ModuleHarness h(spec(), ModuleHarness::Runner::real, test::ScratchRoot::Usr::bind);
    add_default_user(h.scratch);
    h.parse_clean("ssh_genkeytypes: [ed25519]\nssh_quiet_keygen: true\n");
    CHECK(h.run().summary == "host keys generated: ed25519; no authorized keys");
    CHECK(test::stat_of(h.scratch, "/etc/ssh/ssh_host_ed25519_key") == Stat{0600, 0, 0});
    CHECK(test::stat_of(h.scratch, "/etc/ssh/ssh_host_ed25519_key.pub") == Stat{0644, 0, 0});
    const std::string pub = h.scratch.read("/etc/ssh/ssh_host_ed25519_key.pub");
    CHECK(pub.starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA"));
    CHECK(h.scratch.read("/etc/ssh/ssh_host_ed25519_key").starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
    CHECK(count_logged_containing(h, "host key fingerprint: SHA256:") == 1);
}
