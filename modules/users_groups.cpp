// users_groups: groups and users from cloud-config, and the default user from
// kindling.yaml (created even without a `users` key, as cloud-init's cloud.cfg
// `users: [default]` does). Matches cloud-init cc_users_groups.py and
// distros/__init__.py create_group/create_user/lock_passwd/write_sudo_rules/
// write_doas_rules: a group member that does not exist is skipped with a
// warning; `doas` rules go to /etc/doas.conf (each must name its user);
// `ssh_redirect_user` installs the metadata keys behind a refusal that names
// the default user. With these deliberate differences:
//  - an existing user is updated with usermod (gecos, home, primary group,
//    groups added, shell, uid, expiry, inactive, passwd), never recreated;
//  - passwords go to chpasswd on stdin, never on a command line or in a log;
//    a failing chpasswd's last line is reported with any password blanked out;
//  - group members are added after the users are created, so a member that
//    `users` creates is added (cloud-init adds members first and skips them);
//  - sudo rules are checked with `visudo -c -f` (when the root has visudo)
//    before /etc/sudoers.d/90-kindling-users (0440) is replaced;
//  - a doas rule that does not name its user is an error (cloud-init logs it
//    and writes none of that user's rules);
//  - `ssh_import_id` (Launchpad/GitHub over the network) and `snapuser` (snapd
//    and the snap store) are not applied: the validator warns, the module
//    skips them with a warning naming the user (a snapuser entry makes no
//    account at all, as under cloud-init no useradd runs for it).
// Idempotent::yes: every step checks the root first (user present, group
// membership, lock state, rules already written), so a run that failed half-way
// (e.g. a home directory missing for the keys) is simply retried next boot.
// useradd and groupadd are not atomic (passwd, shadow, group and gshadow are
// replaced one after the other, then the home is made): each runs under an
// intent record, so an account a crash left half-made is deleted and made again.
#include <Poco/Logger.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "agent/ssh/authorized_keys.hpp"
#include "modules/or_fail.hpp"
#include "modules/users_groups_commands.hpp"
#include "modules/users_groups_config.hpp"
#include "modules/users_groups_files.hpp"

namespace kindling::modules {

namespace {

struct Tally {
    std::vector<std::string> groups_created;
    std::vector<std::string> users_created;
    std::vector<std::string> users_updated;
    int keys_added = 0;
    bool sudoers_written = false;
    bool doas_written = false;
    std::vector<std::string> not_applied;  // what was skipped with a warning, for the summary
};

// Logs `why` as a warning and keeps `what` for the summary.
void skip(pipeline::ModuleContext& ctx, Tally& tally, std::string what, const std::string& why) {
    ctx.log.warning(why);
    tally.not_applied.push_back(std::move(what));
}

// `text` with every occurrence of `secret` replaced by "[password]".
std::string blank_out(std::string text, std::string_view secret) {
    if (secret.empty()) return text;
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
        text.replace(pos, secret.size(), "[password]");
    }
    return text;
}

// Runs a child in the root; a failure becomes ModuleFailed naming the command
// and adding the last line it printed, with `secret` (a password on chpasswd's
// stdin) blanked out. Output cut at the capture limit ends with a line of
// kindling's own, so a secret cut in half is never the last line.
void run_command(pipeline::ModuleContext& ctx, system::Command cmd, std::string_view secret = {}) {
    cmd.timeout = ctx.child_timeout;
    cmd.output = system::Output::capture;
    auto result = ctx.root.run(cmd);
    if (!result) throw ModuleFailed(cmd.label + ": " + result.error().message);
    if (result->ok()) return;
    std::string why = result->describe();
    // The last line that names an error, else the last that says anything:
    // visudo prints "FILE:LINE:COL: syntax error", then the rule and a caret
    // line ("    ^~~~") under it.
    std::istringstream lines(blank_out(result->output, secret));
    std::string out, error_line;
    for (std::string line; std::getline(lines, line);) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (std::any_of(line.begin(), line.end(), [](unsigned char c) { return std::isalnum(c); })) out = line;
        if (line.find("error") != std::string::npos) error_line = line;
    }
    if (!error_line.empty()) out = error_line;
    if (!out.empty()) why += ": " + out.substr(0, 300);
    throw ModuleFailed(cmd.label + ": " + why);
}

