// users_groups, the files it edits: the sudoers drop-in and the #includedir that
// makes sudo read it (cloud-init distros/__init__.py write_sudo_rules and
// ensure_sudo_dir: one "# User rules for NAME" block per user, a block already
// in the file is not added again, other lines are kept), and /etc/doas.conf
// (write_doas_rules: the same, with "# kindling User rules for NAME" blocks
// where cloud-init writes "# cloud-init User rules for NAME"). Pure text in,
// text out; authorized_keys merging is agent/ssh/authorized_keys.hpp's. The
// header carries no version or date, unlike cloud-init's, so a second run
// produces the same bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kindling::modules {

inline constexpr std::string_view k_sudoers_file = "/etc/sudoers.d/90-kindling-users";
inline constexpr std::string_view k_sudoers_dir = "/etc/sudoers.d";
inline constexpr std::string_view k_sudoers_base = "/etc/sudoers";
inline constexpr std::string_view k_doas_file = "/etc/doas.conf";

// "\n# User rules for NAME\nNAME RULE\n..." (cloud-init's block, byte for byte).
std::string sudoers_block(std::string_view user, const std::vector<std::string>& rules);

// "\n# kindling User rules for NAME\nRULE\n..." (rules as written: doas rules name the user themselves).
std::string doas_block(std::string_view user, const std::vector<std::string>& rules);

// The sudoers drop-in or doas.conf after adding `blocks`: `existing` (or a
// header when the file is new) with every block not yet contained appended in order.
std::string merge_rule_blocks(const std::optional<std::string>& existing, const std::vector<std::string>& blocks);

// /etc/sudoers with an "#includedir DIR" line added when neither #includedir
// nor @includedir names DIR; nullopt when nothing needs to change.
std::optional<std::string> sudoers_with_includedir(const std::optional<std::string>& sudoers, std::string_view dir);


}  // namespace kindling::modules
