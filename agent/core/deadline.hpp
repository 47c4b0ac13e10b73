// Time comes in through this seam so tests can drive it. Every wait in the
// agent is bounded by a Deadline; nothing sleeps without one.
#pragma once

#include <chrono>

namespace kindling::core {

using SteadyClock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

class Clock {
public:
    virtual ~Clock() = default;
    virtual SteadyClock::time_point now() const = 0;
    // Sleeps for `d` (a fake clock just advances).
    virtual void sleep_for(Millis d) = 0;
};

class RealClock final : public Clock {
public:
    SteadyClock::time_point now() const override;
    void sleep_for(Millis d) override;
};

class Deadline {
public:
    Deadline(const Clock& clock, Millis budget) : m_clock(&clock), m_at(clock.now() + budget) {}
    Millis remaining() const {
        auto left = std::chrono::duration_cast<Millis>(m_at - m_clock->now());
        return left.count() > 0 ? left : Millis{0};
    }
    bool expired() const { return m_clock->now() >= m_at; }

private:
    const Clock* m_clock;
    SteadyClock::time_point m_at;
};

}  // namespace kindling::core
