#include "modules/users_groups_config.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <regex>
#include <string_view>

namespace kindling::modules {

namespace {

// Keys of a user entry that Kindling refuses (an error, so never ignored).
constexpr std::array<std::string_view, 1> k_unsupported_user_keys{"sudo_group"};

// What the validator says about ssh_import_id and snapuser: accepted (cloud-init
// does), type-checked, and not applied -- they need the network (Launchpad,
// GitHub, the snap store) or snapd. users_groups skips them with a warning.
constexpr std::string_view k_not_applied = "not supported by kindling, not applied";

std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(" \t");
    return std::string(s.substr(b, e - b + 1));
}

// cloud-init util.uniq_merge on a string: "a, b,c" -> [a, b, c], empties dropped.
std::vector<std::string> split_commas(std::string_view s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto comma = s.find(',', start);
        if (comma == std::string_view::npos) comma = s.size();
        if (auto part = trim(s.substr(start, comma - start)); !part.empty()) out.push_back(part);
        start = comma + 1;
    }
    return out;
}

void sort_unique(std::vector<std::string>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
}

// A scalar YAML reads as a string: `true` or `5` is not a name.
bool is_text(const config::Node& n) { return n.type_name() == "a string"; }

// A list whose items are all strings in that sense; `what` names one item.
std::optional<std::vector<std::string>> text_list(const config::Node& n, config::Report& report, std::string_view what) {
    std::vector<std::string> out;
    for (const auto& item : n.items()) {
        if (!is_text(item)) {
            item.error(report, "expected " + std::string(what) + ", got " + item.type_name());
            return std::nullopt;
        }
        out.push_back(item.scalar());
    }
    return out;
}

bool has_newline(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

std::optional<std::string> read_name(const config::Node& n, config::Report& report, std::string_view kind) {
    if (!is_text(n)) {
        n.error(report, "expected a " + std::string(kind) + " name, got " + n.type_name());
        return std::nullopt;
    }
    auto s = std::optional<std::string>(n.scalar());
    if (!valid_account_name(*s)) {
        n.error(report, "'" + *s + "' is not a valid " + std::string(kind) + " name");
        return std::nullopt;
    }
    return s;
}

bool check_names(const config::Node& n, config::Report& report, const std::vector<std::string>& names,
                 std::string_view kind) {
    bool ok = true;
    for (const auto& name : names) {
        if (!valid_account_name(name)) {
            n.error(report, "'" + name + "' is not a valid " + std::string(kind) + " name");
            ok = false;
        }
    }
    return ok;
}

// A member list: "a, b" or [a, b]; null is refused, as cloud-init's schema does.
std::optional<std::vector<std::string>> read_members(const config::Node& n, config::Report& report) {
    std::vector<std::string> members;
    if (is_text(n)) {
        members = split_commas(n.scalar());
    } else if (n.is_sequence()) {
        auto list = text_list(n, report, "a member name");
        if (!list) return std::nullopt;
        for (const auto& item : *list) {
            for (auto& m : split_commas(item)) members.push_back(std::move(m));
        }
    } else {
        n.error(report, "expected a member name or a list of member names, got " + n.type_name());
        return std::nullopt;
    }
    if (!check_names(n, report, members, "user")) return std::nullopt;
    sort_unique(members);
    return members;
}

void add_group(std::vector<GroupSpec>& groups, std::string name, std::vector<std::string> members) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const GroupSpec& g) { return g.name == name; });
    if (it == groups.end()) {
        groups.push_back({std::move(name), std::move(members)});
        return;
    }
    it->members.insert(it->members.end(), members.begin(), members.end());
    sort_unique(it->members);
}

void parse_group_mapping(const config::Node& n, config::Report& report, std::vector<GroupSpec>& out) {
    for (const auto& [name, value] : n.entries()) {
        if (!valid_account_name(name)) {
            value.error(report, "'" + name + "' is not a valid group name");
            continue;
        }
        if (auto members = read_members(value, report)) add_group(out, name, std::move(*members));
    }
}

