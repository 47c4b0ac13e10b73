// The record of a boot: /run/kindling/status.json (the whole state, rewritten
// as each stage progresses) and result.json (the summary cloud-init users know:
// errors, status). Stable, documented JSON (README "Status files"). Times are
// epoch milliseconds. Written atomically through the system door, 0644; no user
// data, tokens or passwords ever go in here (module messages are ours).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/result.hpp"
#include "agent/system/root.hpp"

namespace kindling::pipeline {

enum class ModuleState {
    success,
    failed,   // ran and failed (or its config was invalid)
    skipped,  // not due (frequency), not active (no keys), or disabled by policy
};

struct ModuleRecord {
    std::string name;
    ModuleState state = ModuleState::skipped;
    std::string frequency;
    std::string message;  // "2 keys added", "skipped (per-instance, already ran)", the failure
    std::int64_t start_ms = 0;
    std::int64_t end_ms = 0;
};

struct StageRecord {
    std::string name;              // "init", "final"
    std::string state = "running"; // running, done, degraded, error
    std::int64_t start_ms = 0;
    std::int64_t end_ms = 0;
    std::vector<ModuleRecord> modules;
    std::vector<std::string> errors;    // one line each, also shown on the console
    std::vector<std::string> warnings;  // validation warnings and degraded notes
};

struct PartRecord {
    std::size_t part = 0;     // N of "user-data part N", by which every message names the part
    std::string name;         // the file name the user data gave it (MIME, archive), "" if none
    std::string type;
    std::size_t size = 0;
    std::string destination;  // "cloud-config", "not applied", "/var/lib/kindling/.../scripts/part-001"
};

// "user-data part 2 'setup.sh': text/x-shellscript, 40 bytes -> /var/lib/...":
// the log line and the `kindling status --long` line of a part.
std::string describe_part(const PartRecord& part);

struct ImdsRecord {
    std::string endpoint;
    int requests = 0;
    int retries = 0;
    int token_refreshes = 0;
    std::int64_t elapsed_ms = 0;
    std::string error;  // empty when the fetch succeeded
};

// The agent's own resource use in this process (children excluded), from
// getrusage(RUSAGE_SELF) at the end of the run.
struct ResourceRecord {
    std::int64_t cpu_ms = 0;
    std::int64_t max_rss_kb = 0;
};

struct BootRecord {
    std::string version;
    std::string instance_id;
    bool new_instance = false;
    ImdsRecord imds;
    std::vector<PartRecord> parts;
    std::vector<StageRecord> stages;
    ResourceRecord agent;

    // running / done / degraded / error, from the stages.
    std::string overall() const;
    StageRecord* stage(std::string_view name);
    const StageRecord* stage(std::string_view name) const;
};

std::int64_t now_ms();
// This process's CPU time and peak RSS so far.
ResourceRecord self_usage();

std::string to_json(const BootRecord& record);
[[nodiscard]] Result<BootRecord> from_json(const std::string& text);

// Writes status.json and result.json under `run_dir` (created 0755).
[[nodiscard]] Result<void> write_status(system::Root& root, const std::string& run_dir, const BootRecord& record);
// Reads status.json; nullopt when there is none (not started).
[[nodiscard]] Result<std::optional<BootRecord>> read_status(const system::Root& root, const std::string& run_dir);

}  // namespace kindling::pipeline
