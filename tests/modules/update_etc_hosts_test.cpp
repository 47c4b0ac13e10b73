// Tests modules/update_etc_hosts.cpp against a ScratchRoot: exact bytes and
// modes of /etc/hosts for manage_etc_hosts false, true (template) and
// localhost. No command is run.
#include <catch2/catch.hpp>

#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"

using namespace kindling;
using test::ModuleHarness;
using test::Stat;

namespace {

const pipeline::ModuleSpec& spec() { return *modules::builtin_registry().find("update_etc_hosts"); }

std::string example(int n) {
    return test::source_file("tests/data/cloud-init/module-docs/cc_update_etc_hosts/example" + std::to_string(n) +
                             ".yaml");
}

// The shipped template rendered for ip-172-16-34-43.ec2.internal.
const std::string k_rendered =
    "# /etc/hosts, rendered by kindling on every boot because cloud-config sets\n"
    "# manage_etc_hosts: true. Edits here are lost at the next boot: change the\n"
    "# template /etc/kindling/templates/hosts.tmpl instead, or set manage_etc_hosts\n"
    "# to false (leave this file alone) or localhost (only keep the 127.0.1.1 line).\n"
    "127.0.1.1 ip-172-16-34-43.ec2.internal ip-172-16-34-43\n"
    "127.0.0.1 localhost\n"
    "\n"
    "# IPv6 loopback and multicast names\n"
    "::1 localhost ip6-localhost ip6-loopback\n"
    "ff02::1 ip6-allnodes\n"
    "ff02::2 ip6-allrouters\n";

const std::string k_image_hosts = "127.0.0.1\tlocalhost\n# keep me\n10.0.0.5  db.internal db\n";

}  // namespace

TEST_CASE("update_etc_hosts doc example 1 (false) leaves /etc/hosts alone", "[module][update_etc_hosts]") {
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
    h.scratch.write("/etc/hosts", k_image_hosts);
    h.parse_clean(example(1));
    CHECK(h.run().summary == "manage_etc_hosts is false, /etc/hosts left as it is");
    CHECK(h.scratch.read("/etc/hosts") == k_image_hosts);
}

TEST_CASE("update_etc_hosts doc example 2 (true) renders the built-in template", "[module][update_etc_hosts]") {
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
    h.scratch.write("/etc/hosts", k_image_hosts);
    h.parse_clean(example(2));
    CHECK(h.run().summary == "/etc/hosts written (rendered from the built-in template)");
    CHECK(h.scratch.read("/etc/hosts") == k_rendered);
    CHECK(test::stat_of(h.scratch, "/etc/hosts") == Stat{0644, 0, 0});
}

TEST_CASE("the built-in hosts template is the shipped etc/templates/hosts.tmpl", "[module][update_etc_hosts]") {
    ModuleHarness shipped(spec());
    shipped.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
    shipped.scratch.write("/etc/kindling/templates/hosts.tmpl", test::source_file("etc/templates/hosts.tmpl"));
    shipped.parse_clean("manage_etc_hosts: true\n");
    CHECK(shipped.run().summary == "/etc/hosts written (rendered from /etc/kindling/templates/hosts.tmpl)");
    CHECK(shipped.scratch.read("/etc/hosts") == k_rendered);
}

TEST_CASE("the root's hosts template is rendered with every substitution spelling", "[module][update_etc_hosts]") {
    ModuleHarness h(spec());
    h.scratch.write("/etc/kindling/templates/hosts.tmpl",
                    "a $fqdn $hostname\nb ${fqdn} ${hostname}x\nc {{fqdn}} {{ hostname }}\nd $other ${x} {{ y }} $\n"
                    "e $hostnames\n");
    h.parse_clean("manage_etc_hosts: true\nfqdn: web.example.com\n");
    h.run();
    CHECK(h.scratch.read("/etc/hosts") ==
          "a web.example.com web\nb web.example.com webx\nc web.example.com web\nd $other ${x} {{ y }} $\n"
          "e $hostnames\n");
}

TEST_CASE("manage_etc_hosts localhost adds the 127.0.1.1 line and keeps the rest", "[module][update_etc_hosts]") {
    // The doc's example 3 (its file is missing from the corpus).
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
    h.scratch.write("/etc/hosts", k_image_hosts, 0664, 0, 4);
    h.parse_clean("manage_etc_hosts: localhost\n");
    CHECK(h.run().summary == "/etc/hosts written (127.0.1.1 line for ip-172-16-34-43.ec2.internal)");
    CHECK(h.scratch.read("/etc/hosts") == k_image_hosts + "127.0.1.1 ip-172-16-34-43.ec2.internal ip-172-16-34-43\n");
    CHECK(test::stat_of(h.scratch, "/etc/hosts") == Stat{0664, 0, 4});
}

TEST_CASE("manage_etc_hosts localhost replaces stale 127.0.1.1 lines in place", "[module][update_etc_hosts]") {
    ModuleHarness h(spec());
    h.scratch.write("/etc/hosts", "127.0.0.1 localhost\n127.0.1.1 old.example old\n::1 localhost\n127.0.1.1 dup\n");
    h.parse_clean("manage_etc_hosts: localhost\nhostname: new\nfqdn: new.example.com\n");
    h.run();
    CHECK(h.scratch.read("/etc/hosts") == "127.0.0.1 localhost\n127.0.1.1 new.example.com new\n::1 localhost\n");
}

