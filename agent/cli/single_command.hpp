// `kindling single --name MODULE`: run one module now (cloud-init `single`),
// with the cloud-config and instance info init stored, through the same stage
// runner as a boot (pipeline::run_single): its semaphore is honoured unless
// --frequency always.
#pragma once

#include "agent/cli/commands.hpp"

namespace kindling::cli {

ExitCode single_command(const Invocation& inv);

}  // namespace kindling::cli
