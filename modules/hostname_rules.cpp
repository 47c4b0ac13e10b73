#include "modules/hostname_rules.hpp"

#include "agent/core/limits.hpp"

namespace kindling::modules {

namespace {

std::string first_label(const std::string& name) { return name.substr(0, name.find('.')); }

}  // namespace

HostnamePick pick_hostname(const std::optional<std::string>& hostname, const std::optional<std::string>& fqdn,
                           bool prefer_fqdn, const std::string& metadata_local_hostname) {
    HostnamePick pick;
    if (fqdn && !fqdn->empty()) {
        pick.fqdn = *fqdn;
        pick.hostname = hostname && !hostname->empty() ? *hostname : first_label(*fqdn);
    } else if (hostname && !hostname->empty()) {
        pick.fqdn = *hostname;
        pick.hostname = first_label(*hostname);
    } else {
        pick.fqdn = metadata_local_hostname;
        pick.hostname = first_label(metadata_local_hostname);
    }
    if (prefer_fqdn && !pick.fqdn.empty()) {
        pick.hostname = pick.fqdn;
    }
    if (pick.hostname.size() > limits::k_hostname_bytes) {
        pick.hostname = first_label(pick.hostname);
    }
    return pick;
}

bool valid_hostname(const std::string& name) {
    if (name.empty() || name.size() > 253) return false;
    std::size_t label = 0;
    char prev = '.';
    for (char c : name) {
        if (c == '.') {
            if (label == 0 || prev == '-') return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
            if (label == 0 && c == '-') return false;
            if (++label > 63) return false;
        } else {
            return false;
        }
        prev = c;
    }
    return prev != '-';
}

}  // namespace kindling::modules
