// `kindling query`: instance data as init stored it under /run/kindling. Root
// reads instance-data-sensitive.json (0600, with user_data); anyone else reads
// the redacted instance-data.json and is told that user_data is root's only,
// as `cloud-init query` does. The answer is computed from the file's text by a
// pure function, so the root/non-root decision is tested without a setuid run.
#pragma once

#include <sys/types.h>

#include <string>

#include "agent/cli/commands.hpp"

namespace kindling::cli {

enum class Reader { root, other };

Reader reader_of(uid_t euid);
// The file `reader` may read, inside the root.
std::string instance_data_path(Reader reader);

struct QueryRequest {
    enum class Mode { key, all, list_keys } mode = Mode::key;
    std::string key;  // KEY, or the key whose children --list-keys lists (may be empty)
};

struct QueryAnswer {
    ExitCode code = ExitCode::ok;
    std::string out;  // for stdout
    std::string err;  // one line for stderr, "kindling query: ..."
};

// Answers `request` from the instance data JSON `text` read by `reader`.
QueryAnswer answer_query(const std::string& text, const QueryRequest& request, Reader reader);

ExitCode query_command(const Invocation& inv);

}  // namespace kindling::cli
