// Key fingerprints, computed from the key blob (no ssh-keygen needed): the
// OpenSSH form that `ssh-keygen -l` and ssh clients show ("SHA256:" + unpadded
// base64 of the SHA-256 of the blob), for host keys on the console, and
// cloud-init's authkey form (hex pairs joined by ':' of the chosen hash), for
// the authorized keys it logs. Fingerprints are not secrets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kindling::ssh {

// The blob's bytes, or nullopt if it is not valid base64.
std::optional<std::string> decode_blob(std::string_view base64);

// "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
std::string openssh_fingerprint(std::string_view blob_bytes);

// cloud-init's `authkey_hash` names: md5, sha1, sha224, sha256, sha384, sha512.
bool is_supported_hash(std::string_view name);
// "ab:cd:..." of `hash` (one of the names above) over the blob bytes.
std::string hex_fingerprint(std::string_view blob_bytes, std::string_view hash);

}  // namespace kindling::ssh
