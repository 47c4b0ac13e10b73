#include "modules/users_groups_commands.hpp"

#include <chrono>
#include <charconv>

namespace kindling::modules {

namespace {

std::string join(const std::vector<std::string>& v, char sep) {
    std::string out;
    for (const auto& s : v) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

void option(std::vector<std::string>& argv, std::string_view flag, const std::optional<std::string>& value) {
    if (value && !value->empty()) {
        argv.emplace_back(flag);
        argv.push_back(*value);
    }
}

}  // namespace

std::vector<std::string> useradd_argv(const UserEntry& u) {
    // cloud-init walks the user's keys sorted by name: expiredate, gecos, groups,
    // homedir, inactive, no_log_init, no_user_group, primary_group,
    // selinux_user, shell, system, uid.
    std::vector<std::string> argv{"useradd", u.name};
    option(argv, "--expiredate", u.expiredate);
    option(argv, "--comment", u.gecos);
    if (u.groups && !u.groups->empty()) option(argv, "--groups", join(*u.groups, ','));
    option(argv, "--home", u.homedir);
    if (u.inactive) option(argv, "--inactive", std::to_string(*u.inactive));
    if (u.no_log_init.value_or(false)) argv.emplace_back("--no-log-init");
    if (u.no_user_group.value_or(false)) argv.emplace_back("--no-user-group");
    option(argv, "--gid", u.primary_group);
    option(argv, "--selinux-user", u.selinux_user);
    option(argv, "--shell", u.shell);
    if (u.system.value_or(false)) argv.emplace_back("--system");
    if (u.uid) option(argv, "--uid", std::to_string(*u.uid));
    // cloud-init: a system user or no_create_home gets no home directory.
    argv.emplace_back(u.no_create_home.value_or(false) || u.system.value_or(false) ? "-M" : "-m");
    return argv;
}

std::vector<std::string> usermod_argv(const UserEntry& u, const CurrentUser& now) {
    std::vector<std::string> argv{"usermod"};
    if (u.gecos && *u.gecos != now.passwd.gecos) option(argv, "--comment", u.gecos);
    if (u.homedir && *u.homedir != now.passwd.home) option(argv, "--home", u.homedir);
    if (now.wanted_gid && *now.wanted_gid != now.passwd.gid) option(argv, "--gid", u.primary_group);
    if (!now.missing_groups.empty()) {
        argv.emplace_back("--append");
        option(argv, "--groups", join(now.missing_groups, ','));
    }
    if (u.shell && *u.shell != now.passwd.shell) option(argv, "--shell", u.shell);
    if (u.uid && static_cast<uid_t>(*u.uid) != now.passwd.uid) option(argv, "--uid", std::to_string(*u.uid));
    if (u.expiredate) {
        auto days = days_since_epoch(*u.expiredate);
        if (!days || std::to_string(*days) != now.shadow_expire) option(argv, "--expiredate", u.expiredate);
    }
    if (u.inactive) {
        // shadow keeps an empty field for "never"; usermod -f -1 writes that.
        std::string want = *u.inactive < 0 ? "" : std::to_string(*u.inactive);
        if (want != now.shadow_inactive) option(argv, "--inactive", std::to_string(*u.inactive));
    }
    if (argv.size() == 1) return {};
    argv.push_back(u.name);
    return argv;
}

system::Command chpasswd_command(std::string_view name, const Secret<>& password, bool hashed) {
    system::Command cmd;
    cmd.argv = {"chpasswd"};
    if (hashed) cmd.argv.emplace_back("-e");
    cmd.stdin_data = std::string(name) + ":" + password.reveal() + "\n";
    cmd.label = "chpasswd for '" + std::string(name) + "'";
    return cmd;
}

std::optional<ShadowEntry> find_shadow(std::string_view text, std::string_view name) {
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        std::vector<std::string_view> fields;
        std::size_t start = 0;
        while (true) {
            auto colon = line.find(':', start);
            fields.push_back(line.substr(start, colon - start));
            if (colon == std::string_view::npos) break;
            start = colon + 1;
        }
        if (fields.size() >= 8 && fields[0] == name) {
            return ShadowEntry{Secret<>(std::string(fields[1])), std::string(fields[6]), std::string(fields[7])};
        }
    }
    return std::nullopt;
}

std::optional<long> days_since_epoch(std::string_view date) {
    int y = 0;
    unsigned m = 0, d = 0;
    if (date.size() != 10) return std::nullopt;
    std::from_chars(date.data(), date.data() + 4, y);
    std::from_chars(date.data() + 5, date.data() + 7, m);
    std::from_chars(date.data() + 8, date.data() + 10, d);
    std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
    if (!ymd.ok()) return std::nullopt;
    return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

}  // namespace kindling::modules
