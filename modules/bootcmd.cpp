// bootcmd: cloud-config `bootcmd` (strings and argv lists, as runcmd) run early
// in the init stage on every boot, before write_files. As cloud-init's
// cc_bootcmd, the commands are written to a temporary script that /bin/sh
// runs, with INSTANCE_ID in the environment; the script lives under the run
// directory inside the root (the child is chrooted there) and is removed
// afterwards. Output goes to the output log. Idempotent::no: commands may have
// effects that must not repeat after a failure (frequency is `always`, so this
// only matters if the pipeline gives it another frequency).
#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "modules/script_rules.hpp"

namespace kindling::modules {

namespace {

struct Bootcmd {
    CommandList commands;
};

Bootcmd parse_bootcmd(const config::Node& cc, config::Report& report) {
    return {parse_command_list(cc["bootcmd"], report)};
}

// Removes the temporary script however run_bootcmd leaves.
class RemoveOnExit {
public:
    RemoveOnExit(system::Root& root, std::string path) : m_root(root), m_path(std::move(path)) {}
    ~RemoveOnExit() { std::ignore = m_root.remove(m_path); }
    RemoveOnExit(const RemoveOnExit&) = delete;
    RemoveOnExit& operator=(const RemoveOnExit&) = delete;

private:
    system::Root& m_root;
    std::string m_path;
};

pipeline::Outcome run_bootcmd(pipeline::ModuleContext& ctx, const Bootcmd& cfg) {
    const std::string dir = ctx.paths.run_dir + "/tmp";
    const std::string path = dir + "/bootcmd.sh";
    if (auto r = ctx.root.make_dirs(dir, {0700, 0, 0}); !r) {
        throw ModuleFailed(r.error().message);
    }
    if (auto r = ctx.root.write_file(path, shellify(cfg.commands), {0700, 0, 0}); !r) {
        throw ModuleFailed(r.error().message);
    }
    RemoveOnExit cleanup(ctx.root, path);
    system::Command cmd = script_command(ctx, {"/bin/sh", path}, "bootcmd");
    if (!ctx.instance.instance_id.empty()) {
        cmd.env["INSTANCE_ID"] = ctx.instance.instance_id;
    }
    run_checked(ctx, cmd, "/bin/sh " + path);
    std::size_t n = cfg.commands.lines.size();
    return {std::to_string(n) + (n == 1 ? " command" : " commands") + " ran"};
}

}  // namespace

extern const pipeline::ModuleSpec k_bootcmd{
    "bootcmd",
    pipeline::Frequency::always,
    {"bootcmd"},
    pipeline::Activation::by_keys,
    pipeline::Idempotent::no,
    pipeline::bind_parse(parse_bootcmd),
    pipeline::bind_run(run_bootcmd),
};

}  // namespace kindling::modules
