// How a hostname is chosen from cloud-config and metadata, shared by
// set_hostname and update_hostname (cloud-init util.get_hostname_fqdn).
#pragma once

#include <optional>
#include <string>

namespace kindling::modules {

struct HostnamePick {
    std::string hostname;  // what goes to /etc/hostname and the kernel
    std::string fqdn;
};

// cloud-init's rule: `fqdn` wins for the FQDN; a dotted `hostname` alone is an
// FQDN; without either, the metadata local-hostname is used. The short name is
// the first label unless `prefer_fqdn`. The kernel name never exceeds 64 bytes:
// a longer FQDN falls back to its first label.
HostnamePick pick_hostname(const std::optional<std::string>& hostname, const std::optional<std::string>& fqdn,
                           bool prefer_fqdn, const std::string& metadata_local_hostname);

// Letters, digits, '-' and '.', labels of 1..63 bytes not starting or ending with
// '-', 253 bytes in all.
bool valid_hostname(const std::string& name);

}  // namespace kindling::modules
