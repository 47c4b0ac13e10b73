#include "agent/core/log_context.hpp"

namespace kindling::core {

namespace {
thread_local std::string t_stage;
}

void set_log_stage(std::string stage) { t_stage = std::move(stage); }

const std::string& log_stage() { return t_stage; }

}  // namespace kindling::core
