// From raw user data to what the modules run with: store the raw bytes (0600),
// decode into parts (agent/userdata; parts for another launch index skipped),
// route scripts and boothooks to their directories (0700), validate each
// cloud-config part on its own (messages name the part, line and column) and
// merge the valid ones with cloud-init's rules, then run the boothooks (not
// under the strict policy when the user data has errors). The merged
// cloud-config is stored 0600 for the final stage.
// User-data content never reaches a log or status.json; only part names, types,
// sizes and destinations do.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/config/agent_config.hpp"
#include "agent/config/node.hpp"
#include "agent/core/instance_info.hpp"
#include "agent/pipeline/module_context.hpp"
#include "agent/pipeline/registry.hpp"
#include "agent/pipeline/status.hpp"
#include "agent/system/root.hpp"
#include "agent/userdata/part.hpp"

namespace kindling::pipeline {

struct UserDataOutcome {
    config::Node cloud_config;  // merged and validated (an empty mapping when there is none)
    std::vector<PartRecord> parts;
    std::vector<std::string> warnings;  // formatted, one line each
    std::vector<std::string> errors;    // formatted, one line each
    bool blocked = false;               // strict policy and errors: no module may run
    std::set<std::string> rejected_keys;  // top-level keys skipped for errors (warn policy)
};

UserDataOutcome process_user_data(const std::string& raw, bool present, config::UserDataPolicy policy,
                                  const Registry& registry, system::Root& root, const Paths& paths,
                                  const InstanceInfo& instance, std::chrono::seconds child_timeout);

// The merged cloud-config stored by init (an empty mapping when there is none).
config::Node load_stored_cloud_config(const system::Root& root, const Paths& paths, config::Report& report);
// The top-level keys init skipped for errors (stored beside the cloud-config).
std::set<std::string> load_stored_rejected_keys(const system::Root& root, const Paths& paths, config::Report& report);

// The cloud-config that `parts` make, every problem going into `report`: each
// cloud-config part is parsed and validated on its own (messages name the part,
// line and column), its top-level keys with errors dropped, then merged with
// cloud-init's rules; each #cloud-config-jsonp part is applied where it stands
// in the part order, and not at all if it fails or leaves the config invalid.
// The boot and `kindling schema` both build through this, so they agree.
struct BuiltCloudConfig {
    config::Node cloud_config;                         // an empty mapping when there is none
    std::map<std::size_t, std::string> destinations;   // by part number: "cloud-config", "not applied", ...
    std::set<std::string> rejected_keys;               // top-level keys skipped for errors
};
BuiltCloudConfig build_cloud_config(const std::vector<userdata::Part>& parts, const Registry& registry,
                                    config::Report& report);

// Validates user data offline (`kindling schema`): decodes `bytes` as the boot
// does, except that #include URLs are not fetched, and builds the cloud-config.
// `name` is what messages call the input ("user data", or a file name) and
// `part_prefix` starts each part's name ("user-data part ", "FILE part ").
// Parts for a launch index other than `launch_index` are skipped, as at boot;
// without one (a FILE, which every instance of a launch may get) every part is
// validated whatever its Launch-Index.
config::Report validate_user_data(const std::string& bytes, const std::string& name, const std::string& part_prefix,
                                  const Registry& registry, std::optional<int> launch_index = std::nullopt);

// The instance's launch index (meta-data/ami-launch-index), nullopt when IMDS
// gave none or it is not an integer (then no part is filtered, as in cloud-init).
std::optional<int> launch_index_of(const InstanceInfo& instance);

}  // namespace kindling::pipeline
