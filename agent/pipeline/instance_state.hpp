// Which instance this is, and whether it is new. The instance id is recorded in
// <state_dir>/data/instance-id (the previous one in previous-instance-id); an
// AMI baked from a used instance boots with a new id, so its per-instance
// modules run again. Also the lock that keeps two kindling runs apart, and the
// instance data files for the final stage and `kindling query`.
#pragma once

#include <string>

#include "agent/core/deadline.hpp"
#include "agent/core/fd.hpp"
#include "agent/core/instance_info.hpp"
#include "agent/core/result.hpp"
#include "agent/pipeline/module_context.hpp"
#include "agent/system/root.hpp"

namespace kindling::pipeline {

struct InstanceState {
    std::string instance_id;
    std::string previous_instance_id;  // empty on the first boot of this root
    bool new_instance = false;
};

// An instance id becomes a directory name: letters, digits, '-', '_', '.'
// (not "." or ".."), at most 128 bytes.
bool valid_instance_id(const std::string& id);

// Records `instance_id`, creates instances/<id>/ and points `instance` at it.
[[nodiscard]] Result<InstanceState> record_instance(system::Root& root, const Paths& paths,
                                                    const std::string& instance_id);
// The recorded current instance id (for the final stage and the operator CLI).
[[nodiscard]] Result<std::string> current_instance_id(const system::Root& root, const Paths& paths);

// Instance values as JSON. `include_tree` adds the metadata tree.
std::string instance_info_to_json(const InstanceInfo& info, const std::string& user_data);
[[nodiscard]] Result<InstanceInfo> instance_info_from_json(const std::string& text);

// An exclusive flock on <run_dir>/kindling.lock, held for the life of the
// object. Waits until `deadline`, then fails naming the holder's pid.
class InstanceLock {
public:
    [[nodiscard]] static Result<InstanceLock> acquire(system::Root& root, const std::string& run_dir,
                                                      core::Clock& clock, core::Millis wait);

private:
    explicit InstanceLock(core::Fd fd) : m_fd(std::move(fd)) {}
    core::Fd m_fd;
};

}  // namespace kindling::pipeline