// `what` is the account it acts on, for the message: "useradd 'bob': exit status 4: ...".
void run_argv(pipeline::ModuleContext& ctx, std::vector<std::string> argv, const std::string& what) {
    system::Command cmd;
    cmd.label = argv.front() + " '" + what + "'";
    cmd.argv = std::move(argv);
    run_command(ctx, std::move(cmd));
}

// <instance_dir>/users_groups.creating holds "user NAME" or "group NAME" while
// useradd or groupadd runs; none in tests that give no instance directory. For
// a user, a second line "new-home PATH" says PATH did not exist before useradd,
// so a half-made home there may be removed with the account.
std::string intent_path(const pipeline::ModuleContext& ctx) {
    return ctx.paths.instance_dir.empty() ? "" : ctx.paths.instance_dir + "/users_groups.creating";
}

// Runs `argv` (useradd or groupadd creating `name`) under the intent record.
void create_recorded(pipeline::ModuleContext& ctx, const std::string& kind, const std::string& name,
                     std::vector<std::string> argv, const std::string& home = "") {
    const std::string intent = intent_path(ctx);
    if (!intent.empty()) {
        std::string record = kind + " " + name + "\n";
        if (!home.empty() && !or_fail(ctx.root.lstat(home))) record += "new-home " + home + "\n";
        or_fail(ctx.root.write_file(intent, record, {0600, 0, 0}));
    }
    run_argv(ctx, std::move(argv), name);
    if (!intent.empty()) or_fail(ctx.root.remove(intent));
}

// An intent left by a run killed during useradd/groupadd: that account may be
// in some files and not others, so it is deleted, to be created again below.
// Its home is removed only when the record says useradd was making it: a home
// that was there before (baked into the image) is kept.
void undo_interrupted_creation(pipeline::ModuleContext& ctx) {
    const std::string intent = intent_path(ctx);
    if (intent.empty()) return;
    auto text = or_fail(ctx.root.read_file(intent));
    if (!text) return;
    std::istringstream lines(*text);
    std::string kind, name, tag, new_home;
    lines >> kind >> name;
    if (lines >> tag && tag == "new-home") lines >> new_home;
    if (kind == "user" && !name.empty()) {
        if (auto pw = or_fail(ctx.root.find_user(name))) {
            ctx.log.warning("user '" + name + "': half-created by an interrupted run, deleting it to create it again");
            std::vector<std::string> argv{"userdel", "--force"};
            if (!new_home.empty() && pw->home == new_home) argv.emplace_back("--remove");
            argv.push_back(name);
            run_argv(ctx, std::move(argv), name);
        }
    } else if (kind == "group" && !name.empty() && or_fail(ctx.root.find_group(name))) {
        ctx.log.warning("group '" + name + "': half-created by an interrupted run, deleting it to create it again");
        run_argv(ctx, {"groupdel", name}, name);
    }
    or_fail(ctx.root.remove(intent));
}

void ensure_group(pipeline::ModuleContext& ctx, const std::string& name, Tally& tally) {
    if (or_fail(ctx.root.find_group(name))) return;
    create_recorded(ctx, "group", name, {"groupadd", name});
    tally.groups_created.push_back(name);
}

std::optional<ShadowEntry> shadow_of(pipeline::ModuleContext& ctx, const std::string& name) {
    auto text = or_fail(ctx.root.read_file("/etc/shadow"));
    return text ? find_shadow(*text, name) : std::nullopt;
}

