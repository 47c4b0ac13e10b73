// One user data that uses every module of the shipped pipeline
// (etc/kindling/kindling.yaml's stages, read from the file), run by the real
// `kindling` binary against a BootFixture root (the host's /usr bound
// read-only: useradd, chpasswd, ssh-keygen, visudo and the user's scripts run
// for real, chrooted in it). The package manager is a recorded fake: a script
// on a tmpfs over the root's /usr/local/sbin, first in PATH, that logs its
// arguments. Then the same instance boots again, and nothing may change.
#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <regex>
#include <sstream>

#include "tests/support/boot_fixture.hpp"
#include "tests/support/module_harness.hpp"
#include "tests/support/tree_snapshot.hpp"

using namespace kindling;
using test::BootFixture;
using test::BootOptions;
using test::Tree;

namespace {

const std::string k_instance_dir = "/var/lib/kindling/instances/i-1234567890abcdef0";
const std::string k_alice_key =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB alice@example.com";
const std::string k_oncall_key =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC oncall@example.com";
// The key the bundled AEMM metadata (tests/data/imds/aemm-default-metadata.json) serves.
const std::string k_metadata_key =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC/JxGByvHDHgQAU+0nRFWdvMPi22OgNUn9ansrI8QN1ZJGxD1ML8DRnJ3Q3zFKqqjGucfNWW0xpVib"
    "+ttkIBp8G9P/EOcX9C3FF63O3SnnIUHJsp5faRAZsTJPx0G5HUbvhBvnAcCtSqQgmr02c1l582vAWx48pOmeXXMkl9qe9V/s7K3utmeZkRLo9Dqnb"
    "sDlg5GWxLC/rWKYaZR66CnMEyZ7yBy3v3abKaGGRovLkHNAgWjSSgmUTI1nT5/S2OLxxuDnsC7+BiABLPaqlIE70SzcWZ0swx68Bo2AY9T9ymGqeA"
    "M/1T4yRtg0sPB98TpT7WrY5A3iia2UVtLO/xcTt test";

const std::string k_user_data = R"(Content-Type: multipart/mixed; boundary="==ALL=="
MIME-Version: 1.0

--==ALL==
Content-Type: text/cloud-config; charset="us-ascii"

#cloud-config
bootcmd:
  - echo "bootcmd ran for $INSTANCE_ID"
  - [sh, -c, 'echo "$INSTANCE_ID" > /var/tmp/bootcmd-instance']
write_files:
  - path: /etc/app/app.conf
    content: |
      listen = 8080
    permissions: '0640'
    owner: root:adm
  - path: /etc/app/token
    encoding: b64
    content: c2VjcmV0LXRva2VuCg==
    permissions: '0600'
  - path: /home/alice/notes.txt
    content: "deferred until alice exists\n"
    owner: alice:alice
    defer: true
hostname: all-modules
fqdn: all-modules.example.internal
manage_etc_hosts: true
groups:
  - ops: [alice, nobody-here]
users:
  - default
  - name: alice
    groups: [adm]
    shell: /bin/sh
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    doas: [permit nopass alice]
    ssh_authorized_keys: [")" + k_alice_key + R"("]
  - name: bob
    shell: /bin/sh
    lock_passwd: false
    plain_text_passwd: bob-password-123
ssh_authorized_keys: [")" + k_oncall_key + R"("]
ssh_genkeytypes: [ed25519]
ssh_quiet_keygen: true
ssh_pwauth: false
runcmd:
  - echo runcmd >> /var/tmp/runcmd-runs
package_update: true
packages: [curl, [nginx, 1.22.1-9]]
timezone: Europe/Berlin
final_message: "all modules done, kindling $version"
--==ALL==
Content-Type: text/x-shellscript; charset="us-ascii"
Content-Disposition: attachment; filename="user.sh"

#!/bin/sh
echo user-script >> /var/tmp/user-script-runs
--==ALL==
Content-Type: text/x-shellscript-per-boot; charset="us-ascii"
Content-Disposition: attachment; filename="boot.sh"

#!/bin/sh
echo "per-boot script ran"
echo per-boot > /var/tmp/per-boot-state
--==ALL==
Content-Type: text/x-shellscript-per-instance; charset="us-ascii"
Content-Disposition: attachment; filename="instance.sh"

#!/bin/sh
echo per-instance >> /var/tmp/per-instance-runs
--==ALL==
Content-Type: text/x-shellscript-per-once; charset="us-ascii"
Content-Disposition: attachment; filename="once.sh"

#!/bin/sh
echo per-once >> /var/tmp/per-once-runs
--==ALL==--
)";

