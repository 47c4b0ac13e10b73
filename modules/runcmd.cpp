// runcmd: cloud-config `runcmd` turned into one /bin/sh script the way
// cloud-init's util.shellify does (a string item is a verbatim line, a list
// item is an argv with every word single-quoted, header `#!/bin/sh`, no
// `set -e` so a failing line does not stop the next), saved 0700 as
// <instance_dir>/scripts/runcmd and run in the final stage with its output in
// the output log. cloud-init writes the script in its config stage and lets
// scripts_user run it; Kindling's runcmd does both, keeping the meaning.
// Idempotent::no: the commands may reboot or repeat effects, so the semaphore
// is written before they run and a failed run is not retried.
#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "modules/script_rules.hpp"

namespace kindling::modules {

namespace {

struct Runcmd {
    CommandList commands;
};

Runcmd parse_runcmd(const config::Node& cc, config::Report& report) {
    return {parse_command_list(cc["runcmd"], report)};
}

pipeline::Outcome run_runcmd(pipeline::ModuleContext& ctx, const Runcmd& cfg) {
    if (ctx.paths.instance_dir.empty()) {
        throw ModuleFailed("no instance directory");
    }
    const std::string dir = ctx.paths.instance_dir + "/scripts";
    const std::string path = dir + "/runcmd";
    if (auto r = ctx.root.make_dirs(dir, {0700, 0, 0}); !r) {
        throw ModuleFailed(r.error().message);
    }
    if (auto r = ctx.root.write_file(path, shellify(cfg.commands), {0700, 0, 0}); !r) {
        throw ModuleFailed(r.error().message);
    }
    run_checked(ctx, script_command(ctx, {path}, "runcmd"), path);
    std::size_t n = cfg.commands.lines.size();
    return {std::to_string(n) + (n == 1 ? " command" : " commands") + " ran"};
}

}  // namespace

extern const pipeline::ModuleSpec k_runcmd{
    "runcmd",
    pipeline::Frequency::per_instance,
    {"runcmd"},
    pipeline::Activation::by_keys,
    pipeline::Idempotent::no,
    pipeline::bind_parse(parse_runcmd),
    pipeline::bind_run(run_runcmd),
};

}  // namespace kindling::modules
