// users_groups, the typed config: cloud-config `groups`, `users` and `user`
// normalised the way cloud-init's ug_util.normalize_users_groups does it (comma
// strings split, member lists sorted and deduplicated, entries for the same name
// merged with the first one winning, `default` standing for the default user).
// The default user itself (kindling.yaml default_user) is only known at run
// time, so parse keeps `default` as a marked entry and resolve_users() fills it.
// Every key is typed here; passwords are held in Secret and never echoed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/node.hpp"
#include "agent/config/report.hpp"
#include "agent/core/secret.hpp"
#include "agent/pipeline/module_context.hpp"

namespace kindling::modules {

struct GroupSpec {
    std::string name;
    std::vector<std::string> members;  // sorted, unique (cloud-init uniq_merge_sorted)
};

// One user as written; every key optional so entries can be merged before the
// defaults (cloud-init's, and kindling.yaml's for the default user) apply.
struct UserEntry {
    std::string name;          // "default" until resolve_users() names it
    bool is_default = false;
    std::optional<std::string> gecos;
    std::optional<std::string> homedir;
    std::optional<std::string> primary_group;
    std::optional<std::vector<std::string>> groups;
    std::optional<bool> lock_passwd;
    std::optional<Secret<>> passwd;             // a crypt hash, set with chpasswd -e
    std::optional<Secret<>> hashed_passwd;      // a crypt hash, set with chpasswd -e
    std::optional<Secret<>> plain_text_passwd;  // set with chpasswd
    std::optional<bool> no_create_home;
    std::optional<bool> no_user_group;
    std::optional<bool> no_log_init;
    std::optional<bool> create_groups;
    std::optional<bool> system;
    std::optional<std::vector<std::string>> ssh_authorized_keys;
    std::optional<std::vector<std::string>> sudo;  // engaged and empty: `sudo: false` or null
    std::optional<std::string> shell;
    std::optional<std::string> selinux_user;
    std::optional<std::int64_t> uid;
    std::optional<std::string> expiredate;  // YYYY-MM-DD
    std::optional<std::int64_t> inactive;   // days, -1 disables
    std::optional<std::vector<std::string>> doas;  // doas.conf rules naming this user
    std::optional<bool> ssh_redirect_user;  // metadata keys behind a "log in as the default user" refusal
    // Accepted for cloud-init's sake but not applied (reported at parse time,
    // skipped with a warning at run time): they need the network or snapd.
    std::optional<std::vector<std::string>> ssh_import_id;
    std::optional<std::string> snapuser;  // the user is made by `snap create-user`, never by useradd
};

struct UsersGroups {
    std::vector<GroupSpec> groups;
    std::vector<UserEntry> users;  // in order of first appearance
};

// Reads `groups`, `users` and `user`. Without `users` the list is [default]
// (cloud-init's shipped cloud.cfg); `user` overrides the default user's keys
// and puts `default` in the list if it is not there yet.
UsersGroups parse_users_groups(const config::Node& cc, config::Report& report);

// The final list: the `default` entry merged over kindling.yaml's default user
// (the entry's keys win), entries that end up with the same name merged.
std::vector<UserEntry> resolve_users(const std::vector<UserEntry>& users, const pipeline::DefaultUser& def);

// Fills every key `into` lacks from `from` (cloud-init mergemanydict order:
// the first config wins).
void fill_missing(UserEntry& into, const UserEntry& from);

// A user or group name useradd accepts without --badname and that cannot be
// taken for an option or break a passwd/group line.
bool valid_account_name(std::string_view name);

// The identity a doas.conf rule grants to ("permit nopass bob as root" ->
// "bob", ":wheel" for a group), or nullopt when the rule does not read as
// `permit|deny [options] identity [as target] [cmd command [args ...]]`
// (doas.conf(5)). cloud-init writes a user's rules only when each names that
// user.
std::optional<std::string> doas_rule_identity(std::string_view rule);

}  // namespace kindling::modules