// The shipped pipeline: etc/kindling/kindling.yaml's stages as flow YAML.
std::string shipped_stage(const std::string& name) {
    YAML::Node shipped = YAML::LoadFile(KINDLING_SOURCE_DIR "/etc/kindling/kindling.yaml");
    YAML::Node stage = shipped["stages"][name];
    stage.SetStyle(YAML::EmitterStyle::Flow);
    YAML::Emitter out;
    out << stage;
    return out.c_str();
}

// name -> status of every module in status.json, stage by stage ("init/ssh").
std::map<std::string, std::string> module_states(const test::ScratchRoot& root) {
    Poco::JSON::Parser parser;
    auto status = parser.parse(root.read("/run/kindling/status.json")).extract<Poco::JSON::Object::Ptr>();
    std::map<std::string, std::string> out;
    auto stages = status->getArray("stages");
    for (std::size_t i = 0; i < stages->size(); ++i) {
        auto stage = stages->getObject(static_cast<unsigned>(i));
        auto modules = stage->getArray("modules");
        for (std::size_t j = 0; j < modules->size(); ++j) {
            auto m = modules->getObject(static_cast<unsigned>(j));
            out[stage->getValue<std::string>("name") + "/" + m->getValue<std::string>("name")] =
                m->getValue<std::string>("status");
        }
    }
    return out;
}

// The whole root but the host's mounts (/usr, /dev) and the per-boot records
// (/run, /var/log), which the test checks on their own. Password hashes and
// host keys are random, the boot-finished line holds the time, a public host
// key's comment the kernel hostname of whichever test ran before: compared by shape.
test::SnapshotOptions whole_root() {
    test::SnapshotOptions options;
    options.skip = {"/usr", "/dev", "/run", "/var/log"};
    options.normalise = [](const std::string& path, std::string content) {
        if (path == "/etc/shadow") return std::regex_replace(content, std::regex(":\\$[^:]+:"), ":<hash>:");
        if (path.starts_with("/etc/ssh/ssh_host_")) {
            return path.ends_with(".pub") ? std::regex_replace(content, std::regex(" [A-Za-z0-9+/=]+ root@.*"),
                                                               " <key> root@<hostname>")
                                          : std::string("<private key>");
        }
        if (path == k_instance_dir + "/boot-finished") {
            return std::regex_replace(content, std::regex("^[0-9.]+ - [A-Z][a-z]{2}, .* - v\\. "), "<uptime> - <time> - v. ");
        }
        return content;
    };
    return options;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

// "PATH TYPE MODE UID:GID" for every path `after` adds or changes.
std::string made(const Tree& before, const Tree& after) {
    std::ostringstream out;
    for (const auto& [path, e] : after) {
        if (auto it = before.find(path); it != before.end() && it->second == e) continue;
        out << path << " " << e.type << " " << std::oct << e.mode << std::dec << " " << e.uid << ":" << e.gid << "\n";
    }
    return out.str();
}

std::string today() {
    auto days = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()).time_since_epoch().count();
    return std::to_string(days);
}

}  // namespace

