// set_hostname: the instance's hostname from cloud-config `hostname`/`fqdn`, or
// the metadata local-hostname (see hostname_rules.hpp for the choice), with
// cloud-init cc_set_hostname's meaning: `preserve_hostname: true` leaves
// everything alone; /etc/hostname gets the selected name (short, or the FQDN
// with prefer_fqdn_over_hostname) unless it does not exist and
// create_hostname_file is false; the running hostname is set only when acting
// on "/" (--root /). What was set is recorded in <state_dir>/data/set-hostname;
// when the wanted name has not changed since, nothing is touched, so a name the
// administrator changed by hand survives a re-run.
//
// Idempotent::yes: writing the same name again converges, so a failed run is
// retried next boot.
#include <Poco/Logger.h>

#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "modules/hostname_module.hpp"
#include "modules/or_fail.hpp"

namespace kindling::modules {

namespace {

pipeline::Outcome run_set_hostname(pipeline::ModuleContext& ctx, const HostnameKeys& keys) {
    std::optional<WantedHostname> wanted = wanted_hostname(ctx, keys);
    if (!wanted) return {std::string(k_preserved_summary)};
    const HostnamePick& pick = wanted->pick;
    const std::string& name = wanted->name;

    // The artifact: the short name and the FQDN, one per line.
    const std::string data_dir = ctx.paths.state_dir + "/data";
    const std::string artifact = data_dir + "/set-hostname";
    const std::string record = pick.hostname + "\n" + pick.fqdn + "\n";
    if (or_fail(ctx.root.read_file(artifact)) == record) {
        return {"hostname " + name + " unchanged since it was set"};
    }

    std::optional<std::string> existing = or_fail(ctx.root.read_file("/etc/hostname"));
    std::string where;
    if (existing || keys.create_hostname_file) {
        or_fail(ctx.root.write_file("/etc/hostname", render_hostname_file(existing.value_or(""), name), {0644, 0, 0}));
        where = " in /etc/hostname";
    }
    if (ctx.root.is_host()) {
        or_fail(ctx.root.set_kernel_hostname(name));
        where += where.empty() ? " (running hostname only)" : " and the running hostname";
    }
    or_fail(ctx.root.make_dirs(data_dir, {0755, 0, 0}));
    or_fail(ctx.root.write_file(artifact, record, {0644, 0, 0}));
    return {"hostname set to " + name + where};
}

}  // namespace

extern const pipeline::ModuleSpec k_set_hostname{
    "set_hostname",
    pipeline::Frequency::per_instance,
    k_hostname_module_keys,
    pipeline::Activation::always,
    pipeline::Idempotent::yes,
    pipeline::bind_parse(parse_hostname_keys),
    pipeline::bind_run(run_set_hostname),
};

}  // namespace kindling::modules
