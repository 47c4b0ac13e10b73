// Leftovers of a run killed mid-write. Every Kindling write makes a temporary
// entry next to its target and renames it into place (system::AtomicWrite,
// Root::symlink, make_dirs); a SIGKILL or power cut between the two leaves the
// temporary behind (".hosts.kindling-1a2b3c4d", with whatever it held). Each
// boot, init or final, and `kindling single` removes them while it holds the
// instance lock: no other Kindling run can be writing then, so every one found
// is stale. See temporaries.cpp for the directories looked at.
#pragma once

#include <string>
#include <vector>

#include "agent/core/result.hpp"
#include "agent/pipeline/module_context.hpp"
#include "agent/system/root.hpp"

namespace kindling::pipeline {

struct SweepOutcome {
    int removed = 0;
    std::vector<std::string> errors;  // one per directory that could not be swept; the rest still are
};

// Removes the temporaries left in the directories Kindling writes. Call only
// while holding the InstanceLock.
SweepOutcome remove_stale_temporaries(system::Root& root, const Paths& paths);

// Notes the directory `dir`, which write_files is about to write in, in
// <state_dir>/data/write-dirs (0600: the paths come from user data), so that
// the next sweep looks there too. Directories the sweep covers anyway are not
// noted. The list is kept (each directory once): a temporary from any earlier
// boot is found, and a boot killed and run again leaves the same list as one
// that was not.
[[nodiscard]] Result<void> remember_write_dir(system::Root& root, const Paths& paths, const std::string& dir);

}  // namespace kindling::pipeline
