#include <catch2/catch.hpp>

#include "agent/config/agent_config.hpp"
#include "agent/pipeline/validate.hpp"
#include "modules/registry.hpp"

using namespace kindling;

// Validation runs every module's parse on every cloud-config part, so a module
// must accept a document without its keys (regression: bootcmd, write_files and
// timezone reported "got nothing" for every part that did not use them).
TEST_CASE("every built-in module accepts a cloud-config without its keys", "[module][registry]") {
    for (const char* text : {"{}", "hostname: x\n", "runcmd: [ls]\n"}) {
        config::Report report;
        auto doc = config::parse_yaml(text, "user-data part 1", report);
        REQUIRE(doc);
        for (const pipeline::ModuleSpec* spec : modules::builtin_registry().all()) {
            config::Report module_report;
            std::ignore = spec->parse(*doc, module_report);
            INFO(spec->name << " on " << text);
            CHECK(module_report.entries().empty());
        }
    }
}

TEST_CASE("the shipped kindling.yaml names only registered modules", "[module][registry]") {
    config::Report report;
    auto cfg = config::load_agent_config(KINDLING_SOURCE_DIR "/etc/kindling/kindling.yaml", report);
    REQUIRE(cfg);
    REQUIRE_FALSE(report.has_errors());
    for (const auto& stage : {cfg->init_stage, cfg->final_stage}) {
        for (const auto& entry : stage) {
            INFO(entry.module);
            CHECK(modules::builtin_registry().find(entry.module) != nullptr);
        }
    }
    CHECK(cfg->init_stage.size() == 7);
    CHECK(cfg->final_stage.size() == 9);
}
