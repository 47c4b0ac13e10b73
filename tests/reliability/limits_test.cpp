// Limits from agent/core/limits.hpp met by a whole boot: user data over the
// size cap as IMDS serves it, hostnames longer than the kernel or DNS allow,
// write_files paths past NAME_MAX and PATH_MAX. Each fails with an error naming
// the limit, and nothing is half-applied.
#include <catch2/catch.hpp>

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

TEST_CASE("a hostname past 253 characters is refused by name and /etc/hostname is kept",
          "[integration][reliability][limits]") {
    BootFixture boot(boot_with("#cloud-config\nhostname: " + std::string(300, 'a') + "\n"));
    boot.root.write("/etc/hostname", "old-name\n");
    test::tally::tried(Kind::hostile_input);

    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("is not a valid hostname: 300 characters (at most 253)") != std::string::npos);
    CHECK(boot.root.read("/etc/hostname") == "old-name\n");
}

TEST_CASE("a single hostname label past the kernel's 64 bytes fails set_hostname by name",
          "[integration][reliability][limits]") {
    BootFixture boot(boot_with("#cloud-config\nhostname: " + std::string(70, 'b') + "\n"));
    boot.root.write("/etc/hostname", "old-name\n");
    test::tally::tried(Kind::hostile_input);

    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find(std::string(70, 'b')) != std::string::npos);
    CHECK(r.err.find("64") != std::string::npos);
    CHECK(boot.root.read("/etc/hostname") == "old-name\n");
}

TEST_CASE("write_files paths past NAME_MAX or PATH_MAX fail by name and write nothing",
          "[integration][reliability][limits]") {
    const std::string long_name = "/etc/" + std::string(limits::k_name_bytes + 1, 'n');
    std::string long_path = "/etc";
    while (long_path.size() <= limits::k_path_bytes) long_path += "/" + std::string(200, 'p');
    BootFixture boot(boot_with("#cloud-config\nwrite_files:\n"
                               "  - path: /etc/ok.conf\n    content: ok\n"
                               "  - path: " + long_name + "\n    content: x\n"
                               "  - path: " + long_path + "\n    content: x\n"));
    test::tally::tried(Kind::hostile_input, 2);

    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("name longer than 255 bytes") != std::string::npos);
    CHECK(r.err.find("path longer than 4096 bytes") != std::string::npos);
    CHECK_FALSE(boot.root.exists("/etc/ok.conf"));
}
