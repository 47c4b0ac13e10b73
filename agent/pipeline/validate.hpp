// Cloud-config validation before any module runs. The schema is the modules'
// own parse functions (one source of truth for what a key means), plus a check
// for keys no module reads: a key cloud-init knows but Kindling does not
// support is reported as such, anything else as unknown with the closest known
// key suggested. Each user-data part is validated on its own, so messages name
// the part, line and column; in `warn` policy the top-level keys that carry
// errors are dropped from that part before merging (cloud-init compatible: the
// rest applies, the boot is "degraded"), in `strict` policy nothing runs.
#pragma once

#include <any>
#include <map>
#include <set>
#include <string>

#include "agent/config/node.hpp"
#include "agent/config/report.hpp"
#include "agent/pipeline/registry.hpp"

namespace kindling::pipeline {

// Checks one document; returns the top-level keys that have errors ("" stands
// for the document itself, e.g. when it is not a mapping).
std::set<std::string> validate_document(const Registry& registry, const config::Node& doc, config::Report& report);

// What each module will run with, parsed from the merged cloud-config.
struct ModuleConfigs {
    std::map<std::string, std::any, std::less<>> parsed;  // valid, typed config per module
    std::set<std::string, std::less<>> invalid;           // modules whose section has errors
    std::set<std::string, std::less<>> active;            // modules with a key present or Activation::always
    // Modules none of whose keys is left because each was skipped for errors
    // (warn policy): not run, and said so, rather than "no configuration".
    std::set<std::string, std::less<>> rejected;
};

// `rejected_keys`: the top-level keys user-data validation skipped for errors.
ModuleConfigs parse_modules(const Registry& registry, const config::Node& merged, config::Report& report,
                            const std::set<std::string>& rejected_keys = {});

// The first segment of a key path: "write_files[1].path" -> "write_files".
std::string top_level_key(const std::string& key_path);

}  // namespace kindling::pipeline
