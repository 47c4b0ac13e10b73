#include "agent/userdata/merge.hpp"

#include <regex>
#include <unordered_map>

#include "agent/core/limits.hpp"
#include "agent/userdata/codec.hpp"
#include "agent/userdata/yaml_types.hpp"

namespace kindling::userdata {

namespace {

// The Python type cloud-init would see for a value, which picks its merger.
enum class ValueType { dict, list, str, other };

ValueType type_of(const YAML::Node& node) {
    switch (python_type(node)) {
        case PyType::dict:
            return ValueType::dict;
        case PyType::list:
            return ValueType::list;
        case PyType::str:
            return ValueType::str;
        default:
            return ValueType::other;
    }
}

bool has(const std::vector<std::string>& options, std::string_view option) {
    return std::find(options.begin(), options.end(), option) != options.end();
}

// cloud-init picks the first method of its MERGE_TYPES tuple present in the
// options, not the first option written.
std::string method_of(const std::vector<std::string>& options, std::initializer_list<std::string_view> methods,
                      std::string_view fallback) {
    for (auto m : methods) {
        if (has(options, m)) {
            return std::string(m);
        }
    }
    return std::string(fallback);
}

std::string canonical_type(std::string name) {
    name = ascii_lower(name);
    std::replace(name.begin(), name.end(), '-', '_');
    const auto first = name.find_first_not_of(" \t");
    const auto last = name.find_last_not_of(" \t");
    name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
    if (name.starts_with("m_")) {
        name.erase(0, 2);
    }
    return name;
}

Result<MergeRule> make_rule(std::string name, std::vector<std::string> options) {
    std::string type = canonical_type(std::move(name));
    if (type != "dict" && type != "list" && type != "str") {
        return fail("unknown merger '" + type + "' (known: dict, list, str)");
    }
    return MergeRule{std::move(type), std::move(options)};
}

// A key's identity in a mapping (scalar keys by text, others by their YAML).
std::string key_id(const YAML::Node& key) {
    return key.IsScalar() ? key.Scalar() : YAML::Dump(key);
}

class Merger {
public:
    explicit Merger(const MergePlan& plan) : m_plan(plan) {}

    // LookupMerger.merge: the first rule for the existing value's type decides;
    // with none the existing value stays.
    Result<YAML::Node> merge(const YAML::Node& value, const YAML::Node& merge_with) {
        const ValueType type = type_of(value);
        const char* wanted = type == ValueType::dict ? "dict"
                             : type == ValueType::list ? "list"
                             : type == ValueType::str  ? "str"
                                                       : nullptr;
        if (wanted) {
            for (const auto& rule : m_plan) {
                if (rule.type != wanted) {
                    continue;
                }
                if (type == ValueType::dict) {
                    return on_dict(value, merge_with, rule.options);
                }
                if (type == ValueType::list) {
                    return on_list(value, merge_with, rule.options);
                }
                return on_str(value, merge_with, rule.options);
            }
        }
        return YAML::Clone(value);
    }

private:
    Result<YAML::Node> on_dict(const YAML::Node& value, const YAML::Node& merge_with,
                               const std::vector<std::string>& options) {
        if (!merge_with.IsMap()) {
            return YAML::Clone(value);
        }
        const bool replace = method_of(options, {"replace", "no_replace"}, "no_replace") == "replace";
        const bool recurse_str = has(options, "recurse_str");
        const bool recurse_array = has(options, "recurse_array") || has(options, "recurse_list");
        const bool allow_delete = has(options, "allow_delete");

        std::unordered_map<std::string, YAML::Node> incoming;
        for (const auto& entry : merge_with) {
            incoming.emplace(key_id(entry.first), entry.second);
        }
        YAML::Node out(YAML::NodeType::Map);
        std::unordered_map<std::string, bool> seen;
        for (const auto& entry : value) {
            const std::string id = key_id(entry.first);
            seen[id] = true;
            auto it = incoming.find(id);
            if (it == incoming.end()) {
                out.force_insert(YAML::Clone(entry.first), YAML::Clone(entry.second));
                continue;
            }
            const YAML::Node& new_v = it->second;
            if (new_v.IsNull() && allow_delete) {
                continue;
            }
            YAML::Node merged;
            const ValueType new_type = type_of(new_v);
            if (replace) {
                merged = YAML::Clone(new_v);
            } else if ((new_type == ValueType::list && recurse_array) ||
                       (new_type == ValueType::str && recurse_str) || new_type == ValueType::dict) {
                auto r = merge(entry.second, new_v);
                if (!r) {
                    return r;
                }
                merged = *r;
            } else {
                merged = YAML::Clone(entry.second);
            }
            out.force_insert(YAML::Clone(entry.first), merged);
        }
        for (const auto& entry : merge_with) {
            const std::string id = key_id(entry.first);
            if (!seen.contains(id)) {
                seen[id] = true;
                out.force_insert(YAML::Clone(entry.first), YAML::Clone(incoming.at(id)));
            }
        }
        return out;
    }

