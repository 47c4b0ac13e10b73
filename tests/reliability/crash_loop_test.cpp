// SIGKILL at many points of a first boot, then boot again: the result must be
// the tree a boot that was never interrupted leaves, except that commands which
// had already started are not started again (the semaphore rule in
// agent/pipeline/semaphore.hpp). kindling runs as init of its own PID
// namespace, so the kill takes its children down too, as a power cut would.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <regex>
#include <sstream>

#include "tests/support/boot_fixture.hpp"
#include "tests/support/reliability_tally.hpp"
#include "tests/support/tree_snapshot.hpp"

using namespace kindling;
using kindling::test::BootFixture;
using kindling::test::BootOptions;
using kindling::test::Isolation;
using kindling::test::tally::Kind;

namespace {

const std::string k_instance = "/var/lib/kindling/instances/i-1234567890abcdef0";

// A realistic first boot: files, users with keys and a password, metadata and
// user keys, runcmd and two kinds of user scripts, in one MIME message.
const std::string k_user_data = R"(Content-Type: multipart/mixed; boundary="==BOUNDARY=="
MIME-Version: 1.0

--==BOUNDARY==
Content-Type: text/cloud-config; charset="us-ascii"

#cloud-config
hostname: crash-test
write_files:
  - path: /etc/app/app.conf
    content: |
      listen = 8080
      workers = 4
    permissions: '0640'
  - path: /etc/app/secret.env
    content: "API_KEY=not-a-real-key\n"
    permissions: '0600'
  - path: /etc/motd
    content: "welcome to crash-test\n"
  - path: /etc/motd
    content: "appended exactly once\n"
    append: true
users:
  - default
  - name: alice
    groups: [adm]
    shell: /bin/sh
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB alice@example.com
  - name: bob
    shell: /bin/sh
    lock_passwd: false
    plain_text_passwd: bob-password-123
ssh_authorized_keys:
  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC oncall@example.com
runcmd:
  - echo runcmd-1 >> /var/tmp/runcmd-runs
  - [sh, -c, "echo runcmd-2 >> /var/tmp/runcmd-runs"]
--==BOUNDARY==
Content-Type: text/x-shellscript; charset="us-ascii"
Content-Disposition: attachment; filename="setup.sh"

#!/bin/sh
echo setup >> /var/tmp/script-runs
--==BOUNDARY==
Content-Type: text/x-shellscript-per-instance; charset="us-ascii"
Content-Disposition: attachment; filename="register.sh"

#!/bin/sh
echo register >> /var/tmp/per-instance-runs
--==BOUNDARY==--
)";

using test::Tree;

// Content that differs between two clean boots and so is compared by shape:
// semaphore times, password hashes (random salt), shadow-utils backups (they
// hold whichever version preceded the last change).
std::string normalised(const std::string& path, std::string content) {
    if (path.find("/sem/") != std::string::npos) {
        return std::regex_match(content, std::regex("[0-9]+\n")) ? "<time>\n" : "<not a time: " + content + ">";
    }
    if (path == "/etc/shadow") return std::regex_replace(content, std::regex(":\\$[^:]+:"), ":<hash>:");
    // SSH host keys are random: compared by shape here, pairs matched below.
    if (path.starts_with("/etc/ssh/ssh_host_")) {
        if (path.ends_with(".pub")) {
            return std::regex_replace(content, std::regex("^([a-z0-9-]+) [A-Za-z0-9+/=]+ "), "$1 <key> ");
        }
        return content.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n") &&
                       content.ends_with("-----END OPENSSH PRIVATE KEY-----\n")
                   ? "<private key>"
                   : "<broken private key>";
    }
    return content;
}

// Every file, directory and link under the parts of the root a boot changes;
// AtomicWrite temporaries (a kill between create and rename) go to
// `temporaries`, those in /run too (its files differ between boots, so they
// are not compared).
Tree snapshot(const test::ScratchRoot& root, std::vector<std::string>& temporaries) {
    test::SnapshotOptions options;
    options.tops = {"/etc", "/home", "/var/lib/kindling", "/var/tmp"};
    // shadow-utils' backups (passwd- etc.) hold whichever version preceded the
    // last change. Its lock files (NAME.lock, NAME.PID) left by a useradd
    // killed with us are not skipped: shadow keeps a stale one when its pid is
    // alive again (pid reuse), so users_groups clears them
    // (Root::clear_stale_account_locks) and none may be left.
    options.skip_file = [](const std::string& path) { return path.starts_with("/etc/") && path.ends_with("-"); };
    options.normalise = normalised;
    test::Snapshot snap = test::snapshot_tree(root, options);
    temporaries.insert(temporaries.end(), snap.temporaries.begin(), snap.temporaries.end());
    test::SnapshotOptions run;
    run.tops = {"/run"};
    test::Snapshot run_snap = test::snapshot_tree(root, run);
    temporaries.insert(temporaries.end(), run_snap.temporaries.begin(), run_snap.temporaries.end());
    return snap.tree;
}

