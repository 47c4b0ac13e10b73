// update_etc_hosts: /etc/hosts as cloud-config `manage_etc_hosts` asks, with
// cloud-init cc_update_etc_hosts' meaning, every boot:
//   false (the default): the file is not touched;
//   true (or the deprecated "template"): the file is rendered from the root's
//     /etc/kindling/templates/hosts.tmpl (etc/templates/hosts.tmpl, installed
//     there by the packages as a conffile; the built-in copy below when the
//     root has none, e.g. an image without the package's /etc), $hostname and
//     $fqdn (also ${name} and {{ name }}) replaced;
//   "localhost": only the 127.0.1.1 line is ensured to read "127.0.1.1 <fqdn>
//     <hostname>"; every other line keeps its bytes.
// The names come from hostname_rules (cloud-config hostname/fqdn, else the
// metadata local-hostname). The file is written only when its bytes change.
//
// Idempotent::yes: rendering the same names converges.
#include <Poco/Logger.h>

#include <algorithm>

#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "modules/hostname_rules.hpp"
#include "modules/or_fail.hpp"

namespace kindling::modules {

namespace {

constexpr std::string_view k_hosts = "/etc/hosts";
constexpr std::string_view k_template = "/etc/kindling/templates/hosts.tmpl";
constexpr std::string_view k_loopback = "127.0.1.1";

// Must equal etc/templates/hosts.tmpl (a test compares them).
constexpr std::string_view k_builtin_template =
    "# /etc/hosts, rendered by kindling on every boot because cloud-config sets\n"
    "# manage_etc_hosts: true. Edits here are lost at the next boot: change the\n"
    "# template /etc/kindling/templates/hosts.tmpl instead, or set manage_etc_hosts\n"
    "# to false (leave this file alone) or localhost (only keep the 127.0.1.1 line).\n"
    "127.0.1.1 $fqdn $hostname\n"
    "127.0.0.1 localhost\n"
    "\n"
    "# IPv6 loopback and multicast names\n"
    "::1 localhost ip6-localhost ip6-loopback\n"
    "ff02::1 ip6-allnodes\n"
    "ff02::2 ip6-allrouters\n";

enum class Manage { no, render, localhost };

struct UpdateEtcHosts {
    Manage manage = Manage::no;
    HostnameKeys names;
};

UpdateEtcHosts parse_update_etc_hosts(const config::Node& cc, config::Report& report) {
    UpdateEtcHosts cfg;
    cfg.names = parse_hostname_keys(cc, report);
    config::Node n = cc["manage_etc_hosts"];
    if (!n.defined() || n.is_null()) return cfg;
    if (n.is_scalar() && !n.quoted()) {
        if (auto b = config::parse_yaml11_bool(n.scalar())) {
            cfg.manage = *b ? Manage::render : Manage::no;
            return cfg;
        }
    }
    const std::string text = n.is_scalar() ? n.scalar() : std::string();
    std::string lower = text;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (n.is_scalar() && text == "localhost") {
        cfg.manage = Manage::localhost;
    } else if (n.is_scalar() && text == "template") {
        cfg.manage = Manage::render;
        n.warning(report, "\"template\" is deprecated, use true");
    } else if (n.is_scalar() && (lower == "true" || lower == "yes" || lower == "on" || lower == "1")) {
        cfg.manage = Manage::render;  // cloud-init's translate_bool reads these strings as true
    } else if (n.is_scalar() && (lower == "false" || lower == "no" || lower == "off" || lower == "0")) {
        cfg.manage = Manage::no;
    } else {
        n.error(report,
                "expected true, false or \"localhost\", got " + (n.is_scalar() ? "'" + text + "'" : n.type_name()));
    }
    return cfg;
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// $name, ${name} and {{ name }} for hostname and fqdn; anything else is kept.
std::string render(std::string_view tpl, const HostnamePick& pick) {
    auto value = [&](std::string_view name) -> std::optional<std::string> {
        if (name == "hostname") return pick.hostname;
        if (name == "fqdn") return pick.fqdn;
        return std::nullopt;
    };
    std::string out;
    std::size_t i = 0;
    while (i < tpl.size()) {
        if (tpl.substr(i, 2) == "{{") {
            std::size_t end = tpl.find("}}", i + 2);
            if (end != std::string_view::npos) {
                std::string_view inner = tpl.substr(i + 2, end - i - 2);
                std::size_t b = inner.find_first_not_of(' '), e = inner.find_last_not_of(' ');
                if (b != std::string_view::npos) {
                    if (auto v = value(inner.substr(b, e - b + 1))) {
                        out += *v;
                        i = end + 2;
                        continue;
                    }
                }
            }
        } else if (tpl[i] == '$') {
            bool braced = i + 1 < tpl.size() && tpl[i + 1] == '{';
            std::size_t start = i + (braced ? 2 : 1), end = start;
            while (end < tpl.size() && is_name_char(tpl[end])) ++end;
            bool closed = !braced || (end < tpl.size() && tpl[end] == '}');
            if (closed) {
                if (auto v = value(tpl.substr(start, end - start))) {
                    out += *v;
                    i = end + (braced ? 1 : 0);
                    continue;
                }
            }
        }
        out += tpl[i++];
    }
    return out;
}

bool is_loopback_line(std::string_view line) {
    std::size_t b = line.find_first_not_of(" \t");
    return b != std::string_view::npos && line.substr(b, k_loopback.size()) == k_loopback &&
           (b + k_loopback.size() == line.size() || line[b + k_loopback.size()] == ' ' ||
            line[b + k_loopback.size()] == '\t');
}

// The names on a hosts line after the address, up to a comment.
std::vector<std::string> names_of(std::string_view line) {
    line = line.substr(0, line.find('#'));
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < line.size()) {
        std::size_t b = line.find_first_not_of(" \t\r", i);
        if (b == std::string_view::npos) break;
        std::size_t e = line.find_first_of(" \t\r", b);
        if (e == std::string_view::npos) e = line.size();
        words.emplace_back(line.substr(b, e - b));
        i = e;
    }
    if (!words.empty()) words.erase(words.begin());
    return words;
}

// cloud-init's distro.update_etc_hosts: a 127.0.1.1 line naming the FQDN first
// and the hostname among its aliases is enough; otherwise every 127.0.1.1 line
// is replaced by one (where the first was, or at the end).
std::string ensure_loopback(std::string_view hosts, const HostnamePick& pick) {
    const std::string wanted =
        std::string(k_loopback) + " " + pick.fqdn + (pick.hostname == pick.fqdn ? "" : " " + pick.hostname);
    std::vector<std::string> lines;
    bool satisfied = false;
    for (std::string_view rest = hosts; !rest.empty();) {
        std::size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        lines.emplace_back(line);
        if (is_loopback_line(line)) {
            std::vector<std::string> names = names_of(line);
            if (!names.empty() && names[0] == pick.fqdn &&
                (pick.hostname == pick.fqdn ||
                 std::find(names.begin() + 1, names.end(), pick.hostname) != names.end())) {
                satisfied = true;
            }
        }
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    }
    if (satisfied) return std::string(hosts);
    std::string out;
    bool placed = false;
    for (const std::string& line : lines) {
        if (is_loopback_line(line)) {
            if (!placed) out += wanted + "\n";
            placed = true;
        } else {
            out += line + "\n";
        }
    }
    if (!placed) out += wanted + "\n";
    return out;
}

pipeline::Outcome run_update_etc_hosts(pipeline::ModuleContext& ctx, const UpdateEtcHosts& cfg) {
    if (cfg.manage == Manage::no) {
        return {"manage_etc_hosts is false, /etc/hosts left as it is"};
    }
    HostnamePick pick = pick_hostname(cfg.names, ctx.instance.local_hostname);
    if (pick.hostname.empty() || pick.fqdn.empty()) {
        throw ModuleFailed("manage_etc_hosts is set but there is no hostname in cloud-config or metadata");
    }
    for (const std::string* name : {&pick.hostname, &pick.fqdn}) {
        if (auto problem = hostname_problem(*name)) throw ModuleFailed("metadata local-hostname: " + *problem);
    }
    std::optional<std::string> current = or_fail(ctx.root.read_file(k_hosts));
    std::string wanted;
    std::string how;
    if (cfg.manage == Manage::render) {
        std::optional<std::string> tpl = or_fail(ctx.root.read_file(k_template));
        wanted = render(tpl ? std::string_view(*tpl) : k_builtin_template, pick);
        how = tpl ? "rendered from " + std::string(k_template) : "rendered from the built-in template";
    } else {
        wanted = ensure_loopback(current.value_or(""), pick);
        how = "127.0.1.1 line for " + pick.fqdn;
    }
    if (current == wanted) {
        return {"/etc/hosts already up to date (" + how + ")"};
    }
    mode_t mode = 0644;
    uid_t uid = 0;
    gid_t gid = 0;
    if (auto st = or_fail(ctx.root.lstat(k_hosts)); st && S_ISREG(st->st_mode)) {
        mode = st->st_mode & 07777;
        uid = st->st_uid;
        gid = st->st_gid;
    }
    or_fail(ctx.root.write_file(k_hosts, wanted, {mode, uid, gid}));
    return {"/etc/hosts written (" + how + ")"};
}

}  // namespace

extern const pipeline::ModuleSpec k_update_etc_hosts{
    "update_etc_hosts",
    pipeline::Frequency::always,
    {"manage_etc_hosts"},
    pipeline::Activation::by_keys,
    pipeline::Idempotent::yes,
    pipeline::bind_parse(parse_update_etc_hosts),
    pipeline::bind_run(run_update_etc_hosts),
};

}  // namespace kindling::modules
