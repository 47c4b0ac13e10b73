// What the command and script modules share: cloud-init's command lists
// (bootcmd, runcmd) turned into one /bin/sh script as its util.shellify does,
// and cloud-init's util.runparts (scripts_per_*, scripts_user): every
// executable regular file of a directory, in sorted order, each run to its end
// whatever the others did, failures named at the end.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/config/node.hpp"
#include "agent/config/report.hpp"
#include "agent/pipeline/module_context.hpp"
#include "agent/pipeline/module_spec.hpp"

namespace kindling::modules {

// One line of shell per item: a string item verbatim, a list item as argv with
// every word single-quoted. Null items (a YAML comment left alone) are skipped
// as cloud-init does.
struct CommandList {
    std::vector<std::string> lines;
};

// Reads `node` (bootcmd, runcmd): a list whose items are strings or lists of
// strings. Problems go to `report`.
CommandList parse_command_list(const config::Node& node, config::Report& report);

// 'word' with each ' written as '\'' so sh reads it back unchanged.
std::string quote_shell_word(std::string_view word);

// "#!/bin/sh\n" followed by one line per command; no `set -e`, so a failing
// line does not stop the next one.
std::string shellify(const CommandList& commands);

// A module's own child: argv with the module's timeout, output to the output
// log. `label` names it in messages.
system::Command script_command(const pipeline::ModuleContext& ctx, std::vector<std::string> argv, std::string label);

// Runs `cmd` and throws ModuleFailed("<what>: exit status 3") unless it ran
// and succeeded.
void run_checked(pipeline::ModuleContext& ctx, const system::Command& cmd, const std::string& what);

// Runs every executable regular file of `dir` (inside the root) in sorted
// order, except names in `skip`. Each failure is counted and the rest still
// run; when any failed, throws ModuleFailed naming them:
//   "2 of 3 scripts in /var/lib/kindling/scripts/per-boot failed: a (exit status 1), b (...)"
// A missing directory means no scripts.
pipeline::Outcome run_parts(pipeline::ModuleContext& ctx, const std::string& dir,
                            const std::vector<std::string>& skip = {});

}  // namespace kindling::modules
