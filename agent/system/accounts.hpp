// Parsing the root's /etc/passwd and /etc/group text directly: Kindling acts on
// a root that may be a mounted image, so this machine's NSS (getpwnam) would
// answer for the wrong system. Blank lines, comments and NIS "+"/"-" lines are
// skipped; a malformed line for the name asked about is an error, not a miss.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/result.hpp"
#include "agent/system/root.hpp"

namespace kindling::system {

// The entry for `name` in passwd(5) text; `file` names the source in errors
// ("'/etc/passwd': line 3: malformed entry for 'ec2-user'").
[[nodiscard]] Result<std::optional<Passwd>> find_passwd_entry(std::string_view text, std::string_view name,
                                                              std::string_view file = "/etc/passwd");
// The entry for `name` in group(5) text.
[[nodiscard]] Result<std::optional<Group>> find_group_entry(std::string_view text, std::string_view name,
                                                            std::string_view file = "/etc/group");

// The home directories of all entries in passwd(5) text, in file order: only
// absolute ones of well-formed lines (7 fields), each once.
std::vector<std::string> passwd_homes(std::string_view text);

}  // namespace kindling::system
