// Limits from agent/core/limits.hpp met by a whole boot: user data over the
// size cap as IMDS serves it, hostnames longer than the kernel or DNS allow,
// write_files paths past NAME_MAX and PATH_MAX. Each fails with an error naming
// the limit, and nothing is half-applied.
#include <catch2/catch.hpp>

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

}  // namespace

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
