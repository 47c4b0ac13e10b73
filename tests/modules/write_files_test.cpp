// Tests modules/write_files.cpp (write_files and write_files_deferred) against
// a ScratchRoot: exact bytes, modes and owners. No command is run.
#include <catch2/catch.hpp>

#include <filesystem>

#include "agent/core/error.hpp"
#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"

using namespace kindling;
using test::ModuleHarness;
using test::Stat;

namespace {

const pipeline::ModuleSpec& spec() { return *modules::builtin_registry().find("write_files"); }
const pipeline::ModuleSpec& deferred_spec() { return *modules::builtin_registry().find("write_files_deferred"); }

std::string example(int n) {
    return test::source_file("tests/data/cloud-init/module-docs/cc_write_files/example" + std::to_string(n) + ".yaml");
}

void add_nginx(const test::ScratchRoot& scratch) {
    scratch.append("/etc/passwd", "nginx:x:101:102:nginx user:/var/lib/nginx:/usr/sbin/nologin\n");
    scratch.append("/etc/group", "nginx:x:102:\n");
}

}  // namespace

TEST_CASE("write_files doc example 1 decodes base64 as cloud-init does", "[module][write_files]") {
    ModuleHarness h(spec());
    h.parse_clean(example(1));
    CHECK(h.run().summary == "1 file written, 0 appended");
    // The example's trailing "..." is outside the base64 alphabet and dropped.
    CHECK(h.scratch.read("/etc/sysconfig/selinux") == "\n# This file controls the state of SELinux");
    CHECK(test::stat_of(h.scratch, "/etc/sysconfig/selinux") == Stat{0644, 0, 0});
    CHECK(test::stat_of(h.scratch, "/etc/sysconfig") == Stat{0755, 0, 0});
}

TEST_CASE("write_files doc example 2 appends to an existing file", "[module][write_files]") {
    ModuleHarness h(spec());
    h.scratch.write("/etc/crontab", "SHELL=/bin/sh\n", 0600);
    h.parse_clean(example(2));
    CHECK(h.run().summary == "0 files written, 1 appended");
    CHECK(h.scratch.read("/etc/crontab") == "SHELL=/bin/sh\n15 * * * * root ship_logs\n");
    CHECK(test::stat_of(h.scratch, "/etc/crontab") == Stat{0644, 0, 0});
}

TEST_CASE("write_files appends once per instance: a run retried after a failure does not append again",
          "[module][write_files]") {
    ModuleHarness h(spec());
    h.scratch.write("/etc/crontab", "SHELL=/bin/sh\n", 0600);
    h.scratch.write("/srv", "a file where a directory is needed\n", 0644);
    h.parse_clean("write_files:\n"
                  "- {path: /etc/crontab, content: \"15 * * * * root ship_logs\\n\", append: true}\n"
                  "- {path: /etc/crontab, content: \"30 * * * * root rotate\\n\", append: true}\n"
                  "- {path: /srv/app/app.conf, content: \"x\\n\"}\n");
    CHECK_THROWS_AS(h.run(), ModuleFailed);  // /srv is a file: the third entry fails
    const std::string appended = "SHELL=/bin/sh\n15 * * * * root ship_logs\n30 * * * * root rotate\n";
    CHECK(h.scratch.read("/etc/crontab") == appended);
    const std::string journal = "/var/lib/kindling/instances/i-0123456789abcdef0/write_files.appends";
    CHECK(test::stat_of(h.scratch, journal) == Stat{0600, 0, 0});

    std::filesystem::remove(h.scratch.host("/srv"));  // the cause is fixed; the next boot retries
    CHECK(h.run().summary == "1 file written, 0 appended");
    CHECK(h.scratch.read("/etc/crontab") == appended);
    CHECK(h.scratch.read("/srv/app/app.conf") == "x\n");
    bool said = false;
    for (const auto& line : h.log_lines()) {
        said = said || line.text == "/etc/crontab: appended by an earlier run of this instance, not appended again";
    }
    CHECK(said);
}

