// Logging is configured once, here: Poco loggers named kindling.<concern> write
// to the console (stderr) and, for boot commands, append to the root's
// /var/log/kindling.log (0640, never following a symlink). Each line carries
// time, level, stage and the logger name.
#pragma once

#include "agent/system/root.hpp"

namespace kindling::cli {

enum class Verbosity { quiet, normal, debug };

void setup_console_logging(Verbosity verbosity);
// Adds the log file under `root` (created 0640); a failure is a warning on the
// console, never a reason not to boot.
void add_file_logging(system::Root& root);

}  // namespace kindling::cli
