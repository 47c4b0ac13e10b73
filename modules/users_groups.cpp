// users_groups: groups and users from cloud-config, and the default user from
// kindling.yaml (created even without a `users` key, as cloud-init's cloud.cfg
// `users: [default]` does). Matches cloud-init cc_users_groups.py and
// distros/__init__.py create_group/create_user/lock_passwd/write_sudo_rules,
// with these deliberate differences:
//  - an existing user is updated with usermod (gecos, home, primary group,
//    groups added, shell, uid, expiry, inactive, passwd), never recreated;
//  - passwords go to chpasswd on stdin, never on a command line or in a log;
//  - group members are added after the users are created, and a member that
//    does not exist fails the module instead of a warning;
//  - sudo rules are checked with `visudo -c -f` (when the root has visudo)
//    before /etc/sudoers.d/90-kindling-users (0440) is replaced.
// Idempotent::yes: every step checks the root first (user present, group
// membership, lock state, rules already written), so a run that failed half-way
// (e.g. a home directory missing for the keys) is simply retried next boot.
// useradd and groupadd are not atomic (passwd, shadow, group and gshadow are
// replaced one after the other, then the home is made): each runs under an
// intent record, so an account a crash left half-made is deleted and made again.
#include <Poco/Logger.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "agent/ssh/authorized_keys.hpp"
#include "modules/users_groups_commands.hpp"
#include "modules/users_groups_config.hpp"
#include "modules/users_groups_files.hpp"

