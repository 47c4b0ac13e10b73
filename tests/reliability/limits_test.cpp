// Limits from agent/core/limits.hpp met by a whole boot: user data over the
// size cap as IMDS serves it, cloud-config parts that merge past the YAML node
// limit, hostnames longer than the kernel or DNS allow, write_files paths past
// NAME_MAX and PATH_MAX. Each fails with an error naming
// the limit, and nothing is half-applied.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <filesystem>

#include "agent/core/limits.hpp"
#include "tests/support/boot_fixture.hpp"
#include "tests/support/reliability_tally.hpp"

using namespace kindling;
using kindling::test::BootFixture;
using kindling::test::BootOptions;
using kindling::test::tally::Kind;

namespace {

BootOptions boot_with(std::string user_data) {
    BootOptions o;
    o.user_data = std::move(user_data);
    o.init_stage = "[write_files, set_hostname]";
    o.final_stage = "[runcmd]";
    return o;
}

// `count` MIME cloud-config parts, each within limits::k_yaml_nodes on its own
// (160807 nodes once its 400 aliases of a 400-item list are expanded) but
// appending its runcmd to the others': merged, five make 800000 nodes.
std::string appending_parts(int count) {
    std::string items, aliases;
    for (int i = 0; i < 400; ++i) {
        items += i ? ", x" : "x";
        aliases += i ? ", *a" : "*a";
    }
    std::string out = "Content-Type: multipart/mixed; boundary=\"B\"\nMIME-Version: 1.0\n\n";
    for (int i = 0; i < count; ++i) {
        out += "--B\nContent-Type: text/cloud-config\n\n#cloud-config\n"
               "merge_how: \"list(append)+dict(recurse_array)\"\na: &a [" + items + "]\nruncmd: [" + aliases + "]\n";
    }
    return out + "--B--\n";
}

// The largest resident set of any child this process has waited for, in MiB.
long children_peak_mib() {
    rusage usage{};
    ::getrusage(RUSAGE_CHILDREN, &usage);
    return usage.ru_maxrss / 1024;
}

}  // namespace

TEST_CASE("cloud-config parts that would merge past the node limit are refused by name before they are copied",
          "[integration][reliability][limits]") {
    const std::string user_data = appending_parts(5);
    std::vector<std::string> problems;
    for (int part = 2; part <= 5; ++part) {
        problems.push_back("user-data part " + std::to_string(part) +
                           ": merged cloud-config too large: with this part's 160807 nodes it would have more than "
                           "200000 nodes with aliases expanded (160808 from the parts before)");
    }
    BootOptions o = boot_with(user_data);
    o.final_stage = "[]";  // part 1's runcmd is 400 commands
    BootFixture boot(o);
    test::tally::tried(Kind::hostile_input);

    auto r = boot.run();
    INFO(r.err.substr(0, 4000));
    CHECK(r.exit_code == 2);
    for (const std::string& p : problems) CHECK(test::count_of(r.err, p + ", skipped\n") == 1);
    const std::string status = boot.root.read("/run/kindling/status.json");
    CHECK(test::count_of(status, "rejected (merged cloud-config too large)") == 4);
    // Part 1 alone is merged: its list `a` of 400 items and its 400 commands of 400 arguments each.
    const std::string stored = boot.root.read("/var/lib/kindling/instances/i-1234567890abcdef0/cloud-config.yaml");
    CHECK(test::count_of(stored, "- x\n") == 400 + 400 * 400);

    // `kindling schema` refuses the same parts with the same messages.
    boot.root.write("/tmp/ud", user_data);
    const std::string file = boot.root.host("/tmp/ud").string();
    auto schema = test::run_kindling({"schema", file});
    CHECK(schema.exit_code == 65);
    for (std::string p : problems) {
        p.replace(0, std::string("user-data").size(), file);
        CHECK(test::count_of(schema.out, "error: " + p + "\n") == 1);
    }
    // Neither grew anywhere near the 730 MB the merge took before the limit
    // (AddressSanitizer's shadow memory and quarantine add a few hundred MB).
#if defined(__SANITIZE_ADDRESS__)
    constexpr long k_peak_mib = 2048;
#else
    constexpr long k_peak_mib = 256;
#endif
    CHECK(children_peak_mib() < k_peak_mib);
}

