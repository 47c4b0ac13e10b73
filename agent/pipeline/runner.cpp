#include "agent/pipeline/runner.hpp"

#include <Poco/Logger.h>

#include "agent/core/error.hpp"
#include "agent/core/log_context.hpp"

namespace kindling::pipeline {

namespace {

Poco::Logger& stage_log() { return Poco::Logger::get("kindling.pipeline"); }

std::string duration_text(std::int64_t ms) {
    return ms < 1000 ? std::to_string(ms) + " ms" : std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

}  // namespace

std::vector<PlannedModule> plan_stage(const Registry& registry, const std::vector<config::StageEntry>& entries,
                                      std::string_view stage, config::Report& report) {
    std::vector<PlannedModule> plan;
    for (const config::StageEntry& entry : entries) {
        config::Location where = entry.location;
        const ModuleSpec* spec = registry.find(entry.module);
        if (spec == nullptr) {
            report.error(where, "unknown module '" + entry.module + "' in stage " + std::string(stage));
            continue;
        }
        PlannedModule planned{spec, spec->frequency, entry.on_error};
        if (entry.frequency && !parse_frequency(*entry.frequency, planned.frequency)) {
            report.error(where, "unknown frequency '" + *entry.frequency + "' for module '" + entry.module +
                                    "' (expected always, per-instance or once)");
            continue;
        }
        plan.push_back(planned);
    }
    return plan;
}

StageRecord run_stage(std::string_view name, const std::vector<PlannedModule>& plan, const ModuleConfigs& configs,
                      Semaphores& semaphores, StageInputs& inputs,
                      const std::function<void(const StageRecord&)>& progress) {
    core::set_log_stage(std::string(name));
    StageRecord stage;
    stage.name = std::string(name);
    stage.start_ms = now_ms();
    std::string abandoned_at;

    for (const PlannedModule& planned : plan) {
        const ModuleSpec& spec = *planned.spec;
        ModuleRecord rec{std::string(spec.name), ModuleState::skipped, std::string(to_string(planned.frequency)), "", now_ms(), 0};
        Poco::Logger& log = Poco::Logger::get("kindling.module." + std::string(spec.name));

        // 1. Is it due at all?
        bool rejected = false;  // skipped, with a warning: its keys were skipped for errors
        if (!abandoned_at.empty()) {
            rec.message = "not run (stage failed at " + abandoned_at + ")";
        } else if (configs.invalid.contains(spec.name)) {
            rec.state = ModuleState::failed;
            rec.message = "invalid configuration, not run";
        } else if (configs.rejected.contains(spec.name)) {
            rejected = true;
            rec.message = "not run: its configuration is invalid";
        } else if (!configs.active.contains(spec.name)) {
            rec.message = "skipped (no configuration)";
        } else if (auto ran = semaphores.has_run(spec.name, planned.frequency); !ran) {
            rec.state = ModuleState::failed;
            rec.message = "semaphore: " + ran.error().message;
        } else if (*ran) {
            rec.message = "skipped (" + std::string(to_string(planned.frequency)) + ", already ran" +
                          (planned.frequency == Frequency::per_instance ? " for " + inputs.instance.instance_id : "") + ")";
        } else {
            // 2. Mark first when running twice would repeat effects (semaphore.hpp).
            bool ready = true;
            if (spec.idempotent == Idempotent::no) {
                if (auto m = semaphores.mark(spec.name, planned.frequency); !m) {
                    rec.state = ModuleState::failed;
                    rec.message = "semaphore: " + m.error().message;
                    ready = false;
                }
            }
            // 3. Run it: the one catch for every module.
            if (ready) {
                ModuleContext ctx{inputs.instance, inputs.default_user, inputs.paths, inputs.root, log,
                                  core::Deadline(inputs.clock, inputs.child_timeout),
                                  inputs.child_timeout};
                try {
                    Outcome outcome = spec.run(ctx, configs.parsed.find(spec.name)->second);
                    rec.state = ModuleState::success;
                    rec.message = outcome.summary;
                } catch (const ModuleFailed& e) {
                    rec.state = ModuleState::failed;
                    rec.message = e.what();
                } catch (const std::exception& e) {
                    rec.state = ModuleState::failed;
                    rec.message = std::string("unexpected error: ") + e.what();
                }
                // 4. Mark after success when a rerun converges.
                if (rec.state == ModuleState::success && spec.idempotent == Idempotent::yes) {
                    if (auto m = semaphores.mark(spec.name, planned.frequency); !m) {
                        rec.state = ModuleState::failed;
                        rec.message = "semaphore: " + m.error().message;
                    }
                }
            }
        }
        rec.end_ms = now_ms();

        // 5. One line per decision; a failure is reported here and nowhere else.
        if (rec.state == ModuleState::failed) {
            stage_log().error("module " + rec.name + ": failed: " + rec.message);
            stage.errors.push_back("module " + rec.name + ": " + rec.message);
            if (planned.on_error == config::OnError::fail_stage && abandoned_at.empty()) abandoned_at = rec.name;
        } else if (rec.state == ModuleState::success) {
            stage_log().information("module " + rec.name + ": ran in " + duration_text(rec.end_ms - rec.start_ms) +
                                    (rec.message.empty() ? "" : " (" + rec.message + ")"));
        } else if (rejected) {
            // The validation error itself was a warning (warn policy): so is this.
            stage_log().warning("module " + rec.name + ": " + rec.message);
            stage.warnings.push_back("module " + rec.name + ": " + rec.message);
        } else {
            stage_log().information("module " + rec.name + ": " + rec.message);
        }
        stage.modules.push_back(std::move(rec));
        if (progress) progress(stage);
    }
    stage.end_ms = now_ms();
    stage.state = stage.errors.empty() ? (stage.warnings.empty() ? "done" : "degraded") : "error";
    return stage;
}

}  // namespace kindling::pipeline
