#include "agent/pipeline/boot.hpp"

#include <Poco/Logger.h>

#include "agent/config/node.hpp"
#include "agent/core/log_context.hpp"
#include "agent/imds/metadata.hpp"
#include "agent/imds/session.hpp"
#include "agent/pipeline/instance_state.hpp"
#include "agent/pipeline/runner.hpp"
#include "agent/pipeline/semaphore.hpp"
#include "agent/pipeline/status.hpp"
#include "agent/pipeline/temporaries.hpp"
#include "agent/pipeline/user_data.hpp"
#include "agent/pipeline/validate.hpp"

namespace kindling::pipeline {

namespace {

Poco::Logger& log() { return Poco::Logger::get("kindling.boot"); }

// How long a second kindling waits for the one holding the lock.
constexpr core::Millis k_lock_wait{30000};

DefaultUser to_default_user(const config::DefaultUserConfig& c) {
    return DefaultUser{c.name, c.gecos, c.groups, c.sudo, c.shell, c.lock_passwd};
}

imds::Settings imds_settings(const config::ImdsConfig& c, const BootRequest& request) {
    imds::Settings s;
    s.endpoints = request.imds_endpoint ? std::vector<std::string>{*request.imds_endpoint} : c.endpoints;
    s.token_ttl_seconds = c.token_ttl_seconds;
    s.connect_timeout = core::Millis(c.connect_timeout_ms);
    s.request_timeout = core::Millis(c.request_timeout_ms);
    s.deadline = core::Millis(static_cast<long>(c.deadline_seconds) * 1000);
    s.allow_imdsv1 = c.allow_imdsv1;
    return s;
}

// Everything a stage needs, built by init (or read back by a separate final).
struct Prepared {
    InstanceInfo instance;
    Paths paths;
    ModuleConfigs modules;
};

// Records a failure that stops the boot before modules run: one line, once.
BootResult stop(BootRecord& record, system::Root& root, const Paths& paths, std::string_view stage_name,
                std::string message, BootResult result) {
    log().error(message);
    StageRecord* stage = record.stage(stage_name);
    if (stage == nullptr) {
        record.stages.push_back(StageRecord{std::string(stage_name), "running", now_ms(), 0, {}, {}, {}});
        stage = &record.stages.back();
    }
    stage->state = "error";
    stage->end_ms = now_ms();
    stage->errors.push_back(std::move(message));
    if (auto w = write_status(root, paths.run_dir, record); !w) log().error("status: " + w.error().message);
    return result;
}

// Removes what runs killed mid-write left (temporaries.hpp); the lock is held.
void sweep_temporaries(system::Root& root, const Paths& paths) {
    SweepOutcome swept = remove_stale_temporaries(root, paths);
    for (const std::string& e : swept.errors) log().warning("leftover temporaries: " + e);
    if (swept.removed > 0) {
        log().warning("removed " + std::to_string(swept.removed) +
                      " temporaries left by an interrupted run (killed between writing and renaming)");
    }
}

void save_status(system::Root& root, const Paths& paths, const BootRecord& record) {
    if (auto w = write_status(root, paths.run_dir, record); !w) log().error("status: " + w.error().message);
}

// Init, steps 1-6: metadata, instance state, user data. Returns nullopt after
// recording why the boot cannot go on.
std::optional<Prepared> prepare_init(const BootRequest& request, const config::AgentConfig& config,
                                     const Registry& registry, system::Root& root, core::Clock& clock,
                                     BootRecord& record, BootResult& result) {
    Prepared prep;
    StageRecord& stage = *record.stage("init");

    // 1. Metadata and user data over IMDSv2, within one deadline.
    imds::Session session(imds_settings(config.imds, request), clock);
    auto info = imds::fetch_instance_info(session);
    std::optional<Secret<std::string>> user_data;
    if (info) {
        auto ud = imds::fetch_user_data(session);
        if (!ud) {
            info = std::unexpected(ud.error());
        } else {
            user_data = std::move(*ud);
        }
    }
    const imds::Stats& stats = session.stats();
    record.imds = {stats.endpoint, stats.requests, stats.retries, stats.token_refreshes, stats.elapsed.count(),
                   info ? "" : info.error().message};
    if (!info) {
        result = stop(record, root, prep.paths, "init", "imds: " + info.error().message, BootResult::imds_error);
        return std::nullopt;
    }
    log().information("imds: metadata fetched (" + std::to_string(stats.requests) + " requests, " +
                      std::to_string(stats.retries) + " retries, " + std::to_string(stats.elapsed.count()) + " ms)");
    prep.instance = std::move(*info);

    // 2. Which instance is this? A new id means per-instance modules run again.
    auto state = record_instance(root, prep.paths, prep.instance.instance_id);
    if (!state) {
        result = stop(record, root, prep.paths, "init", "state: " + state.error().message, BootResult::internal);
        return std::nullopt;
    }
    prep.paths.instance_dir = prep.paths.state_dir + "/instances/" + prep.instance.instance_id;
    record.instance_id = prep.instance.instance_id;
    record.new_instance = state->new_instance;
    log().information(state->new_instance ? "instance " + state->instance_id + ": first boot"
                                          : "instance " + state->instance_id + ": already seen, per-instance modules skipped");

    // 3. Instance data: redacted for everyone, the rest for root only.
    const std::string raw = user_data ? user_data->reveal() : std::string();
    for (auto [path, text, mode] : {std::tuple{prep.paths.instance_dir + "/instance-info.json",
                                               instance_info_to_json(prep.instance, ""), 0600},
                                    std::tuple{prep.paths.run_dir + "/instance-data.json",
                                               instance_info_to_json(prep.instance, ""), 0644},
                                    std::tuple{prep.paths.run_dir + "/instance-data-sensitive.json",
                                               instance_info_to_json(prep.instance, raw), 0600}}) {
        auto w = root.make_dirs(path.substr(0, path.rfind('/')), {0755, 0, 0});
        if (w) w = root.write_file(path, text, {static_cast<mode_t>(mode), 0, 0});
        if (!w) {
            result = stop(record, root, prep.paths, "init", "state: " + w.error().message, BootResult::internal);
            return std::nullopt;
        }
    }

    // 4-6. Decode, route, validate and merge the user data.
    UserDataOutcome ud = process_user_data(raw, user_data.has_value(), config.user_data_policy, registry, root,
                                           prep.paths, prep.instance, std::chrono::seconds(config.child_timeout_seconds));
    record.parts = ud.parts;
    stage.warnings = ud.warnings;
    for (const std::string& e : ud.errors) stage.errors.push_back(e);
    if (ud.blocked) {
        result = stop(record, root, prep.paths, "init",
                      "user data rejected (policy strict): " + std::to_string(ud.errors.size()) + " errors, no module runs",
                      BootResult::config_error);
        return std::nullopt;
    }
    // The per-part validation above reported each warning at its part, line
    // and column; parsing the merged cloud-config again only adds what merging
    // made invalid, so its warnings (the same ones, without a position) are dropped.
    config::Report report;
    prep.modules = parse_modules(registry, ud.cloud_config, report, ud.rejected_keys);
    for (const config::Entry& e : report.entries()) {
        if (e.severity == config::Severity::error) stage.errors.push_back(e.format());
    }
    return prep;
}

// Reads back what init stored: the instance, its info and the merged
// cloud-config (problems with it go into `report`). Errors are "state: ...".
Result<Prepared> load_stored(const Registry& registry, const system::Root& root, config::Report& report) {
    Prepared prep;
    auto id = current_instance_id(root, prep.paths);
    if (!id) return fail("state: " + id.error().message);
    prep.paths.instance_dir = prep.paths.state_dir + "/instances/" + *id;
    auto text = root.read_file(prep.paths.instance_dir + "/instance-info.json");
    Result<InstanceInfo> info = !text ? std::unexpected(text.error())
                                : !*text ? fail("instance-info.json missing (the init stage did not finish)")
                                         : instance_info_from_json(**text);
    if (!info) return fail("state: " + info.error().message);
    prep.instance = std::move(*info);
    auto stored = load_stored_cloud_config(root, prep.paths, report);
    prep.modules = parse_modules(registry, stored, report, load_stored_rejected_keys(root, prep.paths, report));
    return prep;
}

// Final, step 1 when run on its own: read back what init stored.
std::optional<Prepared> prepare_final(const Registry& registry, system::Root& root, BootRecord& record,
                                      BootResult& result) {
    config::Report report;
    auto prep = load_stored(registry, root, report);
    if (!prep) {
        result = stop(record, root, Paths{}, "final", prep.error().message, BootResult::internal);
        return std::nullopt;
    }
    // Warnings about the stored cloud-config were reported by init already.
    StageRecord& stage = *record.stage("final");
    for (const config::Entry& e : report.entries()) {
        if (e.severity == config::Severity::error) stage.errors.push_back(e.format());
    }
    return std::move(*prep);
}

BootResult run_one_stage(std::string_view name, const std::vector<config::StageEntry>& entries,
                         const config::AgentConfig& config, const Registry& registry, system::Root& root,
                         core::Clock& clock, Prepared& prep, BootRecord& record) {
    config::Report plan_report;
    std::vector<PlannedModule> plan = plan_stage(registry, entries, name, plan_report);
    if (plan_report.has_errors()) {
        std::string first = plan_report.entries().front().format();
        return stop(record, root, prep.paths, name, first, BootResult::config_error);
    }
    DefaultUser user = to_default_user(config.default_user);
    Semaphores semaphores(root, prep.paths.state_dir, prep.paths.instance_dir);
    StageInputs inputs{prep.instance, user, prep.paths, root, clock, std::chrono::seconds(config.child_timeout_seconds)};
    StageRecord* slot = record.stage(name);
    std::vector<std::string> earlier_errors = slot->errors, earlier_warnings = slot->warnings;
    std::int64_t start = slot->start_ms;
    auto publish = [&](const StageRecord& progress) {
        StageRecord* s = record.stage(name);
        *s = progress;
        s->start_ms = start;
        s->state = "running";
        s->errors.insert(s->errors.begin(), earlier_errors.begin(), earlier_errors.end());
        s->warnings.insert(s->warnings.begin(), earlier_warnings.begin(), earlier_warnings.end());
        save_status(root, prep.paths, record);
    };
    StageRecord done = run_stage(name, plan, prep.modules, semaphores, inputs, publish);
    publish(done);
    StageRecord* s = record.stage(name);
    s->end_ms = now_ms();
    bool module_failed = !done.errors.empty();
    s->state = module_failed ? "error" : (s->errors.empty() && s->warnings.empty() ? "done" : "degraded");
    if (!module_failed && !s->errors.empty()) s->state = "degraded";
    save_status(root, prep.paths, record);
    if (module_failed) return BootResult::module_failed;
    return s->state == "degraded" ? BootResult::degraded : BootResult::done;
}

BootResult worse(BootResult a, BootResult b) { return static_cast<int>(b) > static_cast<int>(a) ? b : a; }

}  // namespace

BootResult boot(const BootRequest& request, const config::AgentConfig& config, const Registry& registry,
                system::Root& root, core::Clock& clock) {
    Paths paths;
    // 1. One kindling at a time; a second waits, then says who holds the lock.
    auto lock = InstanceLock::acquire(root, paths.run_dir, clock, k_lock_wait);
    if (!lock) {
        log().error(lock.error().message);
        return BootResult::busy;
    }
    // 2. Under the lock no other kindling writes: temporaries found are stale.
    sweep_temporaries(root, paths);
    // 3. Start from this boot's record: init begins a new one, final extends it.
    BootRecord record;
    record.version = KINDLING_VERSION;
    if (request.stages == StageSelection::final) {
        if (auto previous = read_status(root, paths.run_dir); previous && *previous) record = std::move(**previous);
        std::erase_if(record.stages, [](const StageRecord& s) { return s.name == "final"; });
    }
    BootResult result = BootResult::done;
    std::optional<Prepared> prep;

    // 4. Init: metadata, user data, init modules.
    if (request.stages != StageSelection::final) {
        core::set_log_stage("init");
        record.stages.push_back(StageRecord{"init", "running", now_ms(), 0, {}, {}, {}});
        save_status(root, paths, record);
        prep = prepare_init(request, config, registry, root, clock, record, result);
        if (!prep) return result;
        result = worse(result, run_one_stage("init", config.init_stage, config, registry, root, clock, *prep, record));
    }
    // 5. Final: scripts, runcmd, final_message.
    if (request.stages != StageSelection::init) {
        core::set_log_stage("final");
        record.stages.push_back(StageRecord{"final", "running", now_ms(), 0, {}, {}, {}});
        save_status(root, paths, record);
        if (!prep) {
            prep = prepare_final(registry, root, record, result);
            if (!prep) return result;
        }
        result = worse(result, run_one_stage("final", config.final_stage, config, registry, root, clock, *prep, record));
    }
    record.agent = self_usage();
    save_status(root, paths, record);
    log().information("boot " + record.overall() + " (agent cpu " + std::to_string(record.agent.cpu_ms) + " ms, peak rss " +
                      std::to_string(record.agent.max_rss_kb / 1024) + " MiB)");
    return result;
}

SingleResult run_single(const SingleRequest& request, const config::AgentConfig& config, const Registry& registry,
                        system::Root& root, core::Clock& clock) {
    SingleResult out;
    // 1. The module's kindling.yaml entry if it has one (its frequency), else a plain entry.
    config::StageEntry entry{request.module, std::nullopt, config::OnError::continue_stage, {}};
    for (const auto* stage : {&config.init_stage, &config.final_stage}) {
        for (const config::StageEntry& e : *stage) {
            if (e.module == request.module) entry = e;
        }
    }
    config::Report plan_report;
    std::vector<PlannedModule> plan = plan_stage(registry, {entry}, "single", plan_report);
    if (plan_report.has_errors()) {
        for (const config::Entry& e : plan_report.entries()) out.problems.push_back(e.format());
        out.result = BootResult::config_error;
        return out;
    }
    if (request.frequency) plan.front().frequency = *request.frequency;
    // 2. One kindling at a time, as for a boot.
    Paths lock_paths;
    auto lock = InstanceLock::acquire(root, lock_paths.run_dir, clock, k_lock_wait);
    if (!lock) {
        out.problems.push_back(lock.error().message);
        out.result = BootResult::busy;
        return out;
    }
    sweep_temporaries(root, lock_paths);
    // 3. What init stored, as the final stage reads it.
    config::Report report;
    auto prep = load_stored(registry, root, report);
    if (!prep) {
        out.problems.push_back(prep.error().message);
        out.result = BootResult::internal;
        return out;
    }
    for (const config::Entry& e : report.entries()) out.problems.push_back(e.format());
    // 4. Run it through the stage runner: semaphores, the one catch, one log line.
    DefaultUser user = to_default_user(config.default_user);
    Semaphores semaphores(root, prep->paths.state_dir, prep->paths.instance_dir);
    StageInputs inputs{prep->instance, user, prep->paths, root, clock, std::chrono::seconds(config.child_timeout_seconds)};
    StageRecord done = run_stage("single", plan, prep->modules, semaphores, inputs);
    out.record = done.modules.front();
    out.result = out.record->state == ModuleState::failed ? BootResult::module_failed : BootResult::done;
    return out;
}

}  // namespace kindling::pipeline
