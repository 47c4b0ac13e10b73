// scripts_per_boot: run-parts of /var/lib/kindling/scripts/per-boot (the
// user-data parts of type text/x-shellscript-per-boot land there). Frequency
// always: every boot, as cloud-init's cc_scripts_per_boot. No cloud-config
// keys. Idempotent::no: a script may reboot the machine or have effects that
// must not repeat, so the semaphore is written before it runs and a failed
// script is not retried (cloud-init marks it the same way).
#include "agent/pipeline/module_spec.hpp"
#include "modules/script_rules.hpp"

namespace kindling::modules {

namespace {

struct ScriptsPerBoot {};

ScriptsPerBoot parse_scripts_per_boot(const config::Node&, config::Report&) { return {}; }

pipeline::Outcome run_scripts_per_boot(pipeline::ModuleContext& ctx, const ScriptsPerBoot&) {
    return run_parts(ctx, ctx.paths.state_dir + "/scripts/per-boot");
}

}  // namespace

extern const pipeline::ModuleSpec k_scripts_per_boot{
    "scripts_per_boot",
    pipeline::Frequency::always,
    {},
    pipeline::Activation::always,
    pipeline::Idempotent::no,
    pipeline::bind_parse(parse_scripts_per_boot),
    pipeline::bind_run(run_scripts_per_boot),
};

}  // namespace kindling::modules
