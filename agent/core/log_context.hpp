// The stage the current thread is running ("init", "final"), so every log line
// can carry it without passing it through every call.
#pragma once

#include <string>

namespace kindling::core {

void set_log_stage(std::string stage);
const std::string& log_stage();

}  // namespace kindling::core
