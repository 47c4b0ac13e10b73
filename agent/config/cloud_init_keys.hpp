// The top-level keys cloud-init's schema accepts, so the validator can tell an
// unsupported key from a typo.
#pragma once

#include <string_view>
#include <vector>

namespace kindling::config {

bool is_cloud_init_key(std::string_view key);
const std::vector<std::string_view>& cloud_init_keys();

// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace kindling::config
