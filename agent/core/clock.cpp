#include "agent/core/deadline.hpp"

#include <thread>

namespace kindling::core {

SteadyClock::time_point RealClock::now() const { return SteadyClock::now(); }

void RealClock::sleep_for(Millis d) { std::this_thread::sleep_for(d); }

}  // namespace kindling::core