TEST_CASE("write_files appends when the recorded append never landed (a kill between journal and file)",
          "[module][write_files]") {
    ModuleHarness h(spec());
    h.scratch.write("/etc/crontab", "SHELL=/bin/sh\n", 0600);
    h.parse_clean("write_files:\n- {path: /etc/crontab, content: \"15 * * * * root ship_logs\\n\", append: true}\n");
    CHECK(h.run().summary == "0 files written, 1 appended");
    // Put the file back as it was before the append: the journal now records an
    // append whose result is not on disk, which is what a kill just before
    // the rename leaves behind.
    h.scratch.write("/etc/crontab", "SHELL=/bin/sh\n", 0644);
    CHECK(h.run().summary == "0 files written, 1 appended");
    CHECK(h.scratch.read("/etc/crontab") == "SHELL=/bin/sh\n15 * * * * root ship_logs\n");
}

TEST_CASE("write_files doc example 3 gunzips !!binary content", "[module][write_files]") {
    ModuleHarness h(spec());
    h.parse_clean(example(3));
    h.run();
    CHECK(h.scratch.read("/usr/bin/hello") == "#!/bin/sh\necho hello world\n");
    CHECK(test::stat_of(h.scratch, "/usr/bin/hello") == Stat{0755, 0, 0});
    CHECK(test::stat_of(h.scratch, "/usr/bin") == Stat{0755, 0, 0});
}

TEST_CASE("write_files doc example 4 creates an empty file", "[module][write_files]") {
    ModuleHarness h(spec());
    h.parse_clean(example(4));
    h.run();
    CHECK(h.scratch.read("/root/CLOUD_INIT_WAS_HERE").empty());
    CHECK(test::stat_of(h.scratch, "/root/CLOUD_INIT_WAS_HERE") == Stat{0644, 0, 0});
}

TEST_CASE("running write_files twice changes nothing the second time", "[module][write_files]") {
    ModuleHarness h(spec());
    h.parse_clean(example(1) + example(3).substr(std::string("#cloud-config\nwrite_files:\n").size()) +
                  example(4).substr(std::string("#cloud-config\nwrite_files:\n").size()));
    h.run();
    h.run();
    CHECK(h.scratch.read("/etc/sysconfig/selinux") == "\n# This file controls the state of SELinux");
    CHECK(h.scratch.read("/usr/bin/hello") == "#!/bin/sh\necho hello world\n");
    CHECK(test::stat_of(h.scratch, "/usr/bin/hello") == Stat{0755, 0, 0});
    CHECK(h.scratch.read("/root/CLOUD_INIT_WAS_HERE").empty());
}

TEST_CASE("deferred entries wait for write_files_deferred, which writes only them", "[module][write_files]") {
    // cloud-init's doc example 5 (nginx's user exists only after the package).
    const std::string yaml =
        "write_files:\n"
        "- path: /etc/nginx/conf.d/example.com.conf\n"
        "  content: |\n"
        "    server {\n"
        "        server_name example.com;\n"
        "    }\n"
        "  owner: 'nginx:nginx'\n"
        "  permissions: '0640'\n"
        "  defer: true\n"
        "- path: /etc/now\n"
        "  content: now\n";
    ModuleHarness init(spec());
    init.parse_clean(yaml);
    CHECK(init.run().summary == "1 file written, 0 appended");
    CHECK(init.scratch.read("/etc/now") == "now");
    CHECK_FALSE(init.scratch.exists("/etc/nginx"));

    ModuleHarness final_stage(deferred_spec());
    add_nginx(final_stage.scratch);
    final_stage.parse_clean(yaml);
    CHECK(final_stage.run().summary == "1 file written, 0 appended");
    CHECK(final_stage.scratch.read("/etc/nginx/conf.d/example.com.conf") ==
          "server {\n    server_name example.com;\n}\n");
    CHECK(test::stat_of(final_stage.scratch, "/etc/nginx/conf.d/example.com.conf") == Stat{0640, 101, 102});
    CHECK(test::stat_of(final_stage.scratch, "/etc/nginx/conf.d") == Stat{0755, 0, 0});
    CHECK_FALSE(final_stage.scratch.exists("/etc/now"));
    CHECK(deferred_spec().keys == spec().keys);
}

