#include <catch2/catch.hpp>

#include "agent/config/agent_config.hpp"

using namespace kindling::config;

TEST_CASE("kindling.yaml is read into typed settings", "[config]") {
    Report report;
    AgentConfig cfg = load_agent_config_texts({{"k.yaml", R"(
imds:
  endpoints: http://127.0.0.1:8080
  token_ttl_seconds: 60
  deadline_seconds: 5
  allow_imdsv1: yes
default_user: {name: admin, groups: [wheel], sudo: false, shell: /bin/sh}
user_data: {policy: strict}
processes: {timeout_seconds: 30}
stages:
  init: [set_hostname, {module: ssh, frequency: always, on_error: fail_stage}]
  final: []
)"}},
                                              report);
    REQUIRE_FALSE(report.has_errors());
    CHECK(cfg.imds.endpoints == std::vector<std::string>{"http://127.0.0.1:8080"});
    CHECK(cfg.imds.token_ttl_seconds == 60);
    CHECK(cfg.imds.deadline_seconds == 5);
    CHECK(cfg.imds.allow_imdsv1);
    CHECK(cfg.default_user.name == "admin");
    CHECK(cfg.default_user.groups == std::vector<std::string>{"wheel"});
    CHECK(cfg.default_user.sudo.empty());
    CHECK(cfg.user_data_policy == UserDataPolicy::strict);
    CHECK(cfg.child_timeout_seconds == 30);
    REQUIRE(cfg.init_stage.size() == 2);
    CHECK(cfg.init_stage[1].module == "ssh");
    CHECK(cfg.init_stage[1].frequency == "always");
    CHECK(cfg.init_stage[1].on_error == OnError::fail_stage);
    CHECK(cfg.final_stage.empty());
}

TEST_CASE("a drop-in overrides only the keys it sets", "[config]") {
    Report report;
    AgentConfig cfg = load_agent_config_texts(
        {{"main.yaml", "imds: {token_ttl_seconds: 100, deadline_seconds: 9}\nstages: {init: [a, b], final: [c]}\n"},
         {"main.yaml.d/10-x.yaml", "imds: {deadline_seconds: 3}\nstages: {init: [z]}\n"}},
        report);
    REQUIRE_FALSE(report.has_errors());
    CHECK(cfg.imds.token_ttl_seconds == 100);
    CHECK(cfg.imds.deadline_seconds == 3);
    REQUIRE(cfg.init_stage.size() == 1);
    CHECK(cfg.init_stage[0].module == "z");
    REQUIRE(cfg.final_stage.size() == 1);
    CHECK(cfg.sources == std::vector<std::string>{"main.yaml", "main.yaml.d/10-x.yaml"});
}

TEST_CASE("every problem in kindling.yaml is reported against its file and line", "[config]") {
    Report report;
    std::ignore = load_agent_config_texts({{"/etc/kindling/kindling.yaml", R"(imds:
  token_ttl_seconds: 99999
  colour: blue
stages:
  init: [{module: ssh, on_error: explode}, {frequency: always}]
  later: []
bogus: 1
)"}},
                                          report);
    std::vector<std::string> lines;
    for (const auto& e : report.entries()) lines.push_back(e.format());
    CHECK(lines == std::vector<std::string>{
                       "/etc/kindling/kindling.yaml, line 2, column 22: imds.token_ttl_seconds: expected an integer in 1..21600, got 99999",
                       "/etc/kindling/kindling.yaml, line 3, column 3: imds.colour: unknown key",
                       "/etc/kindling/kindling.yaml, line 5, column 34: stages.init[0].on_error: expected 'continue' or 'fail_stage', got 'explode'",
                       "/etc/kindling/kindling.yaml, line 5, column 44: stages.init[1]: missing key 'module'",
                       "/etc/kindling/kindling.yaml, line 6, column 3: stages.later: unknown stage (expected 'init' or 'final')",
                       "/etc/kindling/kindling.yaml, line 7, column 1: bogus: unknown key",
                   });
}

TEST_CASE("an IMDS endpoint that is not http://HOST[:PORT] is an error on its own item", "[config]") {
    Report report;
    auto cfg = load_agent_config_texts({{"/etc/kindling/kindling.yaml", R"(imds:
  endpoints:
    - http://127.0.0.1:8080
    - not-a-url
    - http://127.0.0.1/latest
)"}},
                                       report);
    std::vector<std::string> lines;
    for (const auto& e : report.entries()) lines.push_back(e.format());
    CHECK(lines == std::vector<std::string>{
                       "/etc/kindling/kindling.yaml, line 4, column 7: imds.endpoints[1]: 'not-a-url': only http:// URLs are supported",
                       "/etc/kindling/kindling.yaml, line 5, column 7: imds.endpoints[2]: 'http://127.0.0.1/latest': an endpoint is http://HOST[:PORT], without a path or query",
                   });
}