    // Python's list.extend(x) for what YAML can hold: a list's items, a
    // mapping's keys, a string's characters; anything else is a TypeError.
    static Result<void> extend(YAML::Node& list, const YAML::Node& items) {
        if (items.IsSequence()) {
            for (const auto& item : items) {
                list.push_back(YAML::Clone(item));
            }
        } else if (items.IsMap()) {
            for (const auto& entry : items) {
                list.push_back(YAML::Clone(entry.first));
            }
        } else if (type_of(items) == ValueType::str) {
            for (char c : items.Scalar()) {
                list.push_back(std::string(1, c));
            }
        } else {
            return fail("cannot add a non-list value to a list");
        }
        return {};
    }

    Result<YAML::Node> on_list(const YAML::Node& value, const YAML::Node& merge_with,
                               const std::vector<std::string>& options) {
        const std::string method = method_of(options, {"append", "prepend", "replace", "no_replace"}, "replace");
        if (method == "replace" && !merge_with.IsSequence()) {
            return YAML::Clone(merge_with);
        }
        YAML::Node out(YAML::NodeType::Sequence);
        if (method == "prepend" || method == "append") {
            const YAML::Node& first = method == "prepend" ? merge_with : value;
            const YAML::Node& second = method == "prepend" ? value : merge_with;
            if (auto r = extend(out, first); !r) {
                return std::unexpected(r.error());
            }
            if (auto r = extend(out, second); !r) {
                return std::unexpected(r.error());
            }
            return out;
        }
        if (method == "no_replace") {
            return YAML::Clone(value);
        }
        const bool recurse_str = has(options, "recurse_str");
        const bool recurse_dict = has(options, "recurse_dict");
        const bool recurse_array = has(options, "recurse_array") || has(options, "recurse_list");
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (i >= merge_with.size()) {
                out.push_back(YAML::Clone(value[i]));
                continue;
            }
            const YAML::Node new_v = merge_with[i];
            const ValueType new_type = type_of(new_v);
            if ((new_type == ValueType::list && recurse_array) || (new_type == ValueType::str && recurse_str) ||
                (new_type == ValueType::dict && recurse_dict)) {
                auto r = merge(value[i], new_v);
                if (!r) {
                    return r;
                }
                out.push_back(*r);
            } else {
                out.push_back(YAML::Clone(new_v));
            }
        }
        return out;
    }

    static Result<YAML::Node> on_str(const YAML::Node& value, const YAML::Node& merge_with,
                                     const std::vector<std::string>& options) {
        if (!has(options, "append")) {
            return YAML::Clone(merge_with);
        }
        if (type_of(merge_with) != ValueType::str) {
            return fail("cannot append a non-string value to a string");
        }
        YAML::Node out(value.Scalar() + merge_with.Scalar());
        out.SetTag("!");
        return out;
    }