TEST_CASE("setuid and setgid bits survive the chown to the owner", "[module][write_files]") {
    ModuleHarness h(spec());
    add_nginx(h.scratch);
    h.parse_clean(
        "write_files:\n- {path: /usr/local/bin/tool, content: x, owner: nginx:nginx, permissions: '6755'}\n"
        "- {path: /srv/user-only, owner: nginx}\n");
    h.run();
    CHECK(test::stat_of(h.scratch, "/usr/local/bin/tool") == Stat{06755, 101, 102});
    CHECK(test::stat_of(h.scratch, "/srv/user-only") == Stat{0644, 101, 0});
}

TEST_CASE("an unknown owner fails the module before any file is written", "[module][write_files]") {
    ModuleHarness h(spec());
    h.parse_clean(
        "write_files:\n- {path: /etc/first, content: a}\n- {path: /etc/second, owner: 'ghost:root'}\n"
        "- {path: /etc/third, owner: 'root:ghosts'}\n");
    CHECK_THROWS_WITH(h.run(), "/etc/second: owner ghost: no such user in /etc/passwd");
    CHECK_FALSE(h.scratch.exists("/etc/first"));
    h.scratch.append("/etc/passwd", "ghost:x:1000:1000::/home/ghost:/bin/sh\n");
    CHECK_THROWS_WITH(h.run(), "/etc/third: group ghosts: no such group in /etc/group");
    CHECK_FALSE(h.scratch.exists("/etc/first"));
}

TEST_CASE("permissions follow YAML 1.1 integers and octal strings", "[module][write_files]") {
    struct Case {
        const char* yaml;
        mode_t mode;
    };
    const Case cases[] = {
        {"0644", 0644},  {"'0644'", 0644},     {"'644'", 0644}, {"0o755", 0755},   {"'0o755'", 0755},
        {"0x1ed", 0755}, {"\" 0600 \"", 0600}, {"0", 0},        {"'4755'", 04755},
    };
    for (const Case& c : cases) {
        ModuleHarness h(spec());
        h.parse_clean(std::string("write_files:\n- path: /f\n  permissions: ") + c.yaml + "\n");
        h.run();
        CHECK(test::stat_of(h.scratch, "/f") == Stat{c.mode, 0, 0});
    }
}

TEST_CASE("a decimal permissions integer is taken as cloud-init takes it, with a warning", "[module][write_files]") {
    ModuleHarness h(spec());
    config::Report report = h.parse("write_files:\n- path: /f\n  permissions: 644\n");
    CHECK_FALSE(report.has_errors());
    CHECK(test::formatted(report) ==
          std::vector<std::string>{"user-data, line 3, column 16: write_files[0].permissions: 644 is the decimal "
                                   "number 644, mode 1204 (as cloud-init reads it); quote it ('644') for octal"});
    h.run();
    CHECK(test::stat_of(h.scratch, "/f") == Stat{01204, 0, 0});
}

TEST_CASE("every encoding spelling decodes", "[module][write_files]") {
    // "hello\n" gzipped, and that base64-encoded.
    const std::string gz_b64 = "H4sIAAAAAAAC/8tIzcnJ5wIAIDA6NgYAAAA=";
    for (const char* enc : {"gz+b64", "gz+base64", "gzip+b64", "gzip+base64", "GZIP+BASE64"}) {
        ModuleHarness h(spec());
        h.parse_clean(std::string("write_files:\n- {path: /f, encoding: '") + enc + "', content: " + gz_b64 + "}\n");
        h.run();
        CHECK(h.scratch.read("/f") == "hello\n");
    }
    for (const char* enc : {"b64", "base64", " B64 "}) {
        ModuleHarness h(spec());
        h.parse_clean(std::string("write_files:\n- {path: /f, encoding: '") + enc + "', content: 'aGVs\n  bG8K'}\n");
        h.run();
        CHECK(h.scratch.read("/f") == "hello\n");
    }
    for (const char* enc : {"gz", "gzip"}) {
        ModuleHarness h(spec());
        h.parse_clean(std::string("write_files:\n- path: /f\n  encoding: ") + enc + "\n  content: !!binary " + gz_b64 +
                      "\n");
        h.run();
        CHECK(h.scratch.read("/f") == "hello\n");
    }
    ModuleHarness h(spec());
    h.parse_clean("write_files:\n- {path: /f, encoding: text/plain, content: 'aGVsbG8K'}\n");
    h.run();
    CHECK(h.scratch.read("/f") == "aGVsbG8K");
}