TEST_CASE("every module of the shipped pipeline in one user data, then a second boot that changes nothing",
          "[integration][all_modules]") {
    BootOptions options;
    options.user_data = k_user_data;
    options.init_stage = shipped_stage("init");
    options.final_stage = shipped_stage("final");
    REQUIRE(options.init_stage ==
            "[bootcmd, write_files, set_hostname, update_hostname, update_etc_hosts, users_groups, {module: ssh, "
            "on_error: continue}]");
    REQUIRE(options.final_stage ==
            "[package_update_upgrade_install, timezone, write_files_deferred, scripts_per_once, scripts_per_boot, "
            "scripts_per_instance, scripts_user, runcmd, final_message]");
    BootFixture boot(options);
    // What an image has: Debian's adm group, the package's hosts template,
    // sshd reading its drop-ins, Debian's /etc/timezone.
    boot.root.append("/etc/group", "adm:x:4:\n");
    boot.root.append("/etc/gshadow", "adm:*::\n");
    boot.root.write("/etc/kindling/templates/hosts.tmpl", test::source_file("etc/templates/hosts.tmpl"));
    boot.root.write("/etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nUsePAM yes\n");
    boot.root.write("/etc/timezone", "Etc/UTC\n");
    // The recorded fake package manager, found before the host's apt-get in PATH.
    boot.root.mount_tmpfs("/usr/local/sbin", 1 << 20);
    boot.root.write("/usr/local/sbin/apt-get",
                    "#!/bin/sh\necho \"DEBIAN_FRONTEND=$DEBIAN_FRONTEND apt-get $*\" >> /var/tmp/package-manager-calls\n",
                    0755);
    const Tree before = test::snapshot_tree(boot.root, whole_root()).tree;

    auto first = boot.run();
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    const test::Snapshot after_first = test::snapshot_tree(boot.root, whole_root());
    REQUIRE(after_first.temporaries.empty());
    std::map<std::string, std::string> all_ran;
    for (const char* m : {"init/bootcmd", "init/write_files", "init/set_hostname", "init/update_hostname",
                          "init/update_etc_hosts", "init/users_groups", "init/ssh", "final/package_update_upgrade_install",
                          "final/timezone", "final/write_files_deferred", "final/scripts_per_once",
                          "final/scripts_per_boot", "final/scripts_per_instance", "final/scripts_user", "final/runcmd",
                          "final/final_message"}) {
        all_ran[m] = "success";
    }
    CHECK(module_states(boot.root) == all_ran);

    // 1. What the first boot made: every path with its mode and owner (alice
    //    is 1001:1002, ec2-user 1000:1001, bob 1002:1003, adm gid 4), nothing removed.
    const Tree& tree = after_first.tree;
    for (const std::string& d : test::tree_differences(before, tree)) CHECK_FALSE(d.starts_with("missing"));
    CHECK(made(before, tree) ==
          "/etc/.pwd.lock f 600 0:0\n"  // shadow-utils' lckpwdf()
          "/etc/app d 755 0:0\n"
          "/etc/app/app.conf f 640 0:4\n"
          "/etc/app/token f 600 0:0\n"
          "/etc/doas.conf f 440 0:0\n"
          "/etc/group f 644 0:0\n"
          "/etc/group- f 644 0:0\n"
          "/etc/gshadow f 640 0:0\n"
          "/etc/gshadow- f 640 0:0\n"
          "/etc/hostname f 644 0:0\n"
          "/etc/hosts f 644 0:0\n"
          "/etc/localtime l 777 0:0\n"
          "/etc/passwd f 644 0:0\n"
          "/etc/passwd- f 644 0:0\n"
          "/etc/shadow f 640 0:0\n"
          "/etc/shadow- f 640 0:0\n"
          "/etc/ssh/ssh_host_ed25519_key f 600 0:0\n"
          "/etc/ssh/ssh_host_ed25519_key.pub f 644 0:0\n"
          "/etc/ssh/sshd_config.d d 755 0:0\n"
          "/etc/ssh/sshd_config.d/50-kindling.conf f 600 0:0\n"
          "/etc/sudoers f 440 0:0\n"
          "/etc/sudoers.d d 750 0:0\n"
          "/etc/sudoers.d/90-kindling-users f 440 0:0\n"
          "/etc/timezone f 644 0:0\n"
          "/home/alice d 700 1001:1002\n"
          "/home/alice/.ssh d 700 1001:1002\n"
          "/home/alice/.ssh/authorized_keys f 600 1001:1002\n"
          "/home/alice/notes.txt f 644 1001:1002\n"
          "/home/bob d 700 1002:1003\n"
          "/home/ec2-user d 700 1000:1001\n"
          "/home/ec2-user/.ssh d 700 1000:1001\n"
          "/home/ec2-user/.ssh/authorized_keys f 600 1000:1001\n"
          "/root/.ssh d 700 0:0\n"
          "/root/.ssh/authorized_keys f 600 0:0\n"
          "/var/lib/kindling d 755 0:0\n"
          "/var/lib/kindling/data d 755 0:0\n"
          "/var/lib/kindling/data/instance-id f 644 0:0\n"
          "/var/lib/kindling/data/previous-hostname f 644 0:0\n"
          "/var/lib/kindling/data/set-hostname f 644 0:0\n"
          "/var/lib/kindling/data/write-dirs f 600 0:0\n"
          "/var/lib/kindling/instance l 777 0:0\n"
          "/var/lib/kindling/instances d 755 0:0\n" +
              k_instance_dir + " d 755 0:0\n" +
              k_instance_dir + "/boot-finished f 644 0:0\n" +
              k_instance_dir + "/cloud-config.yaml f 600 0:0\n" +
              k_instance_dir + "/instance-info.json f 600 0:0\n" +
              k_instance_dir + "/scripts d 700 0:0\n" +
              k_instance_dir + "/scripts/runcmd f 700 0:0\n" +
              k_instance_dir + "/scripts/user.sh f 700 0:0\n" +
              k_instance_dir + "/sem d 755 0:0\n" +
              k_instance_dir + "/sem/package_update_upgrade_install f 644 0:0\n" +
              k_instance_dir + "/sem/runcmd f 644 0:0\n" +
              k_instance_dir + "/sem/scripts_per_instance f 644 0:0\n" +
              k_instance_dir + "/sem/scripts_user f 644 0:0\n" +
              k_instance_dir + "/sem/set_hostname f 644 0:0\n" +
              k_instance_dir + "/sem/ssh f 644 0:0\n" +
              k_instance_dir + "/sem/timezone f 644 0:0\n" +
              k_instance_dir + "/sem/users_groups f 644 0:0\n" +
              k_instance_dir + "/sem/write_files f 644 0:0\n" +
              k_instance_dir + "/sem/write_files_deferred f 644 0:0\n" +
              k_instance_dir + "/user-data.raw f 600 0:0\n"
          "/var/lib/kindling/scripts d 700 0:0\n"
          "/var/lib/kindling/scripts/per-boot d 700 0:0\n"
          "/var/lib/kindling/scripts/per-boot/boot.sh f 700 0:0\n"
          "/var/lib/kindling/scripts/per-instance d 700 0:0\n"
          "/var/lib/kindling/scripts/per-instance/instance.sh f 700 0:0\n"
          "/var/lib/kindling/scripts/per-once d 700 0:0\n"
          "/var/lib/kindling/scripts/per-once/once.sh f 700 0:0\n"
          "/var/lib/kindling/sem d 755 0:0\n"
          "/var/lib/kindling/sem/scripts_per_once f 644 0:0\n"
          "/var/tmp/bootcmd-instance f 644 0:0\n"
          "/var/tmp/package-manager-calls f 644 0:0\n"
          "/var/tmp/per-boot-state f 644 0:0\n"
          "/var/tmp/per-instance-runs f 644 0:0\n"
          "/var/tmp/per-once-runs f 644 0:0\n"
          "/var/tmp/runcmd-runs f 644 0:0\n"
          "/var/tmp/user-script-runs f 644 0:0\n");

    // 2. Their bytes, module by module (random keys and hashes by shape).
    auto bytes = [&](const std::string& path) { return tree.at(path).content; };
    // bootcmd, with INSTANCE_ID
    CHECK(bytes("/var/tmp/bootcmd-instance") == "i-1234567890abcdef0\n");
    // write_files, and write_files_deferred after users_groups made alice
    CHECK(bytes("/etc/app/app.conf") == "listen = 8080\n");
    CHECK(bytes("/etc/app/token") == "secret-token\n");
    CHECK(bytes("/home/alice/notes.txt") == "deferred until alice exists\n");
    // set_hostname, update_hostname, update_etc_hosts (the installed template)
    CHECK(bytes("/etc/hostname") == "all-modules\n");
    CHECK(bytes("/var/lib/kindling/data/set-hostname") == "all-modules\nall-modules.example.internal\n");
    CHECK(bytes("/var/lib/kindling/data/previous-hostname") == "all-modules\n");
    CHECK(bytes("/etc/hosts") ==
          "# /etc/hosts, rendered by kindling on every boot because cloud-config sets\n"
          "# manage_etc_hosts: true. Edits here are lost at the next boot: change the\n"
          "# template /etc/kindling/templates/hosts.tmpl instead, or set manage_etc_hosts\n"
          "# to false (leave this file alone) or localhost (only keep the 127.0.1.1 line).\n"
          "127.0.1.1 all-modules.example.internal all-modules\n"
          "127.0.0.1 localhost\n"
          "\n"
          "# IPv6 loopback and multicast names\n"
          "::1 localhost ip6-localhost ip6-loopback\n"
          "ff02::1 ip6-allnodes\n"
          "ff02::2 ip6-allrouters\n");
    // users_groups: groups (nobody-here skipped), users, sudo and doas rules
    CHECK(bytes("/etc/passwd") ==
          "root:x:0:0:root:/root:/bin/sh\n"
          "ec2-user:x:1000:1001:EC2 Default User:/home/ec2-user:/bin/sh\n"
          "alice:x:1001:1002::/home/alice:/bin/sh\n"
          "bob:x:1002:1003::/home/bob:/bin/sh\n");
    CHECK(bytes("/etc/group") ==
          "root:x:0:\nadm:x:4:ec2-user,alice\nops:x:1000:alice\nec2-user:x:1001:\nalice:x:1002:\nbob:x:1003:\n");
    const std::string t = today();
    CHECK(bytes("/etc/shadow") == "root:*:19000:0:99999:7:::\nec2-user:!:" + t + "::::::\nalice:!:" + t +
                                      "::::::\nbob:<hash>:" + t + "::::::\n");
    CHECK(boot.root.read("/etc/shadow").find("bob:$6$") != std::string::npos);  // set, unlocked, SHA-512
    CHECK(bytes("/etc/sudoers.d/90-kindling-users") ==
          "# Created by kindling users_groups\n\n# User rules for ec2-user\nec2-user ALL=(ALL) NOPASSWD:ALL\n"
          "\n# User rules for alice\nalice ALL=(ALL) NOPASSWD:ALL\n");
    CHECK(bytes("/etc/sudoers") ==
          "# See sudoers(5) for more information on \"#include\" directives:\n\n"
          "# Added by kindling users_groups\n#includedir /etc/sudoers.d\n");
    CHECK(bytes("/etc/doas.conf") ==
          "# Created by kindling users_groups\n\n# kindling User rules for alice\npermit nopass alice\n");
    CHECK(bytes("/home/alice/.ssh/authorized_keys") == k_alice_key + "\n");
    // ssh: metadata and cloud-config keys for the default user, root's behind the refusal
    CHECK(bytes("/home/ec2-user/.ssh/authorized_keys") == k_metadata_key + "\n" + k_oncall_key + "\n");
    const std::string refusal =
        "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command=\"echo 'Please login as the user "
        "\\\"ec2-user\\\" rather than the user \\\"root\\\".';echo;sleep 10;exit 142\" ";
    CHECK(bytes("/root/.ssh/authorized_keys") == refusal + k_metadata_key + "\n" + refusal + k_oncall_key + "\n");
    CHECK(bytes("/etc/ssh/sshd_config.d/50-kindling.conf") == "PasswordAuthentication no\n");
    CHECK(bytes("/etc/ssh/ssh_host_ed25519_key.pub") == "ssh-ed25519 <key> root@<hostname>\n");
    CHECK(bytes("/etc/ssh/ssh_host_ed25519_key") == "<private key>");
    // package_update_upgrade_install, through the recorded fake apt-get
    CHECK(bytes("/var/tmp/package-manager-calls") ==
          "DEBIAN_FRONTEND=noninteractive apt-get -y -o Dpkg::Options::=--force-confold update\n"
          "DEBIAN_FRONTEND=noninteractive apt-get -y -o Dpkg::Options::=--force-confold install curl "
          "nginx=1.22.1-9\n");
    // timezone
    CHECK(tree.at("/etc/localtime").content == "/usr/share/zoneinfo/Europe/Berlin");
    // write_files noted where it wrote, for the next boots' sweep of leftover temporaries.
    CHECK(tree.at("/var/lib/kindling/data/write-dirs").content == "/etc/app\n/home/alice\n");
    CHECK(bytes("/etc/timezone") == "Europe/Berlin\n");
    // scripts_per_once/boot/instance, scripts_user, runcmd
    CHECK(bytes("/var/tmp/per-once-runs") == "per-once\n");
    CHECK(bytes("/var/tmp/per-boot-state") == "per-boot\n");
    CHECK(bytes("/var/tmp/per-instance-runs") == "per-instance\n");
    CHECK(bytes("/var/tmp/user-script-runs") == "user-script\n");
    CHECK(bytes("/var/tmp/runcmd-runs") == "runcmd\n");
    // final_message
    CHECK(bytes(k_instance_dir + "/boot-finished") == "<uptime> - <time> - v. 0.1.0\n");
    CHECK(first.err.find("module.final_message: all modules done, kindling 0.1.0\n") != std::string::npos);

    // 3. A second boot of the same instance: only the `always` modules run,
    //    and they converge -- the whole root is byte for byte, mode and owner
    //    what the first boot left; no per-instance or once script runs again.
    const std::string output_log = boot.root.read("/var/log/kindling-output.log");
    auto second = boot.run();
    INFO(second.err);
    REQUIRE(second.exit_code == 0);
    const test::Snapshot after_second = test::snapshot_tree(boot.root, whole_root());
    CHECK(after_second.temporaries.empty());
    CHECK(joined(test::tree_differences(tree, after_second.tree)) == "");
    std::map<std::string, std::string> states = all_ran;
    for (auto& [module, state] : states) {
        if (module != "init/bootcmd" && module != "init/update_hostname" && module != "init/update_etc_hosts" &&
            module != "final/scripts_per_boot" && module != "final/final_message") {
            state = "skipped";
        }
    }
    CHECK(module_states(boot.root) == states);
    // bootcmd and the per-boot script ran again (their output is appended to
    // the output log); the per-instance and once scripts, user script and
    // runcmd did not (their files above still hold one line each).
    CHECK(output_log == "bootcmd ran for i-1234567890abcdef0\nper-boot script ran\n");
    CHECK(boot.root.read("/var/log/kindling-output.log") == output_log + output_log);
}
