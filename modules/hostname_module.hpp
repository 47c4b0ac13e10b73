// What set_hostname and update_hostname share: the cloud-config keys they read
// (both parse them with parse_hostname_keys) and the first steps of a run --
// preserve_hostname, the name from cloud-config or metadata, its check. They
// differ only in what they compare the name with before writing it (the name
// set for this instance, or cloud-init's previous-hostname rule).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/error.hpp"
#include "agent/pipeline/module_context.hpp"
#include "modules/hostname_rules.hpp"

namespace kindling::modules {

inline const std::vector<std::string_view> k_hostname_module_keys{
    "hostname", "fqdn", "preserve_hostname", "prefer_fqdn_over_hostname", "create_hostname_file"};

// The summary of a run that leaves the hostname alone.
inline constexpr std::string_view k_preserved_summary = "preserve_hostname is set, hostname left as it is";

struct WantedHostname {
    HostnamePick pick;
    std::string name;  // what /etc/hostname and the kernel get (select_hostname)
};

// nullopt when preserve_hostname is set; otherwise the name to set. Throws
// ModuleFailed when there is no name anywhere or the metadata's is invalid
// (cloud-config names were checked at parse time).
inline std::optional<WantedHostname> wanted_hostname(const pipeline::ModuleContext& ctx, const HostnameKeys& keys) {
    if (keys.preserve) return std::nullopt;
    WantedHostname wanted{pick_hostname(keys, ctx.instance.local_hostname), {}};
    if (wanted.pick.hostname.empty() && wanted.pick.fqdn.empty()) {
        throw ModuleFailed("no hostname in cloud-config and no local-hostname in metadata");
    }
    wanted.name = select_hostname(wanted.pick, keys.prefer_fqdn);
    if (auto problem = hostname_problem(wanted.name)) throw ModuleFailed("metadata local-hostname: " + *problem);
    return wanted;
}

}  // namespace kindling::modules