TEST_CASE("base64 is decoded as Python's b64decode decodes it", "[module][write_files]") {
    struct Case {
        const char* content;
        const char* bytes;
    };
    // Checked against Python 3.11 base64.b64decode.
    const Case ok[] = {{"QQ==", "A"}, {"QUI=", "AB"}, {"QUJD", "ABC"}, {"QQ==QUI=", "A"}, {"'Q U I=*'", "AB"}};
    for (const Case& c : ok) {
        ModuleHarness h(spec());
        INFO(c.content);
        h.parse_clean(std::string("write_files:\n- {path: /f, encoding: b64, content: ") + c.content + "}\n");
        h.run();
        CHECK(h.scratch.read("/f") == c.bytes);
    }
    ModuleHarness h(spec());
    CHECK(test::formatted(h.parse("write_files:\n- {path: /f, encoding: b64, content: QQ}\n")) ==
          std::vector<std::string>{
              "user-data, line 2, column 38: write_files[0].content: invalid base64: incorrect padding"});
    CHECK(test::formatted(h.parse("write_files:\n- {path: /f, encoding: b64, content: QUJDQ}\n")) ==
          std::vector<std::string>{"user-data, line 2, column 38: write_files[0].content: invalid base64: 5 data "
                                   "characters cannot be 1 more than a multiple of 4"});
}

TEST_CASE("a quoted number is a string: path '42' is /42, content '7' is 7", "[module][write_files]") {
    ModuleHarness h(spec());
    h.parse_clean("write_files:\n- {path: '42', content: '7', owner: 'root:root'}\n");
    h.run();
    CHECK(h.scratch.read("/42") == "7");
}

TEST_CASE("two path keys in one entry write the last path only, as cloud-init does", "[module][write_files]") {
    ModuleHarness h(spec());
    CHECK(test::formatted(h.parse("write_files:\n- path: /first\n  content: c\n  path: /last\n")) ==
          std::vector<std::string>{"user-data, line 4, column 3: write_files[0].path: duplicate key 'path': the last "
                                   "one is used, as cloud-init does"});
    h.run();
    CHECK(h.scratch.read("/last") == "c");
    CHECK_FALSE(std::filesystem::exists(h.scratch.host("/first")));
}

TEST_CASE("a relative path is taken from / as cloud-init does", "[module][write_files]") {
    ModuleHarness h(spec());
    h.parse_clean("write_files:\n- {path: etc/x/../rel.conf, content: r}\n");
    h.run();
    CHECK(h.scratch.read("/etc/rel.conf") == "r");
}

