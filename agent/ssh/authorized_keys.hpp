// The authorized_keys format as cloud-init's ssh_util reads and merges it, kept
// pure (text in, text out) so that the ssh and users_groups modules share one
// rule. A line is [options] keytype base64-blob [comment]; options are found as
// sshd finds them (a first field that is not a known key type, ending at the
// first blank outside double quotes, \" escaping a quote). Comment lines, blank
// lines and lines that do not parse are kept as they are.
//
// Merging follows cloud-init's update_authorized_keys: a key whose blob is
// already in the file replaces that line in place (so root's copy gets the
// refusal options even when the bare key was there before); other keys are
// appended in order; every other existing line is kept byte for byte. A blob is
// never written twice: among the new keys, a later key with the same blob
// replaces an earlier one, as it does for lines already in the file.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kindling::ssh {

// The options that turn a key into a refusal telling the client to log in as
// $USER instead of $DISABLE_USER (cloud-init's ssh_util.DISABLE_USER_OPTS, byte
// for byte): the default of the ssh module's disable_root_opts, and what
// users_groups puts before the metadata keys of an ssh_redirect_user.
inline constexpr std::string_view k_disable_user_opts =
    "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command=\"echo 'Please login as the user "
    "\\\"$USER\\\" rather than the user \\\"$DISABLE_USER\\\".';echo;sleep 10;exit 142\"";

// `options` (k_disable_user_opts or the ssh module's disable_root_opts) with
// every $USER replaced by `user` and every $DISABLE_USER by `disabled_user`.
std::string disable_user_options(std::string_view options, std::string_view user, std::string_view disabled_user);

struct AuthKeyLine {
    std::string source;   // the line as read, without its line ending
    std::string options;  // "no-pty,command=\"x y\"" or empty
    std::string keytype;  // "ssh-ed25519"
    std::string blob;     // the base64 key blob
    std::string comment;  // the rest of the line, may contain blanks

    // A key line (key type and blob found), as opposed to a comment or junk.
    bool valid() const { return !keytype.empty() && !blob.empty(); }
    // options, keytype, blob, comment joined by one space (a valid line), or
    // the source (anything else).
    std::string format() const;
};

// The key types cloud-init accepts in authorized_keys (its VALID_KEY_TYPES: the
// OpenSSH types that are not signature-only, plus the legacy "rsa", "ecdsa",
// "ed25519").
bool is_valid_key_type(std::string_view keytype);

// Parses one line. `options`, when given, replaces the line's own options (""
// removes them): that is how root's copy of a key gets disable_root_opts.
AuthKeyLine parse_key_line(std::string_view line, const std::optional<std::string>& options = std::nullopt);

// Every line of an authorized_keys file ("\n" or "\r\n" separated).
std::vector<AuthKeyLine> parse_authorized_keys(std::string_view content);

struct MergeResult {
    std::string content;       // the new file, ending with "\n" unless empty
    std::size_t added = 0;     // keys appended
    std::size_t replaced = 0;  // existing lines whose text changed
    bool changed = false;      // content differs from the input
};

// Merges `keys` (invalid ones ignored) into the existing file content.
MergeResult merge_authorized_keys(std::string_view existing, const std::vector<AuthKeyLine>& keys);

}  // namespace kindling::ssh
