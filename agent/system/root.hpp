// system::Root is the only door to the machine. It is built from --root (default
// "/"); every path a module names is an absolute path *inside* the root and is
// resolved as Ignition's JoinPath does (resolve.hpp): never outside the root,
// ".." stops at the root, and an intermediate symlink is followed only when root
// owns it (a link planted by a user, e.g. ~/.ssh -> /etc, is refused). What
// changes the last component (writes, remove, symlink, set_mode, lstat) never
// follows it; what only reads a file or enters a directory (read_file, open_dir,
// list_dir, make_dirs) follows it under the same root-owned rule, so
// /etc/os-release -> ../usr/lib/os-release reads. Every write is atomic
// (atomic_write.hpp) with an explicit mode and owner. Users, groups, hostname
// and child processes also go through here. Errors read "'/etc/x': what: why".
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/fd.hpp"
#include "agent/core/result.hpp"
#include "agent/system/process.hpp"

namespace kindling::system {

// Mode and owner are always explicit.
struct FileMode {
    mode_t mode = 0644;
    uid_t uid = 0;
    gid_t gid = 0;
};

struct Passwd {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string gecos;
    std::string home;
    std::string shell;
};

struct Group {
    std::string name;
    gid_t gid = 0;
    std::vector<std::string> members;
};

class Root {
public:
    // `dir` must exist; "/" means this machine. `runner` runs children.
    Root(std::filesystem::path dir, ProcessRunner& runner);

    const std::filesystem::path& dir() const { return m_dir; }
    bool is_host() const { return m_dir == "/"; }
    // Host path of `path` for display and for tests: dir()/path.
    std::filesystem::path host_path(std::string_view path) const;

    // Opens the directory `path` (must exist) as an O_PATH|O_DIRECTORY fd,
    // resolving safely as described above (a root-owned symlink is followed).
    [[nodiscard]] Result<core::Fd> open_dir(std::string_view path) const;

    // Contents of a regular file; nullopt when it (or a directory on the way)
    // does not exist. A symlink as the last component is followed only when uid 0
    // owns it; a user's link is an error. At most limits::k_read_file_bytes.
    [[nodiscard]] Result<std::optional<std::string>> read_file(std::string_view path) const;
    // lstat() of `path`; nullopt when it does not exist.
    [[nodiscard]] Result<std::optional<struct stat>> lstat(std::string_view path) const;
    // Sorted entry names of a directory (without . and ..); empty if missing.
    [[nodiscard]] Result<std::vector<std::string>> list_dir(std::string_view path) const;

    // Atomically replaces (or creates) `path` with `bytes`, mode and owner set
    // before the rename; the parent directory must exist. If `path` is a symlink
    // the link itself is replaced, never followed.
    [[nodiscard]] Result<void> write_file(std::string_view path, std::string_view bytes, FileMode mode);
    // Atomically appends: existing content + `bytes` written as a new file. A
    // symlink at `path` is an error (its content is never read through it).
    [[nodiscard]] Result<void> append_file(std::string_view path, std::string_view bytes, FileMode mode);
    // mkdir -p: missing directories are created with `mode`; existing ones are
    // left as they are (root-owned symlinks to directories are followed).
    [[nodiscard]] Result<void> make_dirs(std::string_view path, FileMode mode);
    // This exact directory exists with this mode and owner (created or fixed);
    // a symlink or a non-directory in its place is an error.
    [[nodiscard]] Result<void> ensure_dir(std::string_view path, FileMode mode);
    // Removes a file or symlink (not a directory); a missing path is success.
    [[nodiscard]] Result<void> remove(std::string_view path);
    // rm -r: removes `path` and, if it is a directory, everything below it; a
    // missing path is success. Never follows a symlink (a link is removed, not
    // its target) and never crosses into another filesystem: a directory on
    // another device (a mount point) is an error and is left as it is, with
    // whatever was removed before it. At most limits::k_remove_tree_depth levels.
    [[nodiscard]] Result<void> remove_tree(std::string_view path);
    // Atomically points `path` at `target` (replaces what was there).
    [[nodiscard]] Result<void> symlink(std::string_view target, std::string_view path);
    // Sets mode and owner of an existing file or directory without following a
    // symlink at the last component.
    [[nodiscard]] Result<void> set_mode(std::string_view path, FileMode mode);

    // Users and groups, read from the root's /etc/passwd and /etc/group (never
    // this machine's NSS).
    [[nodiscard]] Result<std::optional<Passwd>> find_user(std::string_view name) const;
    [[nodiscard]] Result<std::optional<Group>> find_group(std::string_view name) const;

    // Removes what a shadow-utils tool (useradd, groupadd, chpasswd...) killed
    // mid-change leaves in the root's /etc: <db>.lock, <db>+ and <db>.<pid>
    // for passwd, shadow, group, gshadow, subuid and subgid. Left alone, a
    // stale <db>.lock naming a pid that is alive again after the reboot makes
    // every later change fail ("cannot lock /etc/group; try again later"). A
    // live tool holds lckpwdf()'s fcntl lock on /etc/.pwd.lock, so the files
    // are removed only while that lock can be taken (and is held); if not, a
    // tool is at work and nothing is touched. Returns how many were removed.
    [[nodiscard]] Result<int> clear_stale_account_locks();

    // Removes what a Kindling run killed between creating a temporary entry
    // and renaming it into place left in the directory `dir`
    // (parse_temporary_name in atomic_write.hpp): a regular file named as an
    // AtomicWrite temporary, a symlink named as a Root::symlink one, an empty
    // directory named as a make_dirs one. Nothing else: another type under such
    // a name, or any other name, is kept. Never follows a symlink below `dir`;
    // `dir` itself is opened as open_dir does (a user's symlink is an error).
    // `recursive` descends into subdirectories on the same mount (at most
    // limits::k_remove_tree_depth levels); `of`, when not empty, keeps all but
    // the leftovers of an entry named `of`. Only safe while no Kindling run can
    // be writing there (the caller holds the instance lock). A missing `dir`
    // removes nothing. Returns how many were removed.
    [[nodiscard]] Result<int> remove_temporaries(std::string_view dir, bool recursive, std::string_view of = {});

    // Runs a child inside the root (chrooted unless is_host()).
    [[nodiscard]] Result<ChildResult> run(const Command& cmd);

    // The running (kernel) hostname. Setting it is refused unless is_host().
    [[nodiscard]] Result<std::string> kernel_hostname() const;
    [[nodiscard]] Result<void> set_kernel_hostname(std::string_view name);

private:
    std::filesystem::path m_dir;
    ProcessRunner* m_runner;
};

}  // namespace kindling::system