TEST_CASE("wrong types and bad values are reported exactly", "[module][write_files]") {
    struct Case {
        std::string yaml;
        std::vector<std::string> messages;
    };
    const std::vector<Case> cases = {
        {"write_files: /etc/x\n",
         {"user-data, line 1, column 14: write_files: expected a list of files, got a string"}},
        {"write_files:\n- /etc/x\n", {"user-data, line 2, column 3: write_files[0]: expected a mapping, got a string"}},
        {"write_files:\n- content: x\n", {"user-data, line 2, column 3: write_files[0]: path is required"}},
        {"write_files:\n- path: [a]\n",
         {"user-data, line 2, column 9: write_files[0].path: expected a string, got a list"}},
        {"write_files:\n- path: /x\n  content: {a: b}\n",
         {"user-data, line 3, column 12: write_files[0].content: expected a string, got a mapping"}},
        {"write_files:\n- path: /x\n  encoding: rot13\n",
         {"user-data, line 3, column 13: write_files[0].encoding: unknown encoding 'rot13' (b64, base64, gz, gzip, "
          "gz+b64, gz+base64, gzip+b64, gzip+base64 or text/plain)"}},
        {"write_files:\n- path: /x\n  encoding: b64\n  content: QQ=Q\n",
         {"user-data, line 4, column 12: write_files[0].content: invalid base64: incorrect padding"}},
        {"write_files:\n- path: /x\n  encoding: gzip\n  content: plain\n",
         {"user-data, line 4, column 12: write_files[0].content: gzip: not gzip data (no 1f 8b magic bytes)"}},
        {"write_files:\n- path: /x\n  encoding: gz+b64\n  content: H4sIAAAAAAAC/8tIzcnJ5wIAIDA6\n",
         {"user-data, line 4, column 12: write_files[0].content: gzip: truncated or corrupt data (CRC or size check "
          "failed)"}},
        {"write_files:\n- path: /x\n  owner: ':root'\n",
         {"user-data, line 3, column 10: write_files[0].owner: expected 'user:group' or 'user', got ':root'"}},
        {"write_files:\n- path: /x\n  permissions: u+x\n",
         {"user-data, line 3, column 16: write_files[0].permissions: expected an octal mode such as '0644', got "
          "'u+x'"}},
        {"write_files:\n- path: /x\n  permissions: '0999'\n",
         {"user-data, line 3, column 16: write_files[0].permissions: expected an octal mode such as '0644', got "
          "'0999'"}},
        {"write_files:\n- path: /x\n  permissions: 070000\n",
         {"user-data, line 3, column 16: write_files[0].permissions: expected an octal mode such as '0644', got "
          "'070000'"}},
        {"write_files:\n- path: /x\n  append: 'yes'\n",
         {"user-data, line 3, column 11: write_files[0].append: expected a boolean, got a string"}},
        {"write_files:\n- path: /x\n  defer: 1\n",
         {"user-data, line 3, column 10: write_files[0].defer: expected a boolean, got an integer"}},
        {"write_files:\n- path: /x\n  source: {uri: 'http://example.com/x'}\n",
         {"user-data, line 3, column 11: write_files[0].source: content from a URI is not supported yet; give the "
          "content inline"}},
        {"write_files:\n- path: /x\n  mode: '0644'\n",
         {"user-data, line 3, column 3: write_files[0].mode: unknown key"}},
        // cloud-init's schema says string: a YAML number, boolean or date is not one.
        {"write_files:\n- path: 42\n", {"user-data, line 2, column 9: write_files[0].path: expected a string, got an integer"}},
        {"write_files:\n- path: /x\n  content: 42\n",
         {"user-data, line 3, column 12: write_files[0].content: expected a string, got an integer"}},
        {"write_files:\n- path: /x\n  content: 1.5\n",
         {"user-data, line 3, column 12: write_files[0].content: expected a string, got a number"}},
        {"write_files:\n- path: /x\n  content: yes\n",
         {"user-data, line 3, column 12: write_files[0].content: expected a string, got a boolean"}},
        {"write_files:\n- path: /x\n  owner: 0\n",
         {"user-data, line 3, column 10: write_files[0].owner: expected a string, got an integer"}},
        {"write_files:\n- path: /x\n  encoding: 64\n",
         {"user-data, line 3, column 13: write_files[0].encoding: expected a string, got an integer"}},
        {"write_files:\n- path: 2024-01-01\n",
         {"user-data, line 2, column 9: write_files[0].path: expected a string, got a date"}},
    };
    for (const Case& c : cases) {
        ModuleHarness h(spec());
        INFO(c.yaml);
        CHECK(test::formatted(h.parse(c.yaml)) == c.messages);
    }
}
