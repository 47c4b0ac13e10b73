// #cloud-config-jsonp: RFC 6902 JSON Patch over the merged cloud-config. The
// cases follow RFC 6902 appendix A and RFC 6901 (pointers), written as YAML
// documents and compared as PyYAML would load them.
#include <catch2/catch.hpp>

#include "agent/userdata/json_patch.hpp"
#include "agent/userdata/yaml_types.hpp"
#include "tests/agent/userdata/userdata_test_support.hpp"

using namespace kindling::userdata;
using kindling::userdata::test::yaml_equal;

namespace {

// The patch applied to `doc`; the error message when parsing or applying fails.
std::string patched(const std::string& doc, const std::string& patch) {
    auto parsed = parse_json_patch(patch);
    if (!parsed) return "parse error: " + parsed.error().message;
    const YAML::Node input = YAML::Load(doc);
    auto out = apply_json_patch(input, *parsed);
    if (!out) return "error: " + out.error().message;
    return YAML::Dump(*out);
}

bool same(const std::string& result, const std::string& expected_yaml) {
    if (result.starts_with("error") || result.starts_with("parse error")) return false;
    return yaml_equal(YAML::Load(result), YAML::Load(expected_yaml));
}

}  // namespace

TEST_CASE("the RFC 6902 examples give the RFC's results", "[userdata][jsonp]") {
    struct Case {
        const char* doc;
        const char* patch;
        const char* expected;
    };
    const std::vector<Case> cases{
        {"{foo: bar}", R"([{"op": "add", "path": "/baz", "value": "qux"}])", "{baz: qux, foo: bar}"},
        {"{foo: [bar, baz]}", R"([{"op": "add", "path": "/foo/1", "value": "qux"}])", "{foo: [bar, qux, baz]}"},
        {"{baz: qux, foo: bar}", R"([{"op": "remove", "path": "/baz"}])", "{foo: bar}"},
        {"{foo: [bar, qux, baz]}", R"([{"op": "remove", "path": "/foo/1"}])", "{foo: [bar, baz]}"},
        {"{baz: qux, foo: bar}", R"([{"op": "replace", "path": "/baz", "value": "boo"}])", "{baz: boo, foo: bar}"},
        {"{foo: {bar: baz, waldo: fred}, qux: {corge: grault}}",
         R"([{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}])",
         "{foo: {bar: baz}, qux: {corge: grault, thud: fred}}"},
        {"{foo: [all, grass, cows, eat]}", R"([{"op": "move", "from": "/foo/1", "path": "/foo/3"}])",
         "{foo: [all, cows, eat, grass]}"},
        {"{baz: qux, foo: [a, 2, c]}",
         R"([{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}])",
         "{baz: qux, foo: [a, 2, c]}"},
        {"{foo: bar}", R"([{"op": "add", "path": "/child", "value": {"grandchild": {}}}])",
         "{foo: bar, child: {grandchild: {}}}"},
        // Members an operation does not use are ignored.
        {"{foo: bar}", R"([{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}])", "{foo: bar, baz: qux}"},
        {"{foo: [bar]}", R"([{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}])",
         "{foo: [bar, [abc, def]]}"},
        {"{foo: {bar: 1}}", R"([{"op": "copy", "from": "/foo", "path": "/baz"}])", "{foo: {bar: 1}, baz: {bar: 1}}"},
        {"{foo: 1}", R"([{"op": "replace", "path": "", "value": {"baz": 2}}])", "{baz: 2}"},
        {"{foo: 1}", R"([])", "{foo: 1}"},
    };
    for (const auto& c : cases) {
        INFO(c.doc << " + " << c.patch);
        const std::string result = patched(c.doc, c.patch);
        INFO(result);
        CHECK(same(result, c.expected));
    }
}

TEST_CASE("JSON Pointers unescape ~1 to '/' and ~0 to '~', in that order", "[userdata][jsonp]") {
    CHECK(same(patched("{'a/b': 1, 'm~n': 2, '~1': 3}",
                       R"([{"op": "replace", "path": "/a~1b", "value": 10},
                           {"op": "replace", "path": "/m~0n", "value": 20},
                           {"op": "replace", "path": "/~01", "value": 30}])"),
               "{'a/b': 10, 'm~n': 20, '~1': 30}"));
    CHECK(patched("{}", R"([{"op": "add", "path": "/a~2", "value": 1}])") ==
          "parse error: operation 1 (add): \"path\": '/a~2' is not a JSON Pointer ('~' must be followed by 0 or 1)");
    CHECK(patched("{}", R"([{"op": "add", "path": "a", "value": 1}])") ==
          "parse error: operation 1 (add): \"path\": 'a' is not a JSON Pointer (it must be empty or start with '/')");
}

