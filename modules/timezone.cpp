// timezone: cloud-config `timezone` as cloud-init's cc_timezone. The zone must
// exist under the root's /usr/share/zoneinfo; /etc/localtime becomes a symlink
// to it (what timedatectl and Debian's tzdata do), and /etc/timezone gets the
// name where the distro uses that file: when it already exists, or on Debian
// (/etc/debian_version). Names are checked at parse time (letters, digits,
// '_', '+', '-', '/'; no '.' or '..' component), so nothing outside zoneinfo
// can be linked. Idempotent::yes: the link and the file converge, and a failed
// run is retried on the next boot.
#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"

namespace kindling::modules {

namespace {

constexpr std::string_view k_zoneinfo = "/usr/share/zoneinfo/";

struct Timezone {
    std::string name;
};

bool valid_zone_name(const std::string& name) {
    if (name.empty() || name.front() == '/' || name.back() == '/') return false;
    if (name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") !=
        std::string::npos) {
        return false;
    }
    return name.find("//") == std::string::npos;  // and no '.' at all, so no '.' or '..' component
}

Timezone parse_timezone(const config::Node& cc, config::Report& report) {
    Timezone cfg;
    config::Node n = cc["timezone"];
    if (!n.defined()) {
        return cfg;
    }
    if (auto text = n.as_string(report)) {
        if (!valid_zone_name(*text)) {
            n.error(report, "'" + *text + "' is not a time zone name such as America/New_York");
        } else {
            cfg.name = *text;
        }
    }
    return cfg;
}

bool exists(const system::Root& root, std::string_view path) {
    auto st = root.lstat(path);
    if (!st) throw ModuleFailed(st.error().message);
    return st->has_value();
}

pipeline::Outcome run_timezone(pipeline::ModuleContext& ctx, const Timezone& cfg) {
    const std::string zone_file = std::string(k_zoneinfo) + cfg.name;
    auto st = ctx.root.lstat(zone_file);
    if (!st) throw ModuleFailed(st.error().message);
    if (!*st || !(S_ISREG((*st)->st_mode) || S_ISLNK((*st)->st_mode))) {
        throw ModuleFailed("invalid timezone " + cfg.name + ", no file found at " + zone_file);
    }
    if (auto r = ctx.root.make_dirs("/etc", {0755, 0, 0}); !r) throw ModuleFailed(r.error().message);
    const bool uses_etc_timezone = exists(ctx.root, "/etc/timezone") || exists(ctx.root, "/etc/debian_version");
    if (uses_etc_timezone) {
        if (auto r = ctx.root.write_file("/etc/timezone", cfg.name + "\n", {0644, 0, 0}); !r) {
            throw ModuleFailed(r.error().message);
        }
    }
    if (auto r = ctx.root.symlink(zone_file, "/etc/localtime"); !r) throw ModuleFailed(r.error().message);
    return {"timezone set to " + cfg.name};
}

}  // namespace

extern const pipeline::ModuleSpec k_timezone{
    "timezone",
    pipeline::Frequency::per_instance,
    {"timezone"},
    pipeline::Activation::by_keys,
    pipeline::Idempotent::yes,
    pipeline::bind_parse(parse_timezone),
    pipeline::bind_run(run_timezone),
};

}  // namespace kindling::modules
