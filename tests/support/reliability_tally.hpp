// Counts for the reliability suite's closing summary: each [reliability] test
// says how many faults it injected, crashes it simulated or hostile inputs it
// tried; a listener (reliability_tally.cpp) credits them as survived when the
// test case passed, and prints the totals at the end of the run. Nothing is
// printed when no [reliability] test ran.
#pragma once

#include <cstddef>

namespace kindling::test::tally {

enum class Kind { fault_injected, crash_simulated, hostile_input };

// Adds `n` of `kind` to the running test case.
void tried(Kind kind, std::size_t n = 1);

}  // namespace kindling::test::tally
