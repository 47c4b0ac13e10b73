// Semaphores record that a module ran for this instance (per-instance, under
// <instance_dir>/sem/) or for this machine (once, under <state_dir>/sem/);
// `always` modules have none. Only the runner reads or writes them.
//
// When a semaphore is written is decided here, once, by the module's
// Idempotent flag:
// - Idempotent::no (user scripts, runcmd, bootcmd, packages): written *before*
//   the module runs, as cloud-init does. A per-instance script that ends with
//   `reboot`, or a run killed half-way, must not run again on the next boot;
//   running a user's commands twice is worse than once.
// - Idempotent::yes (ssh keys, users, hostname, files): written only *after*
//   success, as ec2-macos-init does. Running it again converges, so a failure
//   (keys not installed because a home directory was missing) is retried on the
//   next boot instead of being forgotten.
#pragma once

#include <string>

#include "agent/core/result.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "agent/system/root.hpp"

namespace kindling::pipeline {

class Semaphores {
public:
    Semaphores(system::Root& root, std::string state_dir, std::string instance_dir);

    // Whether `module` at `frequency` has already run (always: never).
    [[nodiscard]] Result<bool> has_run(std::string_view module, Frequency frequency) const;
    // Records that it ran; the file holds the time, 0644 root.
    [[nodiscard]] Result<void> mark(std::string_view module, Frequency frequency);
    // Forgets it (used by `kindling single --frequency always` and `clean`).
    [[nodiscard]] Result<void> clear(std::string_view module, Frequency frequency);

private:
    std::string path_of(std::string_view module, Frequency frequency) const;

    system::Root& m_root;
    std::string m_state_dir;
    std::string m_instance_dir;
};

}  // namespace kindling::pipeline
