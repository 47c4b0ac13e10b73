// scripts_user: run-parts of <instance_dir>/scripts/, where the boot flow saved
// the user-data scripts (0700), in sorted order, as cloud-init's
// cc_scripts_user. Every script runs whatever the others did; the module fails
// at the end naming the ones that failed (cloud-init: "Failed to run module
// scripts_user (scripts in ...)"). `runcmd` in that directory belongs to the
// runcmd module, which runs it itself later in the stage, so it is not run
// here. Per-instance, no cloud-config keys. Idempotent::no: a script that ends
// with `reboot` must not run again on the next boot, so the semaphore is
// written before the scripts run.
#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "modules/script_rules.hpp"

namespace kindling::modules {

namespace {

struct ScriptsUser {};

ScriptsUser parse_scripts_user(const config::Node&, config::Report&) { return {}; }

pipeline::Outcome run_scripts_user(pipeline::ModuleContext& ctx, const ScriptsUser&) {
    if (ctx.paths.instance_dir.empty()) {
        throw ModuleFailed("no instance directory");
    }
    return run_parts(ctx, ctx.paths.instance_dir + "/scripts", {"runcmd"});
}

}  // namespace

extern const pipeline::ModuleSpec k_scripts_user{
    "scripts_user",
    pipeline::Frequency::per_instance,
    {},
    pipeline::Activation::always,
    pipeline::Idempotent::no,
    pipeline::bind_parse(parse_scripts_user),
    pipeline::bind_run(run_scripts_user),
};

}  // namespace kindling::modules
