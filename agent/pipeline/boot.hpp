// The boot itself, as numbered steps (ec2-macos-init's run()): init fetches
// metadata and user data, decodes, validates and merges it, and runs the init
// stage; final runs the final stage from what init stored. `run` does both in
// one process. Failures are recorded in status.json and reported once.
#pragma once

#include <optional>
#include <string>

#include "agent/config/agent_config.hpp"
#include "agent/core/deadline.hpp"
#include "agent/pipeline/registry.hpp"
#include "agent/system/root.hpp"

namespace kindling::pipeline {

enum class StageSelection { init, final, both };

enum class BootResult {
    done,          // every module that was due succeeded
    degraded,      // user-data problems skipped (warn policy), the rest applied
    module_failed, // at least one module failed
    config_error,  // kindling.yaml or (strict) user data invalid: nothing ran
    imds_error,    // metadata could not be fetched within the deadline
    busy,          // another kindling holds the lock
    internal,      // state could not be read or written
};

struct BootRequest {
    StageSelection stages = StageSelection::both;
    std::optional<std::string> imds_endpoint;  // --imds-endpoint, overrides the config
};

BootResult boot(const BootRequest& request, const config::AgentConfig& config, const Registry& registry,
                system::Root& root, core::Clock& clock);

}  // namespace kindling::pipeline
