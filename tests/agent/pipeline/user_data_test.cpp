// User data through a whole `kindling run` against the fake IMDS: JSON patches
// applied in part order (or not at all), parts named "user-data part N" in the
// log, status.json and messages alike, and `kindling schema` reporting what the
// boot reports for the same bytes.
#include <catch2/catch.hpp>

#include "agent/pipeline/status.hpp"
#include "tests/support/boot_fixture.hpp"
#include "tests/support/loopback_server.hpp"

using namespace kindling;
using kindling::test::BootFixture;
using kindling::test::BootOptions;

namespace {

BootOptions boot_with(std::string user_data, std::string extra_config = "") {
    BootOptions o;
    o.user_data = std::move(user_data);
    o.init_stage = "[set_hostname]";
    o.final_stage = "[]";
    o.extra_config = std::move(extra_config);
    return o;
}

std::string multipart(const std::vector<std::pair<std::string, std::string>>& parts) {
    std::string out = "Content-Type: multipart/mixed; boundary=\"B\"\nMIME-Version: 1.0\n\n";
    for (const auto& [type, body] : parts) out += "--B\nContent-Type: " + type + "\n\n" + body + "\n";
    return out + "--B--\n";
}

// The lines of `text` that contain `needle`.
std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        if (line.find(needle) != std::string::npos) out.push_back(line.substr(line.find(needle)));
        start = end + 1;
    }
    return out;
}

}  // namespace

TEST_CASE("a #cloud-config-jsonp part patches the config merged before it, and later parts merge on top",
          "[pipeline][integration][jsonp]") {
    BootFixture boot(boot_with(multipart({
        {"text/cloud-config", "#cloud-config\nhostname: one\nruncmd: [echo a]\n"},
        {"text/x-shellscript",  // re-checked by content, as cloud-init does
         "#cloud-config-jsonp\n[{\"op\": \"replace\", \"path\": \"/hostname\", \"value\": \"two\"},\n"
         " {\"op\": \"add\", \"path\": \"/runcmd/-\", \"value\": \"echo b\"},\n"
         " {\"op\": \"add\", \"path\": \"/final_message\", \"value\": \"yes\"}]"},
        {"text/cloud-config", "#cloud-config\nmerge_how: dict(recurse_array)+list(append)\nruncmd: [echo c]\n"},
    })));
    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(boot.root.read("/etc/hostname") == "two\n");
    // Stored for the final stage; the JSON string "yes" stays a string.
    CHECK(boot.root.read("/var/lib/kindling/instances/i-1234567890abcdef0/cloud-config.yaml") ==
          "hostname: two\nruncmd:\n  - echo a\n  - echo b\n  - echo c\nfinal_message: \"yes\"\n");
    auto status = pipeline::from_json(boot.root.read("/run/kindling/status.json"));
    REQUIRE(status);
    std::vector<std::string> parts;
    for (const pipeline::PartRecord& p : status->parts) parts.push_back(pipeline::describe_part(p));
    const std::vector<std::string> expected{
        "user-data part 1: text/cloud-config, 45 bytes -> cloud-config",
        "user-data part 2: text/cloud-config-jsonp, 190 bytes -> applied to cloud-config",
        "user-data part 3: text/cloud-config, 75 bytes -> cloud-config",
    };
    CHECK(parts == expected);
    // The log names the parts the same way.
    CHECK(lines_with(boot.root.read("/var/log/kindling.log"), "user-data part ") == expected);
}

