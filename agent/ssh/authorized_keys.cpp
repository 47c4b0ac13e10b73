#include "agent/ssh/authorized_keys.hpp"

#include <algorithm>
#include <array>

namespace kindling::ssh {

namespace {

constexpr std::array<std::string_view, 19> k_valid_key_types{
    "rsa",
    "ecdsa",
    "ed25519",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "ssh-ed25519-cert-v01@openssh.com",
    "ssh-ed25519",
    "ssh-rsa-cert-v01@openssh.com",
    "ssh-rsa",
    "ssh-xmss-cert-v01@openssh.com",
    "ssh-xmss@openssh.com",
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view strip(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

// The next blank-separated token of `s`, removed from it (leading blanks skipped).
std::string_view next_token(std::string_view& s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    std::size_t end = 0;
    while (end < s.size() && !is_blank(s[end])) ++end;
    std::string_view token = s.substr(0, end);
    s.remove_prefix(end);
    return token;
}

struct KeyFields {
    std::string_view keytype, blob, comment;
};

// "keytype blob [comment]" with a known key type, or nothing.
std::optional<KeyFields> split_key(std::string_view ent) {
    KeyFields f;
    f.keytype = next_token(ent);
    f.blob = next_token(ent);
    if (f.blob.empty() || !is_valid_key_type(f.keytype)) return std::nullopt;
    f.comment = strip(ent);
    return f;
}

// The options field ends at the first blank outside double quotes (sshd's rule).
std::pair<std::string_view, std::string_view> split_options(std::string_view ent) {
    bool quoted = false;
    std::size_t i = 0;
    while (i < ent.size() && (quoted || !is_blank(ent[i]))) {
        if (ent[i] == '\\' && i + 1 < ent.size() && ent[i + 1] == '"') {
            ++i;
        } else if (ent[i] == '"') {
            quoted = !quoted;
        }
        ++i;
    }
    return {ent.substr(0, std::min(i, ent.size())), strip(ent.substr(std::min(i, ent.size())))};
}

}  // namespace

std::string disable_user_options(std::string_view options, std::string_view user, std::string_view disabled_user) {
    std::string out;
    for (std::size_t i = 0; i < options.size();) {
        if (options.substr(i).starts_with("$DISABLE_USER")) {
            out += disabled_user;
            i += 13;
        } else if (options.substr(i).starts_with("$USER")) {
            out += user;
            i += 5;
        } else {
            out += options[i++];
        }
    }
    return out;
}

std::string AuthKeyLine::format() const {
    if (!valid()) return source;
    std::string out;
    for (const std::string* part : {&options, &keytype, &blob, &comment}) {
        if (part->empty()) continue;
        if (!out.empty()) out += ' ';
        out += *part;
    }
    return out;
}

bool is_valid_key_type(std::string_view keytype) {
    return std::find(k_valid_key_types.begin(), k_valid_key_types.end(), keytype) != k_valid_key_types.end();
}

AuthKeyLine parse_key_line(std::string_view line, const std::optional<std::string>& options) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    AuthKeyLine out;
    out.source = std::string(line);
    std::string_view ent = strip(line);
    if (ent.empty() || line.front() == '#') return out;

    std::optional<KeyFields> fields = split_key(ent);
    std::string_view own_options;
    if (!fields) {
        auto [opts, rest] = split_options(ent);
        own_options = opts;
        fields = split_key(rest);
        if (!fields) return out;
    }
    out.options = options ? *options : std::string(own_options);
    out.keytype = std::string(fields->keytype);
    out.blob = std::string(fields->blob);
    out.comment = std::string(fields->comment);
    return out;
}

std::vector<AuthKeyLine> parse_authorized_keys(std::string_view content) {
    std::vector<AuthKeyLine> lines;
    while (!content.empty()) {
        std::size_t nl = content.find('\n');
        std::string_view line = content.substr(0, nl);
        lines.push_back(parse_key_line(line));
        content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    }
    return lines;
}

MergeResult merge_authorized_keys(std::string_view existing, const std::vector<AuthKeyLine>& keys) {
    // The new keys, one per blob, the last one of a blob winning, in first-seen order.
    std::vector<AuthKeyLine> wanted;
    for (const AuthKeyLine& key : keys) {
        if (!key.valid()) continue;
        auto same =
            std::find_if(wanted.begin(), wanted.end(), [&](const AuthKeyLine& w) { return w.blob == key.blob; });
        if (same != wanted.end()) {
            *same = key;
        } else {
            wanted.push_back(key);
        }
    }

    MergeResult result;
    std::vector<bool> placed(wanted.size(), false);
    for (const AuthKeyLine& line : parse_authorized_keys(existing)) {
        std::string text = line.source;
        if (line.valid()) {
            for (std::size_t i = 0; i < wanted.size(); ++i) {
                if (wanted[i].blob != line.blob) continue;
                text = wanted[i].format();
                placed[i] = true;
                if (text != line.source) ++result.replaced;
            }
        }
        result.content += text + "\n";
    }
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (placed[i]) continue;
        result.content += wanted[i].format() + "\n";
        ++result.added;
    }
    result.changed = result.content != existing;
    return result;
}

}  // namespace kindling::ssh
