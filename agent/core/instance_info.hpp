// What modules may know about the instance: plain values read from IMDS once,
// never the client itself (ARCHITECTURE.md: a module never sees HTTP).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace kindling {

struct InstanceInfo {
    std::string instance_id;
    std::string local_hostname;  // meta-data/local-hostname, e.g. ip-172-16-34-43.ec2.internal
    std::string hostname;        // meta-data/hostname
    std::string local_ipv4;
    std::string region;             // placement/region (or the identity document)
    std::string availability_zone;  // placement/availability-zone
    std::string instance_type;
    std::string ami_id;
    std::string launch_index;  // meta-data/ami-launch-index: "0" for the first instance of a launch
    std::vector<std::string> public_keys;  // public-keys/N/openssh-key, in index order
    // Every metadata leaf that was fetched, path under meta-data/ -> value; for
    // `kindling query` and instance-data.json. Sensitive paths (iam/security-credentials)
    // are never fetched.
    std::map<std::string, std::string> tree;
};

}  // namespace kindling
