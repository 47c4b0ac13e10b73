// Byte-level helpers of the decoder: gzip (Poco, capped), strict base64 (Poco),
// BOM and CRLF handling, and a description of bytes that names their shape,
// never their content. All work on bytes; nothing depends on the locale.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "agent/core/result.hpp"

namespace kindling::userdata {

// gzip's magic bytes 1f 8b.
bool is_gzip(std::string_view data);

// Inflates one gzip stream. `budget` is what may still be produced in this
// decode; it is reduced by the output size. Going over it is an error naming
// the limit (a gzip bomb stops there, having used at most budget+64 KiB).
Result<std::string> gunzip(std::string_view data, std::size_t& budget);

// The decoded bytes when `data` is entirely strict base64 (RFC 4648 alphabet,
// correct padding, a multiple of 4 characters; line breaks allowed between
// characters, nothing else), else nullopt.
std::optional<std::string> strict_base64(std::string_view data);

// Removes a leading UTF-8 byte order mark; true if there was one.
bool strip_utf8_bom(std::string& data);

// CRLF -> LF everywhere; true if anything changed.
bool crlf_to_lf(std::string& data);

// ASCII lower case; other bytes (UTF-8 sequences) are left as they are.
std::string ascii_lower(std::string_view data);

// "empty", "binary data (N bytes)", "text starting with '#' (N bytes)" or
// "text (N bytes)": what a warning may say about bytes it did not understand.
std::string describe_bytes(std::string_view data);

// `url` without its user info, query and fragment (credentials travel there:
// "http://user:password@host/", presigned URLs' "?X-Amz-Signature=...").
std::string redact_url(std::string_view url);

}  // namespace kindling::userdata
