// What a module sees while it runs, and nothing more: the instance values, the
// default user, the system door, a logger already named kindling.module.<name>,
// the instance's paths and a deadline. No CLI options, no HTTP client, no other
// module's config, no registry.
#pragma once

#include <string>
#include <vector>

#include "agent/core/deadline.hpp"
#include "agent/core/instance_info.hpp"
#include "agent/system/root.hpp"

namespace Poco {
class Logger;
}

namespace kindling::pipeline {

// kindling.yaml `default_user`, as cloud-init's system_info.default_user.
struct DefaultUser {
    std::string name = "ec2-user";
    std::string gecos = "Default user";
    std::vector<std::string> groups;  // supplementary groups (created if missing)
    std::string sudo;                 // e.g. "ALL=(ALL) NOPASSWD:ALL"; empty for none
    std::string shell = "/bin/bash";
    bool lock_passwd = true;
};

// Paths inside the root, all absolute.
struct Paths {
    std::string state_dir = "/var/lib/kindling";  // data/, instances/, sem/, scripts/
    std::string instance_dir;                     // /var/lib/kindling/instances/<iid>
    std::string run_dir = "/run/kindling";        // status.json, result.json, instance data
    std::string log_file = "/var/log/kindling.log";
    std::string output_log = "/var/log/kindling-output.log";
};

struct ModuleContext {
    const InstanceInfo& instance;
    const DefaultUser& default_user;
    const Paths& paths;
    system::Root& root;
    Poco::Logger& log;
    core::Deadline deadline;
    std::chrono::seconds child_timeout;  // processes.timeout_seconds from kindling.yaml
};

}  // namespace kindling::pipeline
