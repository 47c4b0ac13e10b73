#include <catch2/catch.hpp>

#include "agent/pipeline/status.hpp"

using namespace kindling::pipeline;

TEST_CASE("status.json round-trips every field", "[pipeline]") {
    BootRecord r;
    r.version = "0.1.0";
    r.instance_id = "i-0abc";
    r.new_instance = true;
    r.imds = {"http://127.0.0.1:1", 7, 1, 0, 12, ""};
    r.parts = {{1, "", "text/cloud-config", 120, "cloud-config"},
               {2, "setup.sh", "text/x-shellscript", 30, "/var/lib/kindling/instances/i-1/scripts/setup.sh"}};
    StageRecord s{"init", "done", 1000, 1500, {}, {"e1"}, {"w1"}};
    s.modules.push_back({"ssh", ModuleState::success, "per-instance", "2 keys added", 1100, 1112});
    s.modules.push_back({"runcmd", ModuleState::skipped, "per-instance", "skipped (no configuration)", 1112, 1112});
    r.stages.push_back(s);
    r.agent = {7, 5120};
    auto back = from_json(to_json(r));
    REQUIRE(back);
    CHECK(to_json(*back) == to_json(r));
    CHECK(back->stages[0].modules[0].message == "2 keys added");
    CHECK(back->parts[0].size == 120);
    CHECK(back->parts[1].part == 2);
    CHECK(back->parts[1].name == "setup.sh");
    CHECK(back->agent.cpu_ms == 7);
    CHECK(back->agent.max_rss_kb == 5120);
}

TEST_CASE("a part is described by its number, as every message names it", "[pipeline]") {
    CHECK(describe_part({1, "", "text/cloud-config", 120, "cloud-config"}) ==
          "user-data part 1: text/cloud-config, 120 bytes -> cloud-config");
    CHECK(describe_part({2, "setup.sh", "text/x-shellscript", 30, "/x/scripts/setup.sh"}) ==
          "user-data part 2 'setup.sh': text/x-shellscript, 30 bytes -> /x/scripts/setup.sh");
}

TEST_CASE("the overall status follows the worst stage", "[pipeline]") {
    BootRecord r;
    CHECK(r.overall() == "running");
    r.stages.push_back({"init", "done", 0, 0, {}, {}, {}});
    CHECK(r.overall() == "running");  // until the final stage has ended
    r.stages.push_back({"final", "degraded", 0, 0, {}, {}, {}});
    CHECK(r.overall() == "degraded");
    r.stages[0].state = "error";
    CHECK(r.overall() == "error");
    r.stages[0].state = "running";
    CHECK(r.overall() == "running");
    r.stages[0].state = "done";
    r.stages[1].state = "done";
    CHECK(r.overall() == "done");
}