CurrentUser current_user(pipeline::ModuleContext& ctx, const UserEntry& u, system::Passwd pw) {
    CurrentUser now{std::move(pw), {}, {}, {}, {}};
    if (u.primary_group) {
        auto g = or_fail(ctx.root.find_group(*u.primary_group));
        if (!g) throw ModuleFailed("user '" + u.name + "': group '" + *u.primary_group + "' does not exist");
        now.wanted_gid = g->gid;
    }
    for (const auto& name : u.groups.value_or(std::vector<std::string>{})) {
        auto g = or_fail(ctx.root.find_group(name));
        if (!g) throw ModuleFailed("user '" + u.name + "': group '" + name + "' does not exist");
        bool member = std::find(g->members.begin(), g->members.end(), u.name) != g->members.end();
        if (!member && g->gid != now.passwd.gid) now.missing_groups.push_back(name);
    }
    if (auto shadow = shadow_of(ctx, u.name)) {
        now.shadow_inactive = shadow->inactive;
        now.shadow_expire = shadow->expire;
    }
    return now;
}

// Passwords in cloud-init's order (passwd, plain_text_passwd, hashed_passwd),
// then the lock: locked unless lock_passwd is false; unlocked only when there
// is a password to unlock.
void apply_password(pipeline::ModuleContext& ctx, const UserEntry& u) {
    auto set_hash = [&](const Secret<>& hash) {
        auto now = shadow_of(ctx, u.name);
        std::string_view current = now ? std::string_view(now->password.reveal()) : std::string_view{};
        if (current.starts_with('!')) current.remove_prefix(1);
        if (current != hash.reveal()) run_command(ctx, chpasswd_command(u.name, hash, true), hash.reveal());
    };
    if (u.passwd) set_hash(*u.passwd);
    if (u.plain_text_passwd) {
        run_command(ctx, chpasswd_command(u.name, *u.plain_text_passwd, false), u.plain_text_passwd->reveal());
    }
    if (u.hashed_passwd) set_hash(*u.hashed_passwd);

    auto now = shadow_of(ctx, u.name);
    bool locked = now && now->password.reveal().starts_with('!');
    if (u.lock_passwd.value_or(true)) {
        if (!locked) run_argv(ctx, {"usermod", "--lock", u.name}, u.name);
        return;
    }
    bool given = u.passwd || u.plain_text_passwd || u.hashed_passwd;
    bool has_hash = now && now->password.size() > 1;
    if (locked && (given || has_hash)) {
        run_argv(ctx, {"usermod", "--unlock", u.name}, u.name);
    } else if (locked) {
        ctx.log.warning("user '" + u.name + "': lock_passwd is false but there is no password to unlock, ignoring");
    }
}

// `key` (ssh_authorized_keys or ssh_redirect_user) names the keys in messages.
void install_keys(pipeline::ModuleContext& ctx, const UserEntry& u, const std::vector<ssh::AuthKeyLine>& keys,
                  std::string_view key, Tally& tally) {
    auto pw = or_fail(ctx.root.find_user(u.name));
    if (!pw) throw ModuleFailed("user '" + u.name + "' does not exist");
    if (!or_fail(ctx.root.lstat(pw->home))) {
        throw ModuleFailed("user '" + u.name + "': home directory '" + pw->home + "' does not exist, " +
                           std::string(key) + " keys not installed");
    }
    std::string dir = pw->home + "/.ssh";
    std::string file = dir + "/authorized_keys";
    or_fail(ctx.root.ensure_dir(dir, {0700, pw->uid, pw->gid}));
    auto existing = or_fail(ctx.root.read_file(file));
    // Merged by key blob as the ssh module does (agent/ssh/authorized_keys.hpp).
    ssh::MergeResult merged = ssh::merge_authorized_keys(existing.value_or(""), keys);
    if (existing && !merged.changed) {
        or_fail(ctx.root.set_mode(file, {0600, pw->uid, pw->gid}));
    } else {
        or_fail(ctx.root.write_file(file, merged.content, {0600, pw->uid, pw->gid}));
    }
    tally.keys_added += static_cast<int>(merged.added);
}

// The mode useradd gives a new home (shadow's rule: login.defs HOME_MODE, else
// 0777 & ~UMASK, UMASK defaulting to 022).
mode_t home_mode(pipeline::ModuleContext& ctx) {
    auto defs = or_fail(ctx.root.read_file("/etc/login.defs"));
    std::optional<mode_t> home, umask;
    std::istringstream in(defs.value_or(""));
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string key, value;
        words >> key >> value;
        auto parsed = config::parse_yaml11_int(value.size() > 1 && value[0] == '0' ? value : "0" + value);
        if (!parsed || *parsed < 0 || *parsed > 07777) continue;
        if (key == "HOME_MODE") home = static_cast<mode_t>(*parsed);
        if (key == "UMASK") umask = static_cast<mode_t>(*parsed);
    }
    return home.value_or(0777 & ~umask.value_or(022));
}

