// Merging cloud-config documents with cloud-init's rules: every vector of
// cloud-init's tests/data/merge_sources, plus each option on its own.
#include "agent/userdata/merge.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include "tests/agent/userdata/userdata_test_support.hpp"

using namespace kindling::userdata;
using kindling::userdata::test::corpus_dir;
using kindling::userdata::test::read_corpus;
using kindling::userdata::test::yaml_equal;

namespace {

// Merges `docs` in order; `header` is the last document's Merge-Type header.
YAML::Node merged_of(std::initializer_list<const char*> docs, std::string header = "") {
    std::vector<CloudConfigDoc> inputs;
    int n = 0;
    for (const char* doc : docs) {
        inputs.push_back({"user-data part " + std::to_string(++n), YAML::Load(doc), ""});
    }
    inputs.back().merge_how = header;
    Merged merged = merge_cloud_configs(inputs);
    INFO(merged.warnings.size() << " warnings");
    for (const auto& w : merged.warnings) {
        UNSCOPED_INFO(w);
    }
    return merged.config;
}

void require_yaml(const YAML::Node& actual, const char* expected) {
    INFO("actual:\n" << YAML::Dump(actual) << "\nexpected:\n" << expected);
    REQUIRE(yaml_equal(actual, YAML::Load(expected)));
}

}  // namespace

TEST_CASE("every cloud-init merge vector merges to its expected document", "[userdata][merge]") {
    // sourceN-M.yaml merged in M order must equal expectedN.yaml.
    std::map<int, std::map<int, std::string>> sources;
    for (const auto& entry : std::filesystem::directory_iterator(corpus_dir() + "merge_sources")) {
        const std::string name = entry.path().filename();
        int n = 0;
        int m = 0;
        if (std::sscanf(name.c_str(), "source%d-%d.yaml", &n, &m) == 2) {
            sources[n][m] = name;
        }
    }
    REQUIRE(sources.size() == 12);
    for (const auto& [n, files] : sources) {
        DYNAMIC_SECTION("vector " << n) {
            std::vector<CloudConfigDoc> docs;
            for (const auto& [m, file] : files) {
                docs.push_back({file, YAML::Load(read_corpus("merge_sources/" + file)), ""});
            }
            const Merged merged = merge_cloud_configs(docs);
            CHECK(merged.warnings.empty());
            const YAML::Node expected =
                YAML::Load(read_corpus("merge_sources/expected" + std::to_string(n) + ".yaml"));
            INFO("merged:\n" << YAML::Dump(merged.config));
            CHECK(yaml_equal(merged.config, expected));
        }
    }
}

TEST_CASE("merge_how strings parse into cloud-init's merger plans", "[userdata][merge]") {
    auto plan = parse_merge_how(std::string_view(" Dict(Recurse-Array, no_replace ) + m_list(append)+ +str()"));
    REQUIRE(plan);
    REQUIRE(plan->size() == 3);
    CHECK((*plan)[0].type == "dict");
    CHECK((*plan)[0].options == std::vector<std::string>{"recurse_array", "no_replace"});
    CHECK((*plan)[1].type == "list");
    CHECK((*plan)[1].options == std::vector<std::string>{"append"});
    CHECK((*plan)[2].type == "str");
    CHECK((*plan)[2].options.empty());

    auto bad = parse_merge_how(std::string_view("dict(replace"));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "'dict(replace' is not of the form name(option,...)");
    auto unknown = parse_merge_how(std::string_view("tuple()"));
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message == "unknown merger 'tuple' (known: dict, list, str)");
}

TEST_CASE("merge_how in list-of-dicts form works like the string form", "[userdata][merge]") {
    const YAML::Node merged = merged_of({"a: [1]\nb: {x: 1}\n",
                                         "merge_how:\n - name: list\n   settings: [append]\n"
                                         " - name: dict\n   settings: [no_replace, recurse_list]\n"
                                         "a: [2]\nb: {x: 2, y: 3}\n"});
    require_yaml(merged, "a: [1, 2]\nb: {x: 1, y: 3}\n");
}

TEST_CASE("the default plan replaces keys and lists whole, like one concatenated YAML file", "[userdata][merge]") {
    require_yaml(merged_of({"runcmd: [a, b]\nx: {k: 1, j: 2}\n", "runcmd: [c]\nx: {k: 3}\n"}),
                 "runcmd: [c]\nx: {k: 3}\n");
}

TEST_CASE("a Merge-Type header applies when the body names no merger", "[userdata][merge]") {
    require_yaml(merged_of({"runcmd: [a]\n", "runcmd: [b]\n"}, "dict(recurse_array)+list(append)"),
                 "runcmd: [a, b]\n");
}

TEST_CASE("the body's merge_how comes before the header's mergers", "[userdata][merge]") {
    // Both name a list merger; the body's (prepend) is found first.
    require_yaml(merged_of({"r: [a]\n", "merge_how: 'list(prepend)+dict(recurse_array)'\nr: [b]\n"},
                           "list(append)"),
                 "r: [b, a]\n");
}

