// The real `kindling` binary against the in-process fake IMDS on 127.0.0.1, on
// a scratch root with the host's /usr bound read-only (so useradd and the
// user's scripts run chrooted inside it). Asserts the exact effects.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "agent/fake_imds/server.hpp"
#include "tests/support/run_kindling.hpp"
#include "tests/support/scratch_root.hpp"

using namespace kindling;
using kindling::test::ScratchRoot;

namespace {

const std::string k_metadata = KINDLING_SOURCE_DIR "/tests/data/imds/aemm-default-metadata.json";
const std::string k_metadata_key_blob =
    "AAAAB3NzaC1yc2EAAAADAQABAAABAQC/JxGByvHDHgQAU+0nRFWdvMPi22OgNUn9ansrI8QN1ZJGxD1ML8DRnJ3Q3zFKqqjGucfNWW0xpVib+ttkIBp8G9P/EOcX9C3FF63O3SnnIUHJsp5faRAZsTJPx0G5HUbvhBvnAcCtSqQgmr02c1l582vAWx48pOmeXXMkl9qe9V/s7K3utmeZkRLo9DqnbsDlg5GWxLC/rWKYaZR66CnMEyZ7yBy3v3abKaGGRovLkHNAgWjSSgmUTI1nT5/S2OLxxuDnsC7+BiABLPaqlIE70SzcWZ0swx68Bo2AY9T9ymGqeAM/1T4yRtg0sPB98TpT7WrY5A3iia2UVtLO/xcTt";

// Writes a kindling.yaml for tests: the fake's endpoint, short deadlines.
std::string write_config(const ScratchRoot& root, const std::string& endpoint, int deadline_seconds = 20,
                         const std::string& extra = "") {
    std::string text = "imds:\n  endpoints: [\"" + endpoint + "\"]\n  deadline_seconds: " +
                       std::to_string(deadline_seconds) +
                       "\n  connect_timeout_ms: 500\n  request_timeout_ms: 1000\n"
                       "default_user: {name: ec2-user, groups: [adm], sudo: \"ALL=(ALL) NOPASSWD:ALL\", shell: /bin/sh}\n"
                       "stages:\n"
                       "  init: [set_hostname, users_groups, ssh]\n"
                       "  final: [scripts_user, runcmd]\n" +
                       extra;
    std::string path = root.host("/tmp/kindling-test.yaml").string();
    std::ofstream(path) << text;
    return path;
}

fake_imds::Options fake_options(std::optional<std::string> user_data) {
    fake_imds::Options o;
    o.tree = fake_imds::MetadataTree::from_file(k_metadata);
    o.user_data = std::move(user_data);
    return o;
}

const std::string k_user_data = R"(#cloud-config
hostname: web-01
ssh_genkeytypes: [ed25519]
ssh_authorized_keys:
  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPwy+SbMHFwLruOyKALGF4eYDe197zruh/qBv/0NNEz2 oncall@example.com
runcmd:
  - echo runcmd-line-1 >> /tmp/runs
  - [sh, -c, "echo 'argv item' >> /tmp/runs"]
)";

