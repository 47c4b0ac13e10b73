// Safe path resolution under a root directory, shared by system::Root and the
// child runner (program lookup). Works like Ignition's JoinPath, but on file
// descriptors: each component is opened with openat(O_PATH|O_NOFOLLOW) from the
// fd of the one before, so a rename racing with us cannot lead outside the root.
// The path is first cleaned lexically ("." dropped, ".." stops at the root); an
// intermediate symlink is followed inside the root (an absolute target starts
// again at the root, "..' in a target never climbs above it) only when uid 0
// owns it, at most limits::k_symlink_hops times. Internal to agent/system.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/fd.hpp"
#include "agent/core/result.hpp"

namespace kindling::system {

// What to do with the last component.
enum class LastComponent {
    keep,               // never followed, not even looked at: the result names it in its parent
    follow_root_owned,  // followed like an intermediate one (only root-owned symlinks)
};

// Whether missing directories on the way are created (mkdir -p).
struct CreateDirs {
    bool enabled = false;
    mode_t mode = 0755;
    uid_t uid = 0;
    gid_t gid = 0;
};

enum class Found {
    no_parent,  // a directory on the way does not exist (`parent` is not valid)
    missing,    // the parent exists, `name` does not
    directory,  // `name` is a directory (LastComponent::follow_root_owned only); `self` is its fd
    other,      // `name` exists and is not a directory: a file, a device, a socket (never a symlink)
    unchecked,  // LastComponent::keep: `name` was not looked at; use *at() calls on `parent`
};

struct Resolved {
    core::Fd parent;    // O_PATH fd of the directory holding `name`
    core::Fd self;      // O_PATH fd of the directory itself when found == directory
    std::string name;   // last component; empty when the path is the root itself
    std::string where;  // the real path inside the root, for messages ("/etc/hostname")
    Found found = Found::missing;
};

// Splits an absolute path into clean components, checking limits::k_path_bytes
// and limits::k_name_bytes. Error: "'etc/x': not an absolute path".
[[nodiscard]] Result<std::vector<std::string>> clean_components(std::string_view path);

// Opens `root` (a host path) as an O_PATH directory fd.
[[nodiscard]] Result<core::Fd> open_root(const std::filesystem::path& root);

// Resolves `path` under the root fd `root`. Errors name the place:
// "'/home/u/.ssh': refusing to follow symlink owned by uid 1000".
[[nodiscard]] Result<Resolved> resolve(const core::Fd& root, std::string_view path, LastComponent last,
                                       const CreateDirs& create = {});

// Reopens an O_PATH directory fd as O_RDONLY|O_DIRECTORY (for fsync, fchmod,
// fchown, getdents).
[[nodiscard]] Result<core::Fd> reopen_dir(const core::Fd& dir, const std::string& where);

// "'where': what: strerror(err)".
std::string errno_message(const std::string& where, std::string_view what, int err);

}  // namespace kindling::system