// A user that exists without its home directory -- a boot cut short between
// useradd's passwd entry and its mkdir -- gets the directory useradd would
// have made, so keys can be installed on the retry.
void ensure_home(pipeline::ModuleContext& ctx, const UserEntry& u, const system::Passwd& pw) {
    if (u.no_create_home.value_or(false) || u.system.value_or(false) || pw.home.empty() || pw.home == "/") return;
    if (or_fail(ctx.root.lstat(pw.home))) return;
    or_fail(ctx.root.make_dirs(pw.home, {home_mode(ctx), pw.uid, pw.gid}));
    ctx.log.warning("user '" + u.name + "': home directory '" + pw.home + "' was missing, created it");
}

// cloud-init's ssh_redirect_user: the metadata keys, each behind the refusal
// that tells the client to log in as the default user instead.
void redirect_ssh(pipeline::ModuleContext& ctx, const UserEntry& u, const std::string* default_user, Tally& tally) {
    if (!default_user) {
        skip(ctx, tally, "ssh_redirect_user of " + u.name,
             "user '" + u.name + "': ssh_redirect_user ignored: there is no default user (users leaves it out)");
        return;
    }
    std::string options = ssh::disable_user_options(ssh::k_disable_user_opts, *default_user, u.name);
    std::vector<ssh::AuthKeyLine> keys;
    for (const std::string& text : ctx.instance.public_keys) {
        if (auto line = ssh::parse_key_line(text, options); line.valid()) keys.push_back(std::move(line));
    }
    if (keys.empty()) {
        skip(ctx, tally, "ssh_redirect_user of " + u.name,
             "user '" + u.name + "': ssh_redirect_user: no public keys in metadata, SSH logins not redirected");
        return;
    }
    install_keys(ctx, u, keys, "ssh_redirect_user", tally);
}

void apply_user(pipeline::ModuleContext& ctx, const UserEntry& u, const std::string* default_user, Tally& tally,
                std::vector<std::string>& sudo, std::vector<std::string>& doas) {
    // 1. Groups the user needs (cloud-init creates them unless create_groups is false).
    if (u.create_groups.value_or(true)) {
        for (const auto& g : u.groups.value_or(std::vector<std::string>{})) ensure_group(ctx, g, tally);
        if (u.primary_group) ensure_group(ctx, *u.primary_group, tally);
    }
    // 2. Create, then bring the user in line with usermod: an existing user is
    //    updated, and a new one gets what useradd skips (inactive for --system).
    auto pw = or_fail(ctx.root.find_user(u.name));
    bool created = !pw;
    if (created) {
        // useradd's default home is HOME (/home) + name; a custom HOME in
        // /etc/default/useradd only means the record names a path it never used.
        const bool makes_home = !u.no_create_home.value_or(false) && !u.system.value_or(false);
        create_recorded(ctx, "user", u.name, useradd_argv(u),
                        makes_home ? u.homedir.value_or("/home/" + u.name) : std::string());
        tally.users_created.push_back(u.name);
        pw = or_fail(ctx.root.find_user(u.name));
        if (!pw) throw ModuleFailed("user '" + u.name + "' does not exist after useradd");
    }
    if (auto argv = usermod_argv(u, current_user(ctx, u, *pw)); !argv.empty()) {
        run_argv(ctx, std::move(argv), u.name);
        if (!created) tally.users_updated.push_back(u.name);
    }
    if (!created) ensure_home(ctx, u, *pw);
    // 3. Password and lock state; 4. sudo and doas rules (written at the end); 5. keys.
    apply_password(ctx, u);
    if (u.sudo && !u.sudo->empty()) sudo.push_back(sudoers_block(u.name, *u.sudo));
    if (u.doas && !u.doas->empty()) doas.push_back(doas_block(u.name, *u.doas));
    if (u.ssh_authorized_keys && !u.ssh_authorized_keys->empty()) {
        std::vector<ssh::AuthKeyLine> keys;
        for (const std::string& k : *u.ssh_authorized_keys) keys.push_back(ssh::parse_key_line(k));
        install_keys(ctx, u, keys, "ssh_authorized_keys", tally);
    }
    if (u.ssh_redirect_user.value_or(false)) redirect_ssh(ctx, u, default_user, tally);
    if (u.ssh_import_id) {
        skip(ctx, tally, "ssh_import_id of " + u.name,
             "user '" + u.name + "': ssh_import_id is not supported by kindling (it fetches keys from Launchpad or "
             "GitHub over the network), no keys imported");
    }
}