TEST_CASE("manage_etc_hosts localhost accepts an existing line with extra aliases", "[module][update_etc_hosts]") {
    ModuleHarness h(spec());
    const std::string hosts = "127.0.1.1\tapp.example.com extra app # mine\n";
    h.scratch.write("/etc/hosts", hosts);
    h.parse_clean("manage_etc_hosts: localhost\nfqdn: app.example.com\n");
    CHECK(h.run().summary == "/etc/hosts already up to date (127.0.1.1 line for app.example.com)");
    CHECK(h.scratch.read("/etc/hosts") == hosts);
}

TEST_CASE("manage_etc_hosts localhost creates a missing /etc/hosts", "[module][update_etc_hosts]") {
    ModuleHarness h(spec());
    h.instance.local_hostname = "172.16.34.43";
    h.parse_clean("manage_etc_hosts: localhost\n");
    h.run();
    CHECK(h.scratch.read("/etc/hosts") == "127.0.1.1 ip-172-16-34-43\n");
    CHECK(test::stat_of(h.scratch, "/etc/hosts") == Stat{0644, 0, 0});
}

TEST_CASE("manage_etc_hosts spelled as a string keeps cloud-init's meaning", "[module][update_etc_hosts]") {
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
    config::Report report = h.parse("manage_etc_hosts: \"template\"\n");
    CHECK(test::formatted(report) ==
          std::vector<std::string>{
              "user-data, line 1, column 19: manage_etc_hosts: \"template\" is deprecated, use true"});
    CHECK_FALSE(report.has_errors());
    h.run();
    CHECK(h.scratch.read("/etc/hosts") == k_rendered);

    for (const char* yaml : {"manage_etc_hosts: 'True'", "manage_etc_hosts: yes"}) {
        ModuleHarness t(spec());
        t.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
        t.parse_clean(yaml);
        t.run();
        CHECK(t.scratch.read("/etc/hosts") == k_rendered);
    }
    ModuleHarness f(spec());
    f.parse_clean("manage_etc_hosts: 'false'");
    f.run();
    CHECK_FALSE(f.scratch.exists("/etc/hosts"));
}

TEST_CASE("update_etc_hosts run twice changes nothing the second time", "[module][update_etc_hosts]") {
    for (const char* yaml : {"manage_etc_hosts: true", "manage_etc_hosts: localhost"}) {
        INFO(yaml);
        ModuleHarness h(spec());
        h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
        h.scratch.write("/etc/hosts", k_image_hosts);
        h.parse_clean(yaml);
        h.run();
        const std::string first = h.scratch.read("/etc/hosts");
        struct stat before {};
        REQUIRE(::lstat(h.scratch.host("/etc/hosts").c_str(), &before) == 0);
        CHECK(h.run().summary.starts_with("/etc/hosts already up to date"));
        struct stat after {};
        REQUIRE(::lstat(h.scratch.host("/etc/hosts").c_str(), &after) == 0);
        CHECK(before.st_ino == after.st_ino);
        CHECK(h.scratch.read("/etc/hosts") == first);
    }
}

TEST_CASE("update_etc_hosts without any name fails and writes nothing", "[module][update_etc_hosts]") {
    ModuleHarness h(spec());
    h.parse_clean("manage_etc_hosts: localhost\n");
    CHECK_THROWS_WITH(h.run(), "manage_etc_hosts is set but there is no hostname in cloud-config or metadata");
    CHECK_FALSE(h.scratch.exists("/etc/hosts"));
}

TEST_CASE("manage_etc_hosts with a wrong value is reported at parse time", "[module][update_etc_hosts]") {
    struct Case {
        const char* yaml;
        const char* message;
    };
    const Case cases[] = {
        {"manage_etc_hosts: sometimes",
         "user-data, line 1, column 19: manage_etc_hosts: expected true, false or \"localhost\", got 'sometimes'"},
        {"manage_etc_hosts: [true]",
         "user-data, line 1, column 19: manage_etc_hosts: expected true, false or \"localhost\", got a list"},
        {"manage_etc_hosts: 3",
         "user-data, line 1, column 19: manage_etc_hosts: expected true, false or \"localhost\", got '3'"},
        {"manage_etc_hosts: true\nfqdn: bad_name",
         "user-data, line 2, column 7: fqdn: 'bad_name' is not a valid hostname: '_' is not allowed (letters, digits, "
         "'-' and '.' only)"},
    };
    for (const Case& c : cases) {
        INFO(c.yaml);
        ModuleHarness h(spec());
        config::Report report = h.parse(c.yaml);
        CHECK(test::formatted(report) == std::vector<std::string>{c.message});
    }
}

TEST_CASE("a symlinked /etc/hosts planted by a user fails the module and is never written through",
          "[module][update_etc_hosts][reliability]") {
    ModuleHarness h(spec());
    h.instance.local_hostname = "ip-172-16-34-43.ec2.internal";
    h.scratch.write("/outside/victim", "precious\n", 0600, 1000, 1000);
    h.scratch.symlink("/outside/victim", "/etc/hosts", 1000, 1000);
    h.parse_clean("manage_etc_hosts: true\n");
    CHECK_THROWS_WITH(h.run(), "'/etc/hosts': refusing to follow symlink owned by uid 1000");
    CHECK(h.scratch.read("/outside/victim") == "precious\n");
}
