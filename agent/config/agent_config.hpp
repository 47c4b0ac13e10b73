// Kindling's own configuration: /etc/kindling/kindling.yaml, then
// kindling.yaml.d/*.yaml in lexical order. Each file is applied on top of the
// previous ones key by key (a later file's `stages.init` replaces the list), and
// every problem is reported against the file it is in. Module names are kept as
// written with their location; the pipeline checks them against the registry
// (config knows nothing of modules).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/node.hpp"
#include "agent/config/report.hpp"
#include "agent/core/result.hpp"

namespace kindling::config {

enum class OnError { continue_stage, fail_stage };
enum class UserDataPolicy { warn, strict };

struct StageEntry {
    std::string module;
    std::optional<std::string> frequency;  // as written; checked by the pipeline
    OnError on_error = OnError::continue_stage;
    Location location;                     // where the entry is, for "unknown module"
};

struct ImdsConfig {
    std::vector<std::string> endpoints{"http://169.254.169.254"};
    int token_ttl_seconds = 21600;
    int deadline_seconds = 240;
    int connect_timeout_ms = 1000;
    int request_timeout_ms = 5000;
    bool allow_imdsv1 = false;
};

struct DefaultUserConfig {
    std::string name = "ec2-user";
    std::string gecos = "EC2 Default User";
    std::vector<std::string> groups;
    std::string sudo = "ALL=(ALL) NOPASSWD:ALL";
    std::string shell = "/bin/bash";
    bool lock_passwd = true;
};

struct AgentConfig {
    ImdsConfig imds;
    DefaultUserConfig default_user;
    UserDataPolicy user_data_policy = UserDataPolicy::warn;
    int child_timeout_seconds = 1800;
    std::vector<StageEntry> init_stage;
    std::vector<StageEntry> final_stage;
    std::vector<std::string> sources;  // files read, in order
};

// Applies one parsed document (named `source` in messages) onto `cfg`.
void apply_agent_config(const Node& doc, AgentConfig& cfg, Report& report);

// Reads `path` and, if it exists, `path`.d/*.yaml. A missing main file is an
// error; YAML syntax errors are reported with file, line and column.
[[nodiscard]] Result<AgentConfig> load_agent_config(const std::string& path, Report& report);

// The same from texts already read: (name used in messages, text) in order.
AgentConfig load_agent_config_texts(const std::vector<std::pair<std::string, std::string>>& files, Report& report);

// Parses YAML text into a Node named `source`; syntax errors go into `report`
// with line and column. Guards depth and alias expansion (limits.hpp).
std::optional<Node> parse_yaml(const std::string& text, const std::string& source, Report& report);

}  // namespace kindling::config