TEST_CASE("a JSON patch that fails, or would leave invalid config, is skipped whole, naming part and operation",
          "[pipeline][integration][jsonp]") {
    const std::string user_data = multipart({
        {"text/cloud-config", "#cloud-config\nruncmd: [echo a]\n"},
        {"text/cloud-config-jsonp", "[{\"op\": \"add\", \"path\": \"/hostname\", \"value\": \"x\"},"
                                    " {\"op\": \"remove\", \"path\": \"/nothing\"}]"},
        {"text/cloud-config-jsonp", "[{\"op\": \"replace\", \"path\": \"/runcmd\", \"value\": 42}]"},
        {"text/cloud-config-jsonp", "[{\"op\": \"add\", \"path\": \"/runcmd\", \"value\": [\"echo d\"]}"},
    });
    const std::vector<std::string> problems{
        "user-data part 2: JSON patch operation 2 (remove '/nothing'): no key 'nothing' in the mapping at the top "
        "level",
        "user-data part 3: runcmd: expected a list of commands, got an integer (set by this JSON patch, which is not "
        "applied)",
        "user-data part 4: #cloud-config-jsonp: not valid JSON: unexpected end of text",
    };
    SECTION("warn policy: the rest applies, the boot is degraded") {
        BootFixture boot(boot_with(user_data));
        auto r = boot.run();
        INFO(r.err);
        CHECK(r.exit_code == 2);
        for (const std::string& p : problems) CHECK(lines_with(r.err, p) == std::vector<std::string>{p + ", skipped"});
        CHECK(boot.root.read("/etc/hostname") == "ip-172-16-34-43\n");  // operation 1 was not applied either
        CHECK(boot.root.read("/var/lib/kindling/instances/i-1234567890abcdef0/cloud-config.yaml") ==
              "runcmd:\n  - echo a\n");
    }
    SECTION("strict policy: nothing runs") {
        BootFixture boot(boot_with(user_data, "user_data: {policy: strict}\n"));
        boot.root.write("/etc/hostname", "old-name\n");
        auto r = boot.run();
        INFO(r.err);
        CHECK(r.exit_code == 78);
        for (const std::string& p : problems) CHECK(lines_with(r.err, p) == std::vector<std::string>{p});
        CHECK(boot.root.read("/etc/hostname") == "old-name\n");
    }
}

TEST_CASE("a duplicate key counts once, with its last value, in the merge and the modules, with a warning",
          "[pipeline][integration]") {
    BootFixture boot(boot_with(multipart({
        {"text/cloud-config", "#cloud-config\nhostname: one\nruncmd: [echo a]\nhostname: two\nruncmd: [echo b]\n"},
        {"text/cloud-config", "#cloud-config\nmerge_how: dict(recurse_array)+list(append)\nruncmd: [echo c]\n"},
    })));
    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code == 2);  // degraded: the warnings
    CHECK(boot.root.read("/etc/hostname") == "two\n");
    CHECK(boot.root.read("/var/lib/kindling/instances/i-1234567890abcdef0/cloud-config.yaml") ==
          "hostname: two\nruncmd:\n  - echo b\n  - echo c\n");
    auto status = pipeline::from_json(boot.root.read("/run/kindling/status.json"));
    REQUIRE(status);
    const std::vector<std::string> expected{
        "user-data part 1, line 4, column 1: hostname: duplicate key 'hostname': the last one is used, as cloud-init does",
        "user-data part 1, line 5, column 1: runcmd: duplicate key 'runcmd': the last one is used, as cloud-init does",
    };
    REQUIRE_FALSE(status->stages.empty());
    const pipeline::StageRecord& init = status->stages.front();
    CHECK(init.name == "init");
    CHECK(init.warnings == expected);
    CHECK(init.errors.empty());
}

TEST_CASE("a module whose keys were skipped for errors says so, as a warning in the log and in status.json",
          "[pipeline][integration]") {
    BootOptions o = boot_with("#cloud-config\nwrite_files:\n- path: 42\nruncmd: 5\n");
    o.init_stage = "[write_files, timezone]";
    o.final_stage = "[runcmd]";
    BootFixture boot(o);
    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code == 2);  // warn policy: degraded
    // The log's severity is the status.json list's: warnings, as the boot is degraded.
    for (const char* line : {"WARN  [init] userdata: user-data part 1, line 3, column 9: write_files[0].path: expected "
                             "a string, got an integer, skipped\n",
                             "WARN  [init] userdata: user-data part 1, line 4, column 9: runcmd: expected a list of "
                             "commands, got an integer, skipped\n",
                             "WARN  [init] pipeline: module write_files: not run: its configuration is invalid\n",
                             "WARN  [final] pipeline: module runcmd: not run: its configuration is invalid\n"}) {
        CHECK(r.err.find(line) != std::string::npos);
    }
    CHECK(r.err.find("ERROR") == std::string::npos);
    CHECK(lines_with(r.err, "module timezone: ") == std::vector<std::string>{"module timezone: skipped (no configuration)"});
    auto status = pipeline::from_json(boot.root.read("/run/kindling/status.json"));
    REQUIRE(status);
    REQUIRE(status->stages.size() == 2);
    for (const pipeline::StageRecord& stage : status->stages) {
        INFO(stage.name);
        CHECK(stage.errors.empty());
        CHECK(stage.state == "degraded");
        const std::string module = stage.name == "init" ? "write_files" : "runcmd";
        CHECK(stage.warnings.back() == "module " + module + ": not run: its configuration is invalid");
        const pipeline::ModuleRecord& rec = stage.modules.front();
        CHECK(rec.name == module);
        CHECK(rec.state == pipeline::ModuleState::skipped);
        CHECK(rec.message == "not run: its configuration is invalid");
    }
    CHECK(boot.root.read("/var/lib/kindling/instances/i-1234567890abcdef0/cloud-config.rejected") ==
          "runcmd\nwrite_files\n");
    CHECK_FALSE(boot.root.exists("/42"));
}

