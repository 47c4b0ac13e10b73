// MIME user data (Poco::Net::MessageHeader / MultipartReader): a message is
// flattened into its leaf parts in document order, as Python's email walk()
// visits them, with transfer encodings undone. Multipart containers are only
// containers; nesting and the number of parts are capped.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/result.hpp"

namespace kindling::userdata {

struct MimeLeaf {
    std::string content_type;  // lower case, without parameters; "text/plain" if absent
    std::string filename;      // Content-Disposition filename or Content-Type name, "" if none
    std::string merge_how;     // Merge-Type, else X-Merge-Type, "" if none
    std::optional<std::string> launch_index;  // the Launch-Index header as written
    std::string body;          // base64 / quoted-printable undone
};

// cloud-init's test: "mime-version:" (any case) in the first
// limits::k_mime_sniff_bytes bytes, and the data starts with a header line.
bool looks_like_mime(std::string_view data);

// The leaves of a MIME message. `parts_budget` is how many more parts (leaves
// and containers) this decode may still see; it is reduced as parts are read.
Result<std::vector<MimeLeaf>> parse_mime(std::string_view message, std::size_t& parts_budget);

}  // namespace kindling::userdata