// Files only commands write, with the module whose semaphore says they started.
const std::map<std::string, std::string> k_command_outputs{
    {"/var/tmp/runcmd-runs", k_instance + "/sem/runcmd"},
    {"/var/tmp/script-runs", k_instance + "/sem/scripts_user"},
    {"/var/tmp/per-instance-runs", k_instance + "/sem/scripts_per_instance"},
};

// Files a non-idempotent module writes after its semaphore marked it started:
// a kill between the two leaves the semaphore without the file, and the module
// is not run again (the rerun removes the killed write's temporary).
const std::map<std::string, std::string> k_written_after_mark{
    {k_instance + "/scripts/runcmd", k_instance + "/sem/runcmd"},
};

// The name that /etc/passwd or /etc/group of `tree` gives numeric id `id`.
std::string id_name(const Tree& tree, const std::string& file, unsigned id) {
    auto it = tree.find(file);
    std::istringstream in(it == tree.end() ? std::string() : it->second.content);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> f;
        std::stringstream fields(line);
        for (std::string x; std::getline(fields, x, ':');) f.push_back(x);
        if (f.size() > 2 && f[2] == std::to_string(id)) return f[0];
    }
    return "#" + std::to_string(id);
}

// passwd/group/gshadow/shadow lines with their numeric ids blanked (names and
// memberships still compared); other files unchanged.
std::string without_ids(const std::string& path, const std::string& content) {
    if (path != "/etc/passwd" && path != "/etc/group") return content;
    return std::regex_replace(content, std::regex("^([^:\\n]*:[^:\\n]*:)[0-9]+(:)([0-9]+:)?",
                                                  std::regex::multiline),
                              "$1<id>$2");
}

// The tree after a crash and a rerun against the tree of a clean boot.
void check_recovered(const Tree& expected, const Tree& actual) {
    for (const auto& [path, want] : expected) {
        INFO("path " << path);
        auto found = actual.find(path);
        if (auto cmd = k_command_outputs.find(path); cmd != k_command_outputs.end()) {
            // Started at most once: a prefix of one clean run's output, and
            // cut short only if its module had been marked as started.
            std::string got = found == actual.end() ? "" : found->second.content;
            CHECK(want.content.starts_with(got));
            if (got != want.content) CHECK(actual.contains(cmd->second));
            continue;
        }
        if (auto after = k_written_after_mark.find(path);
            found == actual.end() && after != k_written_after_mark.end() && actual.contains(after->second)) {
            continue;
        }
        REQUIRE(found != actual.end());
        CHECK(found->second.type == want.type);
        CHECK(found->second.mode == want.mode);
        // Owners by name: a useradd killed half-way may leave its group made, so
        // the rerun hands out ids in another order; the same names must own it.
        CHECK(id_name(actual, "/etc/passwd", found->second.uid) == id_name(expected, "/etc/passwd", want.uid));
        CHECK(id_name(actual, "/etc/group", found->second.gid) == id_name(expected, "/etc/group", want.gid));
        CHECK(without_ids(path, found->second.content) == without_ids(path, want.content));
    }
    for (const auto& [path, entry] : actual) {
        INFO("path " << path);
        CHECK(expected.contains(path));  // nothing extra: no stray or duplicate files
    }
}

// Each host public key is the public half of the private key beside it (not
// one half from a killed run and the other from the rerun).
void check_host_key_pairs(const test::ScratchRoot& root, const Tree& expected) {
    for (const auto& [path, entry] : expected) {
        if (!path.starts_with("/etc/ssh/ssh_host_") || !path.ends_with("_key")) continue;
        INFO("host key " << path);
        auto derived = test::run_program("/usr/bin/ssh-keygen", {"-y", "-f", root.host(path).string()});
        REQUIRE(derived.exit_code == 0);
        std::istringstream pub(root.read(path + ".pub")), from_private(derived.out);
        std::string pub_type, pub_blob, priv_type, priv_blob;
        pub >> pub_type >> pub_blob;
        from_private >> priv_type >> priv_blob;
        CHECK(pub_type == priv_type);
        CHECK(pub_blob == priv_blob);
    }
}

BootOptions crash_boot() {
    BootOptions o;
    o.user_data = k_user_data;
    o.init_stage = "[write_files, set_hostname, update_etc_hosts, users_groups, ssh]";
    o.final_stage = "[scripts_per_instance, scripts_user, runcmd]";
    return o;
}

}  // namespace