// cloud-init create_group: a member that is not a user is skipped with a warning.
void add_members(pipeline::ModuleContext& ctx, const GroupSpec& group, Tally& tally) {
    for (const auto& member : group.members) {
        auto pw = or_fail(ctx.root.find_user(member));
        if (!pw) {
            skip(ctx, tally, "member " + member + " of " + group.name,
                 "Unable to add group member '" + member + "' to group '" + group.name + "'; user does not exist.");
            continue;
        }
        auto g = or_fail(ctx.root.find_group(group.name));
        if (!g) throw ModuleFailed("group '" + group.name + "' does not exist after groupadd");
        if (std::find(g->members.begin(), g->members.end(), member) != g->members.end() || pw->gid == g->gid) continue;
        run_argv(ctx, {"usermod", "-a", "-G", group.name, member}, member);
    }
}

bool root_has_program(pipeline::ModuleContext& ctx, std::string_view name) {
    for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/", "/usr/local/sbin/", "/usr/local/bin/"}) {
        if (auto st = ctx.root.lstat(dir + std::string(name)); st && *st) return true;
    }
    return false;
}

// cloud-init ensure_sudo_dir + write_sudo_rules, with a visudo check first.
void write_sudoers(pipeline::ModuleContext& ctx, const std::vector<std::string>& blocks, Tally& tally) {
    auto base = or_fail(ctx.root.read_file(std::string(k_sudoers_base)));
    if (auto with_dir = sudoers_with_includedir(base, k_sudoers_dir)) {
        auto st = or_fail(ctx.root.lstat(std::string(k_sudoers_base)));
        system::FileMode mode = st ? system::FileMode{st->st_mode & 07777, st->st_uid, st->st_gid}
                                   : system::FileMode{0440, 0, 0};
        or_fail(ctx.root.write_file(std::string(k_sudoers_base), *with_dir, mode));
    }
    or_fail(ctx.root.make_dirs(std::string(k_sudoers_dir), {0750, 0, 0}));

    std::string file(k_sudoers_file);
    auto existing = or_fail(ctx.root.read_file(file));
    std::string merged = merge_rule_blocks(existing, blocks);
    if (existing && *existing == merged) {
        or_fail(ctx.root.set_mode(file, {0440, 0, 0}));
        return;
    }
    if (root_has_program(ctx, "visudo")) {
        // sudo skips files with a '.' in sudoers.d, so a leftover check file is inert.
        std::string check = std::string(k_sudoers_dir) + "/.90-kindling-users.check";
        or_fail(ctx.root.write_file(check, merged, {0440, 0, 0}));
        system::Command cmd;
        cmd.argv = {"visudo", "-c", "-f", check};
        cmd.label = "visudo -c";
        try {
            run_command(ctx, cmd);
        } catch (const ModuleFailed&) {
            std::ignore = ctx.root.remove(check);
            throw;
        }
        or_fail(ctx.root.remove(check));
    }
    or_fail(ctx.root.write_file(file, merged, {0440, 0, 0}));
    tally.sudoers_written = true;
}

