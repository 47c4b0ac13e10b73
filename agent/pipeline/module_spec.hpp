// The contract between the runner and a module (cloud-init's `meta` + `handle`,
// typed): a name, a default frequency, the cloud-config keys it reads, whether
// it runs without any of them, whether it is idempotent (which decides when its
// semaphore is written, see semaphore.hpp), and parse/run. `parse` turns the
// merged cloud-config into the module's typed struct and reports every problem;
// `run` receives only that struct and a narrow ModuleContext. A module never
// touches semaphores, timing, logging of its outcome or the failure policy.
#pragma once

#include <any>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/node.hpp"
#include "agent/config/report.hpp"
#include "agent/pipeline/module_context.hpp"

namespace kindling::pipeline {

enum class Frequency { always, per_instance, once };

std::string_view to_string(Frequency f);  // "always", "per-instance", "once"
bool parse_frequency(std::string_view text, Frequency& out);

// Whether the module runs when none of its keys is in the cloud-config.
enum class Activation {
    by_keys,  // only when at least one of its keys is present (runcmd, write_files)
    always,   // also without keys (ssh installs metadata keys, set_hostname uses metadata)
};

// Whether running it twice converges (ssh keys, hostname) or repeats effects
// (scripts, runcmd). See semaphore.hpp for what this decides.
enum class Idempotent { no, yes };

// What a successful run did, for the one INFO line: "2 keys added, 1 replaced".
struct Outcome {
    std::string summary;
};

struct ModuleSpec {
    std::string_view name;
    Frequency frequency;
    std::vector<std::string_view> keys;
    Activation activation;
    Idempotent idempotent;
    std::function<std::any(const config::Node& cloud_config, config::Report& report)> parse;
    std::function<Outcome(ModuleContext& ctx, const std::any& config)> run;
};

// Binds a module's typed parse and run into the type-erased spec fields:
//   bind_parse(parse_runcmd), bind_run<Runcmd>(run_runcmd)
template <class Config>
auto bind_parse(Config (*parse)(const config::Node&, config::Report&)) {
    return [parse](const config::Node& cc, config::Report& report) -> std::any { return parse(cc, report); };
}

template <class Config>
auto bind_run(Outcome (*run)(ModuleContext&, const Config&)) {
    return [run](ModuleContext& ctx, const std::any& cfg) -> Outcome {
        return run(ctx, std::any_cast<const Config&>(cfg));
    };
}

}  // namespace kindling::pipeline