std::vector<GroupSpec> parse_groups(const config::Node& n, config::Report& report) {
    std::vector<GroupSpec> out;
    if (is_text(n)) {
        auto names = split_commas(n.scalar());
        if (check_names(n, report, names, "group")) {
            for (auto& name : names) add_group(out, std::move(name), {});
        }
    } else if (n.is_sequence()) {
        for (const auto& item : n.items()) {
            if (is_text(item)) {
                if (auto name = read_name(item, report, "group")) add_group(out, std::move(*name), {});
            } else if (item.is_map()) {
                parse_group_mapping(item, report, out);
            } else {
                item.error(report, "expected a group name or a mapping of group to members, got " + item.type_name());
            }
        }
    } else if (n.is_map()) {
        parse_group_mapping(n, report, out);
    } else {
        n.error(report, "expected a string, a list or a mapping of groups, got " + n.type_name());
    }
    return out;
}

std::optional<std::string> read_path(const config::Node& n, config::Report& report) {
    auto s = n.as_string(report, "an absolute path");
    if (s && (s->empty() || (*s)[0] != '/' || has_newline(*s) || s->find(':') != std::string::npos)) {
        n.error(report, "expected an absolute path without ':', got '" + *s + "'");
        return std::nullopt;
    }
    return s;
}

// A password or hash; the value is never echoed in a message.
std::optional<Secret<>> read_password(const config::Node& n, config::Report& report, bool hashed) {
    auto text = n.as_string(report);
    if (!text) return std::nullopt;
    std::string value = std::move(*text);
    if (has_newline(value)) {
        n.error(report, "a password must be a single line");
        return std::nullopt;
    }
    if (hashed && value.find(':') != std::string::npos) {
        n.error(report, "a password hash cannot contain ':'");
        return std::nullopt;
    }
    return Secret<>(std::move(value));
}

std::optional<std::vector<std::string>> read_user_groups(const config::Node& n, config::Report& report) {
    std::vector<std::string> groups;
    if (is_text(n)) {
        groups = split_commas(n.scalar());
    } else if (n.is_sequence()) {
        auto list = text_list(n, report, "a group name");
        if (!list) return std::nullopt;
        for (const auto& g : *list) groups.push_back(trim(g));
    } else if (n.is_map()) {
        // Deprecated in cloud-init: the mapping's keys are the groups.
        for (const auto& [name, value] : n.entries()) groups.push_back(name);
    } else {
        n.error(report, "expected a string or a list of group names, got " + n.type_name());
        return std::nullopt;
    }
    if (!check_names(n, report, groups, "group")) return std::nullopt;
    return groups;
}

std::optional<std::vector<std::string>> read_sudo(const config::Node& n, config::Report& report) {
    std::vector<std::string> rules;
    if (n.is_null() || (n.is_scalar() && !n.quoted() && config::parse_yaml11_bool(n.scalar()) == false)) {
        return rules;
    }
    if (n.is_scalar() && n.type_name() == "a string") {
        rules.push_back(n.scalar());
    } else if (n.is_sequence()) {
        for (const auto& item : n.items()) {
            if (item.is_null()) continue;  // cloud-init's schema allows null items: no rule
            auto rule = item.as_string(report, "a sudo rule");
            if (!rule) return std::nullopt;
            rules.push_back(*rule);
        }
    } else {
        n.error(report, "expected a sudo rule, a list of sudo rules, false or null, got " + n.type_name());
        return std::nullopt;
    }
    for (const auto& rule : rules) {
        if (has_newline(rule) || trim(rule).empty()) {
            n.error(report, "a sudo rule must be one non-empty line");
            return std::nullopt;
        }
    }
    return rules;
}

// An integer, or a string of one (cloud-init's schema still takes uid as a string).
std::optional<std::int64_t> read_number(const config::Node& n, config::Report& report, std::string_view what,
                                        std::int64_t min, std::int64_t max) {
    std::optional<std::int64_t> v;
    if (n.is_scalar()) v = config::parse_yaml11_int(n.scalar());
    if (!v || *v < min || *v > max) {
        std::string got = v ? std::to_string(*v) : n.type_name() == "a string" ? "'" + n.scalar() + "'" : n.type_name();
        n.error(report, "expected " + std::string(what) + ", got " + got);
        return std::nullopt;
    }
    return v;
}

