// Tests modules/scripts_per_once.cpp: it runs /var/lib/kindling/scripts/per-once
// (the run-parts rules are tested in scripts_per_boot_test.cpp). The cloud-init
// doc has no example for this module (it takes no keys).
#include <catch2/catch.hpp>

#include "modules/registry.hpp"
#include "tests/support/module_harness.hpp"

using namespace kindling;
using test::ModuleHarness;

TEST_CASE("per-once scripts come from scripts/per-once", "[module][scripts_per_once]") {
    const pipeline::ModuleSpec& spec = *modules::builtin_registry().find("scripts_per_once");
    CHECK(spec.frequency == pipeline::Frequency::once);
    CHECK(spec.idempotent == pipeline::Idempotent::no);
    ModuleHarness h(spec);
    h.scratch.write("/var/lib/kindling/scripts/per-once/run-me", "#!/bin/sh\n", 0700);
    h.scratch.write("/var/lib/kindling/scripts/per-boot/not-me", "#!/bin/sh\n", 0700);
    h.parse_clean("{}\n");
    h.recorder.push_exit(1);
    CHECK_THROWS_WITH(h.run(), "1 of 1 scripts in /var/lib/kindling/scripts/per-once failed: run-me (exit status 1)");
    CHECK(h.recorder.argvs() == std::vector<std::vector<std::string>>{{"/var/lib/kindling/scripts/per-once/run-me"}});
}
