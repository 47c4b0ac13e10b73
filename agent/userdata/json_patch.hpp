// #cloud-config-jsonp: a JSON Patch (RFC 6902) that cloud-init applies to the
// cloud-config merged so far, in part order (handlers/cloud_config.py runs
// jsonpatch on its merge buffer; the next #cloud-config part then merges into
// the result). The patch is all or nothing: an operation that fails (a missing
// path, a failed `test`) leaves the config as it was before the patch, which is
// what cloud-init does too (it applies to a copy and logs the failure).
//
// The JSON is parsed with Poco and turned into yaml-cpp nodes, so a patched
// config is the same tree merging and validation work on: JSON strings become
// str scalars (a JSON "yes" stays a string), numbers, true, false plain scalars
// and null a null node. JSON Pointers (RFC 6901) use ~1 for '/' and ~0 for '~';
// "-" appends to a list in `add`. Errors say which operation (counted from 1)
// failed and why; they quote the operation's path, never a value.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "agent/core/result.hpp"

namespace kindling::userdata {

struct PatchOperation {
    std::string op;                   // add, remove, replace, move, copy, test
    std::vector<std::string> path;    // the pointer's reference tokens, unescaped
    std::string path_text;            // the pointer as written, for messages
    std::vector<std::string> from;    // move, copy
    std::string from_text;
    YAML::Node value;                 // add, replace, test
};

using JsonPatch = std::vector<PatchOperation>;

// The patch in a #cloud-config-jsonp part's body (its first line, the
// "#cloud-config-jsonp" marker, is skipped). Errors: not JSON, not a list of
// operation objects, an unknown op, a missing or malformed member.
[[nodiscard]] Result<JsonPatch> parse_json_patch(std::string_view body);

// `doc` with `patch` applied; `doc` itself is not modified and shares no node
// the result can change. Error: "operation 2 (remove '/a/0'): ...".
[[nodiscard]] Result<YAML::Node> apply_json_patch(const YAML::Node& doc, const JsonPatch& patch);

}  // namespace kindling::userdata