// YYYY-MM-DD naming a day that exists (JSON schema's `date` format, RFC 3339
// full-date): 2020-13-45 and 2023-02-29 are not dates.
bool valid_date(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
        if (s[i] < '0' || s[i] > '9') return false;
    }
    auto number = [&](std::size_t at, std::size_t len) {
        int v = 0;
        for (std::size_t i = at; i < at + len; ++i) v = v * 10 + (s[i] - '0');
        return v;
    };
    const std::chrono::year_month_day day{std::chrono::year(number(0, 4)),
                                          std::chrono::month(static_cast<unsigned>(number(5, 2))),
                                          std::chrono::day(static_cast<unsigned>(number(8, 2)))};
    return day.ok();
}

// A date string. Unquoted, YAML reads 2032-09-01 as a date (PyYAML's
// datetime.date), not the string cloud-init's schema asks for; an impossible
// one such as 2020-13-45 is not even loadable there.
std::optional<std::string> read_date(const config::Node& n, config::Report& report) {
    if (!n.is_string() && n.type_name() != "a date") return n.as_string(report);
    const std::string text = n.scalar();
    if (!valid_date(text)) {
        n.error(report, "expected a date as YYYY-MM-DD, got '" + text + "'");
        return std::nullopt;
    }
    if (!n.is_string()) {
        n.error(report, "expected a string, got a date (quote it: '" + text + "')");
        return std::nullopt;
    }
    return text;
}

void read_bool(const config::Node& n, config::Report& report, std::optional<bool>& out) {
    if (auto b = n.as_bool(report)) out = *b;
}

void read_string(const config::Node& n, config::Report& report, std::optional<std::string>& out) {
    if (auto s = n.as_string(report)) out = *s;
}

// A list of doas.conf rules, each one line in doas.conf's grammar. Whether each
// names the user is checked once the name is known (check_doas_identity).
std::optional<std::vector<std::string>> read_doas(const config::Node& n, config::Report& report) {
    auto rules = n.as_string_list(report);
    if (!rules) return std::nullopt;
    bool ok = true;
    for (std::size_t i = 0; i < rules->size(); ++i) {
        const std::string& rule = (*rules)[i];
        if (has_newline(rule) || !doas_rule_identity(rule)) {
            n.at(i).error(report, "'" + rule + "' is not a doas rule (permit|deny [options] identity [as target] "
                                               "[cmd command [args ...]], on one line)");
            ok = false;
        }
    }
    return ok ? rules : std::nullopt;
}

// cloud-init writes a user's doas rules only when each names that user.
void check_doas_identity(const config::Node& n, config::Report& report, const std::vector<std::string>& rules,
                         const std::string& name) {
    for (std::size_t i = 0; i < rules.size(); ++i) {
        auto identity = doas_rule_identity(rules[i]);
        if (identity && *identity != name) {
            n.at(i).error(report, "the doas rule is for '" + *identity + "', not for the user '" + name + "'");
        }
    }
}

// true, false, or "default" (cloud-init's code takes it as true).
std::optional<bool> read_redirect(const config::Node& n, config::Report& report) {
    if (n.is_scalar() && n.scalar() == "default") return true;
    std::optional<bool> b;
    if (n.is_scalar() && !n.quoted()) b = config::parse_yaml11_bool(n.scalar());
    if (!b) {
        n.error(report, "expected true, false or \"default\", got " +
                            (n.type_name() == "a string" ? "'" + n.scalar() + "'" : n.type_name()));
    }
    return b;
}

