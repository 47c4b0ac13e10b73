// package_update_upgrade_install: cloud-config `package_update`,
// `package_upgrade`, `packages` and `package_reboot_if_required` (and their
// older apt_* spellings) as cloud-init's cc_package_update_upgrade_install.
// The package manager is the one the root has: apt-get (Debian, Ubuntu), else
// dnf, else yum (Amazon Linux 2), run non-interactively with output in the
// output log. `packages` items are a name, [name, version] (apt name=version,
// dnf/yum name-version), or {apt: [...]} / {snap: [...]} for one manager only;
// snap packages are installed one by one with `snap install`, and an upgrade
// also runs `snap refresh` when snap is there. The package cache is refreshed
// before an upgrade or an install. Every step is tried and the failures are
// reported together at the end, as cloud-init does. A reboot after an upgrade
// or install, when asked for and /var/run/reboot-required or
// /run/reboot-needed exists, is done only when acting on this machine (never
// for a --root target). Idempotent::yes: installing what is installed is a
// no-op, so a run that failed (no network at boot) is retried on the next boot.
#include <Poco/Logger.h>

#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "modules/script_rules.hpp"

namespace kindling::modules {

namespace {

// One package: name and optional version (apt, dnf, yum) or argument (snap).
struct Package {
    std::string name;
    std::string version;
};

struct Packages {
    bool update = false;
    bool upgrade = false;
    bool reboot_if_required = false;
    std::vector<Package> generic;  // for the system manager
    std::vector<Package> apt;      // {apt: [...]}: only with apt-get
    std::vector<Package> snap;     // {snap: [...]}
};

enum class Manager { apt, dnf, yum };

std::optional<Package> parse_package(const config::Node& n, config::Report& report) {
    if (n.is_scalar()) {
        auto name = n.as_string(report, "a package name or [name, version]");
        if (!name) return std::nullopt;
        return Package{*name, {}};
    }
    if (n.is_sequence() && (n.items().size() == 1 || n.items().size() == 2)) {
        const std::vector<config::Node> words = n.items();
        auto name = words[0].as_string(report);
        if (words.size() == 1) return name ? std::optional<Package>(Package{*name, {}}) : std::nullopt;
        // A version written as a number ([nginx, 1.18]) is what the user typed;
        // cloud-init formats it with "%s" too. Quoting it is safer (1.10 is a float).
        std::optional<std::string> version;
        const config::Node& v = words[1];
        if (v.is_scalar() && !v.is_string() && !v.is_null()) {
            version = v.scalar();
            v.warning(report, "expected a string, got " + v.type_name() + "; used as '" + *version + "' (quote it)");
        } else {
            version = v.as_string(report);
        }
        if (!name || !version) return std::nullopt;
        return Package{*name, *version};
    }
    n.error(report, "expected a package name or [name, version], got " + n.type_name() +
                        (n.is_sequence() ? " of " + std::to_string(n.items().size()) + " items" : ""));
    return std::nullopt;
}

void parse_package_list(const config::Node& list, std::vector<Package>& out, config::Report& report) {
    if (!list.is_sequence()) {
        list.error(report, "expected a list of packages, got " + list.type_name());
        return;
    }
    for (const config::Node& item : list.items()) {
        if (auto p = parse_package(item, report)) out.push_back(std::move(*p));
    }
}

// The first of the keys that is present and true (cloud-init's _multi_cfg_bool_get).
bool any_true(const config::Node& cc, std::initializer_list<std::string_view> keys, config::Report& report) {
    bool value = false;
    for (std::string_view key : keys) {
        if (config::Node n = cc[key]; n.defined()) {
            value = n.as_bool(report).value_or(false) || value;
        }
    }
    return value;
}

Packages parse_packages(const config::Node& cc, config::Report& report) {
    Packages cfg;
    cfg.update = any_true(cc, {"apt_update", "package_update"}, report);
    cfg.upgrade = any_true(cc, {"package_upgrade", "apt_upgrade"}, report);
    cfg.reboot_if_required = any_true(cc, {"apt_reboot_if_required", "package_reboot_if_required"}, report);
    config::Node list = cc["packages"];
    if (!list.defined()) {
        return cfg;
    }
    if (!list.is_sequence()) {
        list.error(report, "expected a list of packages, got " + list.type_name());
        return cfg;
    }
    for (const config::Node& item : list.items()) {
        if (!item.is_map()) {
            if (auto p = parse_package(item, report)) cfg.generic.push_back(std::move(*p));
            continue;
        }
        for (const auto& [manager, sub] : item.entries()) {
            if (manager == "apt") {
                parse_package_list(sub, cfg.apt, report);
            } else if (manager == "snap") {
                parse_package_list(sub, cfg.snap, report);
            } else {
                sub.error(report, "unsupported package manager '" + manager + "' (apt or snap)");
            }
        }
    }
    return cfg;
}

bool has_program(const system::Root& root, std::string_view name) {
    for (std::string_view dir : {"/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"}) {
        auto st = root.lstat(std::string(dir) + std::string(name));
        if (!st) throw ModuleFailed(st.error().message);
        if (*st) return true;
    }
    return false;
}

std::optional<Manager> detect_manager(const system::Root& root) {
    if (has_program(root, "apt-get")) return Manager::apt;
    if (has_program(root, "dnf")) return Manager::dnf;
    if (has_program(root, "yum")) return Manager::yum;
    return std::nullopt;
}

system::Command manager_command(const pipeline::ModuleContext& ctx, Manager m, std::string_view verb,
                                const std::vector<Package>& pkgs) {
    system::Command cmd =
        m == Manager::apt
            ? script_command(ctx, {"apt-get", "-y", "-o", "Dpkg::Options::=--force-confold", std::string(verb)},
                             "apt-get")
            : script_command(ctx, {m == Manager::dnf ? "dnf" : "yum", "-y", std::string(verb)},
                             m == Manager::dnf ? "dnf" : "yum");
    if (m == Manager::apt) {
        cmd.env["DEBIAN_FRONTEND"] = "noninteractive";
    }
    for (const Package& p : pkgs) {
        std::string spec = p.name;
        if (!p.version.empty()) spec += (m == Manager::apt ? "=" : "-") + p.version;
        cmd.argv.push_back(spec);
    }
    return cmd;
}

// Runs `cmd`; a failure is added to `errors` as "<what>: <why>".
void attempt(pipeline::ModuleContext& ctx, const system::Command& cmd, const std::string& what,
             std::vector<std::string>& errors) {
    auto result = ctx.root.run(cmd);
    if (!result) {
        errors.push_back(what + ": " + result.error().message);
    } else if (!result->ok()) {
        errors.push_back(what + ": " + cmd.argv[0] + " " + result->describe());
    }
}

pipeline::Outcome run_packages(pipeline::ModuleContext& ctx, const Packages& cfg) {
    const bool install = !cfg.generic.empty() || !cfg.apt.empty();
    const bool want_system = cfg.update || cfg.upgrade || install;
    std::optional<Manager> manager = detect_manager(ctx.root);
    const bool have_snap = has_program(ctx.root, "snap");
    std::vector<std::string> errors;
    std::vector<std::string> done;

    if (want_system && !manager) {
        throw ModuleFailed("no package manager (apt-get, dnf or yum) in the root");
    }
    if (!cfg.apt.empty() && manager != Manager::apt) {
        errors.push_back("apt packages requested but the root has no apt-get");
    }
    if (!cfg.snap.empty() && !have_snap) {
        errors.push_back("snap packages requested but the root has no snap");
    }
    if (want_system) {
        attempt(ctx, manager_command(ctx, *manager, *manager == Manager::apt ? "update" : "makecache", {}),
                "package update failed", errors);
        done.push_back("updated");
    }
    if (cfg.upgrade) {
        attempt(ctx, manager_command(ctx, *manager, *manager == Manager::apt ? "dist-upgrade" : "upgrade", {}),
                "package upgrade failed", errors);
        if (have_snap) attempt(ctx, script_command(ctx, {"snap", "refresh"}, "snap"), "snap refresh failed", errors);
        done.push_back("upgraded");
    }
    if (install) {
        std::vector<Package> pkgs = cfg.generic;
        if (manager == Manager::apt) pkgs.insert(pkgs.end(), cfg.apt.begin(), cfg.apt.end());
        if (!pkgs.empty()) {
            attempt(ctx, manager_command(ctx, *manager, "install", pkgs), "package install failed", errors);
        }
    }
    if (have_snap) {
        for (const Package& p : cfg.snap) {
            std::vector<std::string> argv{"snap", "install", p.name};
            if (!p.version.empty()) argv.push_back(p.version);
            attempt(ctx, script_command(ctx, argv, "snap"), "snap install " + p.name + " failed", errors);
        }
    }
    const std::size_t installed = cfg.generic.size() + cfg.apt.size() + cfg.snap.size();
    if (installed > 0) done.push_back(std::to_string(installed) + " packages installed");

    if ((cfg.upgrade || installed > 0) && cfg.reboot_if_required) {
        for (std::string_view marker : {"/var/run/reboot-required", "/run/reboot-needed"}) {
            auto st = ctx.root.lstat(marker);
            if (!st) throw ModuleFailed(st.error().message);
            if (!*st) continue;
            if (!ctx.root.is_host()) {
                done.push_back(std::string(marker) + " exists; no reboot of a --root target");
                break;
            }
            ctx.log.warning("rebooting after upgrade or install per " + std::string(marker));
            attempt(ctx, script_command(ctx, {"/sbin/reboot"}, "reboot"), "reboot failed", errors);
            done.push_back("reboot requested");
            break;
        }
    }
    if (!errors.empty()) {
        std::string message;
        for (const std::string& e : errors) message += message.empty() ? e : "; " + e;
        throw ModuleFailed(message);
    }
    if (done.empty()) return {"nothing to do"};
    std::string summary;
    for (const std::string& d : done) summary += summary.empty() ? d : ", " + d;
    return {summary};
}

}  // namespace

extern const pipeline::ModuleSpec k_package_update_upgrade_install{
    "package_update_upgrade_install",
    pipeline::Frequency::per_instance,
    {"packages", "package_update", "package_upgrade", "package_reboot_if_required", "apt_update", "apt_upgrade",
     "apt_reboot_if_required"},
    pipeline::Activation::by_keys,
    pipeline::Idempotent::yes,
    pipeline::bind_parse(parse_packages),
    pipeline::bind_run(run_packages),
};

}  // namespace kindling::modules
