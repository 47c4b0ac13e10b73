// `kindling query` against a recorded boot: exact stdout and exit codes, and the
// root-only rule for user_data, both as a decision and as a real non-root run.
#include <catch2/catch.hpp>

#include "agent/cli/query_command.hpp"
#include "tests/agent/cli/recorded_boot.hpp"
#include "tests/support/run_kindling.hpp"

using namespace kindling;
using kindling::cli::ExitCode;
using kindling::cli::QueryRequest;
using kindling::cli::Reader;
using kindling::test::ScratchRoot;

namespace {

const std::string k_redacted = pipeline::instance_info_to_json(test::recorded_instance(), "");
const std::string k_sensitive = pipeline::instance_info_to_json(test::recorded_instance(), test::k_recorded_user_data);

cli::QueryAnswer ask(const std::string& key, Reader reader = Reader::root) {
    return cli::answer_query(reader == Reader::root ? k_sensitive : k_redacted, {QueryRequest::Mode::key, key}, reader);
}

test::ProgramRun query(const ScratchRoot& root, const std::vector<std::string>& args = {}) {
    return test::kindling_on(root, "query", args);
}

// Runs kindling as nobody (setpriv drops uid, gid and groups before exec).
test::ProgramRun query_as_nobody(const ScratchRoot& root, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"--reuid=65534", "--regid=65534", "--clear-groups", KINDLING_BINARY,
                                  "query", "--root", root.path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_program("/usr/bin/setpriv", argv);
}

}  // namespace

TEST_CASE("root reads the sensitive instance data and everyone else the redacted one", "[cli]") {
    CHECK(cli::reader_of(0) == Reader::root);
    CHECK(cli::reader_of(1000) == Reader::other);
    CHECK(cli::reader_of(65534) == Reader::other);
    CHECK(cli::instance_data_path(Reader::root) == "/run/kindling/instance-data-sensitive.json");
    CHECK(cli::instance_data_path(Reader::other) == "/run/kindling/instance-data.json");
}

TEST_CASE("user_data is answered for root and refused for other users", "[cli]") {
    auto as_root = ask("user_data");
    CHECK(as_root.code == ExitCode::ok);
    CHECK(as_root.out == test::k_recorded_user_data);

    auto as_user = ask("user_data", Reader::other);
    CHECK(as_user.code == ExitCode::permission);
    CHECK(as_user.out.empty());
    CHECK(as_user.err == "kindling query: user_data is readable by root only (it may hold secrets); run as root");
}

TEST_CASE("query answers each instance data key with its value on one line", "[cli]") {
    struct Case {
        std::string key, out;
    };
    for (const Case& c : std::vector<Case>{
             {"instance_id", "i-0123456789abcdef0\n"},
             {"region", "eu-west-1\n"},
             {"availability_zone", "eu-west-1b\n"},
             {"local_hostname", "ip-10-0-0-12.eu-west-1.compute.internal\n"},
             {"hostname", "ip-10-0-0-12.eu-west-1.compute.internal\n"},
             {"local_ipv4", "10.0.0.12\n"},
             {"instance_type", "t3.micro\n"},
             {"ami_id", "ami-0abcdef1234567890\n"},
             {"public_ssh_keys",
              "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey0 alice@example.com\n"
              "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey1 bob@example.com\n"},
             {"meta_data/placement/region", "eu-west-1\n"},
             {"meta_data/placement", "{\n  \"availability-zone\": \"eu-west-1b\",\n  \"region\": \"eu-west-1\"\n}\n"},
         }) {
        INFO(c.key);
        auto a = ask(c.key, Reader::other);
        CHECK(a.code == ExitCode::ok);
        CHECK(a.out == c.out);
        CHECK(a.err.empty());
    }
}

TEST_CASE("query names a missing key and exits 1", "[cli]") {
    auto a = ask("nonsense");
    CHECK(a.code == ExitCode::error);
    CHECK(a.err == "kindling query: no key 'nonsense' in instance data (see --list-keys)");
    auto m = ask("meta_data/placement/nowhere");
    CHECK(m.code == ExitCode::error);
    CHECK(m.err == "kindling query: no key 'meta_data/placement/nowhere' in instance data (see --list-keys meta_data)");
}