// One key of a user mapping into `u`; `name` is handled by the caller.
void read_user_key(const std::string& key, const config::Node& v, config::Report& report, UserEntry& u) {
    if (key == "gecos") {
        read_string(v, report, u.gecos);
        if (u.gecos && (has_newline(*u.gecos) || u.gecos->find(':') != std::string::npos)) {
            v.error(report, "a gecos cannot contain ':' or a newline");
        }
    } else if (key == "homedir") {
        u.homedir = read_path(v, report);
    } else if (key == "shell") {
        u.shell = read_path(v, report);
    } else if (key == "primary_group") {
        u.primary_group = read_name(v, report, "group");
    } else if (key == "groups") {
        u.groups = read_user_groups(v, report);
    } else if (key == "lock_passwd" || key == "lock-passwd") {
        read_bool(v, report, u.lock_passwd);
    } else if (key == "passwd") {
        u.passwd = read_password(v, report, true);
    } else if (key == "hashed_passwd") {
        u.hashed_passwd = read_password(v, report, true);
    } else if (key == "plain_text_passwd") {
        u.plain_text_passwd = read_password(v, report, false);
    } else if (key == "no_create_home") {
        read_bool(v, report, u.no_create_home);
    } else if (key == "no_user_group") {
        read_bool(v, report, u.no_user_group);
    } else if (key == "no_log_init") {
        read_bool(v, report, u.no_log_init);
    } else if (key == "create_groups") {
        read_bool(v, report, u.create_groups);
    } else if (key == "system") {
        read_bool(v, report, u.system);
    } else if (key == "ssh_authorized_keys") {
        u.ssh_authorized_keys = v.as_string_or_list(report);
        if (u.ssh_authorized_keys) {
            for (const auto& k : *u.ssh_authorized_keys) {
                if (has_newline(k)) v.error(report, "a key must be a single line");
            }
        }
    } else if (key == "sudo") {
        u.sudo = read_sudo(v, report);
    } else if (key == "selinux_user") {
        read_string(v, report, u.selinux_user);
    } else if (key == "uid") {
        u.uid = read_number(v, report, "a uid from 0 to 4294967294", 0, 4294967294LL);
    } else if (key == "inactive") {
        u.inactive = read_number(v, report, "a number of days (-1 to disable)", -1, std::numeric_limits<int>::max());
    } else if (key == "expiredate") {
        u.expiredate = read_date(v, report);
    } else if (key == "doas") {
        u.doas = read_doas(v, report);
    } else if (key == "ssh_redirect_user") {
        u.ssh_redirect_user = read_redirect(v, report);
    } else if (key == "ssh_import_id") {
        u.ssh_import_id = v.as_string_or_list(report);
        if (u.ssh_import_id) v.key_warning(report, std::string(k_not_applied));
    } else if (key == "snapuser") {
        read_string(v, report, u.snapuser);
        if (u.snapuser) v.key_warning(report, std::string(k_not_applied));
    } else if (std::find(k_unsupported_user_keys.begin(), k_unsupported_user_keys.end(), key) !=
               k_unsupported_user_keys.end()) {
        v.key_error(report, "not supported by kindling");
    } else {
        v.key_error(report, "unknown user key");
    }
}

// A user mapping; `fallback_name` is used when it has no `name` (only for `user`).
std::optional<UserEntry> parse_user_mapping(const config::Node& n, config::Report& report,
                                            std::optional<std::string> fallback_name) {
    UserEntry u;
    std::optional<std::string> name = fallback_name;
    for (const auto& [key, value] : n.entries()) {
        if (key == "name") {
            name = value.as_string(report, "a user name");
        } else {
            // cloud-init still reads the deprecated hyphenated spellings (lock-passwd, ...).
            std::string normal = key;
            std::replace(normal.begin(), normal.end(), '-', '_');
            read_user_key(normal, value, report, u);
        }
    }
    if (!n.has("name") && !fallback_name) {
        // cloud-init: an entry needs a name or a snapuser (already reported as not applied).
        if (!u.snapuser) n.error(report, "a user needs a 'name'");
        return std::nullopt;
    }
    // cloud-init cc_users_groups.py: keys that need a home refuse keys that deny one.
    const bool redirect = u.ssh_redirect_user.value_or(false);
    const char* needs_home = u.ssh_authorized_keys ? "ssh_authorized_keys"
                             : u.ssh_import_id     ? "ssh_import_id"
                             : redirect            ? "ssh_redirect_user"
                                                   : nullptr;
    if (needs_home && (u.no_create_home.value_or(false) || u.system.value_or(false))) {
        n.error(report, std::string(needs_home) + " cannot be given with " +
                            (u.system.value_or(false) ? "system" : "no_create_home"));
        return std::nullopt;
    }
    // ... and ssh_redirect_user replaces the user's own keys.
    if (redirect && (u.ssh_authorized_keys || u.ssh_import_id)) {
        n.error(report, std::string("ssh_redirect_user cannot be given with ") +
                            (u.ssh_authorized_keys ? "ssh_authorized_keys" : "ssh_import_id"));
        return std::nullopt;
    }
    if (!name) return std::nullopt;
    if (*name != "default" && !valid_account_name(*name)) {
        n["name"].error(report, "'" + *name + "' is not a valid user name");
        return std::nullopt;
    }
    // The default user's name is known at run time; users_groups checks it there.
    if (u.doas && *name != "default") check_doas_identity(n["doas"], report, *u.doas, *name);
    u.name = *name;
    u.is_default = *name == "default";
    return u;
}