    const MergePlan& m_plan;
};

struct Counter {
    std::size_t nodes = 0;
    Result<void> walk(const YAML::Node& node, std::size_t depth) {
        if (depth > limits::k_yaml_depth) {
            return fail("YAML nested deeper than " + std::to_string(limits::k_yaml_depth) + " levels");
        }
        if (++nodes > limits::k_yaml_nodes) {
            return fail("more than " + std::to_string(limits::k_yaml_nodes) +
                        " YAML nodes once aliases are expanded");
        }
        if (node.IsSequence()) {
            for (const auto& item : node) {
                if (auto r = walk(item, depth + 1); !r) {
                    return r;
                }
            }
        } else if (node.IsMap()) {
            for (const auto& entry : node) {
                if (auto r = walk(entry.first, depth + 1); !r) {
                    return r;
                }
                if (auto r = walk(entry.second, depth + 1); !r) {
                    return r;
                }
            }
        }
        return {};
    }
};

// Takes merge_how (else merge_type) out of `doc` as cloud-init's
// dict_extract_mergers does, and returns the plan it names.
Result<MergePlan> extract_plan(YAML::Node& doc) {
    const YAML::Node& lookup = doc;  // const: operator[] must not add the key
    for (const char* key : {"merge_how", "merge_type"}) {
        if (lookup[key]) {
            YAML::Node value = lookup[key];
            doc.remove(key);
            auto plan = parse_merge_how(value);
            if (!plan) {
                return fail(key, plan.error());
            }
            return plan;
        }
    }
    return MergePlan{};
}

}  // namespace

Result<MergePlan> parse_merge_how(std::string_view text) {
    static const std::regex k_rule(R"(^([a-z_][a-z0-9_]*)\((.*?)\)$)");
    MergePlan plan;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find('+', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string item = ascii_lower(text.substr(start, end - start));
        start = end + 1;
        std::replace(item.begin(), item.end(), '-', '_');
        const auto first = item.find_first_not_of(" \t\r\n");
        if (first == std::string::npos) {
            continue;
        }
        item = item.substr(first, item.find_last_not_of(" \t\r\n") - first + 1);
        std::smatch match;
        if (!std::regex_match(item, match, k_rule)) {
            return fail("'" + item + "' is not of the form name(option,...)");
        }
        std::vector<std::string> options;
        const std::string list = match[2];
        std::size_t pos = 0;
        while (pos <= list.size()) {
            auto comma = list.find(',', pos);
            if (comma == std::string::npos) {
                comma = list.size();
            }
            std::string option = list.substr(pos, comma - pos);
            pos = comma + 1;
            const auto f = option.find_first_not_of(" \t");
            if (f != std::string::npos) {
                options.push_back(option.substr(f, option.find_last_not_of(" \t") - f + 1));
            }
        }
        auto rule = make_rule(match[1], std::move(options));
        if (!rule) {
            return std::unexpected(rule.error());
        }
        plan.push_back(std::move(*rule));
    }
    return plan;
}

Result<MergePlan> parse_merge_how(const YAML::Node& value) {
    if (value.IsScalar()) {
        return parse_merge_how(std::string_view(value.Scalar()));
    }
    if (!value.IsSequence()) {
        return fail("expected a string or a list of mergers");
    }
    MergePlan plan;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const YAML::Node item = value[i];
        std::string name;
        std::vector<std::string> options;
        try {
            if (item.IsMap() && item["name"] && item["name"].IsScalar()) {
                name = item["name"].Scalar();
                const YAML::Node settings = item["settings"];
                if (settings && settings.IsSequence()) {
                    options = settings.as<std::vector<std::string>>();
                } else if (settings && !settings.IsNull()) {
                    return fail("entry " + std::to_string(i + 1) + ": settings must be a list");
                }
            } else if (item.IsSequence() && item.size() >= 1 && item[0].IsScalar()) {
                name = item[0].Scalar();
                for (std::size_t j = 1; j < item.size(); ++j) {
                    options.push_back(item[j].as<std::string>());
                }
            } else {
                return fail("entry " + std::to_string(i + 1) +
                            ": expected {name: ..., settings: [...]} or [name, option...]");
            }
        } catch (const YAML::Exception&) {
            return fail("entry " + std::to_string(i + 1) + ": options must be strings");
        }
        if (canonical_type(name).empty()) {
            continue;
        }
        auto rule = make_rule(name, std::move(options));
        if (!rule) {
            return fail("entry " + std::to_string(i + 1), rule.error());
        }
        plan.push_back(std::move(*rule));
    }
    return plan;
}

