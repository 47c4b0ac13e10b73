#include "agent/config/agent_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/core/limits.hpp"
#include "agent/imds/session.hpp"

namespace kindling::config {

namespace {

// Counts nodes with aliases expanded and the nesting depth; a document past the
// limits is refused before anything walks it (billion laughs, deep nesting).
bool within_limits(const YAML::Node& node, std::size_t depth, std::size_t& count) {
    if (depth > limits::k_yaml_depth || ++count > limits::k_yaml_nodes) return false;
    if (node.IsMap()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            if (!within_limits(it->first, depth + 1, count) || !within_limits(it->second, depth + 1, count)) {
                return false;
            }
        }
    } else if (node.IsSequence()) {
        for (const auto& child : node) {
            if (!within_limits(child, depth + 1, count)) return false;
        }
    }
    return true;
}

void read_string(const Node& n, std::string& out, Report& report) {
    if (n.defined()) {
        if (auto s = n.as_string(report)) out = *s;
    }
}

void read_int(const Node& n, int& out, int min, int max, Report& report) {
    if (!n.defined()) return;
    if (auto v = n.as_int(report)) {
        if (*v < min || *v > max) {
            n.error(report, "expected an integer in " + std::to_string(min) + ".." + std::to_string(max) + ", got " +
                                std::to_string(*v));
        } else {
            out = static_cast<int>(*v);
        }
    }
}

void read_bool(const Node& n, bool& out, Report& report) {
    if (n.defined()) {
        if (auto b = n.as_bool(report)) out = *b;
    }
}

// Each endpoint must be a usable http://HOST[:PORT]; the error points at the item.
bool valid_endpoints(const Node& e, const std::vector<std::string>& list, Report& report) {
    bool ok = true;
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (auto problem = imds::endpoint_problem(list[i])) {
            (e.is_sequence() ? e.at(i) : e).error(report, "'" + list[i] + "': " + *problem);
            ok = false;
        }
    }
    return ok;
}

void apply_imds(const Node& n, ImdsConfig& imds, Report& report) {
    if (!n.defined()) return;
    if (!n.is_map()) {
        n.error(report, "expected a mapping, got " + n.type_name());
        return;
    }
    if (auto e = n["endpoints"]; e.defined()) {
        if (auto list = e.as_string_or_list(report)) {
            if (list->empty()) {
                e.error(report, "expected at least one endpoint");
            } else if (valid_endpoints(e, *list, report)) {
                imds.endpoints = *list;
            }
        }
    }
    read_int(n["token_ttl_seconds"], imds.token_ttl_seconds, 1, 21600, report);
    read_int(n["deadline_seconds"], imds.deadline_seconds, 1, 3600, report);
    read_int(n["connect_timeout_ms"], imds.connect_timeout_ms, 1, 60000, report);
    read_int(n["request_timeout_ms"], imds.request_timeout_ms, 1, 600000, report);
    read_bool(n["allow_imdsv1"], imds.allow_imdsv1, report);
    for (const auto& [key, child] : n.entries()) {
        static const char* k_known[] = {"endpoints", "token_ttl_seconds", "deadline_seconds", "connect_timeout_ms",
                                        "request_timeout_ms", "allow_imdsv1"};
        if (std::find(std::begin(k_known), std::end(k_known), key) == std::end(k_known)) {
            child.key_error(report, "unknown key");
        }
    }
}

void apply_default_user(const Node& n, DefaultUserConfig& user, Report& report) {
    if (!n.defined()) return;
    if (!n.is_map()) {
        n.error(report, "expected a mapping, got " + n.type_name());
        return;
    }
    read_string(n["name"], user.name, report);
    read_string(n["gecos"], user.gecos, report);
    read_string(n["shell"], user.shell, report);
    read_bool(n["lock_passwd"], user.lock_passwd, report);
    if (auto g = n["groups"]; g.defined()) {
        if (auto list = g.as_string_or_list(report)) user.groups = *list;
    }
    if (auto s = n["sudo"]; s.defined()) {
        if (s.is_null() || (s.is_scalar() && !s.quoted() && parse_yaml11_bool(s.scalar()) == false)) {
            user.sudo.clear();
        } else if (auto text = s.as_string(report, "a sudo rule string or false")) {
            user.sudo = *text;
        }
    }
}

