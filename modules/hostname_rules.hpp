// How a hostname is chosen from cloud-config and metadata, shared by
// set_hostname, update_hostname and update_etc_hosts (cloud-init's
// util.get_hostname_fqdn, the EC2 datasource's get_hostname and the distro's
// _select_hostname), plus the /etc/hostname file format (cloud-init's
// HostnameConf: comment lines kept, the name line replaced).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/config/node.hpp"
#include "agent/config/report.hpp"
#include "agent/core/result.hpp"
#include "agent/system/root.hpp"

namespace kindling::modules {

// The cloud-config keys of the hostname family; bad values are reported at
// parse time with the reason (hostname_problem).
struct HostnameKeys {
    bool preserve = false;                // preserve_hostname
    std::optional<std::string> hostname;  // hostname
    std::optional<std::string> fqdn;      // fqdn
    bool prefer_fqdn = false;             // prefer_fqdn_over_hostname (Debian's default: false)
    bool create_hostname_file = true;     // create_hostname_file
};
HostnameKeys parse_hostname_keys(const config::Node& cc, config::Report& report);

struct HostnamePick {
    std::string hostname;  // short name
    std::string fqdn;
};

// cloud-init's rule: `fqdn` wins for the FQDN (hostname defaults to its first
// label); a dotted `hostname` alone is the FQDN; otherwise the FQDN comes from
// the metadata local-hostname (a bare IPv4 address becomes ip-a-b-c-d, as the
// EC2 datasource names it) and the short name from `hostname` or its first
// label. Empty when there is no name anywhere.
HostnamePick pick_hostname(const HostnameKeys& keys, const std::string& metadata_local_hostname);

// What /etc/hostname and the kernel get: the FQDN when `prefer_fqdn`, else the
// short name; never longer than the kernel's 64 bytes (a longer FQDN falls
// back to its first label).
std::string select_hostname(const HostnamePick& pick, bool prefer_fqdn);

// Why `name` is not a valid hostname, or nullopt: letters, digits, '-' and '.',
// labels of 1..63 bytes not starting or ending with '-', 253 bytes in all.
std::optional<std::string> hostname_problem(std::string_view name);

// The name in a hostname-format file (first line that is not a comment or
// blank), nullopt when the file is missing or has none.
Result<std::optional<std::string>> read_hostname_file(const system::Root& root, std::string_view path);
// `existing` (may be empty) with its name line(s) replaced by `name`.
std::string render_hostname_file(std::string_view existing, std::string_view name);

}  // namespace kindling::modules
