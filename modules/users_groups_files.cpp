#include "modules/users_groups_files.hpp"

#include <algorithm>

namespace kindling::modules {

namespace {

constexpr std::string_view k_rules_header = "# Created by kindling users_groups\n";

std::string_view trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        auto nl = text.find('\n');
        out.push_back(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    }
    return out;
}


}  // namespace

std::string sudoers_block(std::string_view user, const std::vector<std::string>& rules) {
    std::string out = "\n# User rules for " + std::string(user) + "\n";
    for (const auto& rule : rules) {
        out += std::string(user) + " " + rule + "\n";
    }
    return out;
}

std::string doas_block(std::string_view user, const std::vector<std::string>& rules) {
    std::string out = "\n# kindling User rules for " + std::string(user) + "\n";
    for (const auto& rule : rules) out += rule + "\n";
    return out;
}

std::string merge_rule_blocks(const std::optional<std::string>& existing, const std::vector<std::string>& blocks) {
    std::string out = existing ? *existing : std::string(k_rules_header);
    for (const auto& block : blocks) {
        if (out.find(block) == std::string::npos) {
            if (!out.empty() && out.back() != '\n') out += '\n';
            out += block;
        }
    }
    return out;
}

std::optional<std::string> sudoers_with_includedir(const std::optional<std::string>& sudoers, std::string_view dir) {
    if (sudoers) {
        for (auto line : lines_of(*sudoers)) {
            line = trim(line);
            if (!line.starts_with("#includedir") && !line.starts_with("@includedir")) continue;
            auto target = trim(line.substr(11));
            while (target.size() > 1 && target.back() == '/') target.remove_suffix(1);
            if (target == dir) return std::nullopt;
        }
    }
    std::string addition = "# Added by kindling users_groups\n#includedir " + std::string(dir) + "\n";
    if (!sudoers) {
        return "# See sudoers(5) for more information on \"#include\" directives:\n\n" + addition;
    }
    std::string out = *sudoers;
    if (!out.empty() && out.back() != '\n') out += '\n';
    return out + "\n" + addition;
}


}  // namespace kindling::modules