// cloud-init write_doas_rules: /etc/doas.conf, made 0440 root:root when new,
// else extended keeping its mode and owner. Written even when the root has no
// doas yet (`packages` may install it in the final stage), as cloud-init does.
void write_doas(pipeline::ModuleContext& ctx, const std::vector<std::string>& blocks, Tally& tally) {
    const std::string file(k_doas_file);
    auto existing = or_fail(ctx.root.read_file(file));
    std::string merged = merge_rule_blocks(existing, blocks);
    if (existing && *existing == merged) return;
    system::FileMode mode{0440, 0, 0};
    if (auto st = or_fail(ctx.root.lstat(file)); st && existing) mode = {st->st_mode & 07777, st->st_uid, st->st_gid};
    or_fail(ctx.root.write_file(file, merged, mode));
    tally.doas_written = true;
    if (!root_has_program(ctx, "doas")) {
        ctx.log.warning(file + " written, but the root has no doas: the rules apply once doas (opendoas) is installed");
    }
}

// A doas rule of the default user can only be checked once its name is known.
void check_doas_rules(const std::vector<UserEntry>& users) {
    for (const auto& u : users) {
        for (const auto& rule : u.doas.value_or(std::vector<std::string>{})) {
            auto identity = doas_rule_identity(rule);
            if (!identity || *identity != u.name) {
                throw ModuleFailed("user '" + u.name + "': the doas rule '" + rule + "' is for '" +
                                   identity.value_or("?") + "', not for '" + u.name + "'");
            }
        }
    }
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

pipeline::Outcome run_users_groups(pipeline::ModuleContext& ctx, const UsersGroups& cfg) {
    // 0. A tool killed mid-change by a crash or power cut must not block this boot's changes.
    if (int cleared = or_fail(ctx.root.clear_stale_account_locks()); cleared > 0) {
        ctx.log.warning("removed " + std::to_string(cleared) +
                        " stale lock or temporary files left in /etc by an interrupted account tool");
    }
    undo_interrupted_creation(ctx);
    // 1. The final user list, with the default user filled in from kindling.yaml;
    //    the default user's doas rules are checked before any change.
    std::vector<UserEntry> users = resolve_users(cfg.users, ctx.default_user);
    check_doas_rules(users);
    const UserEntry* def = nullptr;
    for (const auto& u : users) {
        if (u.is_default && !u.snapuser) def = &u;
    }
    const std::string* default_user = def ? &def->name : nullptr;
    // 2. Groups, 3. users, 4. group members, 5. sudo and doas rules.
    Tally tally;
    for (const auto& g : cfg.groups) ensure_group(ctx, g.name, tally);
    std::vector<std::string> sudo_blocks, doas_blocks;
    for (const auto& u : users) {
        if (u.snapuser) {
            skip(ctx, tally, "snapuser " + u.name,
                 "user '" + u.name + "': snapuser is not supported by kindling (snap create-user needs snapd and "
                 "the snap store), user not created");
            continue;
        }
        apply_user(ctx, u, default_user, tally, sudo_blocks, doas_blocks);
    }
    for (const auto& g : cfg.groups) add_members(ctx, g, tally);
    if (!sudo_blocks.empty()) write_sudoers(ctx, sudo_blocks, tally);
    if (!doas_blocks.empty()) write_doas(ctx, doas_blocks, tally);

    std::string summary = std::to_string(users.size()) + " users";
    if (!tally.users_created.empty()) summary += ", created " + join(tally.users_created);
    if (!tally.users_updated.empty()) summary += ", updated " + join(tally.users_updated);
    if (!tally.groups_created.empty()) summary += ", groups created " + join(tally.groups_created);
    if (tally.keys_added > 0) summary += ", " + std::to_string(tally.keys_added) + " keys added";
    if (tally.sudoers_written) summary += ", sudo rules written";
    if (tally.doas_written) summary += ", doas rules written";
    if (!tally.not_applied.empty()) summary += ", not applied: " + join(tally.not_applied);
    return {summary};
}

}  // namespace

extern const pipeline::ModuleSpec k_users_groups{
    "users_groups",
    pipeline::Frequency::per_instance,
    {"groups", "users", "user"},
    pipeline::Activation::always,
    pipeline::Idempotent::yes,
    pipeline::bind_parse(parse_users_groups),
    pipeline::bind_run(run_users_groups),
};

}  // namespace kindling::modules
