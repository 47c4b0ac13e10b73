#include <catch2/catch.hpp>

#include <Poco/Logger.h>

#include "agent/config/agent_config.hpp"
#include "agent/core/error.hpp"
#include "agent/pipeline/runner.hpp"
#include "tests/support/recording_runner.hpp"
#include "tests/support/scratch_root.hpp"

using namespace kindling;
using namespace kindling::pipeline;

namespace {

// Test modules whose behaviour each test scripts through these globals.
struct Calls {
    int flaky = 0;
    int script = 0;
    bool flaky_fails = false;
    bool script_sees_semaphore = false;
} g_calls;

struct Empty {};
Empty parse_empty(const config::Node&, config::Report&) { return {}; }

Outcome run_flaky(ModuleContext&, const Empty&) {
    ++g_calls.flaky;
    if (g_calls.flaky_fails) throw ModuleFailed("home directory missing");
    return {"converged"};
}

Outcome run_script(ModuleContext& ctx, const Empty&) {
    ++g_calls.script;
    auto st = ctx.root.lstat(ctx.paths.instance_dir + "/sem/script");
    g_calls.script_sees_semaphore = st && st->has_value();
    throw ModuleFailed("exit status 1");
}

Outcome run_always(ModuleContext&, const Empty&) { return {"hello"}; }

const ModuleSpec k_flaky{"flaky", Frequency::per_instance, {}, Activation::always, Idempotent::yes,
                         bind_parse(parse_empty), bind_run(run_flaky)};
const ModuleSpec k_script{"script", Frequency::per_instance, {}, Activation::always, Idempotent::no,
                          bind_parse(parse_empty), bind_run(run_script)};
const ModuleSpec k_always{"hello", Frequency::always, {"hello"}, Activation::by_keys, Idempotent::yes,
                          bind_parse(parse_empty), bind_run(run_always)};

const Registry& registry() {
    static const Registry k_registry({&k_flaky, &k_script, &k_always});
    return k_registry;
}

struct Fixture {
    test::ScratchRoot scratch;
    test::RecordingRunner runner;
    system::Root root{scratch.path(), runner};
    InstanceInfo instance = [] {
        InstanceInfo i;
        i.instance_id = "i-0abc";
        return i;
    }();
    DefaultUser user;
    Paths paths{.instance_dir = "/var/lib/kindling/instances/i-0abc"};
    core::RealClock clock;
    Semaphores semaphores{root, paths.state_dir, paths.instance_dir};

    StageRecord run(const std::vector<config::StageEntry>& entries, const std::string& cloud_config) {
        config::Report report;
        auto plan = plan_stage(registry(), entries, "init", report);
        REQUIRE_FALSE(report.has_errors());
        auto doc = config::parse_yaml(cloud_config, "cc", report);
        ModuleConfigs configs = parse_modules(registry(), *doc, report);
        StageInputs inputs{instance, user, paths, root, clock, std::chrono::seconds(10)};
        return run_stage("init", plan, configs, semaphores, inputs);
    }
};

config::StageEntry entry(std::string module, config::OnError on_error = config::OnError::continue_stage) {
    config::StageEntry e;
    e.module = std::move(module);
    e.on_error = on_error;
    return e;
}

}  // namespace

TEST_CASE("an idempotent module is marked only after success, so a failure is retried", "[pipeline][semaphore]") {
    Fixture f;
    g_calls = {};
    g_calls.flaky_fails = true;
    StageRecord first = f.run({entry("flaky")}, "{}");
    CHECK(first.modules[0].state == ModuleState::failed);
    CHECK(first.modules[0].message == "home directory missing");
    CHECK(first.errors == std::vector<std::string>{"module flaky: home directory missing"});
    CHECK_FALSE(f.scratch.exists("/var/lib/kindling/instances/i-0abc/sem/flaky"));

    g_calls.flaky_fails = false;
    StageRecord second = f.run({entry("flaky")}, "{}");
    CHECK(second.modules[0].state == ModuleState::success);
    CHECK(g_calls.flaky == 2);
    CHECK(f.scratch.exists("/var/lib/kindling/instances/i-0abc/sem/flaky"));

    StageRecord third = f.run({entry("flaky")}, "{}");
    CHECK(third.modules[0].state == ModuleState::skipped);
    CHECK(third.modules[0].message == "skipped (per-instance, already ran for i-0abc)");
    CHECK(g_calls.flaky == 2);
}

TEST_CASE("a non-idempotent module is marked before it runs, so it never runs twice", "[pipeline][semaphore]") {
    Fixture f;
    g_calls = {};
    StageRecord first = f.run({entry("script")}, "{}");
    CHECK(first.modules[0].state == ModuleState::failed);
    CHECK(g_calls.script_sees_semaphore);
    StageRecord second = f.run({entry("script")}, "{}");
    CHECK(second.modules[0].state == ModuleState::skipped);
    CHECK(g_calls.script == 1);
}

TEST_CASE("fail_stage stops the stage; continue runs the rest", "[pipeline]") {
    Fixture f;
    g_calls = {};
    g_calls.flaky_fails = true;
    StageRecord cont = f.run({entry("flaky"), entry("hello")}, "hello: 1\n");
    CHECK(cont.modules[1].state == ModuleState::success);
    CHECK(cont.state == "error");

    StageRecord stop = f.run({entry("flaky", config::OnError::fail_stage), entry("hello")}, "hello: 1\n");
    CHECK(stop.modules[1].state == ModuleState::skipped);
    CHECK(stop.modules[1].message == "not run (stage failed at flaky)");
}

TEST_CASE("a module without its keys is skipped and an always module runs every time", "[pipeline]") {
    Fixture f;
    g_calls = {};
    CHECK(f.run({entry("hello")}, "{}").modules[0].message == "skipped (no configuration)");
    CHECK(f.run({entry("hello")}, "hello: x\n").modules[0].state == ModuleState::success);
    CHECK(f.run({entry("hello")}, "hello: x\n").modules[0].state == ModuleState::success);
    CHECK_FALSE(f.scratch.exists("/var/lib/kindling/instances/i-0abc/sem/hello"));
}

TEST_CASE("an unknown module or frequency in kindling.yaml names the file and line", "[pipeline]") {
    config::Report report;
    auto doc = config::parse_yaml("stages:\n  init:\n    - flaky\n    - nosuch\n    - {module: hello, frequency: hourly}\n",
                                  "/etc/kindling/kindling.yaml", report);
    config::AgentConfig cfg;
    config::apply_agent_config(*doc, cfg, report);
    auto plan = plan_stage(registry(), cfg.init_stage, "init", report);
    CHECK(plan.size() == 1);
    REQUIRE(report.entries().size() == 2);
    CHECK(report.entries()[0].format() == "/etc/kindling/kindling.yaml, line 4, column 7: stages.init[1]: unknown module 'nosuch' in stage init");
    CHECK(report.entries()[1].format() ==
          "/etc/kindling/kindling.yaml, line 5, column 7: stages.init[2]: unknown frequency 'hourly' for module 'hello' (expected always, per-instance or once)");
}
