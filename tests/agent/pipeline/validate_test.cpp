#include <catch2/catch.hpp>

#include "agent/config/agent_config.hpp"
#include "agent/pipeline/validate.hpp"

using namespace kindling;
using namespace kindling::pipeline;

namespace {

struct Cmds {
    std::vector<std::string> lines;
};

Cmds parse_cmds(const config::Node& cc, config::Report& report) {
    Cmds out;
    config::Node n = cc["runcmd"];
    if (!n.defined()) return out;
    if (!n.is_sequence()) {
        n.error(report, "expected a list, got " + n.type_name());
        return out;
    }
    for (const config::Node& item : n.items()) {
        if (auto s = item.as_string(report, "a string or a list of strings")) out.lines.push_back(*s);
    }
    return out;
}

Outcome run_cmds(ModuleContext&, const Cmds&) { return {}; }

struct Host {
    std::string name;
};

Host parse_host(const config::Node& cc, config::Report& report) {
    Host h;
    if (auto n = cc["hostname"]; n.defined()) h.name = n.as_string(report).value_or("");
    return h;
}

Outcome run_host(ModuleContext&, const Host&) { return {}; }

const ModuleSpec k_cmds{"runcmd", Frequency::per_instance, {"runcmd"}, Activation::by_keys, Idempotent::no,
                        bind_parse(parse_cmds), bind_run(run_cmds)};
const ModuleSpec k_host{"set_hostname", Frequency::per_instance, {"hostname"}, Activation::always, Idempotent::yes,
                        bind_parse(parse_host), bind_run(run_host)};

const Registry& registry() {
    static const Registry k_registry({&k_cmds, &k_host});
    return k_registry;
}

config::Node doc(const std::string& text, config::Report& report) { return *config::parse_yaml(text, "user-data part 2", report); }

std::vector<std::string> formatted(const config::Report& report) {
    std::vector<std::string> out;
    for (const auto& e : report.entries()) {
        out.push_back(std::string(e.severity == config::Severity::error ? "E " : "W ") + e.format());
    }
    return out;
}

}  // namespace

TEST_CASE("a typo'd key, an unsupported key and a wrong type get three precise messages", "[pipeline]") {
    config::Report report;
    config::Node d = doc("runcmnd: [ls]\napt: {}\nhostname: web\nruncmd:\n  - ls\n  - {a: b}\n", report);
    std::set<std::string> bad = validate_document(registry(), d, report);
    CHECK(bad == std::set<std::string>{"runcmd"});
    CHECK(formatted(report) == std::vector<std::string>{
                                   "W user-data part 2, line 1, column 1: runcmnd: unknown key, ignoring (did you mean 'runcmd'?)",
                                   "W user-data part 2, line 2, column 1: apt: not supported by kindling, ignoring",
                                   "E user-data part 2, line 6, column 5: runcmd[1]: expected a string or a list of strings, got a mapping",
                               });
}

TEST_CASE("a document that is not a mapping is rejected as a whole", "[pipeline]") {
    config::Report report;
    config::Node d = doc("- just\n- a list\n", report);
    CHECK(validate_document(registry(), d, report) == std::set<std::string>{""});
    REQUIRE(report.error_count() == 1);
    CHECK(report.entries()[0].format() == "user-data part 2, line 1, column 1: expected a mapping of cloud-config keys, got a list");
}

TEST_CASE("parse_modules marks invalid and active modules", "[pipeline]") {
    config::Report report;
    ModuleConfigs c = parse_modules(registry(), doc("runcmd: 5\n", report), report);
    CHECK(c.invalid == std::set<std::string, std::less<>>{"runcmd"});
    CHECK(c.active == std::set<std::string, std::less<>>{"runcmd", "set_hostname"});
    CHECK(c.parsed.contains("set_hostname"));
    CHECK_FALSE(c.parsed.contains("runcmd"));

    config::Report clean;
    ModuleConfigs none = parse_modules(registry(), doc("{}", clean), clean);
    CHECK(none.active == std::set<std::string, std::less<>>{"set_hostname"});
    CHECK(none.invalid.empty());
}

TEST_CASE("top_level_key takes the first segment of a key path", "[pipeline]") {
    CHECK(top_level_key("write_files[1].path") == "write_files");
    CHECK(top_level_key("users[0]") == "users");
    CHECK(top_level_key("hostname") == "hostname");
    CHECK(top_level_key("") == "");
}
