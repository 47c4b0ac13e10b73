// Tests modules/set_hostname.cpp and the shared modules/hostname_rules against
// a ScratchRoot: exact bytes, modes and owners of /etc/hostname and the
// set-hostname record. No command is run; the running hostname is never set
// because the root is not "/" (asserted).
#include <unistd.h>

#include <catch2/catch.hpp>

#include "modules/hostname_rules.hpp"
#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"

using namespace kindling;
using test::ModuleHarness;
using test::Stat;

namespace {

const pipeline::ModuleSpec& spec() { return *modules::builtin_registry().find("set_hostname"); }

std::string example(int n) {
    return test::source_file("tests/data/cloud-init/module-docs/cc_set_hostname/example" + std::to_string(n) + ".yaml");
}

std::string kernel_hostname() {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    return buf;
}

constexpr const char* k_record = "/var/lib/kindling/data/set-hostname";

}  // namespace

TEST_CASE("set_hostname doc example 1 (preserve_hostname) leaves everything alone", "[module][set_hostname]") {
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-10-0-0-1.ec2.internal";
    h.scratch.write("/etc/hostname", "image-name\n");
    h.parse_clean(example(1));
    CHECK(h.run().summary == "preserve_hostname is set, hostname left as it is");
    CHECK(h.scratch.read("/etc/hostname") == "image-name\n");
    CHECK_FALSE(h.scratch.exists(k_record));
}

TEST_CASE("set_hostname doc example 2 writes the FQDN when it is preferred", "[module][set_hostname]") {
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-10-0-0-1.ec2.internal";
    h.parse_clean(example(2));
    const std::string kernel_before = kernel_hostname();
    CHECK(h.run().summary == "hostname set to myhost.example.com in /etc/hostname");
    CHECK(h.scratch.read("/etc/hostname") == "myhost.example.com\n");
    CHECK(test::stat_of(h.scratch, "/etc/hostname") == Stat{0644, 0, 0});
    CHECK(h.scratch.read(k_record) == "myhost\nmyhost.example.com\n");
    CHECK(kernel_hostname() == kernel_before);  // the scratch root is not "/"
}

TEST_CASE("set_hostname with create_hostname_file false does not create /etc/hostname", "[module][set_hostname]") {
    // The doc's example 3 (its file is missing from the corpus): on a machine
    // without /etc/hostname, don't create it.
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-10-0-0-1.ec2.internal";
    h.parse_clean("create_hostname_file: false\n");
    CHECK(h.run().summary == "hostname set to ip-10-0-0-1");
    CHECK_FALSE(h.scratch.exists("/etc/hostname"));

    ModuleHarness existing(spec());
    existing.instance.local_hostname = "ip-10-0-0-1.ec2.internal";
    existing.scratch.write("/etc/hostname", "old\n");
    existing.parse_clean("create_hostname_file: false\n");
    existing.run();
    CHECK(existing.scratch.read("/etc/hostname") == "ip-10-0-0-1\n");
}

TEST_CASE("set_hostname takes the short name from an EC2 local-hostname", "[module][set_hostname]") {
    struct Case {
        const char* local_hostname;
        const char* config;
        const char* written;
    };
    const Case cases[] = {
        {"ip-172-16-34-43.ec2.internal", "{}", "ip-172-16-34-43\n"},
        {"172.16.34.43", "{}", "ip-172-16-34-43\n"},
        {"ip-172-16-34-43.ec2.internal", "prefer_fqdn_over_hostname: true", "ip-172-16-34-43.ec2.internal\n"},
        {"ip-172-16-34-43.ec2.internal", "hostname: web", "web\n"},
        {"ip-172-16-34-43.ec2.internal", "hostname: web.corp.example", "web\n"},
        {"ip-172-16-34-43.ec2.internal", "fqdn: db.corp.example", "db\n"},
        {"i-0123456789abcdef0.us-west-2.compute.internal", "{}", "i-0123456789abcdef0\n"},
    };
    for (const Case& c : cases) {
        INFO(c.local_hostname << " + " << c.config);
        ModuleHarness h(spec());
        h.instance.local_hostname = c.local_hostname;
        h.parse_clean(c.config);
        h.run();
        CHECK(h.scratch.read("/etc/hostname") == c.written);
    }
}

TEST_CASE("a preferred FQDN longer than 64 bytes falls back to its first label", "[module][set_hostname]") {
    const std::string fqdn = "node-1." + std::string(60, 'a') + ".example.com";
    ModuleHarness h(spec());
    h.parse_clean("fqdn: " + fqdn + "\nprefer_fqdn_over_hostname: true\n");
    h.run();
    CHECK(h.scratch.read("/etc/hostname") == "node-1\n");
    CHECK(modules::select_hostname({"node-1", fqdn}, true) == "node-1");
    CHECK(modules::select_hostname({"h", std::string(64, 'b')}, true) == std::string(64, 'b'));
}

