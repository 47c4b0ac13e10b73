// write_files `append: true`, exactly once per instance. A plain append is not
// idempotent: a boot killed (or failed) after an append and run again would
// append the text twice. Before each append a journal under the instance
// directory records the file's SHA-256 before and after it; a rerun that finds
// the "after" digest knows the append happened, one that finds the "before"
// digest knows it did not. The append itself is atomic (Root::append_file).
#pragma once

#include <string>

#include "agent/pipeline/module_context.hpp"
#include "agent/system/root.hpp"

namespace kindling::modules {

enum class AppendOutcome {
    appended,       // done now
    already_done,   // an earlier run of this instance appended it
    changed_since,  // recorded, and the file changed since: not appended again
};

// Appends `content` to `path` unless the journal shows entry `key` was
// appended already. Without an instance directory (unit tests) it appends.
// Errors (unreadable file, journal not writable) throw ModuleFailed.
AppendOutcome append_once(pipeline::ModuleContext& ctx, const std::string& key, const std::string& path,
                          const std::string& content, system::FileMode mode);

}  // namespace kindling::modules
