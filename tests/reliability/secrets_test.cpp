// Secrets planted everywhere a boot handles them -- the IMDS token, the user
// data, a password hash, a plain-text password, script output -- and searched
// for everywhere they must never be: kindling's stdout and stderr at debug
// level, /var/log/kindling.log, status.json, result.json and every file under
// the root that others can read. Where they belong (user data, the sensitive
// instance data) the files are root-only.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/support/boot_fixture.hpp"
#include "tests/support/reliability_tally.hpp"

namespace fs = std::filesystem;
using namespace kindling;
using kindling::test::BootFixture;
using kindling::test::BootOptions;
using kindling::test::tally::Kind;

namespace {

const std::string k_token_marker = "TOKENMARKER4c1e";
const std::string k_user_data_marker = "USERDATAMARKER9b7d";
const std::string k_hash_marker = "HASHMARKER2f8a";
const std::string k_password_marker = "PLAINPASSMARKER51c0";
const std::string k_output_marker = "SCRIPTOUTPUTMARKER7e3b";
const std::vector<std::string> k_markers{k_token_marker, k_user_data_marker, k_hash_marker, k_password_marker,
                                         k_output_marker};

const std::string k_user_data =
    "Content-Type: multipart/mixed; boundary=\"S\"\nMIME-Version: 1.0\n\n"
    "--S\nContent-Type: text/cloud-config\n\n"
    "#cloud-config\n"
    "# " + k_user_data_marker + "\n"
    "write_files:\n"
    "  - path: /etc/app/token\n    content: \"" + k_user_data_marker + "\\n\"\n    permissions: '0600'\n"
    "users:\n"
    "  - default\n"
    "  - name: carol\n    shell: /bin/sh\n    lock_passwd: false\n"
    "    passwd: \"$6$saltsalt$" + k_hash_marker + "\"\n"
    "  - name: dave\n    shell: /bin/sh\n    lock_passwd: false\n    plain_text_passwd: \"" + k_password_marker + "\"\n"
    "runcmd:\n  - echo " + k_output_marker + "-runcmd; echo " + k_output_marker + "-runcmd-err >&2\n"
    "--S\nContent-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"talk.sh\"\n\n"
    "#!/bin/sh\necho " + k_output_marker + "-script\necho " + k_output_marker + "-script-err >&2\n"
    "--S--\n";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> markers_in(const std::string& text) {
    std::vector<std::string> found;
    for (const std::string& m : k_markers) {
        if (text.find(m) != std::string::npos) found.push_back(m);
    }
    return found;
}

mode_t mode_of(const test::ScratchRoot& root, const std::string& inside) {
    struct stat st {};
    REQUIRE(::lstat(root.host(inside).c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("planted secrets reach no log, no status file and no file others can read",
          "[integration][reliability][secrets]") {
    BootOptions o;
    o.user_data = k_user_data;
    o.token_prefix = k_token_marker;
    o.init_stage = "[write_files, users_groups]";
    o.final_stage = "[scripts_user, runcmd]";
    BootFixture boot(o);
    test::tally::tried(Kind::hostile_input, k_markers.size());

    auto r = boot.run({}, test::Isolation::none, {"--debug"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    // The markers did reach the places meant for them (so the search below can fail).
    REQUIRE(boot.root.read("/etc/app/token") == k_user_data_marker + "\n");
    REQUIRE(boot.root.read("/etc/shadow").find(k_hash_marker) != std::string::npos);
    REQUIRE(boot.root.read("/var/log/kindling-output.log").find(k_output_marker + "-script-err") != std::string::npos);
    REQUIRE(boot.root.read("/run/kindling/instance-data-sensitive.json").find(k_user_data_marker) != std::string::npos);
    bool token_used = false;
    for (const auto& q : boot.imds.requests()) token_used |= q.has_token;
    REQUIRE(token_used);

    CHECK(markers_in(r.out).empty());
    CHECK(markers_in(r.err).empty());
    for (const char* file : {"/var/log/kindling.log", "/run/kindling/status.json", "/run/kindling/result.json",
                             "/run/kindling/instance-data.json"}) {
        INFO(file);
        if (boot.root.exists(file)) CHECK(markers_in(boot.root.read(file)).empty());
    }
    CHECK(boot.root.exists("/run/kindling/status.json"));

    // No file others can read holds a marker, and the token is in no file at all.
    std::size_t files = 0;
    for (auto it = fs::recursive_directory_iterator(boot.root.path()); it != fs::recursive_directory_iterator(); ++it) {
        const std::string inside = "/" + fs::relative(it->path(), boot.root.path()).string();
        if (inside == "/usr" || inside == "/dev" || inside.starts_with("/tmp/")) {
            if (it->is_directory()) it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file() || it->is_symlink()) continue;
        ++files;
        INFO(inside);
        const std::string text = slurp(it->path());
        CHECK(text.find(k_token_marker) == std::string::npos);
        if (mode_of(boot.root, inside) & 0004) CHECK(markers_in(text).empty());
    }
    CHECK(files > 10);

    // Root-only where secrets belong; the redacted instance data is for everyone.
    CHECK(mode_of(boot.root, "/var/log/kindling.log") == 0640);
    CHECK((mode_of(boot.root, "/var/log/kindling-output.log") & 0007) == 0);
    CHECK(mode_of(boot.root, "/run/kindling/instance-data.json") == 0644);
    CHECK(mode_of(boot.root, "/run/kindling/instance-data-sensitive.json") == 0600);
    const std::string instance = "/var/lib/kindling/instances/i-1234567890abcdef0";
    CHECK(mode_of(boot.root, instance + "/user-data.raw") == 0600);
    CHECK(mode_of(boot.root, instance + "/cloud-config.yaml") == 0600);
    CHECK((mode_of(boot.root, instance + "/scripts/talk.sh") & 0077) == 0);
    CHECK((mode_of(boot.root, instance + "/scripts") & 0077) == 0);
}
