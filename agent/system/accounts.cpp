// passwd(5) and group(5) parsing; see accounts.hpp.
#include "agent/system/accounts.hpp"

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

namespace kindling::system {

namespace {

std::vector<std::string_view> split_fields(std::string_view line, char sep) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (true) {
        std::size_t next = line.find(sep, pos);
        if (next == std::string_view::npos) {
            out.push_back(line.substr(pos));
            return out;
        }
        out.push_back(line.substr(pos, next - pos));
        pos = next + 1;
    }
}

template <class Id>
bool parse_id(std::string_view text, Id& out) {
    unsigned long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return false;
    if (value > static_cast<unsigned long>(static_cast<Id>(-1)) - 1) return false;  // (id_t)-1 means "none"
    out = static_cast<Id>(value);
    return true;
}

// Calls `on_line(fields, line_number)` for each line whose first field is `name`.
template <class OnLine>
auto scan(std::string_view text, std::string_view name, OnLine on_line) -> decltype(on_line({}, 0)) {
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-') continue;
        auto fields = split_fields(line, ':');
        if (fields.front() != name) continue;
        return on_line(fields, line_no);
    }
    return std::nullopt;
}

std::unexpected<Error> malformed(std::string_view file, std::size_t line_no, std::string_view name) {
    return fail("'" + std::string(file) + "': line " + std::to_string(line_no) + ": malformed entry for '" +
                std::string(name) + "'");
}

}  // namespace

Result<std::optional<Passwd>> find_passwd_entry(std::string_view text, std::string_view name, std::string_view file) {
    if (name.empty()) return std::optional<Passwd>{};
    return scan(text, name, [&](const std::vector<std::string_view>& f, std::size_t line_no) -> Result<std::optional<Passwd>> {
        Passwd p;
        if (f.size() != 7 || !parse_id(f[2], p.uid) || !parse_id(f[3], p.gid)) return malformed(file, line_no, name);
        p.name = std::string(f[0]);
        p.gecos = std::string(f[4]);
        p.home = std::string(f[5]);
        p.shell = std::string(f[6]);
        return p;
    });
}

Result<std::optional<Group>> find_group_entry(std::string_view text, std::string_view name, std::string_view file) {
    if (name.empty()) return std::optional<Group>{};
    return scan(text, name, [&](const std::vector<std::string_view>& f, std::size_t line_no) -> Result<std::optional<Group>> {
        Group g;
        if (f.size() != 4 || !parse_id(f[2], g.gid)) return malformed(file, line_no, name);
        g.name = std::string(f[0]);
        if (!f[3].empty()) {
            for (auto member : split_fields(f[3], ',')) {
                if (!member.empty()) g.members.emplace_back(member);
            }
        }
        return g;
    });
}

std::vector<std::string> passwd_homes(std::string_view text) {
    std::vector<std::string> homes;
    for (std::string_view line : split_fields(text, '\n')) {
        if (line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-') continue;
        auto f = split_fields(line, ':');
        if (f.size() != 7 || !f[5].starts_with('/')) continue;
        if (std::find(homes.begin(), homes.end(), f[5]) == homes.end()) homes.emplace_back(f[5]);
    }
    return homes;
}

}  // namespace kindling::system
