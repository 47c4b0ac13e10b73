#include "agent/pipeline/semaphore.hpp"

#include <ctime>

namespace kindling::pipeline {

Semaphores::Semaphores(system::Root& root, std::string state_dir, std::string instance_dir)
    : m_root(root), m_state_dir(std::move(state_dir)), m_instance_dir(std::move(instance_dir)) {}

std::string Semaphores::path_of(std::string_view module, Frequency frequency) const {
    const std::string& base = frequency == Frequency::once ? m_state_dir : m_instance_dir;
    return base + "/sem/" + std::string(module);
}

Result<bool> Semaphores::has_run(std::string_view module, Frequency frequency) const {
    if (frequency == Frequency::always) return false;
    auto st = m_root.lstat(path_of(module, frequency));
    if (!st) return std::unexpected(st.error());
    return st->has_value();
}

Result<void> Semaphores::mark(std::string_view module, Frequency frequency) {
    if (frequency == Frequency::always) return {};
    std::string dir = (frequency == Frequency::once ? m_state_dir : m_instance_dir) + "/sem";
    if (auto r = m_root.make_dirs(dir, {0755, 0, 0}); !r) return r;
    return m_root.write_file(path_of(module, frequency), std::to_string(std::time(nullptr)) + "\n", {0644, 0, 0});
}

Result<void> Semaphores::clear(std::string_view module, Frequency frequency) {
    if (frequency == Frequency::always) return {};
    return m_root.remove(path_of(module, frequency));
}

}  // namespace kindling::pipeline
