// The commands that act on a root: run, init, final and schema. Each builds the
// system door from --root, loads kindling.yaml and hands over to the pipeline.
#pragma once

#include <optional>
#include <string>

#include "agent/cli/commands.hpp"
#include "agent/config/agent_config.hpp"
#include "agent/pipeline/boot.hpp"
#include "agent/system/root.hpp"

namespace kindling::cli {

ExitCode run_command(const Invocation& inv);
ExitCode init_command(const Invocation& inv);
ExitCode final_command(const Invocation& inv);
ExitCode schema_command(const Invocation& inv);

// The exit code for a pipeline result (boot and single).
ExitCode exit_code_of(pipeline::BootResult r);

// --root (default "/"), checked to be an existing directory; nullopt after
// printing why not.
std::optional<std::string> root_dir(const Invocation& inv);

// --config, else ROOT/etc/kindling/kindling.yaml (+ .d/), else the built-in
// default. Problems are printed with file, line and column.
std::optional<config::AgentConfig> load_config(const Invocation& inv, system::Root& root);

}  // namespace kindling::cli
