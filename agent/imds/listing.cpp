#include "agent/imds/listing.hpp"

#include <algorithm>

namespace kindling::imds {
namespace {

bool safe_entry(std::string_view entry) {
    if (entry.empty() || entry.size() > 255) return false;
    std::string_view name = entry.back() == '/' ? entry.substr(0, entry.size() - 1) : entry;
    if (name.empty() || name == "." || name == "..") return false;
    return std::none_of(name.begin(), name.end(), [](char c) {
        return c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
}

std::vector<std::string_view> lines(std::string_view body) {
    std::vector<std::string_view> out;
    while (!body.empty()) {
        auto end = body.find('\n');
        std::string_view line = body.substr(0, end);
        body = end == std::string_view::npos ? std::string_view{} : body.substr(end + 1);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
        if (!line.empty()) out.push_back(line);
    }
    return out;
}

}  // namespace

std::vector<std::string> parse_listing(std::string_view body) {
    std::vector<std::string> entries;
    for (auto line : lines(body)) {
        if (safe_entry(line)) entries.emplace_back(line);
    }
    return entries;
}

std::vector<std::size_t> parse_public_key_indexes(std::string_view body) {
    std::vector<std::size_t> indexes;
    // Key names may hold any character, so only the index part is checked.
    for (auto entry : lines(body)) {
        auto digits = entry.find_first_not_of("0123456789");
        if (digits == 0 || digits == std::string::npos || digits > 6) continue;
        if (entry[digits] != '=' && !(entry[digits] == '/' && digits + 1 == entry.size())) continue;
        std::size_t index = std::stoul(std::string(entry.substr(0, digits)));
        if (std::find(indexes.begin(), indexes.end(), index) == indexes.end()) indexes.push_back(index);
    }
    return indexes;
}

}  // namespace kindling::imds