TEST_CASE("kindling schema and the boot agree on empty user data and on one that is only a BOM",
          "[pipeline][integration][cli]") {
    struct Case {
        std::string bytes;
        int boot_exit;
        std::string status;
        std::string schema_system;
    };
    const std::vector<Case> cases{
        {"", 0, "status: done\n", "user-data: valid\n"},
        {"\xEF\xBB\xBF", 2,
         "status: degraded\ninit: warning: user data: removed a UTF-8 byte order mark at the start\n",
         "warning: user data: removed a UTF-8 byte order mark at the start\nuser-data: valid (with warnings)\n"},
    };
    for (const Case& c : cases) {
        INFO("user data of " << c.bytes.size() << " bytes");
        BootFixture boot(boot_with(c.bytes));
        auto r = boot.run();
        INFO(r.err);
        CHECK(r.exit_code == c.boot_exit);
        const std::string dir = boot.root.path().string();
        CHECK(test::run_kindling({"status", "--root", dir}).out == c.status);
        auto status = pipeline::from_json(boot.root.read("/run/kindling/status.json"));
        REQUIRE(status);
        CHECK(status->parts.empty());

        // The stored user data, named as the boot names it: the same messages.
        auto system = test::run_kindling({"schema", "--system", "--root", dir});
        CHECK(system.exit_code == 0);
        CHECK(system.out == c.schema_system);

        // A file: the same messages, under the file's name.
        const std::string file = boot.root.host("/tmp/ud").string();
        boot.root.write("/tmp/ud", c.bytes);
        auto offline = test::run_kindling({"schema", file});
        CHECK(offline.exit_code == 0);
        std::string expected = c.schema_system;
        for (std::size_t at; (at = expected.find("user data")) != std::string::npos;) expected.replace(at, 9, file);
        for (std::size_t at; (at = expected.find("user-data")) != std::string::npos;) expected.replace(at, 9, file);
        CHECK(offline.out == expected);

        // Each message once, never with its prefix doubled.
        const std::string log = boot.root.read("/var/log/kindling.log");
        CHECK(log.find("user data: user data") == std::string::npos);
        CHECK(test::count_of(log, "removed a UTF-8 byte order mark") == (c.bytes.empty() ? 0u : 1u));
    }
}

TEST_CASE("at boot an #include over https is verified against the system's CAs", "[pipeline][integration][https]") {
    test::TestPki pki;  // a CA no system trusts
    test::LoopbackServer server(pki);
    server.set("/ud", {200, "#cloud-config\nhostname: from-include\n", {}});
    BootFixture boot(boot_with("#include " + server.url() + "/ud\n"));
    auto r = boot.run();
    INFO(r.err);
    CHECK(r.exit_code == 2);
    const std::string problem = "user data: #include '" + server.url() +
                                "/ud': TLS: certificate not trusted: unable to get local issuer certificate";
    CHECK(lines_with(r.err, "user data: #include") == std::vector<std::string>{problem});
    CHECK(server.requests().empty());
    CHECK(boot.root.read("/etc/hostname") == "ip-172-16-34-43\n");
}