TEST_CASE("comment lines in /etc/hostname are kept", "[module][set_hostname]") {
    ModuleHarness h(spec());
    h.scratch.write("/etc/hostname", "# set by the image\nold-name\n");
    h.parse_clean("hostname: new-name\n");
    h.run();
    CHECK(h.scratch.read("/etc/hostname") == "# set by the image\nnew-name\n");
}

TEST_CASE("set_hostname run twice, or after a change by hand, changes nothing", "[module][set_hostname]") {
    ModuleHarness h(spec());
    h.parse_clean("fqdn: app.example.com\n");
    h.run();
    CHECK(h.scratch.read("/etc/hostname") == "app\n");
    CHECK(h.run().summary == "hostname app unchanged since it was set");
    CHECK(h.scratch.read("/etc/hostname") == "app\n");
    h.scratch.write("/etc/hostname", "by-hand\n");
    h.run();
    CHECK(h.scratch.read("/etc/hostname") == "by-hand\n");
}

TEST_CASE("set_hostname without any name fails", "[module][set_hostname]") {
    ModuleHarness h(spec());
    h.parse_clean("{}");
    CHECK_THROWS_WITH(h.run(), "no hostname in cloud-config and no local-hostname in metadata");
}

TEST_CASE("an invalid metadata local-hostname fails the module", "[module][set_hostname]") {
    ModuleHarness h(spec());
    h.instance.local_hostname = "bad_name.ec2.internal";
    h.parse_clean("{}");
    CHECK_THROWS_WITH(h.run(),
                      "metadata local-hostname: 'bad_name' is not a valid hostname: '_' is not allowed "
                      "(letters, digits, '-' and '.' only)");
    CHECK_FALSE(h.scratch.exists("/etc/hostname"));
}

TEST_CASE("hostname keys with wrong types or invalid names are reported at parse time", "[module][set_hostname]") {
    struct Case {
        const char* yaml;
        const char* message;
    };
    const Case cases[] = {
        {"hostname: [a]", "user-data, line 1, column 11: hostname: expected a string, got a list"},
        {"fqdn: {a: 1}", "user-data, line 1, column 7: fqdn: expected a string, got a mapping"},
        {"preserve_hostname: maybe",
         "user-data, line 1, column 20: preserve_hostname: expected a boolean, got a string"},
        {"prefer_fqdn_over_hostname: 1",
         "user-data, line 1, column 28: prefer_fqdn_over_hostname: expected a boolean, got an integer"},
        {"create_hostname_file: []",
         "user-data, line 1, column 23: create_hostname_file: expected a boolean, got a list"},
        {"hostname: my_host",
         "user-data, line 1, column 11: hostname: 'my_host' is not a valid hostname: '_' is not "
         "allowed (letters, digits, '-' and '.' only)"},
        {"hostname: 'my host'",
         "user-data, line 1, column 11: hostname: 'my host' is not a valid hostname: a space is "
         "not allowed (letters, digits, '-' and '.' only)"},
        {"fqdn: host.example.com.",
         "user-data, line 1, column 7: fqdn: 'host.example.com.' is not a valid hostname: "
         "it ends with '.'"},
        {"fqdn: a..b", "user-data, line 1, column 7: fqdn: 'a..b' is not a valid hostname: empty label"},
        {"hostname: -web",
         "user-data, line 1, column 11: hostname: '-web' is not a valid hostname: label '-web' "
         "starts or ends with '-'"},
        {"hostname: ''", "user-data, line 1, column 11: hostname: an empty hostname is not valid"},
    };
    for (const Case& c : cases) {
        INFO(c.yaml);
        ModuleHarness h(spec());
        config::Report report = h.parse(c.yaml);
        CHECK(test::formatted(report) == std::vector<std::string>{c.message});
        CHECK(report.has_errors());
    }
    const std::string long_label(64, 'x');
    CHECK(modules::hostname_problem(long_label + ".com") ==
          "'" + long_label + ".com' is not a valid hostname: label '" + long_label + "' is longer than 63 characters");
    const std::string too_long = std::string(127, 'a') + "." + std::string(127, 'b');
    CHECK(modules::hostname_problem(too_long) ==
          "'" + too_long + "' is not a valid hostname: 255 characters (at most 253)");
    CHECK_FALSE(modules::hostname_problem("ip-172-16-34-43.ec2.internal"));
}
