// `kindling clean`: forget this instance so the next boot is a first boot, for
// baking an AMI (cloud-init `clean`). Removes Kindling's state and run
// directories; --logs its logs. cloud-init's --seed removes its NoCloud seed
// directory; Kindling reads only IMDS and has none, so --seed here means the
// machine identity every instance launched from the image would otherwise
// share: SSH host keys (the ssh module makes new ones at first boot) and the
// machine id (emptied, so systemd makes a new one at boot; not "uninitialized",
// which would also switch on systemd's first-boot preset of every unit).
// Everything goes through system::Root::remove_tree: no symlink is followed,
// no mount is crossed.
#pragma once

#include <string>
#include <vector>

#include "agent/cli/commands.hpp"
#include "agent/core/result.hpp"
#include "agent/system/root.hpp"

namespace kindling::cli {

enum class CleanLogs { no, yes };
enum class CleanSeed { no, yes };

// Cleans `root`; returns one line per thing removed or emptied ("removed
// /var/lib/kindling"), in order. Stops at the first failure.
[[nodiscard]] Result<std::vector<std::string>> clean_root(system::Root& root, CleanLogs logs, CleanSeed seed);

ExitCode clean_command(const Invocation& inv);

}  // namespace kindling::cli