std::vector<StageEntry> read_stage(const Node& n, Report& report) {
    std::vector<StageEntry> out;
    if (!n.is_sequence()) {
        n.error(report, "expected a list of modules, got " + n.type_name());
        return out;
    }
    for (const Node& item : n.items()) {
        StageEntry entry;
        entry.location = item.location();
        if (item.is_scalar()) {
            entry.module = item.scalar();
        } else if (item.is_map()) {
            if (auto m = item["module"]; m.defined()) {
                if (auto s = m.as_string(report)) entry.module = *s;
            } else {
                item.error(report, "missing key 'module'");
                continue;
            }
            if (auto f = item["frequency"]; f.defined()) entry.frequency = f.as_string(report);
            if (auto o = item["on_error"]; o.defined()) {
                if (auto s = o.as_string(report)) {
                    if (*s == "continue") {
                        entry.on_error = OnError::continue_stage;
                    } else if (*s == "fail_stage") {
                        entry.on_error = OnError::fail_stage;
                    } else {
                        o.error(report, "expected 'continue' or 'fail_stage', got '" + *s + "'");
                    }
                }
            }
            for (const auto& [key, child] : item.entries()) {
                if (key != "module" && key != "frequency" && key != "on_error") child.key_error(report, "unknown key");
            }
        } else {
            item.error(report, "expected a module name or a mapping, got " + item.type_name());
            continue;
        }
        out.push_back(std::move(entry));
    }
    return out;
}

}  // namespace

std::optional<Node> parse_yaml(const std::string& text, const std::string& source, Report& report) {
    try {
        YAML::Node doc = YAML::Load(text);
        std::size_t count = 0;
        if (!within_limits(doc, 0, count)) {
            report.error({source, 0, 0, ""}, "document too large or too deeply nested (more than " +
                                                 std::to_string(limits::k_yaml_nodes) + " nodes with aliases expanded or " +
                                                 std::to_string(limits::k_yaml_depth) + " levels)");
            return std::nullopt;
        }
        keep_last_of_duplicate_keys(doc, source, report);
        return Node(doc, source);
    } catch (const YAML::Exception& e) {
        report.error({source, e.mark.line + 1, e.mark.column + 1, ""}, "invalid YAML: " + e.msg);
        return std::nullopt;
    }
}

void apply_agent_config(const Node& doc, AgentConfig& cfg, Report& report) {
    if (doc.is_null()) return;
    if (!doc.is_map()) {
        doc.error(report, "expected a mapping, got " + doc.type_name());
        return;
    }
    for (const auto& [key, child] : doc.entries()) {
        if (key == "imds") {
            apply_imds(child, cfg.imds, report);
        } else if (key == "default_user") {
            apply_default_user(child, cfg.default_user, report);
        } else if (key == "user_data") {
            if (auto p = child["policy"]; p.defined()) {
                if (auto s = p.as_string(report)) {
                    if (*s == "warn") {
                        cfg.user_data_policy = UserDataPolicy::warn;
                    } else if (*s == "strict") {
                        cfg.user_data_policy = UserDataPolicy::strict;
                    } else {
                        p.error(report, "expected 'warn' or 'strict', got '" + *s + "'");
                    }
                }
            }
        } else if (key == "processes") {
            read_int(child["timeout_seconds"], cfg.child_timeout_seconds, 1, 86400, report);
        } else if (key == "stages") {
            if (!child.is_map()) {
                child.error(report, "expected a mapping with 'init' and 'final', got " + child.type_name());
                continue;
            }
            for (const auto& [stage, list] : child.entries()) {
                if (stage == "init") {
                    cfg.init_stage = read_stage(list, report);
                } else if (stage == "final") {
                    cfg.final_stage = read_stage(list, report);
                } else {
                    list.key_error(report, "unknown stage (expected 'init' or 'final')");
                }
            }
        } else {
            child.key_error(report, "unknown key");
        }
    }
}

Result<AgentConfig> load_agent_config(const std::string& path, Report& report) {
    namespace fs = std::filesystem;
    std::vector<std::string> files{path};
    std::error_code ec;
    fs::path dropins = path + ".d";
    if (fs::is_directory(dropins, ec)) {
        std::vector<std::string> extra;
        for (const auto& entry : fs::directory_iterator(dropins, ec)) {
            if (entry.path().extension() == ".yaml" && entry.is_regular_file()) extra.push_back(entry.path().string());
        }
        std::sort(extra.begin(), extra.end());
        files.insert(files.end(), extra.begin(), extra.end());
    }
    std::vector<std::pair<std::string, std::string>> texts;
    for (const std::string& file : files) {
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            return fail("cannot read config '" + file + "'");
        }
        std::ostringstream text;
        text << in.rdbuf();
        texts.emplace_back(file, text.str());
    }
    return load_agent_config_texts(texts, report);
}

AgentConfig load_agent_config_texts(const std::vector<std::pair<std::string, std::string>>& files, Report& report) {
    AgentConfig cfg;
    for (const auto& [name, text] : files) {
        if (auto doc = parse_yaml(text, name, report)) {
            apply_agent_config(*doc, cfg, report);
        }
        cfg.sources.push_back(name);
    }
    return cfg;
}

}  // namespace kindling::config
