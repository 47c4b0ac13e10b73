// scripts_per_instance: run-parts of /var/lib/kindling/scripts/per-instance
// (the user-data parts of type text/x-shellscript-per-instance land there).
// Frequency per-instance: the first boot of each instance, as cloud-init's
// cc_scripts_per_instance. No cloud-config keys. Idempotent::no: a script may
// reboot the machine or have effects that must not repeat, so the semaphore is
// written before it runs and a failed script is not retried (cloud-init marks
// it the same way).
#include "agent/pipeline/module_spec.hpp"
#include "modules/script_rules.hpp"

namespace kindling::modules {

namespace {

struct ScriptsPerInstance {};

ScriptsPerInstance parse_scripts_per_instance(const config::Node&, config::Report&) { return {}; }

pipeline::Outcome run_scripts_per_instance(pipeline::ModuleContext& ctx, const ScriptsPerInstance&) {
    return run_parts(ctx, ctx.paths.state_dir + "/scripts/per-instance");
}

}  // namespace

extern const pipeline::ModuleSpec k_scripts_per_instance{
    "scripts_per_instance",
    pipeline::Frequency::per_instance,
    {},
    pipeline::Activation::always,
    pipeline::Idempotent::no,
    pipeline::bind_parse(parse_scripts_per_instance),
    pipeline::bind_run(run_scripts_per_instance),
};

}  // namespace kindling::modules