const MergePlan& default_merge_plan() {
    static const MergePlan k_default{{"dict", {"replace"}}, {"list", {}}, {"str", {}}};
    return k_default;
}

Result<YAML::Node> merge_values(const YAML::Node& base, const YAML::Node& doc, const MergePlan& plan) {
    Merger merger(plan);
    return merger.merge(base, doc);
}

Result<std::size_t> check_yaml_limits(const YAML::Node& doc) {
    Counter counter;
    if (auto walked = counter.walk(doc, 0); !walked) {
        return std::unexpected(walked.error());
    }
    return counter.nodes;
}

std::optional<std::string> merge_document(YAML::Node& config, const CloudConfigDoc& input) {
    if (!input.doc || input.doc.IsNull()) {
        return std::nullopt;  // an empty document changes nothing
    }
    if (!input.doc.IsMap()) {
        return "cloud-config is not a mapping; part not merged";
    }
    if (auto checked = check_yaml_limits(input.doc); !checked) {
        return checked.error().message + "; part not merged";
    }
    YAML::Node doc = YAML::Clone(input.doc);
    auto plan = extract_plan(doc);
    if (!plan) {
        return plan.error().message + "; part not merged";
    }
    auto header_plan = parse_merge_how(std::string_view(input.merge_how));
    if (!header_plan) {
        return "Merge-Type header: " + header_plan.error().message + "; part not merged";
    }
    plan->insert(plan->end(), header_plan->begin(), header_plan->end());
    if (plan->empty()) {
        *plan = default_merge_plan();
    }
    if (std::none_of(plan->begin(), plan->end(), [](const MergeRule& r) { return r.type == "dict"; })) {
        // cloud-init merges a document into the config with a dict merger;
        // without one the document is silently dropped there. Say so here.
        return "merge_how names no dict merger, so nothing of this part is merged (as in cloud-init)";
    }
    auto merged = merge_values(config, doc, *plan);
    if (!merged) {
        return merged.error().message + "; part not merged";
    }
    config.reset(*merged);
    return std::nullopt;
}

Merged merge_cloud_configs(const std::vector<CloudConfigDoc>& docs) {
    Merged out{YAML::Node(YAML::NodeType::Map), {}};
    for (const auto& input : docs) {
        if (input.patch) {
            auto patched = apply_json_patch(out.config, *input.patch);
            if (!patched) {
                out.warnings.push_back(input.source + ": JSON patch " + patched.error().message +
                                       "; part not applied");
            } else if (!patched->IsMap()) {
                out.warnings.push_back(input.source + ": the JSON patch leaves a cloud-config that is not a "
                                                      "mapping; part not applied");
            } else {
                out.config.reset(*patched);
            }
            continue;
        }
        if (auto problem = merge_document(out.config, input)) {
            out.warnings.push_back(input.source + ": " + *problem);
        }
    }
    return out;
}

Merged merge_cloud_config_parts(const std::vector<Part>& parts) {
    std::vector<CloudConfigDoc> docs;
    std::vector<std::string> warnings;
    for (const auto& part : parts) {
        if (part.kind == PartKind::cloud_config_jsonp) {
            auto patch = parse_json_patch(part.body.reveal());
            if (!patch) {
                warnings.push_back(part.source + ": " + patch.error().message + "; part not applied");
            } else {
                docs.push_back({part.source, YAML::Node(), part.merge_how, std::move(*patch)});
            }
            continue;
        }
        if (part.kind != PartKind::cloud_config) {
            continue;
        }
        try {
            docs.push_back({part.source, YAML::Load(part.body.reveal()), part.merge_how});
        } catch (const YAML::Exception& e) {
            warnings.push_back(part.source + ", line " + std::to_string(e.mark.line + 1) + ", column " +
                               std::to_string(e.mark.column + 1) + ": " + e.msg + "; part not merged");
        }
    }
    Merged out = merge_cloud_configs(docs);
    warnings.insert(warnings.end(), out.warnings.begin(), out.warnings.end());
    out.warnings = std::move(warnings);
    return out;
}

}  // namespace kindling::userdata