TEST_CASE("list-keys lists the top-level keys, or the metadata paths under a key", "[cli]") {
    auto top = cli::answer_query(k_redacted, {QueryRequest::Mode::list_keys, ""}, Reader::other);
    CHECK(top.code == ExitCode::ok);
    CHECK(top.out ==
          "instance_id\nlocal_hostname\nhostname\nlocal_ipv4\nregion\navailability_zone\ninstance_type\nami_id\n"
          "public_ssh_keys\nmeta_data\n");
    auto with_user_data = cli::answer_query(k_sensitive, {QueryRequest::Mode::list_keys, ""}, Reader::root);
    CHECK(with_user_data.out == top.out + "user_data\n");

    auto placement = cli::answer_query(k_redacted, {QueryRequest::Mode::list_keys, "meta_data/placement"}, Reader::other);
    CHECK(placement.out == "meta_data/placement/availability-zone\nmeta_data/placement/region\n");
    auto leaf = cli::answer_query(k_redacted, {QueryRequest::Mode::list_keys, "region"}, Reader::other);
    CHECK(leaf.code == ExitCode::error);
    CHECK(leaf.err == "kindling query: 'region' is a value, it has no keys");
}

TEST_CASE("kindling query prints keys from a recorded boot", "[cli][integration]") {
    ScratchRoot root;
    test::plant_boot(root);

    auto id = query(root, {"instance_id"});
    CHECK(id.exit_code == 0);
    CHECK(id.out == "i-0123456789abcdef0\n");
    CHECK(id.err.empty());

    auto keys = query(root, {"public_ssh_keys"});
    CHECK(keys.exit_code == 0);
    CHECK(keys.out ==
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey0 alice@example.com\n"
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey1 bob@example.com\n");

    auto all = query(root, {"--all"});
    CHECK(all.exit_code == 0);
    CHECK(all.out == k_sensitive);

    auto ud = query(root, {"user_data"});
    CHECK(ud.exit_code == 0);
    CHECK(ud.out == test::k_recorded_user_data);

    auto missing = query(root, {"nonsense"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.out.empty());
    CHECK(missing.err == "kindling query: no key 'nonsense' in instance data (see --list-keys)\n");
}

TEST_CASE("kindling query refuses user_data to a user other than root and shows them the redacted data",
          "[cli][integration]") {
    ScratchRoot root;
    test::plant_boot(root);

    auto ud = query_as_nobody(root, {"user_data"});
    CHECK(ud.exit_code == 77);
    CHECK(ud.out.empty());
    CHECK(ud.err == "kindling query: user_data is readable by root only (it may hold secrets); run as root\n");

    auto all = query_as_nobody(root, {"--all"});
    CHECK(all.exit_code == 0);
    CHECK(all.out == k_redacted);
    CHECK(all.out.find("s3cr3t-user-data") == std::string::npos);

    auto id = query_as_nobody(root, {"instance_id"});
    CHECK(id.exit_code == 0);
    CHECK(id.out == "i-0123456789abcdef0\n");
}

TEST_CASE("kindling query before any boot says so and exits 66", "[cli][integration]") {
    ScratchRoot root;
    auto r = query(root, {"instance_id"});
    CHECK(r.exit_code == 66);
    CHECK(r.out.empty());
    CHECK(r.err ==
          "kindling query: /run/kindling/instance-data-sensitive.json: no instance data yet (the init stage has not run)\n");
}

TEST_CASE("kindling query needs exactly one of KEY, --all and --list-keys", "[cli][integration]") {
    ScratchRoot root;
    test::plant_boot(root);
    auto none = query(root, {});
    CHECK(none.exit_code == 64);
    CHECK(none.err == "kindling query: give a KEY, --all or --list-keys\n");
    auto both = query(root, {"--all", "region"});
    CHECK(both.exit_code == 64);
    CHECK(both.err == "kindling query: --all takes no KEY and no --list-keys\n");
}