struct stat stat_of(const ScratchRoot& root, const std::string& inside) {
    struct stat st {};
    REQUIRE(::lstat(root.host(inside).c_str(), &st) == 0);
    return st;
}

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("a first boot sets the hostname, installs keys and runs runcmd", "[integration][first_boot]") {
    ScratchRoot root = ScratchRoot::with_usr();
    fake_imds::Server imds(fake_options(k_user_data));
    imds.start();
    std::string config = write_config(root, imds.url());

    auto r = test::run_kindling({"run", "--root", root.path().string(), "--config", config});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);

    CHECK(root.read("/etc/hostname") == "web-01\n");
    // The default user was created in the root's /etc/passwd, never this machine's.
    std::string passwd = root.read("/etc/passwd");
    std::smatch m;
    REQUIRE(std::regex_search(passwd, m, std::regex("ec2-user:x:(\\d+):(\\d+):[^:]*:/home/ec2-user:/bin/sh")));
    uid_t uid = static_cast<uid_t>(std::stoul(m[1]));
    gid_t gid = static_cast<gid_t>(std::stoul(m[2]));

    struct stat dir = stat_of(root, "/home/ec2-user/.ssh");
    CHECK((dir.st_mode & 07777) == 0700);
    CHECK(dir.st_uid == uid);
    CHECK(dir.st_gid == gid);
    struct stat keys = stat_of(root, "/home/ec2-user/.ssh/authorized_keys");
    CHECK(S_ISREG(keys.st_mode));
    CHECK((keys.st_mode & 07777) == 0600);
    CHECK(keys.st_uid == uid);
    std::string authorized = root.read("/home/ec2-user/.ssh/authorized_keys");
    CHECK(count(authorized, k_metadata_key_blob) == 1);
    CHECK(count(authorized, "AAAAC3NzaC1lZDI1NTE5AAAAIPwy+SbMHFwLruOyKALGF4eYDe197zruh/qBv/0NNEz2 oncall@example.com") == 1);

    CHECK(root.read("/tmp/runs") == "runcmd-line-1\nargv item\n");
    std::string status = root.read("/run/kindling/status.json");
    CHECK(status.find("\"status\": \"done\"") != std::string::npos);
    CHECK(status.find("\"instance_id\": \"i-1234567890abcdef0\"") != std::string::npos);

    // Every request carried a token except the single token PUT.
    auto requests = imds.requests();
    REQUIRE(!requests.empty());
    CHECK(requests[0].method == "PUT");
    CHECK(requests[0].path == "/latest/api/token");
    for (std::size_t i = 1; i < requests.size(); ++i) {
        INFO(requests[i].path);
        CHECK(requests[i].method == "GET");
        CHECK(requests[i].has_token);
    }
    // User data is 0600 and never appears in the log.
    CHECK((stat_of(root, "/var/lib/kindling/instances/i-1234567890abcdef0/user-data.raw").st_mode & 07777) == 0600);
    CHECK(root.read("/var/log/kindling.log").find("runcmd-line-1") == std::string::npos);
}

TEST_CASE("a reboot on the same instance re-runs nothing per-instance", "[integration][first_boot]") {
    ScratchRoot root = ScratchRoot::with_usr();
    fake_imds::Server imds(fake_options(k_user_data));
    imds.start();
    std::string config = write_config(root, imds.url());
    auto first = test::run_kindling({"run", "--root", root.path().string(), "--config", config});
    REQUIRE(first.exit_code == 0);
    std::string keys_before = root.read("/home/ec2-user/.ssh/authorized_keys");
    std::string passwd_before = root.read("/etc/passwd");

    auto second = test::run_kindling({"run", "--root", root.path().string(), "--config", config});
    INFO(second.err);
    REQUIRE(second.exit_code == 0);
    CHECK(root.read("/tmp/runs") == "runcmd-line-1\nargv item\n");
    CHECK(root.read("/home/ec2-user/.ssh/authorized_keys") == keys_before);
    CHECK(root.read("/etc/passwd") == passwd_before);
    CHECK(second.err.find("module runcmd: skipped (per-instance, already ran for i-1234567890abcdef0)") != std::string::npos);
}

TEST_CASE("a new instance id runs the per-instance modules again", "[integration][first_boot]") {
    ScratchRoot root = ScratchRoot::with_usr();
    fake_imds::Server imds(fake_options(k_user_data));
    imds.start();
    std::string config = write_config(root, imds.url());
    REQUIRE(test::run_kindling({"run", "--root", root.path().string(), "--config", config}).exit_code == 0);

    imds.set_value("/latest/meta-data/instance-id", "i-0fedcba9876543210");
    auto r = test::run_kindling({"run", "--root", root.path().string(), "--config", config});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(root.read("/tmp/runs") == "runcmd-line-1\nargv item\nruncmd-line-1\nargv item\n");
    CHECK(root.read("/var/lib/kindling/data/instance-id") == "i-0fedcba9876543210\n");
    CHECK(root.read("/var/lib/kindling/data/previous-instance-id") == "i-1234567890abcdef0\n");
    // Keys are merged by blob: the second run adds no duplicate.
    CHECK(count(root.read("/home/ec2-user/.ssh/authorized_keys"), k_metadata_key_blob) == 1);
}

