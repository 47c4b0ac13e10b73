// Merging cloud-config documents with cloud-init's rules (cloudinit/mergers and
// handlers/cloud_config.py). Each document is merged into the result so far with
// its own plan: the mergers named by its `merge_how` (else `merge_type`) key,
// then those of its Merge-Type / X-Merge-Type header; with neither, the default
// "dict(replace)+list()+str()". A plan is tried in order and the first merger
// for the type of the *existing* value decides:
//   dict: no_replace (default) keeps existing keys, replace overwrites them;
//         allow_delete removes a key whose new value is null; nested mappings
//         always recurse; recurse_array/recurse_list and recurse_str recurse
//         into lists and strings even under no_replace;
//   list: replace (default) replaces item by item (a longer old list keeps its
//         tail), append / prepend concatenate, no_replace keeps the old list;
//         recurse_dict / recurse_array / recurse_str recurse item by item;
//   str:  the new string replaces, or with append is appended.
// A value of another type (number, bool, null) or with no merger in the plan
// is kept as it was. Scalars are typed as YAML 1.1 (PyYAML) types them.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/result.hpp"
#include "agent/userdata/json_patch.hpp"
#include "agent/userdata/part.hpp"

namespace kindling::userdata {

struct MergeRule {
    std::string type;                  // "dict", "list" or "str"
    std::vector<std::string> options;  // e.g. {"recurse_array", "no_replace"}
};
using MergePlan = std::vector<MergeRule>;

// "dict(recurse_array,no_replace)+list(append)" -> plan. Names are compared in
// lower case with '-' read as '_' and an optional "m_" prefix.
[[nodiscard]] Result<MergePlan> parse_merge_how(std::string_view text);
// The value of a merge_how / merge_type key: the string form, or a list of
// {name, settings} mappings or of [name, option...] lists.
[[nodiscard]] Result<MergePlan> parse_merge_how(const YAML::Node& value);
const MergePlan& default_merge_plan();

// Merges `doc` into `base` with `plan`; neither input is modified.
[[nodiscard]] Result<YAML::Node> merge_values(const YAML::Node& base, const YAML::Node& doc, const MergePlan& plan);

// Nesting depth and node count (aliases counted each time they are used, keys
// counted) within limits::k_yaml_depth and limits::k_yaml_nodes: run before
// anything walks or copies a document a user wrote (a "billion laughs" stops
// here). Returns the node count.
[[nodiscard]] Result<std::size_t> check_yaml_limits(const YAML::Node& doc);

struct CloudConfigDoc {
    std::string source;      // "user-data part 2": prefixes every message
    YAML::Node doc;          // the parsed document (null for an empty one)
    std::string merge_how;   // from the MIME header, "" if none
    // A #cloud-config-jsonp part: this patch is applied to the config merged
    // so far instead of `doc` being merged.
    std::optional<JsonPatch> patch = std::nullopt;
};

// Merges one document into `config` (a mapping) with its plan. On a problem
// `config` is left as it was, or (no dict merger) unchanged by design, and the
// returned text says why, without the source: "merge_how: unknown merger 'x'
// ...; part not merged".
[[nodiscard]] std::optional<std::string> merge_document(YAML::Node& config, const CloudConfigDoc& input);

struct Merged {
    YAML::Node config;  // always a mapping; merge_how / merge_type removed
    // Documents not merged and why (not a mapping, a bad merge_how, ...): as in
    // cloud-init, the others are merged anyway.
    std::vector<std::string> warnings;
};

Merged merge_cloud_configs(const std::vector<CloudConfigDoc>& docs);

// Parses the cloud-config and #cloud-config-jsonp parts of `parts` (other kinds
// are ignored) and merges or applies them in order; a part that is not valid
// YAML or JSON is a warning (YAML with its line and column). No schema here:
// the boot and `kindling schema` also validate (pipeline/user_data.hpp).
Merged merge_cloud_config_parts(const std::vector<Part>& parts);

}  // namespace kindling::userdata