TEST_CASE("a #cloud-boothook does not run when strict policy rejects the user data; under warn it runs",
          "[pipeline][integration][boothook]") {
    const std::string user_data = multipart({
        {"text/cloud-boothook", "#cloud-boothook\n#!/bin/sh\necho \"$INSTANCE_ID\" > /var/tmp/boothook-ran\n"},
        {"text/cloud-config", "#cloud-config\nruncmd: 42\n"},
    });
    const std::string problem =
        "user-data part 2, line 2, column 9: runcmd: expected a list of commands, got an integer";
    const std::string saved = "/var/lib/kindling/instances/i-1234567890abcdef0/boothooks/part-001";
    SECTION("strict: nothing runs, boothooks included") {
        BootFixture boot(boot_with(user_data, "user_data: {policy: strict}\n"));
        auto r = boot.run();
        INFO(r.err);
        CHECK(r.exit_code == 78);
        CHECK(lines_with(r.err, problem) == std::vector<std::string>{problem});
        CHECK(lines_with(r.err, "user data rejected") ==
              std::vector<std::string>{"user data rejected (policy strict): 1 errors, no module runs"});
        CHECK_FALSE(boot.root.exists("/var/tmp/boothook-ran"));
        CHECK(boot.root.read(saved) == "#!/bin/sh\necho \"$INSTANCE_ID\" > /var/tmp/boothook-ran\n");
        CHECK(boot.root.read("/var/log/kindling.log").find("boothook ran") == std::string::npos);
    }
    SECTION("warn: the bad key is skipped and the boothook runs") {
        BootFixture boot(boot_with(user_data));
        auto r = boot.run();
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(lines_with(r.err, problem) == std::vector<std::string>{problem + ", skipped"});
        CHECK(boot.root.read("/var/tmp/boothook-ran") == "i-1234567890abcdef0\n");
        CHECK(lines_with(boot.root.read("/var/log/kindling.log"), "user-data part 1: boothook") ==
              std::vector<std::string>{"user-data part 1: boothook ran"});
    }
    SECTION("strict with valid user data: the boothook runs") {
        BootFixture boot(boot_with(multipart({{"text/cloud-boothook",
                                               "#cloud-boothook\n#!/bin/sh\ntouch /var/tmp/boothook-ran\n"}}),
                                   "user_data: {policy: strict}\n"));
        auto r = boot.run();
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(boot.root.exists("/var/tmp/boothook-ran"));
    }
}

namespace {

// Two cloud-config parts, for launch index 0 and 5 (MIME Launch-Index header).
const std::string k_two_launch_indexes =
    "Content-Type: multipart/mixed; boundary=\"B\"\nMIME-Version: 1.0\n\n"
    "--B\nContent-Type: text/cloud-config\nLaunch-Index: 0\n\n#cloud-config\nhostname: zero\n"
    "--B\nContent-Type: text/cloud-config\nLaunch-Index: 5\n\n#cloud-config\nhostname: five\n"
    "--B--\n";

std::vector<std::string> part_lines(const BootFixture& boot) {
    auto status = pipeline::from_json(boot.root.read("/run/kindling/status.json"));
    std::vector<std::string> out;
    if (status) {
        for (const pipeline::PartRecord& p : status->parts) out.push_back(pipeline::describe_part(p));
    }
    return out;
}

}  // namespace

