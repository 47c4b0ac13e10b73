// set_hostname: the instance's hostname from cloud-config `hostname`/`fqdn`, or
// the metadata local-hostname. Matches cloud-init cc_set_hostname.py: a dotted
// `hostname` without `fqdn` is taken as the FQDN and its first label becomes the
// hostname; `preserve_hostname: true` leaves everything alone. /etc/hostname gets
// the short name; the running hostname is set only when acting on "/" (--root /).
#include <Poco/Logger.h>

#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "modules/hostname_rules.hpp"

namespace kindling::modules {

namespace {

struct SetHostname {
    bool preserve = false;
    std::optional<std::string> hostname;
    std::optional<std::string> fqdn;
    bool prefer_fqdn = false;
};

SetHostname parse_set_hostname(const config::Node& cc, config::Report& report) {
    SetHostname cfg;
    if (auto n = cc["preserve_hostname"]; n.defined()) cfg.preserve = n.as_bool(report).value_or(false);
    if (auto n = cc["prefer_fqdn_over_hostname"]; n.defined()) cfg.prefer_fqdn = n.as_bool(report).value_or(false);
    if (auto n = cc["hostname"]; n.defined()) {
        cfg.hostname = n.as_string(report);
        if (cfg.hostname && !valid_hostname(*cfg.hostname)) {
            n.error(report, "'" + *cfg.hostname + "' is not a valid hostname (letters, digits, '-' and '.' only)");
        }
    }
    if (auto n = cc["fqdn"]; n.defined()) {
        cfg.fqdn = n.as_string(report);
        if (cfg.fqdn && !valid_hostname(*cfg.fqdn)) {
            n.error(report, "'" + *cfg.fqdn + "' is not a valid hostname (letters, digits, '-' and '.' only)");
        }
    }
    return cfg;
}

pipeline::Outcome run_set_hostname(pipeline::ModuleContext& ctx, const SetHostname& cfg) {
    if (cfg.preserve) {
        return {"preserve_hostname is set, hostname left as it is"};
    }
    HostnamePick pick = pick_hostname(cfg.hostname, cfg.fqdn, cfg.prefer_fqdn, ctx.instance.local_hostname);
    if (pick.hostname.empty()) {
        throw ModuleFailed("no hostname in cloud-config and no local-hostname in metadata");
    }
    if (auto r = ctx.root.write_file("/etc/hostname", pick.hostname + "\n", {0644, 0, 0}); !r) {
        throw ModuleFailed(r.error().message);
    }
    if (ctx.root.is_host()) {
        if (auto r = ctx.root.set_kernel_hostname(pick.hostname); !r) {
            throw ModuleFailed(r.error().message);
        }
        return {"hostname set to " + pick.hostname};
    }
    return {"hostname " + pick.hostname + " written to /etc/hostname"};
}

}  // namespace

extern const pipeline::ModuleSpec k_set_hostname{
    "set_hostname",
    pipeline::Frequency::per_instance,
    {"hostname", "fqdn", "preserve_hostname", "prefer_fqdn_over_hostname"},
    pipeline::Activation::always,
    pipeline::Idempotent::yes,
    pipeline::bind_parse(parse_set_hostname),
    pipeline::bind_run(run_set_hostname),
};

}  // namespace kindling::modules
