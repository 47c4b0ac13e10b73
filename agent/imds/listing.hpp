// Parsing IMDS directory listings: newline-separated entries, sub-trees with a
// trailing '/', and public-keys/ entries as "N=name". Pure functions over
// untrusted bytes (a fuzz target), so entries that could name another path
// ("..", absolute, embedded '/', control characters) are dropped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kindling::imds {

// Entries in listing order; blank lines and unsafe entries dropped, '\r' trimmed.
[[nodiscard]] std::vector<std::string> parse_listing(std::string_view body);

// Indexes from a public-keys/ listing ("0=my-key\n1=other"), in listing order;
// entries that are not "DIGITS=..." or "DIGITS/" are dropped.
[[nodiscard]] std::vector<std::size_t> parse_public_key_indexes(std::string_view body);

}  // namespace kindling::imds