TEST_CASE("a token revoked mid-run is refreshed and the request retried", "[integration][first_boot]") {
    ScratchRoot root = ScratchRoot::with_usr();
    fake_imds::Server imds(fake_options(k_user_data));
    imds.update_faults([](fake_imds::Faults& f) { f.revoke_tokens_after = 3; });
    imds.start();
    std::string config = write_config(root, imds.url());
    auto r = test::run_kindling({"run", "--root", root.path().string(), "--config", config});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto requests = imds.requests();
    int puts = 0, unauthorized = 0;
    for (const auto& q : requests) {
        puts += q.method == "PUT";
        unauthorized += q.status == 401;
    }
    CHECK(puts == 2);
    CHECK(unauthorized == 1);
    CHECK(root.read("/etc/hostname") == "web-01\n");
}

TEST_CASE("an IMDS that never answers ends the run at the deadline with a clear message", "[integration][first_boot]") {
    ScratchRoot root;
    fake_imds::Server imds(fake_options(k_user_data));
    imds.update_faults([](fake_imds::Faults& f) { f.hang = true; });
    imds.start();
    std::string config = write_config(root, imds.url(), 3);
    auto started = std::chrono::steady_clock::now();
    auto r = test::run_kindling({"run", "--root", root.path().string(), "--config", config});
    auto took = std::chrono::steady_clock::now() - started;
    imds.stop();
    CHECK(r.exit_code == 69);
    CHECK(r.err.find("ERROR [init] boot: imds: ") != std::string::npos);
    CHECK(r.err.find("deadline") != std::string::npos);
    // A sanity bound, not a speed target: the 3 s deadline plus generous slack.
    CHECK(took < std::chrono::seconds(30));
    std::string status = root.read("/run/kindling/status.json");
    CHECK(status.find("\"status\": \"error\"") != std::string::npos);
    CHECK_FALSE(root.exists("/etc/hostname.kindling"));
}

TEST_CASE("a per-instance script that reboots the machine does not run again on the next boot",
          "[integration][first_boot][semaphore]") {
    // The script kills kindling (its parent) the way a `reboot` would end the run.
    ScratchRoot root = ScratchRoot::with_usr();
    fake_imds::Server imds(fake_options("#!/bin/sh\necho ran >> /tmp/script-runs\nkill -KILL $PPID\n"));
    imds.start();
    std::string config = write_config(root, imds.url());
    auto first = test::run_kindling({"run", "--root", root.path().string(), "--config", config});
    CHECK(first.exit_code != 0);  // killed
    CHECK(root.read("/tmp/script-runs") == "ran\n");

    auto second = test::run_kindling({"run", "--root", root.path().string(), "--config", config});
    INFO(second.err);
    CHECK(second.exit_code == 0);
    CHECK(root.read("/tmp/script-runs") == "ran\n");
    CHECK(second.err.find("module scripts_user: skipped (per-instance, already ran") != std::string::npos);
}

