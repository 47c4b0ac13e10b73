#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include "tests/support/reliability_tally.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <mutex>

namespace kindling::test::tally {

namespace {

constexpr std::size_t k_kinds = 3;
const std::array<const char*, k_kinds> k_names{"faults injected", "crashes simulated", "hostile inputs tried"};

struct Totals {
    std::mutex lock;
    std::array<std::size_t, k_kinds> current{};   // the running test case
    std::array<std::size_t, k_kinds> tried{};
    std::array<std::size_t, k_kinds> survived{};
    std::size_t cases = 0;
    std::size_t cases_passed = 0;
};

Totals& totals() {
    static Totals t;
    return t;
}

bool is_reliability(const Catch::TestCaseInfo& info) {
    for (const std::string& tag : info.tags) {
        if (tag == "reliability") return true;
    }
    return false;
}

// A test case's counts survive only if the test case passed as a whole.
class Listener : public Catch::TestEventListenerBase {
public:
    using TestEventListenerBase::TestEventListenerBase;

    void testCaseStarting(const Catch::TestCaseInfo& info) override {
        TestEventListenerBase::testCaseStarting(info);
        std::lock_guard guard(totals().lock);
        totals().current = {};
    }

    void testCaseEnded(const Catch::TestCaseStats& stats) override {
        TestEventListenerBase::testCaseEnded(stats);
        if (!is_reliability(stats.testInfo)) return;
        Totals& t = totals();
        std::lock_guard guard(t.lock);
        bool passed = stats.totals.assertions.failed == 0 && stats.totals.testCases.failed == 0;
        ++t.cases;
        t.cases_passed += passed;
        for (std::size_t k = 0; k < k_kinds; ++k) {
            t.tried[k] += t.current[k];
            if (passed) t.survived[k] += t.current[k];
        }
    }

    void testRunEnded(const Catch::TestRunStats& stats) override {
        TestEventListenerBase::testRunEnded(stats);
        Totals& t = totals();
        if (t.cases == 0) return;
        std::printf("\nreliability summary: %zu of %zu test cases survived\n", t.cases_passed, t.cases);
        for (std::size_t k = 0; k < k_kinds; ++k) {
            std::printf("  %-21s %6zu, survived %zu\n", k_names[k], t.tried[k], t.survived[k]);
        }
        std::fflush(stdout);
    }
};

CATCH_REGISTER_LISTENER(Listener)

}  // namespace

void tried(Kind kind, std::size_t n) {
    std::lock_guard guard(totals().lock);
    totals().current[static_cast<std::size_t>(kind)] += n;
}

}  // namespace kindling::test::tally
