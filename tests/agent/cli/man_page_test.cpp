// The man pages cannot drift from the program: every command and flag of the
// command table is documented in its section of kindling(1), every exit code
// (read from exit_code.hpp itself) in kindling(1), README and k_exit_codes,
// every key of the shipped kindling.yaml in kindling.yaml(5), and every flag
// `kindling-imds --help` prints in kindling-imds(1).
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "agent/cli/commands.hpp"
#include "agent/pipeline/module_context.hpp"
#include "tests/support/run_kindling.hpp"

using namespace kindling;

namespace {

std::string read_source(const std::string& relative) {
    std::ifstream in(std::string(KINDLING_SOURCE_DIR) + "/" + relative, std::ios::binary);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The page's text with comments dropped and roff escapes undone, enough to
// find "--root" in ".BI \-\-root \" DIR\"".
std::string man_text(const std::string& page) {
    std::istringstream in(read_source("man/" + page));
    std::string out, line;
    while (std::getline(in, line)) {
        if (line.rfind(".\\\"", 0) == 0) continue;
        out += line + "\n";
    }
    out = std::regex_replace(out, std::regex(R"(\\f[BIRP])"), "");
    out = std::regex_replace(out, std::regex(R"(\\-)"), "-");
    out = std::regex_replace(out, std::regex(R"(\\\(dq)"), "\"");
    out = std::regex_replace(out, std::regex(R"(\\&)"), "");
    return out;
}

// The text from the line starting with `heading` to the next .SS or .SH.
std::string section(const std::string& text, const std::string& heading) {
    auto start = text.find("\n" + heading);
    if (start == std::string::npos) return "";
    auto end = text.find("\n.S", start + 1);
    return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

struct EnumValue {
    std::string name;
    int value;
};

// `name = N,` lines of `enum class ExitCode` in exit_code.hpp.
std::vector<EnumValue> exit_code_enum() {
    std::string header = read_source("agent/cli/exit_code.hpp");
    auto begin = header.find("enum class ExitCode");
    auto end = header.find("};", begin);
    REQUIRE(begin != std::string::npos);
    std::string body = header.substr(begin, end - begin);
    std::vector<EnumValue> values;
    std::regex item(R"((\w+) = (\d+),)");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), item); it != std::sregex_iterator(); ++it) {
        values.push_back({(*it)[1], std::stoi((*it)[2])});
    }
    return values;
}

void collect_keys(const YAML::Node& node, std::set<std::string>& keys) {
    if (node.IsMap()) {
        for (const auto& kv : node) {
            keys.insert(kv.first.as<std::string>());
            collect_keys(kv.second, keys);
        }
    } else if (node.IsSequence()) {
        for (const auto& item : node) collect_keys(item, keys);
    }
}

}  // namespace

TEST_CASE("kindling(1) documents every command and each of its flags in its own section", "[cli]") {
    const std::string page = man_text("kindling.1");
    for (const cli::CommandSpec& spec : cli::commands()) {
        INFO("command " << spec.name);
        std::string text = section(page, ".SS \"kindling " + std::string(spec.name));
        REQUIRE_FALSE(text.empty());
        for (const cli::Flag& flag : spec.flags) {
            INFO("flag " << flag.name);
            CHECK(text.find(std::string(flag.name)) != std::string::npos);
            if (!flag.value.empty()) CHECK(text.find(std::string(flag.value)) != std::string::npos);
        }
    }
    std::string options = section(page, ".SH OPTIONS");
    for (const cli::Flag& flag : cli::global_flags()) {
        INFO("global flag " << flag.name);
        CHECK(options.find(".B " + std::string(flag.name) + "\n") != std::string::npos);
    }
}

TEST_CASE("every exit code is in k_exit_codes, kindling(1) and README", "[cli]") {
    const std::vector<EnumValue> values = exit_code_enum();
    REQUIRE(values.size() == cli::k_exit_codes.size());
    const std::string exit_status = section(man_text("kindling.1"), ".SH EXIT STATUS");
    const std::string readme = read_source("README.md");
    for (std::size_t i = 0; i < values.size(); ++i) {
        INFO("ExitCode::" << values[i].name);
        CHECK(cli::to_int(cli::k_exit_codes[i].code) == values[i].value);
        CHECK(exit_status.find(".B " + std::to_string(values[i].value) + "\n") != std::string::npos);
        CHECK(readme.find("| " + std::to_string(values[i].value) + " | `" + values[i].name + "` |") != std::string::npos);
    }
}

TEST_CASE("kindling(1) names every file Kindling keeps", "[cli]") {
    const std::string files = section(man_text("kindling.1"), ".SH FILES");
    const pipeline::Paths paths;
    for (const std::string& path :
         {paths.state_dir + "/", paths.run_dir + "/status.json", paths.run_dir + "/result.json",
          paths.run_dir + "/instance-data.json", paths.run_dir + "/instance-data-sensitive.json", paths.log_file,
          paths.output_log, std::string("/etc/kindling/kindling.yaml")}) {
        INFO(path);
        CHECK(files.find(".I " + path + "\n") != std::string::npos);
    }
}

TEST_CASE("kindling.yaml(5) documents every key of the shipped kindling.yaml", "[cli]") {
    const std::string page = man_text("kindling.yaml.5");
    std::set<std::string> keys;
    collect_keys(YAML::Load(read_source("etc/kindling/kindling.yaml")), keys);
    keys.insert("frequency");  // a stage entry key the shipped file does not use
    REQUIRE(keys.size() > 15);
    for (const std::string& key : keys) {
        INFO(key);
        CHECK((page.find(".B " + key + "\n") != std::string::npos || page.find(".SS " + key + "\n") != std::string::npos));
    }
}

TEST_CASE("kindling-imds(1) documents every flag kindling-imds --help prints", "[cli][integration]") {
    auto help = test::run_program(KINDLING_IMDS_BINARY, {"--help"});
    REQUIRE(help.exit_code == 0);
    const std::string page = man_text("kindling-imds.1");
    std::set<std::string> flags{"--help"};
    std::regex flag(R"(--[a-z0-9][a-z0-9-]*)");
    for (auto it = std::sregex_iterator(help.out.begin(), help.out.end(), flag); it != std::sregex_iterator(); ++it) {
        flags.insert(it->str());
    }
    REQUIRE(flags.size() > 15);
    for (const std::string& f : flags) {
        INFO(f);
        CHECK(std::regex_search(page, std::regex("\\n\\.BI? " + f + "[ \\n]")));
    }
}

TEST_CASE("kindling --help lists every command and exit code", "[cli]") {
    const std::string help = cli::main_help();
    for (const cli::CommandSpec& spec : cli::commands()) {
        CHECK(help.find("\n  " + std::string(spec.name) + " ") != std::string::npos);
    }
    for (const cli::ExitCodeDoc& doc : cli::k_exit_codes) {
        std::string line = "  " + std::to_string(cli::to_int(doc.code));
        line.resize(7, ' ');
        CHECK(help.find(line + std::string(doc.meaning) + "\n") != std::string::npos);
    }
}
