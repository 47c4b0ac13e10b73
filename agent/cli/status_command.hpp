// `kindling status`: the state of this boot read from status.json, in
// cloud-init's exit convention (0 done, 1 error, 2 degraded).
#pragma once

#include "agent/cli/commands.hpp"
#include "agent/pipeline/status.hpp"

namespace kindling::cli {

ExitCode status_command(const Invocation& inv);

// The human-readable form; `long_form` adds stages and modules.
std::string format_status(const std::optional<pipeline::BootRecord>& record, bool long_form);

}  // namespace kindling::cli