namespace kindling::modules {

namespace {

enum class ShowOutput { no, yes };

struct Tally {
    std::vector<std::string> groups_created;
    std::vector<std::string> users_created;
    std::vector<std::string> users_updated;
    int keys_added = 0;
    bool sudoers_written = false;
};

template <class T>
T checked(Result<T> r) {
    if (!r) throw ModuleFailed(r.error().message);
    if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// Runs a child in the root; a failure becomes ModuleFailed naming the command.
// The child's last output line is added unless `show` is no (chpasswd).
void run_command(pipeline::ModuleContext& ctx, system::Command cmd, ShowOutput show = ShowOutput::yes) {
    cmd.timeout = ctx.child_timeout;
    cmd.output = system::Output::capture;
    auto result = ctx.root.run(cmd);
    if (!result) throw ModuleFailed(cmd.label + ": " + result.error().message);
    if (result->ok()) return;
    std::string why = result->describe();
    if (show == ShowOutput::yes) {
        std::string out = result->output;
        while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
        if (auto nl = out.rfind('\n'); nl != std::string::npos) out.erase(0, nl + 1);
        if (!out.empty()) why += ": " + out.substr(0, 300);
    }
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
        if (!home.empty() && !checked(ctx.root.lstat(home))) record += "new-home " + home + "\n";
        checked(ctx.root.write_file(intent, record, {0600, 0, 0}));
    }
    run_argv(ctx, std::move(argv), name);
    if (!intent.empty()) checked(ctx.root.remove(intent));
}

// An intent left by a run killed during useradd/groupadd: that account may be
// in some files and not others, so it is deleted, to be created again below.
// Its home is removed only when the record says useradd was making it: a home
// that was there before (baked into the image) is kept.
void undo_interrupted_creation(pipeline::ModuleContext& ctx) {
    const std::string intent = intent_path(ctx);
    if (intent.empty()) return;
    auto text = checked(ctx.root.read_file(intent));
    if (!text) return;
    std::istringstream lines(*text);
    std::string kind, name, tag, new_home;
    lines >> kind >> name;
    if (lines >> tag && tag == "new-home") lines >> new_home;
    if (kind == "user" && !name.empty()) {
        if (auto pw = checked(ctx.root.find_user(name))) {
            ctx.log.warning("user '" + name + "': half-created by an interrupted run, deleting it to create it again");
            std::vector<std::string> argv{"userdel", "--force"};
            if (!new_home.empty() && pw->home == new_home) argv.emplace_back("--remove");
            argv.push_back(name);
            run_argv(ctx, std::move(argv), name);
        }
    } else if (kind == "group" && !name.empty() && checked(ctx.root.find_group(name))) {
        ctx.log.warning("group '" + name + "': half-created by an interrupted run, deleting it to create it again");
        run_argv(ctx, {"groupdel", name}, name);
    }
    checked(ctx.root.remove(intent));
}

void ensure_group(pipeline::ModuleContext& ctx, const std::string& name, Tally& tally) {
    if (checked(ctx.root.find_group(name))) return;
    create_recorded(ctx, "group", name, {"groupadd", name});
    tally.groups_created.push_back(name);
}

std::optional<ShadowEntry> shadow_of(pipeline::ModuleContext& ctx, const std::string& name) {
    auto text = checked(ctx.root.read_file("/etc/shadow"));
    return text ? find_shadow(*text, name) : std::nullopt;
}

CurrentUser current_user(pipeline::ModuleContext& ctx, const UserEntry& u, system::Passwd pw) {
    CurrentUser now{std::move(pw), {}, {}, {}, {}};
    if (u.primary_group) {
        auto g = checked(ctx.root.find_group(*u.primary_group));
        if (!g) throw ModuleFailed("user '" + u.name + "': group '" + *u.primary_group + "' does not exist");
        now.wanted_gid = g->gid;
    }
    for (const auto& name : u.groups.value_or(std::vector<std::string>{})) {
        auto g = checked(ctx.root.find_group(name));
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
        if (current != hash.reveal()) run_command(ctx, chpasswd_command(u.name, hash, true), ShowOutput::no);
    };
    if (u.passwd) set_hash(*u.passwd);
    if (u.plain_text_passwd) run_command(ctx, chpasswd_command(u.name, *u.plain_text_passwd, false), ShowOutput::no);
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

void install_keys(pipeline::ModuleContext& ctx, const UserEntry& u, Tally& tally) {
    auto pw = checked(ctx.root.find_user(u.name));
    if (!pw) throw ModuleFailed("user '" + u.name + "' does not exist");
    if (!checked(ctx.root.lstat(pw->home))) {
        throw ModuleFailed("user '" + u.name + "': home directory '" + pw->home +
                           "' does not exist, ssh_authorized_keys not installed");
    }
    std::string dir = pw->home + "/.ssh";
    std::string file = dir + "/authorized_keys";
    checked(ctx.root.ensure_dir(dir, {0700, pw->uid, pw->gid}));
    auto existing = checked(ctx.root.read_file(file));
    // Merged by key blob as the ssh module does (agent/ssh/authorized_keys.hpp).
    std::vector<ssh::AuthKeyLine> keys;
    for (const std::string& k : *u.ssh_authorized_keys) keys.push_back(ssh::parse_key_line(k));
    ssh::MergeResult merged = ssh::merge_authorized_keys(existing.value_or(""), keys);
    if (existing && !merged.changed) {
        checked(ctx.root.set_mode(file, {0600, pw->uid, pw->gid}));
    } else {
        checked(ctx.root.write_file(file, merged.content, {0600, pw->uid, pw->gid}));
    }
    tally.keys_added += static_cast<int>(merged.added);
}

// The mode useradd gives a new home (shadow's rule: login.defs HOME_MODE, else
// 0777 & ~UMASK, UMASK defaulting to 022).
mode_t home_mode(pipeline::ModuleContext& ctx) {
    auto defs = checked(ctx.root.read_file("/etc/login.defs"));
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
    if (checked(ctx.root.lstat(pw.home))) return;
    checked(ctx.root.make_dirs(pw.home, {home_mode(ctx), pw.uid, pw.gid}));
    ctx.log.warning("user '" + u.name + "': home directory '" + pw.home + "' was missing, created it");
}

void apply_user(pipeline::ModuleContext& ctx, const UserEntry& u, Tally& tally, std::vector<std::string>& sudo) {
    // 1. Groups the user needs (cloud-init creates them unless create_groups is false).
    if (u.create_groups.value_or(true)) {
        for (const auto& g : u.groups.value_or(std::vector<std::string>{})) ensure_group(ctx, g, tally);
        if (u.primary_group) ensure_group(ctx, *u.primary_group, tally);
    }
    // 2. Create, then bring the user in line with usermod: an existing user is
    //    updated, and a new one gets what useradd skips (inactive for --system).
    auto pw = checked(ctx.root.find_user(u.name));
    bool created = !pw;
    if (created) {
        // useradd's default home is HOME (/home) + name; a custom HOME in
        // /etc/default/useradd only means the record names a path it never used.
        const bool makes_home = !u.no_create_home.value_or(false) && !u.system.value_or(false);
        create_recorded(ctx, "user", u.name, useradd_argv(u),
                        makes_home ? u.homedir.value_or("/home/" + u.name) : std::string());
        tally.users_created.push_back(u.name);
        pw = checked(ctx.root.find_user(u.name));
        if (!pw) throw ModuleFailed("user '" + u.name + "' does not exist after useradd");
    }
    if (auto argv = usermod_argv(u, current_user(ctx, u, *pw)); !argv.empty()) {
        run_argv(ctx, std::move(argv), u.name);
        if (!created) tally.users_updated.push_back(u.name);
    }
    if (!created) ensure_home(ctx, u, *pw);
    // 3. Password and lock state; 4. sudo rules (written at the end); 5. keys.
    apply_password(ctx, u);
    if (u.sudo && !u.sudo->empty()) sudo.push_back(sudoers_block(u.name, *u.sudo));
    if (u.ssh_authorized_keys && !u.ssh_authorized_keys->empty()) install_keys(ctx, u, tally);
}

void add_members(pipeline::ModuleContext& ctx, const GroupSpec& group) {
    for (const auto& member : group.members) {
        auto pw = checked(ctx.root.find_user(member));
        auto g = checked(ctx.root.find_group(group.name));
        if (!pw || !g) throw ModuleFailed("group '" + group.name + "': member '" + member + "' does not exist");
        if (std::find(g->members.begin(), g->members.end(), member) != g->members.end() || pw->gid == g->gid) continue;
        run_argv(ctx, {"usermod", "-a", "-G", group.name, member}, member);
    }
}

bool root_has_visudo(pipeline::ModuleContext& ctx) {
    for (const char* path : {"/usr/sbin/visudo", "/usr/bin/visudo", "/sbin/visudo", "/bin/visudo"}) {
        if (auto st = ctx.root.lstat(path); st && *st) return true;
    }
    return false;
}

// cloud-init ensure_sudo_dir + write_sudo_rules, with a visudo check first.
void write_sudoers(pipeline::ModuleContext& ctx, const std::vector<std::string>& blocks, Tally& tally) {
    auto base = checked(ctx.root.read_file(std::string(k_sudoers_base)));
    if (auto with_dir = sudoers_with_includedir(base, k_sudoers_dir)) {
        auto st = checked(ctx.root.lstat(std::string(k_sudoers_base)));
        system::FileMode mode = st ? system::FileMode{st->st_mode & 07777, st->st_uid, st->st_gid}
                                   : system::FileMode{0440, 0, 0};
        checked(ctx.root.write_file(std::string(k_sudoers_base), *with_dir, mode));
    }
    checked(ctx.root.make_dirs(std::string(k_sudoers_dir), {0750, 0, 0}));

    std::string file(k_sudoers_file);
    auto existing = checked(ctx.root.read_file(file));
    std::string merged = merge_sudoers(existing, blocks);
    if (existing && *existing == merged) {
        checked(ctx.root.set_mode(file, {0440, 0, 0}));
        return;
    }
    if (root_has_visudo(ctx)) {
        // sudo skips files with a '.' in sudoers.d, so a leftover check file is inert.
        std::string check = std::string(k_sudoers_dir) + "/.90-kindling-users.check";
        checked(ctx.root.write_file(check, merged, {0440, 0, 0}));
        system::Command cmd;
        cmd.argv = {"visudo", "-c", "-f", check};
        cmd.label = "visudo -c";
        try {
            run_command(ctx, cmd);
        } catch (const ModuleFailed&) {
            std::ignore = ctx.root.remove(check);
            throw;
        }
        checked(ctx.root.remove(check));
    }
    checked(ctx.root.write_file(file, merged, {0440, 0, 0}));
    tally.sudoers_written = true;
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

pipeline::Outcome run_users_groups(pipeline::ModuleContext& ctx, const UsersGroups& cfg) {
    // 0. A tool killed mid-change by a crash or power cut must not block this boot's changes.
    if (int cleared = checked(ctx.root.clear_stale_account_locks()); cleared > 0) {
        ctx.log.warning("removed " + std::to_string(cleared) +
                        " stale lock or temporary files left in /etc by an interrupted account tool");
    }
    undo_interrupted_creation(ctx);
    // 1. The final user list, with the default user filled in from kindling.yaml.
    std::vector<UserEntry> users = resolve_users(cfg.users, ctx.default_user);
    // 2. Every group member must exist already or be created below: fail before any change.
    std::set<std::string> known;
    for (const auto& u : users) known.insert(u.name);
    for (const auto& g : cfg.groups) {
        for (const auto& m : g.members) {
            if (!known.contains(m) && !checked(ctx.root.find_user(m))) {
                throw ModuleFailed("group '" + g.name + "': member '" + m + "' does not exist");
            }
        }
    }
    // 3. Groups, 4. users, 5. group members, 6. sudo rules.
    Tally tally;
    for (const auto& g : cfg.groups) ensure_group(ctx, g.name, tally);
    std::vector<std::string> sudo_blocks;
    for (const auto& u : users) apply_user(ctx, u, tally, sudo_blocks);
    for (const auto& g : cfg.groups) add_members(ctx, g);
    if (!sudo_blocks.empty()) write_sudoers(ctx, sudo_blocks, tally);

    std::string summary = std::to_string(users.size()) + " users";
    if (!tally.users_created.empty()) summary += ", created " + join(tally.users_created);
    if (!tally.users_updated.empty()) summary += ", updated " + join(tally.users_updated);
    if (!tally.groups_created.empty()) summary += ", groups created " + join(tally.groups_created);
    if (tally.keys_added > 0) summary += ", " + std::to_string(tally.keys_added) + " keys added";
    if (tally.sudoers_written) summary += ", sudo rules written";
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