TEST_CASE("an idempotent module that failed is retried on the next boot", "[integration][first_boot][semaphore]") {
    ScratchRoot root = ScratchRoot::with_usr();
    // The default user exists, but a file stands where its home directory should be.
    root.append("/etc/passwd", "ec2-user:x:1000:1000::/home/ec2-user:/bin/sh\n");
    root.append("/etc/group", "ec2-user:x:1000:\nadm:x:4:ec2-user\n");
    root.append("/etc/shadow", "ec2-user:!:19000:0:99999:7:::\n");
    root.append("/etc/gshadow", "ec2-user:!::\nadm:!::ec2-user\n");
    root.write("/home/ec2-user", "not a directory\n");
    fake_imds::Server imds(fake_options(std::nullopt));
    imds.start();
    std::string config = write_config(root, imds.url());

    auto first = test::run_kindling({"run", "--root", root.path().string(), "--config", config});
    INFO(first.err);
    CHECK(first.exit_code == 1);
    CHECK(first.err.find("module ssh: failed") != std::string::npos);
    CHECK_FALSE(root.exists("/var/lib/kindling/instances/i-1234567890abcdef0/sem/ssh"));

    std::filesystem::remove(root.host("/home/ec2-user"));
    root.mkdir("/home/ec2-user", 0755, 1000, 1000);
    auto second = test::run_kindling({"run", "--root", root.path().string(), "--config", config});
    INFO(second.err);
    CHECK(second.exit_code == 0);
    CHECK(count(root.read("/home/ec2-user/.ssh/authorized_keys"), k_metadata_key_blob) == 1);
    CHECK(root.exists("/var/lib/kindling/instances/i-1234567890abcdef0/sem/ssh"));
}

TEST_CASE("init and final run as separate processes, as systemd starts them", "[integration][first_boot]") {
    ScratchRoot root = ScratchRoot::with_usr();
    fake_imds::Server imds(fake_options(k_user_data));
    imds.start();
    std::string config = write_config(root, imds.url());

    auto init = test::run_kindling({"init", "--root", root.path().string(), "--config", config});
    INFO(init.err);
    REQUIRE(init.exit_code == 0);
    CHECK(root.read("/etc/hostname") == "web-01\n");
    CHECK_FALSE(root.exists("/tmp/runs"));
    auto requests_after_init = imds.requests().size();
    auto status = test::run_kindling({"status", "--root", root.path().string()});
    CHECK(status.out == "status: running\n");

    auto final_run = test::run_kindling({"final", "--root", root.path().string(), "--config", config});
    INFO(final_run.err);
    REQUIRE(final_run.exit_code == 0);
    CHECK(root.read("/tmp/runs") == "runcmd-line-1\nargv item\n");
    // The final stage works from what init stored: no metadata requests.
    CHECK(imds.requests().size() == requests_after_init);
    status = test::run_kindling({"status", "--root", root.path().string()});
    CHECK(status.out == "status: done\n");
    CHECK(status.exit_code == 0);
}