TEST_CASE("a failing operation names itself and why, and nothing of the patch applies", "[userdata][jsonp]") {
    const std::string doc = "{runcmd: [a, b], users: {bob: {}}, hostname: web}";
    struct Case {
        const char* patch;
        const char* error;
    };
    const std::vector<Case> cases{
        {R"([{"op": "add", "path": "/x", "value": 1}, {"op": "remove", "path": "/runcmd/2"}])",
         "operation 2 (remove '/runcmd/2'): no item 2 in the list at '/runcmd' (2 items)"},
        {R"([{"op": "remove", "path": "/packages"}])",
         "operation 1 (remove '/packages'): no key 'packages' in the mapping at the top level"},
        {R"([{"op": "add", "path": "/runcmd/3", "value": "c"}])",
         "operation 1 (add '/runcmd/3'): no item 3 in the list at '/runcmd' (2 items)"},
        {R"([{"op": "add", "path": "/runcmd/01", "value": "c"}])",
         "operation 1 (add '/runcmd/01'): '01' is not an index of the list at '/runcmd'"},
        {R"([{"op": "replace", "path": "/runcmd/-", "value": "c"}])",
         "operation 1 (replace '/runcmd/-'): '-' is not an index of the list at '/runcmd'"},
        {R"([{"op": "add", "path": "/hostname/x", "value": "c"}])",
         "operation 1 (add '/hostname/x'): '/hostname' is a string, not a mapping or a list"},
        {R"([{"op": "add", "path": "/nothing/x", "value": "c"}])",
         "operation 1 (add '/nothing/x'): no key 'nothing' in the mapping at the top level"},
        {R"([{"op": "replace", "path": "/users/alice", "value": {}}])",
         "operation 1 (replace '/users/alice'): no key 'alice' in the mapping at '/users'"},
        {R"([{"op": "test", "path": "/hostname", "value": "db"}])",
         "operation 1 (test '/hostname'): test failed: the value differs"},
        {R"([{"op": "move", "from": "/users", "path": "/users/bob/x"}])",
         "operation 1 (move '/users' to '/users/bob/x'): cannot move a value into itself"},
        {R"([{"op": "copy", "from": "/users/carol", "path": "/x"}])",
         "operation 1 (copy '/users/carol' to '/x'): no key 'carol' in the mapping at '/users'"},
        {R"([{"op": "remove", "path": ""}])", "operation 1 (remove ''): cannot remove the whole cloud-config"},
    };
    for (const auto& c : cases) {
        INFO(c.patch);
        auto patch = parse_json_patch(c.patch);
        REQUIRE(patch);
        const YAML::Node input = YAML::Load(doc);
        const std::string before = YAML::Dump(input);
        auto out = apply_json_patch(input, *patch);
        REQUIRE_FALSE(out);
        CHECK(out.error().message == c.error);
        CHECK(YAML::Dump(input) == before);  // the input is never changed
    }
}

TEST_CASE("a patch that is not a list of operations is refused before anything applies", "[userdata][jsonp]") {
    struct Case {
        const char* body;
        const char* error;
    };
    const std::vector<Case> cases{
        {"#cloud-config-jsonp\n[{\"op\": \"add\",", "not valid JSON: unexpected end of text"},
        {"[{\"op\": \"add\", \"path\": \"/a\", \"value\": 1,]", "not valid JSON: unexpected byte ']' in value"},
        {"#cloud-config-jsonp\n", "not valid JSON: unexpected end of text"},
        {"{\"op\": \"add\"}", "a JSON patch is a list of operations, got an object"},
        {"42", "a JSON patch is a list of operations, and this does not start with '['"},
        {"[\"add\"]", "operation 1: expected an object with \"op\" and \"path\""},
        {"[{\"path\": \"/a\"}]", "operation 1: no \"op\" member"},
        {"[{\"op\": 1, \"path\": \"/a\"}]", "operation 1: \"op\" must be a string"},
        {"[{\"op\": \"remove\", \"path\": \"/a\"}, {\"op\": \"merge\", \"path\": \"/a\"}]",
         "operation 2: unknown op 'merge' (expected add, remove, replace, move, copy or test)"},
        {"[{\"op\": \"remove\"}]", "operation 1: no \"path\" member"},
        {"[{\"op\": \"remove\", \"path\": [\"a\"]}]", "operation 1: \"path\" must be a string"},
        {"[{\"op\": \"add\", \"path\": \"/a\"}]", "operation 1 (add): no \"value\" member"},
        {"[{\"op\": \"test\", \"path\": \"/a\"}]", "operation 1 (test): no \"value\" member"},
        {"[{\"op\": \"move\", \"path\": \"/a\"}]", "operation 1: no \"from\" member"},
    };
    for (const auto& c : cases) {
        INFO(c.body);
        auto patch = parse_json_patch(c.body);
        REQUIRE_FALSE(patch);
        CHECK(patch.error().message == c.error);
    }
    // The marker line is optional and matched in any case, as the part's kind is.
    CHECK(parse_json_patch("  #Cloud-Config-JSONP\n[]").value().empty());
    CHECK(parse_json_patch("[{\"op\": \"add\", \"path\": \"/a\", \"value\": null}]").value().size() == 1);
}

