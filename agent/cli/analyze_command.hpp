// `kindling analyze`: where the last boot's time went, from status.json (the
// runner's per-module start and end times), slowest first with totals. Like
// `cloud-init analyze blame`, but from our own record rather than the log.
#pragma once

#include <string>

#include "agent/cli/commands.hpp"
#include "agent/pipeline/status.hpp"

namespace kindling::cli {

// The report printed by `kindling analyze` for `record`.
std::string format_analysis(const pipeline::BootRecord& record);

ExitCode analyze_command(const Invocation& inv);

}  // namespace kindling::cli