UserEntry named_entry(std::string name) {
    UserEntry u;
    u.is_default = name == "default";
    u.name = std::move(name);
    return u;
}

void add_user(std::vector<UserEntry>& users, UserEntry u) {
    auto it = std::find_if(users.begin(), users.end(), [&](const UserEntry& e) { return e.name == u.name; });
    if (it == users.end()) {
        users.push_back(std::move(u));
    } else {
        fill_missing(*it, u);
    }
}

void add_user_names(std::vector<UserEntry>& users, const config::Node& n, config::Report& report,
                    std::vector<std::string> names, bool sorted) {
    if (!check_names(n, report, [&] {
            std::vector<std::string> real;
            for (const auto& s : names) {
                if (s != "default") real.push_back(s);
            }
            return real;
        }(), "user")) {
        return;
    }
    if (sorted) sort_unique(names);
    for (auto& name : names) add_user(users, named_entry(std::move(name)));
}

std::vector<UserEntry> parse_users(const config::Node& n, config::Report& report) {
    std::vector<UserEntry> users;
    if (is_text(n)) {
        add_user_names(users, n, report, split_commas(n.scalar()), /*sorted=*/true);
    } else if (n.is_sequence()) {
        for (const auto& item : n.items()) {
            if (is_text(item)) {
                add_user_names(users, item, report, split_commas(item.scalar()), false);
            } else if (item.is_sequence()) {
                if (auto names = text_list(item, report, "a user name")) add_user_names(users, item, report, *names, false);
            } else if (item.is_map()) {
                if (auto u = parse_user_mapping(item, report, std::nullopt)) add_user(users, std::move(*u));
            } else {
                item.error(report, "expected a user name or a mapping of user keys, got " + item.type_name());
            }
        }
    } else if (n.is_map()) {
        // Deprecated in cloud-init: name -> keys, or name -> true/false.
        for (const auto& [name, value] : n.entries()) {
            if (value.is_map()) {
                if (auto u = parse_user_mapping(value, report, name)) add_user(users, std::move(*u));
            } else if (auto b = value.as_bool(report); b && *b) {
                add_user_names(users, value, report, {name}, false);
            }
        }
    } else {
        n.error(report, "expected a list, a string or a mapping of users, got " + n.type_name());
    }
    return users;
}

}  // namespace

bool valid_account_name(std::string_view name) {
    if (name.empty() || name.size() > 32 || name[0] == '-' || name == "." || name == "..") return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-' || c == '.' || (c == '$' && i + 1 == name.size());
        if (!ok) return false;
    }
    // All digits would be read as a uid by useradd and the tools after it.
    return name.find_first_not_of("0123456789") != std::string_view::npos;
}

