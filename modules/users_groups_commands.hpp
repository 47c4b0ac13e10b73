// users_groups, the commands: useradd/usermod/groupadd/chpasswd argument lists
// built from a resolved UserEntry, and the root's /etc/shadow read for the lock
// state and the expiry fields. Pure functions, so the exact argv is tested.
// Differs from cloud-init distros/__init__.py add_user: a `passwd` hash never
// goes on useradd's command line (it is set through chpasswd -e on stdin), and
// an existing user is brought in line with usermod instead of being skipped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/system/process.hpp"
#include "agent/system/root.hpp"
#include "modules/users_groups_config.hpp"

namespace kindling::modules {

// useradd NAME [options sorted by cloud-init key name] -m|-M (no password).
std::vector<std::string> useradd_argv(const UserEntry& u);

// What an existing user looks like now, for usermod_argv.
struct CurrentUser {
    system::Passwd passwd;
    std::optional<gid_t> wanted_gid;          // gid of u.primary_group, if any
    std::vector<std::string> missing_groups;  // of u.groups, those the user is not in
    std::string shadow_inactive;              // shadow field 7 ("" when unset)
    std::string shadow_expire;                // shadow field 8, days since 1970-01-01
};

// usermod options for what differs (-c -d -g -a -G -s -u -e -f), then the
// name; empty when nothing differs. Never moves the home directory.
std::vector<std::string> usermod_argv(const UserEntry& u, const CurrentUser& now);

// chpasswd [-e] with "name:password\n" on stdin; labelled without the secret.
system::Command chpasswd_command(std::string_view name, const Secret<>& password, bool hashed);

// The fields of one /etc/shadow line (the password is a hash or a lock marker).
struct ShadowEntry {
    Secret<> password;
    std::string inactive;
    std::string expire;
};
std::optional<ShadowEntry> find_shadow(std::string_view shadow_text, std::string_view name);

// Days since 1970-01-01 of "YYYY-MM-DD", as shadow stores an expiry date.
std::optional<long> days_since_epoch(std::string_view date);

}  // namespace kindling::modules