TEST_CASE("JSON values keep their JSON types in the cloud-config", "[userdata][jsonp]") {
    auto patch = parse_json_patch(
        R"([{"op": "add", "path": "/v", "value": ["yes", "0644", 420, 1.5, 1e20, true, null, "", {"k": "on"}]}])");
    REQUIRE(patch);
    auto out = apply_json_patch(YAML::Load("{}"), *patch);
    REQUIRE(out);
    const YAML::Node v = (*out)["v"];
    CHECK(python_type(v[0]) == PyType::str);  // not the boolean YAML 1.1 would read
    CHECK(python_type(v[1]) == PyType::str);  // not octal 420
    CHECK(python_int(v[2]) == 420);
    CHECK(python_number(v[3]) == 1.5);
    CHECK(python_type(v[4]) == PyType::floating);
    CHECK(python_number(v[4]) == 1e20);
    CHECK(python_bool(v[5]) == true);
    CHECK(python_type(v[6]) == PyType::null);
    CHECK(python_type(v[7]) == PyType::str);
    CHECK(python_type(v[8]["k"]) == PyType::str);
    // Stored for the final stage and read back, the types are the same.
    CHECK(to_yaml_text(*out) == "v:\n  - \"yes\"\n  - \"0644\"\n  - 420\n  - 1.5\n  - 1.0e+20\n  - true\n  - ~\n"
                                "  - \"\"\n  - k: \"on\"\n");
}

TEST_CASE("test compares values as JSON does", "[userdata][jsonp]") {
    const std::string doc = "{a: 1, b: '1', c: true, d: ~, e: {x: [1, {y: z}]}, f: 0x10, g: 1.0}";
    auto ok = [&](const std::string& path, const std::string& value) {
        return !patched(doc, R"([{"op": "test", "path": ")" + path + R"(", "value": )" + value + "}]")
                    .starts_with("error");
    };
    CHECK(ok("/a", "1"));
    CHECK(ok("/a", "1.0"));
    CHECK_FALSE(ok("/a", "\"1\""));
    CHECK(ok("/b", "\"1\""));
    CHECK_FALSE(ok("/b", "1"));
    CHECK(ok("/c", "true"));
    CHECK_FALSE(ok("/c", "1"));  // RFC 6902: a boolean is not a number
    CHECK(ok("/d", "null"));
    CHECK(ok("/e", R"({"x": [1, {"y": "z"}]})"));
    CHECK_FALSE(ok("/e", R"({"x": [{"y": "z"}, 1]})"));
    CHECK(ok("/f", "16"));
    CHECK(ok("/g", "1"));
    CHECK(ok("", R"({"g": 1, "f": 16, "e": {"x": [1, {"y": "z"}]}, "d": null, "c": true, "b": "1", "a": 1})"));
}

TEST_CASE("a copy is independent of its source, and a move leaves no alias", "[userdata][jsonp]") {
    auto patch = parse_json_patch(R"([{"op": "copy", "from": "/a", "path": "/b"},
                                      {"op": "add", "path": "/b/-", "value": 3},
                                      {"op": "move", "from": "/b", "path": "/c"}])");
    REQUIRE(patch);
    auto out = apply_json_patch(YAML::Load("{a: [1, 2]}"), *patch);
    REQUIRE(out);
    CHECK(to_yaml_text(*out) == "a:\n  - 1\n  - 2\nc:\n  - 1\n  - 2\n  - 3\n");
}

TEST_CASE("a patch that multiplies or deepens the config stops at a limit", "[userdata][jsonp][reliability]") {
    std::string doc = "{a: [";
    for (int i = 0; i < 1000; ++i) doc += "0,";
    doc += "0]}";
    std::string ops = "[";
    for (int i = 0; i < 20; ++i) ops += std::string(i ? "," : "") + R"({"op": "copy", "from": "/a", "path": "/a/-"})";
    ops += "]";
    // 1 + 1002 * 2^k nodes after k copies: the 8th goes past 200000.
    CHECK(patched(doc, ops) == "error: operation 8 (copy '/a' to '/a/-'): more than 200000 YAML nodes");
    // Nor deeper than the YAML depth limit: a value must fit below where it goes.
    std::string deep = "{a: ";
    for (int i = 0; i < 60; ++i) deep += "{b: ";
    deep += "x" + std::string(60, '}') + "}";
    CHECK(patched(deep, R"([{"op": "copy", "from": "/a", "path": "/a/b/b/b/b/b/b"}])") ==
          "error: operation 1 (copy '/a' to '/a/b/b/b/b/b/b'): YAML nested deeper than 64 levels");
    CHECK(patched(deep, R"([{"op": "move", "from": "/a/b", "path": "/c/d/e/f/g/h"}])") ==
          "error: operation 1 (move '/a/b' to '/c/d/e/f/g/h'): YAML nested deeper than 64 levels");
    const std::string a_value = deep.substr(4, deep.size() - 5);  // 60 levels
    const std::string b_value = deep.substr(8, deep.size() - 10);  // 59 levels
    CHECK(same(patched(deep, R"([{"op": "copy", "from": "/a/b", "path": "/c"}])"),
               "{a: " + a_value + ", c: " + b_value + "}"));
    CHECK(patched("{}", std::string(70, '[') + std::string(70, ']')) ==
          "parse error: not valid JSON: nested deeper than 64 levels");
}