TEST_CASE("without a kindling.yaml in the root the built-in default runs, --imds-endpoint overriding its endpoints",
          "[integration][first_boot]") {
    ScratchRoot root = ScratchRoot::with_usr();
    fake_imds::Server imds(fake_options("#cloud-config\nssh_genkeytypes: [ed25519]\nhostname: plain-01\n"));
    imds.start();
    auto r = test::run_kindling({"run", "--root", root.path().string(), "--imds-endpoint", imds.url()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(root.read("/etc/hostname") == "plain-01\n");
    // The shipped pipeline ran: final_message wrote boot-finished.
    CHECK(root.exists("/var/lib/kindling/instances/i-1234567890abcdef0/boot-finished"));
    // The default user from the shipped config, with the metadata key.
    CHECK(count(root.read("/home/ec2-user/.ssh/authorized_keys"), k_metadata_key_blob) == 1);
}

TEST_CASE("--imds-endpoint that is not http://HOST[:PORT] is a usage error (64) and nothing is fetched or written",
          "[integration][first_boot][cli]") {
    ScratchRoot root = ScratchRoot::with_usr();
    for (const char* bad : {"not-a-url", "https://127.0.0.1:1", "http://127.0.0.1:1/latest"}) {
        INFO(bad);
        auto r = test::run_kindling({"run", "--root", root.path().string(), "--imds-endpoint", bad});
        CHECK(r.exit_code == 64);
        CHECK(r.err.find(std::string("kindling run: --imds-endpoint '") + bad + "': ") != std::string::npos);
        CHECK_FALSE(root.exists("/var/lib/kindling"));
        CHECK_FALSE(root.exists("/run/kindling"));
    }
}

TEST_CASE("a warning about the user data is reported once, at its line, not again by each stage",
          "[integration][first_boot]") {
    ScratchRoot root = ScratchRoot::with_usr();
    fake_imds::Server imds(fake_options("#cloud-config\nssh_genkeytypes: [ed25519]\nhostnme: web-02\n"
                                        "users:\n- default\n- {name: bob, ssh_import_id: [gh:bob]}\n"));
    imds.start();
    std::string config = write_config(root, imds.url());
    auto r = test::run_kindling({"run", "--root", root.path().string(), "--config", config});
    INFO(r.err);
    CHECK(r.exit_code == 2);  // degraded: the unknown key was skipped
    const std::string status = root.read("/run/kindling/status.json");
    CHECK(count(status, "hostnme") == 1);
    CHECK(count(status, "user-data part 1, line 3, column 1: hostnme: unknown key, ignoring (did you mean 'hostname'?)") == 1);
    CHECK(count(r.err, "hostnme") == 1);
    // A module's own warning (a key it does not apply) too.
    const std::string unsupported = "ssh_import_id: not supported by kindling, not applied";
    CHECK(count(status, unsupported) == 1);
    CHECK(count(status, "user-data part 1, line 6, column 15: users[1]." + unsupported) == 1);
    CHECK(count(r.err, unsupported) == 1);
}

TEST_CASE("without kindling.yaml the drop-ins still apply, on top of the built-in default",
          "[integration][first_boot]") {
    ScratchRoot root = ScratchRoot::with_usr();
    fake_imds::Server imds(fake_options("#cloud-config\nssh_genkeytypes: [ed25519]\n"));
    imds.start();
    SECTION("a valid drop-in changes the default user") {
        root.write("/etc/kindling/kindling.yaml.d/50-image.yaml", "default_user: {name: admin, groups: [adm]}\n", 0644);
        auto r = test::run_kindling({"run", "--root", root.path().string(), "--imds-endpoint", imds.url()});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(count(root.read("/etc/passwd"), "\nadmin:") == 1);
        CHECK(count(root.read("/etc/passwd"), "ec2-user") == 0);
        CHECK(count(root.read("/home/admin/.ssh/authorized_keys"), k_metadata_key_blob) == 1);
    }
    SECTION("an invalid drop-in stops the boot with its file and line") {
        root.write("/etc/kindling/kindling.yaml.d/50-image.yaml", "\nbogus: 1\n", 0644);
        auto r = test::run_kindling({"run", "--root", root.path().string(), "--imds-endpoint", imds.url()});
        CHECK(r.exit_code == 78);
        CHECK(count(r.err, "/etc/kindling/kindling.yaml.d/50-image.yaml, line 2, column 1: bogus: unknown key") == 1);
        CHECK(imds.requests().empty());
        CHECK_FALSE(root.exists("/var/lib/kindling"));
    }
}

TEST_CASE("final run on its own reads quoted values back as strings (permissions '644', '4755')",
          "[integration][first_boot]") {
    ScratchRoot root = ScratchRoot::with_usr();
    fake_imds::Server imds(fake_options("#cloud-config\nssh_genkeytypes: [ed25519]\nwrite_files:\n"
                                        "- {path: /etc/d1, content: a, permissions: '644', defer: true}\n"
                                        "- {path: /opt/bin/d2, content: b, permissions: '4755', defer: true}\n"
                                        "- {path: /etc/d3, content: 'yes', defer: true}\n"));
    imds.start();
    // The built-in default pipeline: write_files_deferred runs in final.
    auto init = test::run_kindling({"init", "--root", root.path().string(), "--imds-endpoint", imds.url()});
    INFO(init.err);
    REQUIRE(init.exit_code == 0);
    auto final_run = test::run_kindling({"final", "--root", root.path().string()});
    INFO(final_run.err);
    REQUIRE(final_run.exit_code == 0);
    CHECK((stat_of(root, "/etc/d1").st_mode & 07777) == 0644);
    CHECK((stat_of(root, "/opt/bin/d2").st_mode & 07777) == 04755);
    CHECK(root.read("/etc/d3") == "yes");
}
