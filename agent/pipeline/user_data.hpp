// From raw user data to what the modules run with: store the raw bytes (0600),
// decode into parts (agent/userdata), route scripts to their directories
// (0700), run boothooks, validate each cloud-config part on its own (messages
// name the part, line and column) and merge the valid ones with cloud-init's
// rules. The merged cloud-config is stored 0600 for the final stage.
// User-data content never reaches a log or status.json; only part names, types,
// sizes and destinations do.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "agent/config/agent_config.hpp"
#include "agent/config/node.hpp"
#include "agent/core/instance_info.hpp"
#include "agent/pipeline/module_context.hpp"
#include "agent/pipeline/registry.hpp"
#include "agent/pipeline/status.hpp"
#include "agent/system/root.hpp"

namespace kindling::pipeline {

struct UserDataOutcome {
    config::Node cloud_config;  // merged and validated (an empty mapping when there is none)
    std::vector<PartRecord> parts;
    std::vector<std::string> warnings;  // formatted, one line each
    std::vector<std::string> errors;    // formatted, one line each
    bool blocked = false;               // strict policy and errors: no module may run
};

UserDataOutcome process_user_data(const std::string& raw, bool present, config::UserDataPolicy policy,
                                  const Registry& registry, system::Root& root, const Paths& paths,
                                  const InstanceInfo& instance, std::chrono::seconds child_timeout);

// The merged cloud-config stored by init (an empty mapping when there is none).
config::Node load_stored_cloud_config(const system::Root& root, const Paths& paths, config::Report& report);

// Validates files offline (`kindling schema FILE...`): decodes each as user data
// and validates every cloud-config part. Returns the report.
config::Report validate_user_data_file(const std::string& name, const std::string& bytes, const Registry& registry);

}  // namespace kindling::pipeline
