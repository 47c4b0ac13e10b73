// The stage runner owns everything modules share: which modules a stage runs
// (from kindling.yaml, checked against the registry), frequency and semaphores,
// activation by keys, timing, the single catch, logging each outcome once, and
// the on_error policy. Modules only parse and run.
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "agent/config/agent_config.hpp"
#include "agent/config/report.hpp"
#include "agent/core/deadline.hpp"
#include "agent/pipeline/registry.hpp"
#include "agent/pipeline/semaphore.hpp"
#include "agent/pipeline/status.hpp"
#include "agent/pipeline/validate.hpp"

namespace kindling::pipeline {

struct PlannedModule {
    const ModuleSpec* spec = nullptr;
    Frequency frequency = Frequency::per_instance;
    config::OnError on_error = config::OnError::continue_stage;
};

// Resolves stage entries: an unknown module name or frequency is an error that
// names the file, line and entry.
std::vector<PlannedModule> plan_stage(const Registry& registry, const std::vector<config::StageEntry>& entries,
                                      std::string_view stage, config::Report& report);

struct StageInputs {
    const InstanceInfo& instance;
    const DefaultUser& default_user;
    const Paths& paths;
    system::Root& root;
    core::Clock& clock;
    std::chrono::seconds child_timeout;
};

// Runs the planned modules in order and returns the stage's record. `progress`
// is called after each module (to rewrite status.json).
StageRecord run_stage(std::string_view name, const std::vector<PlannedModule>& plan, const ModuleConfigs& configs,
                      Semaphores& semaphores, StageInputs& inputs,
                      const std::function<void(const StageRecord&)>& progress = {});

}  // namespace kindling::pipeline
