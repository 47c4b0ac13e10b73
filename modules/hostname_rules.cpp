#include "modules/hostname_rules.hpp"

#include <arpa/inet.h>

#include "agent/core/limits.hpp"

namespace kindling::modules {

namespace {

std::string first_label(std::string_view name) { return std::string(name.substr(0, name.find('.'))); }

bool is_ipv4(const std::string& s) {
    in_addr addr{};
    return ::inet_pton(AF_INET, s.c_str(), &addr) == 1;
}

std::optional<std::string> parse_name(const config::Node& n, config::Report& report) {
    std::optional<std::string> value = n.as_string(report);
    if (!value) return std::nullopt;
    if (auto problem = hostname_problem(*value)) {
        n.error(report, *problem);
        return std::nullopt;
    }
    return value;
}

// The first line that is not blank or a comment, trimmed; npos-free view.
bool is_name_line(std::string_view line) {
    std::size_t b = line.find_first_not_of(" \t\r");
    return b != std::string_view::npos && line[b] != '#';
}

}  // namespace

HostnameKeys parse_hostname_keys(const config::Node& cc, config::Report& report) {
    HostnameKeys keys;
    if (auto n = cc["preserve_hostname"]; n.defined()) keys.preserve = n.as_bool(report).value_or(false);
    if (auto n = cc["prefer_fqdn_over_hostname"]; n.defined()) keys.prefer_fqdn = n.as_bool(report).value_or(false);
    if (auto n = cc["create_hostname_file"]; n.defined()) keys.create_hostname_file = n.as_bool(report).value_or(true);
    if (auto n = cc["hostname"]; n.defined()) keys.hostname = parse_name(n, report);
    if (auto n = cc["fqdn"]; n.defined()) keys.fqdn = parse_name(n, report);
    return keys;
}

HostnamePick pick_hostname(const HostnameKeys& keys, const std::string& metadata_local_hostname) {
    HostnamePick pick;
    if (keys.fqdn) {
        pick.fqdn = *keys.fqdn;
        pick.hostname = keys.hostname ? *keys.hostname : first_label(*keys.fqdn);
        return pick;
    }
    if (keys.hostname && keys.hostname->find('.') != std::string::npos) {
        pick.fqdn = *keys.hostname;
        pick.hostname = first_label(*keys.hostname);
        return pick;
    }
    // The EC2 datasource: "ip-172-16-34-43.ec2.internal" is short name
    // ip-172-16-34-43 in domain ec2.internal; a bare address has no domain.
    const std::string& meta = metadata_local_hostname;
    if (is_ipv4(meta)) {
        std::string name = "ip-" + meta;
        for (char& c : name) c = c == '.' ? '-' : c;
        pick.fqdn = name;
    } else {
        pick.fqdn = meta;
    }
    pick.hostname = keys.hostname ? *keys.hostname : first_label(pick.fqdn);
    return pick;
}

std::string select_hostname(const HostnamePick& pick, bool prefer_fqdn) {
    std::string name = (prefer_fqdn && !pick.fqdn.empty()) || pick.hostname.empty() ? pick.fqdn : pick.hostname;
    if (name.size() > limits::k_hostname_bytes) name = first_label(name);
    return name;
}

std::optional<std::string> hostname_problem(std::string_view name) {
    const std::string q = "'" + std::string(name) + "' is not a valid hostname: ";
    if (name.empty()) return "an empty hostname is not valid";
    if (name.size() > 253) return q + std::to_string(name.size()) + " characters (at most 253)";
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
        if (!ok) {
            std::string shown = c == ' ' ? "a space"
                                         : (static_cast<unsigned char>(c) < 0x20 ? "a control character"
                                                                                 : "'" + std::string(1, c) + "'");
            return q + shown + " is not allowed (letters, digits, '-' and '.' only)";
        }
    }
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t end = name.find('.', start);
        if (end == std::string_view::npos) end = name.size();
        std::string_view label = name.substr(start, end - start);
        if (label.empty()) {
            return q + (end == name.size() ? "it ends with '.'" : std::string("empty label"));
        }
        if (label.size() > 63) return q + "label '" + std::string(label) + "' is longer than 63 characters";
        if (label.front() == '-' || label.back() == '-') {
            return q + "label '" + std::string(label) + "' starts or ends with '-'";
        }
        start = end + 1;
    }
    return std::nullopt;
}

Result<std::optional<std::string>> read_hostname_file(const system::Root& root, std::string_view path) {
    auto text = root.read_file(path);
    if (!text) return std::unexpected(text.error());
    if (!*text) return std::optional<std::string>();
    std::string_view rest = **text;
    while (!rest.empty()) {
        std::size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        if (is_name_line(line)) {
            std::size_t b = line.find_first_not_of(" \t");
            std::size_t e = line.find_last_not_of(" \t\r");
            return std::optional<std::string>(std::string(line.substr(b, e - b + 1)));
        }
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    }
    return std::optional<std::string>();
}

std::string render_hostname_file(std::string_view existing, std::string_view name) {
    std::string out;
    bool replaced = false;
    while (!existing.empty()) {
        std::size_t nl = existing.find('\n');
        std::string_view line = existing.substr(0, nl);
        if (is_name_line(line)) {
            if (!replaced) out += std::string(name) + "\n";
            replaced = true;
        } else {
            out += std::string(line) + "\n";
        }
        existing.remove_prefix(nl == std::string_view::npos ? existing.size() : nl + 1);
    }
    if (!replaced) out += std::string(name) + "\n";
    return out;
}

}  // namespace kindling::modules