// Found by this test and fixed: a SIGKILL inside `useradd ec2-user` left the
// passwd entry without its user group (users_groups now records an intent
// around useradd and remakes a half-made account), and stale shadow-utils locks
// blocked every later change (Root::clear_stale_account_locks), and temporaries
// of writes killed before their rename stayed for good (pipeline/temporaries.hpp).
TEST_CASE("SIGKILL at any point of a first boot, then a reboot, leaves the tree of an uninterrupted boot",
          "[integration][reliability][crash]") {
    // 1. The reference: one boot that is never interrupted, and how long it takes.
    BootFixture reference(crash_boot());
    auto started = std::chrono::steady_clock::now();
    auto clean = reference.run({}, Isolation::pid_namespace);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    REQUIRE(took.count() > 0);
    INFO(clean.err);
    REQUIRE(clean.exit_code == 0);
    std::vector<std::string> reference_temporaries;
    const Tree expected = snapshot(reference.root, reference_temporaries);
    REQUIRE(reference_temporaries.empty());
    REQUIRE(expected.at("/var/tmp/runcmd-runs").content == "runcmd-1\nruncmd-2\n");
    REQUIRE(expected.at("/etc/motd").content == "welcome to crash-test\nappended exactly once\n");
    REQUIRE(expected.at("/var/tmp/script-runs").content == "setup\n");
    REQUIRE(expected.at("/var/tmp/per-instance-runs").content == "register\n");
    REQUIRE(test::count_of(expected.at("/etc/passwd").content, "\nalice:") == 1);

    // 2. Kill points spread over the whole run, from the first milliseconds to
    // 90% of it; every other point crashes twice before the boot that
    // completes. A first run that ends before its kill point shortens the
    // span for the next points (the machine's speed varies).
    constexpr int k_points = 20;
    const std::int64_t initial_span = took.count();
    int kills = 0, finished_first = 0, short_outputs = 0;
    std::size_t temporaries_left = 0;
    for (int i = 0; i < k_points; ++i) {
        auto point_at = [&](int n) { return std::chrono::milliseconds(5 + took.count() * 9 * n / (10 * k_points)); };
        {
            INFO("killed after " << point_at(i).count() << " ms" << (i % 2 ? ", then again" : ""));
            BootFixture boot(crash_boot());
            std::vector<std::chrono::milliseconds> kill_points{point_at(i)};
            if (i % 2 == 1) kill_points.push_back(point_at(k_points - i));
            for (std::size_t k = 0; k < kill_points.size(); ++k) {
                test::RunOptions options;
                options.kill_after = kill_points[k];
                auto run_started = std::chrono::steady_clock::now();
                auto killed = boot.run(options, Isolation::pid_namespace);
                if (killed.killed) {
                    ++kills;
                } else {
                    ++finished_first;  // the run was faster than this point
                    INFO(killed.err);
                    CHECK(killed.exit_code == 0);
                    if (k == 0) {
                        took = std::min(took, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  std::chrono::steady_clock::now() - run_started));
                    }
                }
            }
            auto rerun = boot.run({}, Isolation::pid_namespace);
            INFO(rerun.err);
            // What the kills left, as the rerun's one warning counts it.
            std::smatch removed;
            if (std::regex_search(rerun.err, removed, std::regex("removed ([0-9]+) temporaries left by an interrupted"))) {
                temporaries_left += std::stoul(removed[1].str());
            }
            CHECK(rerun.exit_code == 0);
            CHECK(boot.root.read("/run/kindling/status.json").find("\"status\": \"done\"") != std::string::npos);

            std::vector<std::string> temporaries;
            Tree actual = snapshot(boot.root, temporaries);
            check_recovered(expected, actual);
            check_host_key_pairs(boot.root, expected);
            // What the kills left is removed by the rerun, under its lock.
            CHECK(temporaries == std::vector<std::string>{});
            for (const auto& [path, sem] : k_command_outputs) {
                if (actual.contains(path) ? actual.at(path).content != expected.at(path).content : true) ++short_outputs;
            }
        }
    }
    test::tally::tried(Kind::crash_simulated, static_cast<std::size_t>(kills));
    std::printf("crash loop: %d SIGKILLs over a %lld-%lld ms boot (%d runs finished before their kill point); "
                "%d command outputs cut short and not started again; %zu AtomicWrite temporaries left by kills, all "
                "removed by the reruns\n",
                kills, static_cast<long long>(took.count()), static_cast<long long>(initial_span), finished_first,
                short_outputs, temporaries_left);
}
