// Raw user data -> typed parts, with cloud-init's meaning (its UserDataProcessor):
//   1. a UTF-8 BOM is stripped (warning); gzip is detected by magic bytes; a body
//      that is entirely strict base64 and decodes to something recognisable is
//      decoded once (cloud-init 23.3+);
//   2. MIME when "MIME-Version:" is in the first 4 KiB: every leaf part in
//      order, nested multiparts flattened; gzip MIME types and gzip magic inside
//      parts inflated; text/plain, text/x-not-multipart and text/x-shellscript
//      re-checked by content prefix;
//   3. #include / #include-once: each URL fetched through IncludeFetcher and its
//      content decoded again from step 1 (include-once content comes from the
//      IncludeOnceCache when present); a failed fetch is an error, as with
//      cloud-init's default ERROR_ON_USER_DATA_FAILURE;
//   4. #cloud-config-archive: each entry becomes a part (type, content,
//      filename, launch-index, other keys as headers);
//   5. parts get cloud-init's names (filename, else part-NNN) and their
//      number and source ("user-data part N"), by which every message names them.
// Empty input (also input that is only a byte order mark) gives no part.
// Unsupported kinds (jinja, part-handler) and unrecognised parts stay in the
// list with a warning saying they are not applied. Every limit in
// core/limits.hpp that applies ends decoding with an error naming it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/core/result.hpp"
#include "agent/userdata/include.hpp"
#include "agent/userdata/part.hpp"

namespace kindling::userdata {

struct DecodeOptions {
    // Fetches #include URLs; without one, include parts are kept unexpanded
    // (kind include / include_once) with a warning (offline `kindling schema`).
    IncludeFetcher* fetcher = nullptr;
    // Where #include-once content is kept; without one it is fetched every time.
    IncludeOnceCache* once_cache = nullptr;
    // The instance's launch index: parts carrying another Launch-Index are
    // dropped (cloud-init's launch-index filter); parts without one are kept.
    std::optional<int> launch_index = std::nullopt;
    // What messages call the whole input ("user data: removed a UTF-8 byte
    // order mark") and the prefix of each part's `source` ("user-data part 2").
    // `kindling schema FILE` passes the file name for both.
    std::string name = "user data";
    std::string part_prefix = "user-data part ";
};

[[nodiscard]] Result<Decoded> decode(std::string_view raw, const DecodeOptions& options);

}  // namespace kindling::userdata
