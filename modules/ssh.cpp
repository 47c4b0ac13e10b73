// ssh: host keys, sshd password authentication, and authorized keys for the
// default user and root, with cloud-init cc_ssh's meaning for every key:
//   ssh_deletekeys (default true) removes /etc/ssh/ssh_host_*key* from the image;
//   ssh_keys writes the supplied host keys and certificates (a certificate also
//     gets a HostCertificate line; a private key without its public half gets
//     one derived with `ssh-keygen -y`), otherwise
//   ssh_genkeytypes (default rsa, ecdsa, ed25519) generates the missing ones with
//     ssh-keygen in the root; private 0600 root:root (0640 root:ssh_keys where
//     that group exists, the sshd-keygen convention), public 0644;
//   ssh_quiet_keygen: ssh-keygen's output goes to the output log unless true;
//   ssh_pwauth: PasswordAuthentication in a drop-in under /etc/ssh/sshd_config.d
//     when sshd_config includes that directory, else in sshd_config itself
//     (no restart: kindling-init runs before ssh.service);
//   ssh_authorized_keys + metadata public keys (unless allow_public_ssh_keys is
//     false) merged into ~/.ssh/authorized_keys of the default user, and into
//     root's behind disable_root_opts when disable_root (default true);
//   ssh_publish_hostkeys is accepted; IMDS cannot receive host keys, so an
//     enabled one draws a warning;
//   no_ssh_fingerprints / authkey_hash (cc_ssh_authkey_fingerprints): the
//     default user's authorized keys are logged with their fingerprints.
// Host key fingerprints are always logged (they are what clients are shown).
//
// Idempotent::yes: the merge converges and existing host keys are kept (unless
// ssh_deletekeys), so a run that failed (e.g. the default user does not exist
// yet) is retried on the next boot. Host keys and sshd settings come first,
// whatever happens to the users: an instance without host keys cannot be
// reached at all. Without the default user the keys go to root only (behind
// the refusal when disable_root), as cloud-init does; that is a failure (and
// retried) unless the cloud-config's `users` leaves the default user out.
#include <Poco/Logger.h>

#include <algorithm>
#include <array>

#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "agent/ssh/authorized_keys.hpp"
#include "agent/ssh/fingerprint.hpp"
#include "agent/ssh/sshd_config.hpp"
#include "modules/or_fail.hpp"

