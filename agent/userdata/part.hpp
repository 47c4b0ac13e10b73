// The typed parts user data decodes into, and how a part's kind is recognised
// (by its first bytes or its MIME type), with cloud-init's meaning. decode.hpp
// produces parts; merge.hpp combines the cloud-config ones; modules consume them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/secret.hpp"

namespace kindling::userdata {

enum class PartKind {
    cloud_config,          // "#cloud-config", text/cloud-config
    script,                // "#!", text/x-shellscript (run by scripts_user)
    boothook,              // "#cloud-boothook", text/cloud-boothook
    script_per_boot,       // text/x-shellscript-per-boot
    script_per_instance,   // text/x-shellscript-per-instance
    script_per_once,       // text/x-shellscript-per-once
    include,               // "#include": only left in a part list when includes were not fetched
    include_once,          // "#include-once": likewise
    cloud_config_archive,  // "#cloud-config-archive": always exploded, never in a part list
    jinja_template,        // "## template: jinja": not supported, not applied
    part_handler,          // "#part-handler": not supported, not applied
    cloud_config_jsonp,    // "#cloud-config-jsonp": JSON patch over the merged cloud-config
    unknown,               // anything else: reported, not applied
};

// "cloud-config", "script-per-boot", ...: for logs and status.json.
std::string_view kind_name(PartKind kind);

// The kind named by the first bytes of `body` after leading whitespace, compared
// case-insensitively, longest prefix first (cloud-init's type_from_starts_with);
// nullopt when no prefix matches.
std::optional<PartKind> kind_from_content(std::string_view body);

// The kind a MIME type names ("text/cloud-config", ...); nullopt for a type
// cloud-init has no handler for (text/plain, application/octet-stream, ...).
std::optional<PartKind> kind_from_mime_type(std::string_view content_type);

// The MIME type cloud-init gives `kind` ("text/x-shellscript"); "text/plain"
// for unknown.
std::string_view mime_type_of(PartKind kind);

struct Part {
    // The MIME or archive filename, else "part-NNN" numbered from 1 in the order
    // parts are found: cloud-init's names, used for the names of saved scripts.
    // Messages never identify a part by it; they use `source`.
    std::string name;
    // True when `name` was given by the user data (a MIME or archive filename),
    // false when it is a generated "part-NNN".
    bool name_given = false;
    PartKind kind = PartKind::unknown;
    // The MIME type the part was classified as (after content re-checks), e.g.
    // "text/x-shellscript"; "text/x-not-multipart" for plain, non-MIME user data.
    std::string content_type;
    // Decoded bytes: transfer encoding, gzip, BOM removed; scripts and boothooks
    // have CRLF line ends turned into LF; a boothook's "#cloud-boothook" line is
    // removed so the body is the script to run.
    Secret<std::string> body;
    // A Merge-Type / X-Merge-Type header (MIME or archive entry), "" if none.
    std::string merge_how;
    // "user-data part N" (N counts parts from 1 in this list, the order of
    // status.json's user_data_parts): how every message, log line and status
    // record names this part, e.g. "user-data part 2, line 7, column 5: ...".
    std::string source;
    std::size_t number = 0;  // N
    // Where the bytes came from beyond the raw user data: "" for the user data
    // itself, else the #include URL that served them.
    std::string origin;
    // cloud-init's Launch-Index (header, archive key or cloud-config key).
    std::optional<int> launch_index;
};

struct Decoded {
    std::vector<Part> parts;
    // Problems survived (unsupported or unrecognised parts, a stripped BOM):
    // each names the part and what was done. Never contains user-data content
    // beyond a short description of its type.
    std::vector<std::string> warnings;
    // What decoding did, for the log (gzip layers, base64 body, CRLF fixed).
    std::vector<std::string> notes;
};

}  // namespace kindling::userdata
