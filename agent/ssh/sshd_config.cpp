#include "agent/ssh/sshd_config.hpp"

#include <algorithm>
#include <cctype>

namespace kindling::ssh {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

struct Line {
    std::string text;
    std::string keyword;  // lower case; empty for comments and blank lines
    std::string value;
};

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// "Keyword value" or "Keyword=value" (sshd accepts both).
Line parse_line(std::string_view text) {
    Line line{std::string(text), {}, {}};
    std::size_t b = 0;
    while (b < text.size() && is_blank(text[b])) ++b;
    std::size_t e = text.size();
    while (e > b && is_blank(text[e - 1])) --e;
    std::string_view s = text.substr(b, e - b);
    if (s.empty() || s.front() == '#') return line;
    std::size_t end = 0;
    while (end < s.size() && !is_blank(s[end]) && s[end] != '=') ++end;
    line.keyword = lower(s.substr(0, end));
    std::size_t v = end;
    while (v < s.size() && (is_blank(s[v]) || s[v] == '=')) ++v;
    line.value = std::string(s.substr(v));
    return line;
}

std::vector<Line> parse_lines(std::string_view content) {
    std::vector<Line> lines;
    while (!content.empty()) {
        std::size_t nl = content.find('\n');
        lines.push_back(parse_line(content.substr(0, nl)));
        content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    }
    return lines;
}

}  // namespace

SshdEdit update_sshd_config(std::string_view content, const std::vector<SshdSetting>& settings) {
    std::vector<Line> lines = parse_lines(content);
    std::vector<Line> added;
    for (const SshdSetting& setting : settings) {
        const std::string keyword = lower(setting.keyword);
        bool found = false;
        for (Line& line : lines) {
            if (line.keyword != keyword) continue;
            if (setting.kind == SshdSetting::Kind::multi) {
                found = found || line.value == setting.value;
                continue;
            }
            found = true;
            if (line.value != setting.value) {
                line.value = setting.value;
                line.text = setting.keyword + " " + setting.value;
            }
        }
        if (!found) added.push_back(Line{setting.keyword + " " + setting.value, keyword, setting.value});
    }
    auto match = std::find_if(lines.begin(), lines.end(), [](const Line& l) { return l.keyword == "match"; });
    lines.insert(match, added.begin(), added.end());

    SshdEdit edit;
    for (const Line& line : lines) edit.content += line.text + "\n";
    edit.changed = edit.content != content;
    return edit;
}

bool includes_dropin_dir(std::string_view content, std::string_view dir) {
    const std::string absolute = std::string(dir) + "/*.conf";
    std::string relative;
    if (dir.starts_with("/etc/ssh/")) relative = std::string(dir.substr(9)) + "/*.conf";
    for (const Line& line : parse_lines(content)) {
        if (line.keyword != "include") continue;
        std::string_view args = line.value;
        while (!args.empty()) {
            std::size_t b = 0;
            while (b < args.size() && is_blank(args[b])) ++b;
            args.remove_prefix(b);
            std::size_t e = 0;
            while (e < args.size() && !is_blank(args[e])) ++e;
            std::string_view arg = args.substr(0, e);
            if (!arg.empty() && (arg == absolute || (!relative.empty() && arg == relative))) return true;
            args.remove_prefix(e);
        }
    }
    return false;
}

}  // namespace kindling::ssh