namespace kindling::modules {

namespace {

constexpr std::array<std::string_view, 3> k_host_key_types{"ecdsa", "ed25519", "rsa"};
constexpr std::string_view k_ssh_dir = "/etc/ssh";
constexpr std::string_view k_sshd_config = "/etc/ssh/sshd_config";
constexpr std::string_view k_sshd_dropin_dir = "/etc/ssh/sshd_config.d";
constexpr std::string_view k_sshd_dropin = "/etc/ssh/sshd_config.d/50-kindling.conf";

struct HostKeyEntry {
    std::string type;  // rsa, ecdsa, ed25519
    std::string part;  // private, public, certificate
    std::string content;
};

struct Ssh {
    std::vector<std::string> authorized_keys;
    bool disable_root = true;
    std::string disable_root_opts{ssh::k_disable_user_opts};  // cloud-init's default
    bool delete_keys = true;
    std::vector<std::string> genkeytypes{"rsa", "ecdsa", "ed25519"};
    bool has_ssh_keys = false;  // ssh_keys given: no generation
    std::vector<HostKeyEntry> ssh_keys;
    bool quiet_keygen = false;
    bool allow_public_keys = true;
    std::optional<bool> pwauth;  // nullopt: leave sshd's setting alone
    bool log_fingerprints = true;
    std::string authkey_hash = "sha256";
    // `users` absent or naming "default": the default user should exist.
    bool default_user_wanted = true;
};

// cloud-init's `users` without a "default" entry means no default user.
bool users_name_default(const config::Node& users) {
    if (!users.defined() || users.is_null()) return true;
    if (users.is_scalar()) return ("," + users.scalar() + ",").find("default") != std::string::npos;
    for (const config::Node& item : users.items()) {
        if (item.is_scalar() && item.scalar() == "default") return true;
        if (item.is_map() && item["name"].is_scalar() && item["name"].scalar() == "default") return true;
    }
    return !users.is_sequence();
}

std::string host_key_path(std::string_view type) { return "/etc/ssh/ssh_host_" + std::string(type) + "_key"; }

bool is_host_key_type(std::string_view t) {
    return std::find(k_host_key_types.begin(), k_host_key_types.end(), t) != k_host_key_types.end();
}

std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

void parse_bool(const config::Node& cc, std::string_view key, bool& out, config::Report& report) {
    if (auto n = cc[key]; n.defined()) {
        if (auto b = n.as_bool(report)) out = *b;
    }
}

void parse_genkeytypes(const config::Node& n, Ssh& cfg, config::Report& report) {
    auto types = n.as_string_list(report);
    if (!types) return;
    for (std::size_t i = 0; i < types->size(); ++i) {
        const std::string& t = (*types)[i];
        if (t == "ecdsa-sk" || t == "ed25519-sk") {
            n.at(i).error(report, in_quotes(t) + " host keys are not supported (they need a hardware token)");
        } else if (!is_host_key_type(t)) {
            n.at(i).error(report, "expected one of ecdsa, ed25519, rsa, got " + in_quotes(t));
        }
    }
    cfg.genkeytypes = *types;
}

void parse_ssh_keys(const config::Node& n, Ssh& cfg, config::Report& report) {
    if (!n.is_map()) {
        n.error(report, "expected a mapping, got " + n.type_name());
        return;
    }
    cfg.has_ssh_keys = true;
    for (const auto& [name, value] : n.entries()) {
        std::size_t us = name.rfind('_');
        std::string type = name.substr(0, us == std::string::npos ? 0 : us);
        std::string part = us == std::string::npos ? std::string() : name.substr(us + 1);
        bool part_ok = part == "private" || part == "public" || part == "certificate";
        if (part_ok && (type == "ecdsa-sk" || type == "ed25519-sk")) {
            value.error(report, in_quotes(type) + " host keys are not supported (they need a hardware token)");
            continue;
        }
        if (!part_ok || !is_host_key_type(type)) {
            value.error(report, "unknown ssh_keys entry " + in_quotes(name) +
                                    " (expected <ecdsa|ed25519|rsa>_<private|public|certificate>)");
            continue;
        }
        if (auto content = value.as_string(report)) cfg.ssh_keys.push_back({type, part, *content});
    }
}

void parse_pwauth(const config::Node& n, Ssh& cfg, config::Report& report) {
    if (n.is_scalar() && !n.quoted()) {
        if (auto b = config::parse_yaml11_bool(n.scalar())) {
            cfg.pwauth = *b;
            return;
        }
    }
    if (!n.is_scalar()) {
        n.error(report, "expected a boolean or \"unchanged\", got " + n.type_name());
        return;
    }
    // cloud-init still reads the deprecated strings (util.is_true/is_false).
    std::string s = n.scalar();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s == "unchanged") return;
    if (s == "true" || s == "yes" || s == "on" || s == "1") {
        cfg.pwauth = true;
    } else if (s == "false" || s == "no" || s == "off" || s == "0") {
        cfg.pwauth = false;
    } else {
        n.error(report, "expected a boolean or \"unchanged\", got " + in_quotes(n.scalar()));
        return;
    }
    n.warning(report, "a string value is deprecated, use a boolean");
}

void parse_publish(const config::Node& n, config::Report& report) {
    if (!n.is_map()) {
        n.error(report, "expected a mapping, got " + n.type_name());
        return;
    }
    bool enabled = true;
    for (const auto& [key, value] : n.entries()) {
        if (key == "enabled") {
            if (auto b = value.as_bool(report)) enabled = *b;
        } else if (key == "blacklist") {
            std::ignore = value.as_string_list(report);
        } else {
            value.key_error(report, "unknown key (expected enabled or blacklist)");
        }
    }
    if (enabled) n.warning(report, "EC2 cannot receive published host keys; ignored");
}

Ssh parse_ssh(const config::Node& cc, config::Report& report) {
    Ssh cfg;
    cfg.default_user_wanted = users_name_default(cc["users"]);
    if (auto n = cc["ssh_authorized_keys"]; n.defined()) {
        if (auto keys = n.as_string_list(report)) {
            for (std::size_t i = 0; i < keys->size(); ++i) {
                if (!ssh::parse_key_line((*keys)[i]).valid()) {
                    n.at(i).error(report, "expected a public key line ([options] key-type base64 [comment]), got " +
                                              in_quotes((*keys)[i]));
                }
            }
            cfg.authorized_keys = *keys;
        }
    }
    parse_bool(cc, "disable_root", cfg.disable_root, report);
    if (auto n = cc["disable_root_opts"]; n.defined()) {
        if (auto s = n.as_string(report)) cfg.disable_root_opts = *s;
    }
    parse_bool(cc, "ssh_deletekeys", cfg.delete_keys, report);
    if (auto n = cc["ssh_genkeytypes"]; n.defined()) parse_genkeytypes(n, cfg, report);
    if (auto n = cc["ssh_keys"]; n.defined()) parse_ssh_keys(n, cfg, report);
    parse_bool(cc, "ssh_quiet_keygen", cfg.quiet_keygen, report);
    parse_bool(cc, "allow_public_ssh_keys", cfg.allow_public_keys, report);
    if (auto n = cc["ssh_pwauth"]; n.defined()) parse_pwauth(n, cfg, report);
    if (auto n = cc["ssh_publish_hostkeys"]; n.defined()) parse_publish(n, report);
    bool no_fingerprints = false;
    parse_bool(cc, "no_ssh_fingerprints", no_fingerprints, report);
    cfg.log_fingerprints = !no_fingerprints;
    if (auto n = cc["authkey_hash"]; n.defined()) {
        if (auto s = n.as_string(report)) {
            if (ssh::is_supported_hash(*s)) {
                cfg.authkey_hash = *s;
            } else {
                n.error(report, "expected one of md5, sha1, sha224, sha256, sha384, sha512, got " + in_quotes(*s));
            }
        }
    }
    return cfg;
}

// ---- running ----

void delete_host_keys(pipeline::ModuleContext& ctx) {
    for (const std::string& name : or_fail(ctx.root.list_dir(k_ssh_dir))) {
        if (!name.starts_with("ssh_host_") || name.find("key", 9) == std::string::npos) continue;
        or_fail(ctx.root.remove(std::string(k_ssh_dir) + "/" + name));
    }
}

// Private host keys: root:ssh_keys 0640 where that group exists (the
// sshd-keygen convention on Fedora/RHEL), else root:root 0600.
system::FileMode private_key_mode(pipeline::ModuleContext& ctx) {
    if (auto group = or_fail(ctx.root.find_group("ssh_keys"))) return {0640, 0, group->gid};
    return {0600, 0, 0};
}

system::ChildResult run_keygen(pipeline::ModuleContext& ctx, std::vector<std::string> argv, system::Output output) {
    system::Command cmd;
    cmd.argv = std::move(argv);
    cmd.env = {{"LANG", "C"}};
    cmd.timeout = ctx.child_timeout;
    cmd.output = output;
    cmd.label = "ssh-keygen";
    system::ChildResult result = or_fail(ctx.root.run(cmd));
    return result;
}

std::vector<std::string> write_supplied_keys(pipeline::ModuleContext& ctx, const Ssh& cfg) {
    std::vector<std::string> done;
    or_fail(ctx.root.make_dirs(k_ssh_dir, {0755, 0, 0}));
    for (const HostKeyEntry& e : cfg.ssh_keys) {
        std::string path = host_key_path(e.type);
        system::FileMode mode{0644, 0, 0};
        if (e.part == "private") {
            mode = private_key_mode(ctx);
        } else if (e.part == "public") {
            path += ".pub";
        } else {
            path += "-cert.pub";
        }
        or_fail(ctx.root.write_file(path, e.content, mode));
        done.push_back(e.type + "_" + e.part);
    }
    // A private key without its public half: derive it, as cloud-init does.
    for (const HostKeyEntry& e : cfg.ssh_keys) {
        if (e.part != "private") continue;
        bool has_public = std::any_of(cfg.ssh_keys.begin(), cfg.ssh_keys.end(),
                                      [&](const HostKeyEntry& o) { return o.type == e.type && o.part == "public"; });
        if (has_public) continue;
        std::string path = host_key_path(e.type);
        system::ChildResult r = run_keygen(ctx, {"ssh-keygen", "-y", "-f", path}, system::Output::capture);
        if (!r.ok()) throw ModuleFailed("ssh-keygen -y -f " + path + ": " + r.describe());
        std::string pub = r.output;
        while (!pub.empty() && (pub.back() == '\n' || pub.back() == '\r')) pub.pop_back();
        or_fail(ctx.root.write_file(path + ".pub", pub + " root@localhost\n", {0644, 0, 0}));
        done.push_back(e.type + "_public (derived)");
    }
    return done;
}

std::vector<std::string> generate_host_keys(pipeline::ModuleContext& ctx, const Ssh& cfg) {
    std::vector<std::string> generated;
    for (const std::string& type : cfg.genkeytypes) {
        std::string path = host_key_path(type);
        if (or_fail(ctx.root.lstat(path))) continue;
        or_fail(ctx.root.make_dirs(k_ssh_dir, {0755, 0, 0}));
        system::Output output = cfg.quiet_keygen ? system::Output::capture : system::Output::output_log;
        system::ChildResult r = run_keygen(ctx, {"ssh-keygen", "-t", type, "-N", "", "-f", path}, output);
        if (!r.ok()) {
            std::string detail = r.describe();
            if (!r.output.empty()) {
                detail += ": " + r.output.substr(0, r.output.find('\n'));
            } else if (output == system::Output::output_log) {
                detail += " (its output is in " + ctx.paths.output_log + ")";
            }
            throw ModuleFailed("ssh-keygen -t " + type + ": " + detail);
        }
        or_fail(ctx.root.set_mode(path, private_key_mode(ctx)));
        or_fail(ctx.root.set_mode(path + ".pub", {0644, 0, 0}));
        generated.push_back(type);
    }
    return generated;
}

void log_host_fingerprints(pipeline::ModuleContext& ctx) {
    for (const std::string& name : or_fail(ctx.root.list_dir(k_ssh_dir))) {
        if (!name.starts_with("ssh_host_") || !name.ends_with("_key.pub")) continue;
        auto text = or_fail(ctx.root.read_file(std::string(k_ssh_dir) + "/" + name));
        if (!text) continue;
        ssh::AuthKeyLine key = ssh::parse_key_line(text->substr(0, text->find('\n')));
        auto bytes = key.valid() ? ssh::decode_blob(key.blob) : std::nullopt;
        if (!bytes) {
            ctx.log.warning("host key " + name + " is not a public key line; no fingerprint");
            continue;
        }
        ctx.log.information("host key fingerprint: " + ssh::openssh_fingerprint(*bytes) + " " + key.keytype +
                            (key.comment.empty() ? "" : " " + key.comment));
    }
}

// PasswordAuthentication and HostCertificate lines, in the drop-in when
// sshd_config includes sshd_config.d, else in sshd_config (mode kept).
bool apply_sshd_settings(pipeline::ModuleContext& ctx, const std::vector<ssh::SshdSetting>& settings) {
    if (settings.empty()) return false;
    std::optional<std::string> main = or_fail(ctx.root.read_file(k_sshd_config));
    std::string target{k_sshd_config};
    system::FileMode mode{0644, 0, 0};
    if (main && ssh::includes_dropin_dir(*main, k_sshd_dropin_dir)) {
        or_fail(ctx.root.make_dirs(k_sshd_dropin_dir, {0755, 0, 0}));
        target = k_sshd_dropin;
        mode = {0600, 0, 0};
        main = or_fail(ctx.root.read_file(target));
    } else if (main) {
        if (auto st = or_fail(ctx.root.lstat(target)))
            mode = {static_cast<mode_t>(st->st_mode & 07777), st->st_uid, st->st_gid};
    }
    ssh::SshdEdit edit = ssh::update_sshd_config(main.value_or(""), settings);
    if (!edit.changed) return false;
    or_fail(ctx.root.write_file(target, edit.content, mode));
    return true;
}

struct KeysOutcome {
    std::size_t added = 0, replaced = 0;
};

KeysOutcome install_keys(pipeline::ModuleContext& ctx, const system::Passwd& user,
                         const std::vector<ssh::AuthKeyLine>& keys) {
    const std::string ssh_dir = user.home + "/.ssh";
    const std::string file = ssh_dir + "/authorized_keys";
    if (!or_fail(ctx.root.lstat(user.home))) {
        throw ModuleFailed("home directory " + user.home + " of " + user.name + " does not exist");
    }
    or_fail(ctx.root.ensure_dir(ssh_dir, {0700, user.uid, user.gid}));
    std::optional<std::string> existing = or_fail(ctx.root.read_file(file));
    ssh::MergeResult merged = ssh::merge_authorized_keys(existing.value_or(""), keys);
    if (merged.changed || !existing) {
        or_fail(ctx.root.write_file(file, merged.content, {0600, user.uid, user.gid}));
    } else {
        or_fail(ctx.root.set_mode(file, {0600, user.uid, user.gid}));
    }
    return {merged.added, merged.replaced};
}

void log_authkey_fingerprints(pipeline::ModuleContext& ctx, const system::Passwd& user, const Ssh& cfg) {
    auto text = or_fail(ctx.root.read_file(user.home + "/.ssh/authorized_keys"));
    for (const ssh::AuthKeyLine& key : ssh::parse_authorized_keys(text.value_or(""))) {
        if (!key.valid()) continue;
        auto bytes = ssh::decode_blob(key.blob);
        // A key whose data is not valid base64 (a truncated paste) is still
        // installed, as sshd ignores it; say why it has no fingerprint.
        std::string fp = bytes ? ssh::hex_fingerprint(*bytes, cfg.authkey_hash) : "(no fingerprint: key data is not valid base64)";
        ctx.log.information("authorized key fingerprint (" + cfg.authkey_hash + ") for " + user.name + ": " +
                            key.keytype + " " + fp + (key.comment.empty() ? "" : " " + key.comment));
    }
}

std::string describe(std::string_view who, const KeysOutcome& o) {
    return std::string(who) + ": " + std::to_string(o.added) + " added, " + std::to_string(o.replaced) + " replaced";
}

pipeline::Outcome run_ssh(pipeline::ModuleContext& ctx, const Ssh& cfg) {
    std::optional<system::Passwd> user = or_fail(ctx.root.find_user(ctx.default_user.name));
    system::Passwd root = or_fail(ctx.root.find_user("root")).value_or(system::Passwd{"root", 0, 0, "", "/root", ""});

    // 1. Host keys and sshd settings, whatever happens to the users.
    std::vector<std::string> parts;
    if (cfg.delete_keys) delete_host_keys(ctx);
    std::vector<ssh::SshdSetting> sshd;
    if (cfg.has_ssh_keys) {
        std::vector<std::string> written = write_supplied_keys(ctx, cfg);
        parts.push_back("host keys written: " + std::to_string(written.size()));
        for (const HostKeyEntry& e : cfg.ssh_keys) {
            if (e.part == "certificate") {
                sshd.push_back({"HostCertificate", host_key_path(e.type) + "-cert.pub", ssh::SshdSetting::Kind::multi});
            }
        }
    } else {
        std::vector<std::string> generated = generate_host_keys(ctx, cfg);
        std::string list;
        for (const std::string& t : generated) list += (list.empty() ? "" : ",") + t;
        parts.push_back("host keys generated: " + (list.empty() ? std::string("none") : list));
    }
    log_host_fingerprints(ctx);

    if (cfg.pwauth) sshd.push_back({"PasswordAuthentication", *cfg.pwauth ? "yes" : "no"});
    if (apply_sshd_settings(ctx, sshd)) parts.push_back("sshd configuration updated");

    std::vector<std::string> texts;
    if (cfg.allow_public_keys) {
        for (std::size_t i = 0; i < ctx.instance.public_keys.size(); ++i) {
            if (!ssh::parse_key_line(ctx.instance.public_keys[i]).valid()) {
                ctx.log.warning("metadata public key " + std::to_string(i) +
                                " is not a public key line; not installed");
                continue;
            }
            texts.push_back(ctx.instance.public_keys[i]);
        }
    }
    texts.insert(texts.end(), cfg.authorized_keys.begin(), cfg.authorized_keys.end());

    std::vector<ssh::AuthKeyLine> user_keys, root_keys;
    std::string prefix;
    if (cfg.disable_root) {
        prefix = ssh::disable_user_options(cfg.disable_root_opts, user ? user->name : "NONE", "root");
    }
    for (const std::string& t : texts) {
        user_keys.push_back(ssh::parse_key_line(t));
        root_keys.push_back(ssh::parse_key_line(t, prefix));
    }
    // 2. Keys for the default user and root.
    if (!texts.empty()) {
        if (user) parts.push_back(describe(user->name, install_keys(ctx, *user, user_keys)));
        parts.push_back(describe("root", install_keys(ctx, root, root_keys)));
        if (user && cfg.log_fingerprints) log_authkey_fingerprints(ctx, *user, cfg);
    } else {
        parts.push_back("no authorized keys");
    }
    if (!user && cfg.default_user_wanted) {
        std::string done;
        for (const std::string& p : parts) done += (done.empty() ? "" : "; ") + p;
        throw ModuleFailed("default user " + in_quotes(ctx.default_user.name) +
                           " does not exist (users_groups creates it); " + done);
    }
    if (!user) parts.push_back("no default user (users: leaves it out), keys for root only");

    std::string summary;
    for (const std::string& p : parts) summary += (summary.empty() ? "" : "; ") + p;
    return {summary};
}

}  // namespace

extern const pipeline::ModuleSpec k_ssh{
    "ssh",
    pipeline::Frequency::per_instance,
    {"ssh_authorized_keys", "disable_root", "disable_root_opts", "ssh_deletekeys", "ssh_genkeytypes", "ssh_keys",
     "ssh_quiet_keygen", "allow_public_ssh_keys", "ssh_pwauth", "ssh_publish_hostkeys", "no_ssh_fingerprints",
     "authkey_hash"},
    pipeline::Activation::always,
    pipeline::Idempotent::yes,
    pipeline::bind_parse(parse_ssh),
    pipeline::bind_run(run_ssh),
};

}  // namespace kindling::modules
