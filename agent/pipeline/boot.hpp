// The boot itself, as numbered steps (ec2-macos-init's run()): init fetches
// metadata and user data, decodes, validates and merges it, and runs the init
// stage; final runs the final stage from what init stored. `run` does both in
// one process. Failures are recorded in status.json and reported once.
#pragma once

#include <optional>
#include <string>

#include "agent/config/agent_config.hpp"
#include "agent/core/deadline.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "agent/pipeline/registry.hpp"
#include "agent/pipeline/status.hpp"
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

// `kindling single`: one module, now, with what init stored (instance info and
// merged cloud-config), as the final stage reads them back. Its frequency is
// `frequency` if given, else its kindling.yaml entry's, else its own; the
// semaphore is honoured (always: none). Holds the boot lock; status.json is
// left as the boot wrote it.
struct SingleRequest {
    std::string module;
    std::optional<Frequency> frequency;
};

struct SingleResult {
    BootResult result = BootResult::done;  // done (ran or skipped), module_failed, internal, busy
    std::optional<ModuleRecord> record;    // the module's outcome when it got that far
    std::vector<std::string> problems;     // why it could not run, or cloud-config warnings
};

SingleResult run_single(const SingleRequest& request, const config::AgentConfig& config, const Registry& registry,
                        system::Root& root, core::Clock& clock);

}  // namespace kindling::pipeline
