#include <catch2/catch.hpp>

#include "agent/config/agent_config.hpp"
#include "agent/config/node.hpp"

using namespace kindling::config;

namespace {

Node parse(const std::string& text, Report& report, const std::string& source = "user-data part 1") {
    auto doc = parse_yaml(text, source, report);
    REQUIRE(doc);
    return *doc;
}

}  // namespace

TEST_CASE("YAML 1.1 integers are read as PyYAML reads them", "[config]") {
    struct Row {
        const char* text;
        std::optional<std::int64_t> value;
    };
    const Row rows[] = {{"0644", 0644}, {"644", 644}, {"0o755", 0755}, {"0x1F", 31}, {"0b101", 5},
                        {"-12", -12},   {"1_000", 1000}, {"0", 0},     {"08", std::nullopt}, {"abc", std::nullopt},
                        {"", std::nullopt}};
    for (const Row& row : rows) {
        INFO(row.text);
        CHECK(parse_yaml11_int(row.text) == row.value);
    }
}

TEST_CASE("YAML 1.1 booleans include yes, no, on and off", "[config]") {
    CHECK(parse_yaml11_bool("yes") == true);
    CHECK(parse_yaml11_bool("On") == true);
    CHECK(parse_yaml11_bool("FALSE") == false);
    CHECK(parse_yaml11_bool("off") == false);
    CHECK(parse_yaml11_bool("y") == std::nullopt);
    CHECK(parse_yaml11_bool("1") == std::nullopt);
}

TEST_CASE("a type mismatch names the source, line, column and key path", "[config]") {
    Report report;
    Node doc = parse("runcmd:\n  - echo hi\n  - {a: 1}\n", report);
    REQUIRE_FALSE(doc["runcmd"].at(1).as_string(report, "a string or a list of strings"));
    REQUIRE(report.entries().size() == 1);
    CHECK(report.entries()[0].format() ==
          "user-data part 1, line 3, column 5: runcmd[1]: expected a string or a list of strings, got a mapping");
}

TEST_CASE("quoted scalars are strings, never booleans or integers", "[config]") {
    Report report;
    Node doc = parse("a: 'yes'\nb: \"0644\"\nc: yes\n", report);
    CHECK(doc["a"].type_name() == "a string");
    CHECK_FALSE(doc["a"].as_bool(report));
    CHECK(doc["b"].type_name() == "a string");
    CHECK(doc["c"].as_bool(report) == true);
    REQUIRE(report.entries().size() == 1);
    CHECK(report.entries()[0].format() == "user-data part 1, line 1, column 4: a: expected a boolean, got a string");
}

TEST_CASE("broken YAML is reported with its line and column", "[config]") {
    Report report;
    CHECK_FALSE(parse_yaml("a: 1\nb: [1, 2\n", "f.yaml", report));
    REQUIRE(report.entries().size() == 1);
    CHECK(report.entries()[0].location.line == 3);
    CHECK(report.entries()[0].format().rfind("f.yaml, line 3, column 1: invalid YAML: ", 0) == 0);
}

TEST_CASE("alias expansion past the node limit is refused (billion laughs)", "[config][reliability]") {
    std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; ++c) {
        text += std::string(1, c) + ": &" + c + " [";
        for (int i = 0; i < 10; ++i) text += std::string(i ? ", " : "") + "*" + prev;
        text += "]\n";
        prev = c;
    }
    Report report;
    CHECK_FALSE(parse_yaml(text, "user-data part 1", report));
    REQUIRE(report.entries().size() == 1);
    CHECK(report.entries()[0].message.find("too large or too deeply nested") != std::string::npos);
}

TEST_CASE("deep nesting is refused before anything walks it", "[config][reliability]") {
    std::string text = std::string(200, '[') + std::string(200, ']');
    Report report;
    CHECK_FALSE(parse_yaml(text, "x", report));
    CHECK(report.has_errors());
}

TEST_CASE("without_keys drops exactly the named top-level keys", "[config]") {
    Report report;
    Node doc = parse("a: 1\nb: 2\nc: 3\n", report);
    Node kept = without_keys(doc, {"b"});
    CHECK(kept.has("a"));
    CHECK_FALSE(kept.has("b"));
    CHECK(kept.has("c"));
    CHECK(doc.has("b"));
}

TEST_CASE("a duplicate key keeps the last value, as PyYAML does, with a warning at each later key", "[config]") {
    Report report;
    Node doc = parse("runcmd: [echo a]\nhostname: h\nruncmd: [echo b]\nwrite_files:\n- path: /a\n  content: x\n"
                     "  path: /b\n  path: /c\n",
                     report);
    std::vector<std::string> messages;
    for (const Entry& e : report.entries()) messages.push_back(e.format());
    CHECK(messages == std::vector<std::string>{
                          "user-data part 1, line 3, column 1: runcmd: duplicate key 'runcmd': the last one is used, "
                          "as cloud-init does",
                          "user-data part 1, line 7, column 3: write_files[0].path: duplicate key 'path': the last one "
                          "is used, as cloud-init does",
                          "user-data part 1, line 8, column 3: write_files[0].path: duplicate key 'path': the last one "
                          "is used, as cloud-init does",
                      });
    CHECK_FALSE(report.has_errors());
    std::vector<std::string> keys;
    for (const auto& [key, child] : doc.entries()) keys.push_back(key);
    CHECK(keys == std::vector<std::string>{"hostname", "runcmd", "write_files"});
    CHECK(doc["runcmd"].at(0).scalar() == "echo b");
    CHECK(doc["runcmd"].key_location().line == 3);
    const Node entry = doc["write_files"].at(0);
    CHECK(entry.entries().size() == 2);
    CHECK(entry["path"].scalar() == "/c");
    CHECK(entry["path"].location().line == 8);
    CHECK(entry["content"].scalar() == "x");
}

TEST_CASE("keys that only look alike, or sit in different mappings, are not duplicates", "[config]") {
    Report report;
    Node doc = parse("a: {x: 1}\nb: {x: 2}\nA: 3\n'a ': 4\n", report);
    CHECK(report.entries().empty());
    CHECK(doc.entries().size() == 4);
}
