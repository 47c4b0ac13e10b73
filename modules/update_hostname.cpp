// update_hostname: every boot, keeps /etc/hostname on the name cloud-config or
// metadata asks for, with cloud-init's previous-hostname rule (its
// distro.update_hostname): the name this module wrote is recorded in
// <state_dir>/data/previous-hostname; when /etc/hostname no longer holds that
// name, the administrator changed it by hand and it is left alone from then
// on. `preserve_hostname: true` leaves everything alone; create_hostname_file
// false does not create a missing /etc/hostname. The running hostname is set
// (only when acting on "/") when /etc/hostname was due for an update.
//
// Idempotent::yes (it runs always anyway): it converges on the same name.
#include <Poco/Logger.h>

#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "modules/hostname_module.hpp"
#include "modules/or_fail.hpp"

namespace kindling::modules {

namespace {

pipeline::Outcome run_update_hostname(pipeline::ModuleContext& ctx, const HostnameKeys& keys) {
    std::optional<WantedHostname> wanted = wanted_hostname(ctx, keys);
    if (!wanted) return {std::string(k_preserved_summary)};
    const std::string& name = wanted->name;

    const std::string data_dir = ctx.paths.state_dir + "/data";
    const std::string prev_file = data_dir + "/previous-hostname";
    std::optional<std::string> prev = or_fail(read_hostname_file(ctx.root, prev_file));
    std::optional<std::string> sys = or_fail(read_hostname_file(ctx.root, "/etc/hostname"));

    if (sys && prev && *sys != *prev) {
        ctx.log.information("/etc/hostname (" + *sys + ") differs from " + prev_file + " (" + *prev +
                            "): the administrator changed it, leaving it alone");
        return {"hostname " + *sys + " kept (changed by hand)"};
    }
    bool update_prev = !prev || *prev != name;
    bool update_sys = !sys || (prev && *sys == *prev && *sys != name);

    std::string summary = "hostname " + name;
    if (update_sys) {
        auto existing = or_fail(ctx.root.read_file("/etc/hostname"));
        if (existing || keys.create_hostname_file) {
            or_fail(
                ctx.root.write_file("/etc/hostname", render_hostname_file(existing.value_or(""), name), {0644, 0, 0}));
            summary += " written to /etc/hostname";
        }
        if (ctx.root.is_host()) {
            or_fail(ctx.root.set_kernel_hostname(name));
            summary += " and set as the running hostname";
        }
    } else {
        summary += " unchanged";
    }
    if (update_prev) {
        or_fail(ctx.root.make_dirs(data_dir, {0755, 0, 0}));
        or_fail(ctx.root.write_file(prev_file, name + "\n", {0644, 0, 0}));
    }
    return {summary};
}

}  // namespace

extern const pipeline::ModuleSpec k_update_hostname{
    "update_hostname",
    pipeline::Frequency::always,
    k_hostname_module_keys,
    pipeline::Activation::always,
    pipeline::Idempotent::yes,
    pipeline::bind_parse(parse_hostname_keys),
    pipeline::bind_run(run_update_hostname),
};

}  // namespace kindling::modules