TEST_CASE("user data one byte over the size cap stops the boot before any module runs",
          "[integration][reliability][limits]") {
    std::string user_data = "#cloud-config\nruncmd: [touch /var/tmp/ran]\n# ";
    user_data.resize(limits::k_user_data_bytes + 1, 'x');
    BootFixture boot(boot_with(user_data));
    test::tally::tried(Kind::hostile_input);

    auto r = boot.run();
    INFO(r.err.substr(0, 2000));
    CHECK(r.exit_code == 69);
    CHECK(r.err.find("user-data: 1048577 bytes, over the limit of 1048576 bytes") != std::string::npos);
    CHECK(r.err.find("module ") == std::string::npos);
    CHECK_FALSE(boot.root.exists("/var/tmp/ran"));
    CHECK(boot.root.read("/run/kindling/status.json").find("over the limit of 1048576 bytes") != std::string::npos);
}

TEST_CASE("user data at exactly the size cap is accepted", "[integration][reliability][limits]") {
    std::string user_data = "#cloud-config\nruncmd: [touch /var/tmp/ran]\n# ";
    user_data.resize(limits::k_user_data_bytes, 'x');
    user_data.back() = '\n';
    BootFixture boot(boot_with(user_data));
    auto r = boot.run();
    INFO(r.err.substr(0, 2000));
    CHECK(r.exit_code == 0);
    CHECK(boot.root.exists("/var/tmp/ran"));
}

TEST_CASE("a hostname past 253 characters is refused by name; warn policy falls back to the metadata name",
          "[integration][reliability][limits]") {
    BootFixture boot(boot_with("#cloud-config\nhostname: " + std::string(300, 'a') + "\n"));
    boot.root.write("/etc/hostname", "old-name\n");
    test::tally::tried(Kind::hostile_input);

    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("user-data part 1, line 2, column 11: hostname: '" + std::string(300, 'a') +
                     "' is not a valid hostname: 300 characters (at most 253), skipped") != std::string::npos);
    // cloud-init's meaning: the bad key is dropped, the rest of the boot applies.
    CHECK(boot.root.read("/etc/hostname") == "ip-172-16-34-43\n");
}

TEST_CASE("a hostname label past 63 characters is refused by name; strict policy changes nothing",
          "[integration][reliability][limits]") {
    BootOptions o = boot_with("#cloud-config\nhostname: " + std::string(70, 'b') + "\n");
    o.extra_config = "user_data: {policy: strict}\n";
    BootFixture boot(o);
    boot.root.write("/etc/hostname", "old-name\n");
    test::tally::tried(Kind::hostile_input);

    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code == 78);
    CHECK(r.err.find("label '" + std::string(70, 'b') + "' is longer than 63 characters") != std::string::npos);
    CHECK(r.err.find("pipeline: module") == std::string::npos);
    CHECK(boot.root.read("/etc/hostname") == "old-name\n");
}

TEST_CASE("write_files paths past NAME_MAX or PATH_MAX fail validation by name and create nothing",
          "[integration][reliability][limits]") {
    const std::string long_name = "/etc/app/" + std::string(limits::k_name_bytes + 1, 'n');
    std::string long_path = "/etc/deep";
    while (long_path.size() <= limits::k_path_bytes) long_path += "/" + std::string(200, 'p');
    BootFixture boot(boot_with("#cloud-config\nwrite_files:\n"
                               "  - path: /etc/app/ok.conf\n    content: ok\n"
                               "  - path: " + long_name + "\n    content: x\n"
                               "  - path: " + long_path + "\n    content: x\n"));
    test::tally::tried(Kind::hostile_input, 2);

    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("line 5, column 11: write_files[1].path: '" + std::string(32, 'n') +
                     "...' is longer than 255 bytes (a file name)") != std::string::npos);
    CHECK(r.err.find("line 7, column 11: write_files[2].path: path is longer than 4096 bytes") != std::string::npos);
    // The section is invalid as a whole: not even the valid entry or a parent directory.
    CHECK(r.err.find("module write_files: not run: its configuration is invalid") != std::string::npos);
    CHECK_FALSE(boot.root.exists("/etc/app"));
    CHECK_FALSE(boot.root.exists("/etc/deep"));
}