TEST_CASE("dict no_replace keeps existing values and adds new keys", "[userdata][merge]") {
    require_yaml(merged_of({"a: 1\nb: x\n", "merge_how: dict(no_replace)\na: 2\nb: y\nc: 3\n"}),
                 "a: 1\nb: x\nc: 3\n");
}

TEST_CASE("dict recurse_str appends strings only with str(append)", "[userdata][merge]") {
    require_yaml(merged_of({"s: abc\n", "merge_how: dict(recurse_str)+str(append)\ns: def\n"}), "s: abcdef\n");
    require_yaml(merged_of({"s: abc\n", "merge_how: dict(recurse_str)+str()\ns: def\n"}), "s: def\n");
}

TEST_CASE("a number is not a string for str(append): the old value stays", "[userdata][merge]") {
    // cloud-init has no merger for int, so the existing value is kept.
    require_yaml(merged_of({"n: 1\n", "merge_how: dict(recurse_str)+str(append)\nn: '2'\n"}), "n: 1\n");
}

TEST_CASE("allow_delete removes a key set to null, and only then", "[userdata][merge]") {
    require_yaml(merged_of({"a: 1\nb: 2\n", "merge_how: dict(allow_delete,replace)\na: null\n"}), "b: 2\n");
    require_yaml(merged_of({"a: 1\nb: 2\n", "merge_how: dict(replace)\na: ~\n"}), "a: null\nb: 2\n");
}

TEST_CASE("list replace without append replaces item by item and keeps a longer tail", "[userdata][merge]") {
    require_yaml(merged_of({"l: [a, b, c]\n", "merge_how: dict(recurse_list)+list()\nl: [x]\n"}),
                 "l: [x, b, c]\n");
}

TEST_CASE("list no_replace keeps the old list", "[userdata][merge]") {
    require_yaml(merged_of({"l: [a]\n", "merge_how: dict(recurse_list)+list(no_replace)\nl: [x, y]\n"}),
                 "l: [a]\n");
}

TEST_CASE("list recurse_dict merges mappings at the same index", "[userdata][merge]") {
    require_yaml(merged_of({"users: [{name: a, shell: /bin/sh}]\n",
                            "merge_how: dict(recurse_list)+list(recurse_dict)\nusers: [{groups: wheel}]\n"}),
                 "users: [{name: a, shell: /bin/sh, groups: wheel}]\n");
}

TEST_CASE("nested mappings always recurse under dict(no_replace)", "[userdata][merge]") {
    require_yaml(merged_of({"a: {b: {c: 1}}\n", "merge_how: dict()\na: {b: {d: 2}}\n"}), "a: {b: {c: 1, d: 2}}\n");
}

TEST_CASE("merge_how and merge_type keys are not part of the merged config", "[userdata][merge]") {
    const YAML::Node merged = merged_of({"merge_type: 'dict(replace)'\na: 1\n"});
    require_yaml(merged, "a: 1\n");
}

TEST_CASE("a part that cannot be merged is reported and the others still merge", "[userdata][merge]") {
    std::vector<CloudConfigDoc> docs{
        {"user-data part 1", YAML::Load("a: 1\n"), ""},
        {"user-data part 2", YAML::Load("- not a mapping\n"), ""},
        {"user-data part 3", YAML::Load("merge_how: 'dict(('\nb: 2\n"), ""},
        {"user-data part 4", YAML::Load("merge_how: 'list(append)'\nc: 3\n"), ""},
        {"user-data part 5", YAML::Load("d: 4\n"), "nonsense"},
        {"user-data part 6", YAML::Load("e: 5\n"), ""},
    };
    const Merged merged = merge_cloud_configs(docs);
    require_yaml(merged.config, "a: 1\ne: 5\n");
    CHECK(merged.warnings == std::vector<std::string>{
                                 "user-data part 2: cloud-config is not a mapping; part not merged",
                                 "user-data part 3: merge_how: 'dict((' is not of the form name(option,...); "
                                 "part not merged",
                                 "user-data part 4: merge_how names no dict merger, so nothing of this part is "
                                 "merged (as in cloud-init)",
                                 "user-data part 5: Merge-Type header: 'nonsense' is not of the form "
                                 "name(option,...); part not merged",
                             });
}

TEST_CASE("a billion-laughs document is refused before it is expanded", "[userdata][merge][reliability]") {
    std::string doc = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 10; ++i) {
        doc += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
        for (int j = 0; j < 10; ++j) {
            doc += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
        }
        doc += "]\n";
    }
    const Merged merged = merge_cloud_configs({{"user-data part 1", YAML::Load(doc), ""}});
    REQUIRE(merged.warnings == std::vector<std::string>{
                                   "user-data part 1: more than 200000 YAML nodes once aliases are expanded; part "
                                   "not merged"});
    CHECK(merged.config.size() == 0);
}

TEST_CASE("a document nested deeper than the YAML depth limit is refused", "[userdata][merge][reliability]") {
    const std::string doc = "a: " + std::string(80, '[') + std::string(80, ']') + "\n";
    const Merged merged = merge_cloud_configs({{"user-data part 1", YAML::Load(doc), ""}});
    CHECK(merged.warnings ==
          std::vector<std::string>{"user-data part 1: YAML nested deeper than 64 levels; part not merged"});
}
