// scripts_per_once: run-parts of /var/lib/kindling/scripts/per-once (the
// user-data parts of type text/x-shellscript-per-once land there). Frequency
// once: run the first time Kindling ever runs on this machine, never again (not
// even on a new instance), as cloud-init's cc_scripts_per_once. No cloud-config
// keys. Idempotent::no: a script may reboot the machine or have effects that
// must not repeat, so the semaphore is written before it runs and a failed
// script is not retried (cloud-init marks it the same way).
#include "agent/pipeline/module_spec.hpp"
#include "modules/script_rules.hpp"

namespace kindling::modules {

namespace {

struct ScriptsPerOnce {};

ScriptsPerOnce parse_scripts_per_once(const config::Node&, config::Report&) { return {}; }

pipeline::Outcome run_scripts_per_once(pipeline::ModuleContext& ctx, const ScriptsPerOnce&) {
    return run_parts(ctx, ctx.paths.state_dir + "/scripts/per-once");
}

}  // namespace

extern const pipeline::ModuleSpec k_scripts_per_once{
    "scripts_per_once",
    pipeline::Frequency::once,
    {},
    pipeline::Activation::always,
    pipeline::Idempotent::no,
    pipeline::bind_parse(parse_scripts_per_once),
    pipeline::bind_run(run_scripts_per_once),
};

}  // namespace kindling::modules
