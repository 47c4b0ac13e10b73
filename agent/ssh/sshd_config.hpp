// Edits of sshd_config text, pure, as cloud-init's ssh_util does them:
// keywords are case-insensitive, arguments are not. Lines that are not touched
// keep their bytes. A setting that is absent is added before the first `Match`
// block (a line appended after a Match would only apply inside it).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kindling::ssh {

struct SshdSetting {
    std::string keyword;  // "PasswordAuthentication"
    std::string value;    // "no"
    // single: every line with this keyword gets this value (one added if none);
    // multi: a keyword that may repeat (HostCertificate): a line with exactly
    // this value is ensured, other lines are left alone.
    enum class Kind { single, multi } kind = Kind::single;
};

struct SshdEdit {
    std::string content;  // ends with "\n" unless empty
    bool changed = false;
};

SshdEdit update_sshd_config(std::string_view content, const std::vector<SshdSetting>& settings);

// Whether the file has an `Include` of `<dir>/*.conf` (absolute, or relative to
// /etc/ssh as sshd reads it), i.e. a drop-in written there takes effect.
bool includes_dropin_dir(std::string_view content, std::string_view dir);

}  // namespace kindling::ssh