std::optional<std::string> doas_rule_identity(std::string_view rule) {
    // doas.conf(5): permit|deny [options] identity [as target] [cmd command [args ...]],
    // options nopass, nolog, persist, keepenv and setenv { ... }; identity is a
    // user or :group.
    static const std::regex k_rule(
        R"(^\s*(?:permit|deny)(?:\s+(?:nopass|nolog|persist|keepenv|setenv\s*\{[^}]*\}))*)"
        R"(\s+(:?[A-Za-z0-9_][A-Za-z0-9_.-]*\$?))"
        R"((?:\s+as\s+\S+)?(?:\s+cmd\s+\S+(?:\s+args(?:\s+\S+)*)?)?\s*$)");
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_match(rule.begin(), rule.end(), m, k_rule)) return std::nullopt;
    return m[1].str();
}

void fill_missing(UserEntry& into, const UserEntry& from) {
    auto take = [](auto& a, const auto& b) {
        if (!a && b) a = b;
    };
    take(into.gecos, from.gecos);
    take(into.homedir, from.homedir);
    take(into.primary_group, from.primary_group);
    take(into.groups, from.groups);
    take(into.lock_passwd, from.lock_passwd);
    take(into.passwd, from.passwd);
    take(into.hashed_passwd, from.hashed_passwd);
    take(into.plain_text_passwd, from.plain_text_passwd);
    take(into.no_create_home, from.no_create_home);
    take(into.no_user_group, from.no_user_group);
    take(into.no_log_init, from.no_log_init);
    take(into.create_groups, from.create_groups);
    take(into.system, from.system);
    take(into.ssh_authorized_keys, from.ssh_authorized_keys);
    take(into.sudo, from.sudo);
    take(into.shell, from.shell);
    take(into.selinux_user, from.selinux_user);
    take(into.uid, from.uid);
    take(into.expiredate, from.expiredate);
    take(into.inactive, from.inactive);
    take(into.doas, from.doas);
    take(into.ssh_redirect_user, from.ssh_redirect_user);
    take(into.ssh_import_id, from.ssh_import_id);
    take(into.snapuser, from.snapuser);
}

UsersGroups parse_users_groups(const config::Node& cc, config::Report& report) {
    UsersGroups cfg;
    if (auto n = cc["groups"]; n.defined()) cfg.groups = parse_groups(n, report);

    auto users = cc["users"];
    if (users.defined()) {
        cfg.users = parse_users(users, report);
    } else {
        cfg.users.push_back(named_entry("default"));
    }

    if (auto n = cc["user"]; n.defined()) {
        std::optional<UserEntry> old_user;
        if (is_text(n)) {
            if (auto name = read_name(n, report, "user")) {
                old_user = named_entry(*name);
            }
        } else if (n.is_map()) {
            old_user = parse_user_mapping(n, report, std::string("default"));
        } else {
            n.error(report, "expected a user name or a mapping of user keys, got " + n.type_name());
        }
        if (old_user) {
            // `user` redefines the default user (its name too) and makes sure it is created.
            auto it = std::find_if(cfg.users.begin(), cfg.users.end(), [](const UserEntry& u) { return u.is_default; });
            if (it == cfg.users.end()) {
                cfg.users.push_back(named_entry("default"));
                it = cfg.users.end() - 1;
            }
            fill_missing(*it, *old_user);
            it->name = old_user->name;  // "default" unless `user` names one
        }
    }
    return cfg;
}

std::vector<UserEntry> resolve_users(const std::vector<UserEntry>& users, const pipeline::DefaultUser& def) {
    UserEntry base;
    base.gecos = def.gecos;
    base.groups = def.groups;
    if (!def.sudo.empty()) base.sudo = std::vector<std::string>{def.sudo};
    base.shell = def.shell;
    base.lock_passwd = def.lock_passwd;

    std::vector<UserEntry> out;
    for (const auto& u : users) {
        UserEntry resolved = u;
        if (u.is_default) {
            fill_missing(resolved, base);
            if (resolved.name == "default") resolved.name = def.name;
        }
        auto it = std::find_if(out.begin(), out.end(), [&](const UserEntry& e) { return e.name == resolved.name; });
        if (it == out.end()) {
            out.push_back(std::move(resolved));
        } else {
            fill_missing(*it, resolved);
            it->is_default = it->is_default || resolved.is_default;
        }
    }
    return out;
}

}  // namespace kindling::modules