TEST_CASE("parts for another launch index are skipped at boot and by schema --system, not by schema FILE",
          "[pipeline][integration][launch-index]") {
    SECTION("instance 0 applies the part for 0 only") {
        BootFixture boot(boot_with(k_two_launch_indexes));
        auto r = boot.run();
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(boot.root.read("/etc/hostname") == "zero\n");
        CHECK(part_lines(boot) == std::vector<std::string>{"user-data part 1: text/cloud-config, 28 bytes -> cloud-config"});
        CHECK(lines_with(boot.root.read("/var/log/kindling.log"), "part-002: ") ==
              std::vector<std::string>{"part-002: for launch index 5, not this instance's 0; skipped"});
        // The launch index is fetched with the rest of the metadata.
        CHECK(boot.imds.requests().size() == 13);
        CHECK(test::count_of(boot.root.read("/run/kindling/instance-data.json"), "\"ami-launch-index\": \"0\"") == 1);
        // schema --system skips the same part, so its parts are the boot's.
        auto system = test::run_kindling({"schema", "--system", "--root", boot.root.path().string()});
        CHECK(system.exit_code == 0);
        CHECK(system.out == "user-data: valid\n");
    }
    SECTION("instance 5 applies the part for 5 only") {
        BootFixture boot(boot_with(k_two_launch_indexes));
        boot.imds.set_value("/latest/meta-data/ami-launch-index", "5");
        auto r = boot.run();
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(boot.root.read("/etc/hostname") == "five\n");
        CHECK(part_lines(boot) == std::vector<std::string>{"user-data part 1: text/cloud-config, 28 bytes -> cloud-config"});
    }
    SECTION("schema FILE has no instance: it validates every part, whatever its launch index") {
        test::ScratchRoot scratch;
        scratch.write("/ud", k_two_launch_indexes);
        auto offline = test::run_kindling({"schema", scratch.host("/ud").string()});
        CHECK(offline.exit_code == 0);
        CHECK(offline.out == scratch.host("/ud").string() + ": valid\n");
        // Both parts are checked: an error in the part for index 5 is found.
        std::string bad = k_two_launch_indexes;
        bad.replace(bad.find("hostname: five"), 14, "hostname: [5]");
        scratch.write("/bad", bad);
        auto found = test::run_kindling({"schema", scratch.host("/bad").string()});
        CHECK(found.exit_code == 65);
        CHECK(lines_with(found.out, "part 2") ==
              std::vector<std::string>{"part 2, line 2, column 11: hostname: expected a string, got a list"});
    }
    SECTION("a cloud-config's own launch-index key is read, not reported as unsupported") {
        test::ScratchRoot scratch;
        scratch.write("/ud", "#cloud-config\nlaunch-index: 0\nhostname: web\n");
        auto offline = test::run_kindling({"schema", scratch.host("/ud").string()});
        CHECK(offline.exit_code == 0);
        CHECK(offline.out == scratch.host("/ud").string() + ": valid\n");
    }
}

TEST_CASE("a cloud-config part with a second YAML document is an error at its '---' line",
          "[pipeline][integration][yaml]") {
    const std::string user_data = multipart({
        {"text/cloud-config", "#cloud-config\nruncmd: [echo a]\n---\nhostname: second-doc\n"},
        {"text/cloud-config", "#cloud-config\nfinal_message: kept\n"},
    });
    const std::string problem = "user-data part 1, line 3, column 1: invalid YAML: expected a single document in "
                                "the stream, but found another document";
    SECTION("warn: the part is skipped, the other applies") {
        BootFixture boot(boot_with(user_data));
        auto r = boot.run();
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(lines_with(r.err, problem) == std::vector<std::string>{problem + ", skipped"});
        CHECK(boot.root.read("/etc/hostname") == "ip-172-16-34-43\n");
        CHECK(boot.root.read("/var/lib/kindling/instances/i-1234567890abcdef0/cloud-config.yaml") ==
              "final_message: kept\n");
        CHECK(part_lines(boot) == std::vector<std::string>{
                                      "user-data part 1: text/cloud-config, 56 bytes -> rejected (more than one YAML document)",
                                      "user-data part 2: text/cloud-config, 34 bytes -> cloud-config",
                                  });
    }
    SECTION("strict: nothing runs") {
        BootFixture boot(boot_with(user_data, "user_data: {policy: strict}\n"));
        boot.root.write("/etc/hostname", "old-name\n");
        auto r = boot.run();
        INFO(r.err);
        CHECK(r.exit_code == 78);
        CHECK(lines_with(r.err, problem) == std::vector<std::string>{problem});
        CHECK(boot.root.read("/etc/hostname") == "old-name\n");
    }
    SECTION("schema says the same; one document, with or without '---' and '...', is fine") {
        test::ScratchRoot scratch;
        scratch.write("/two", "#cloud-config\nruncmd: [echo a]\n---\nhostname: second-doc\n");
        auto two = test::run_kindling({"schema", scratch.host("/two").string()});
        CHECK(two.exit_code == 65);
        CHECK(lines_with(two.out, "part 1") ==
              std::vector<std::string>{"part 1, line 3, column 1: invalid YAML: expected a single document in the "
                                       "stream, but found another document"});
        scratch.write("/one", "#cloud-config\n---\nruncmd: [echo a]\n...\n");
        auto one = test::run_kindling({"schema", scratch.host("/one").string()});
        CHECK(one.exit_code == 0);
        CHECK(one.out == scratch.host("/one").string() + ": valid\n");
    }
}
