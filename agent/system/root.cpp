// system::Root: every path through resolve() (resolve.hpp), every write through
// AtomicWrite (atomic_write.hpp). Errors are "'<path inside root>': <what>:
// <strerror>"; the caller adds its own context once.
#include "agent/system/root.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <tuple>

#include "agent/core/limits.hpp"
#include "agent/system/accounts.hpp"
#include "agent/system/atomic_write.hpp"
#include "agent/system/resolve.hpp"

namespace kindling::system {

namespace {

std::string in_quotes(std::string_view path) { return "'" + std::string(path) + "'"; }

// Resolves `path` under `dir` in one call.
Result<Resolved> resolve_under(const std::filesystem::path& dir, std::string_view path, LastComponent last,
                               const CreateDirs& create = {}) {
    auto root = open_root(dir);
    if (!root) return std::unexpected(root.error());
    return resolve(*root, path, last, create);
}

// The parent directory of a file about to be written, which must exist.
Result<Resolved> resolve_parent_of_file(const std::filesystem::path& dir, std::string_view path) {
    auto r = resolve_under(dir, path, LastComponent::keep);
    if (!r) return r;
    if (r->name.empty()) return fail(in_quotes(path) + ": is the root directory");
    if (r->found == Found::no_parent) return fail(in_quotes(r->where) + ": directory does not exist");
    return r;
}

// lstat of name in parent; nullopt when missing.
Result<std::optional<struct stat>> stat_entry(const Resolved& r) {
    struct stat st {};
    if (::fstatat(r.parent.get(), r.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return std::optional<struct stat>{};
        return fail(errno_message(r.where, "stat", errno));
    }
    return st;
}

Result<std::string> read_all(int fd, const std::string& where) {
    std::string out;
    char buf[65536];
    while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(errno_message(where, "read", errno));
        }
        if (n == 0) return out;
        if (out.size() + static_cast<std::size_t>(n) > limits::k_read_file_bytes) {
            return fail(in_quotes(where) + ": larger than " + std::to_string(limits::k_read_file_bytes) + " bytes");
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
}

// Opens an existing regular file for reading without following a symlink;
// nullopt when it does not exist.
Result<std::optional<core::Fd>> open_regular(const Resolved& r) {
    core::Fd fd(::openat(r.parent.get(), r.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd.valid()) {
        if (errno == ENOENT) return std::optional<core::Fd>{};
        if (errno == ELOOP) return fail(in_quotes(r.where) + ": is a symlink, refusing to follow it");
        return fail(errno_message(r.where, "open", errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail(errno_message(r.where, "stat", errno));
    if (!S_ISREG(st.st_mode)) return fail(in_quotes(r.where) + ": not a regular file");
    return std::optional<core::Fd>(std::move(fd));
}

Result<void> write_whole(const Resolved& r, std::string_view head, std::string_view tail, FileMode mode) {
    auto existing = stat_entry(r);
    if (!existing) return std::unexpected(existing.error());
    if (*existing && S_ISDIR((*existing)->st_mode)) return fail(in_quotes(r.where) + ": is a directory");
    auto write = AtomicWrite::begin(r.parent, r.name, r.where);
    if (!write) return std::unexpected(write.error());
    if (auto ok = write->write(head); !ok) return ok;
    if (auto ok = write->write(tail); !ok) return ok;
    return write->commit(mode.mode, mode.uid, mode.gid);
}

Result<void> chown_chmod(int fd, const std::string& where, FileMode mode) {
    // Owner first: fchown clears setuid/setgid bits that fchmod sets.
    if (::fchown(fd, mode.uid, mode.gid) != 0) return fail(errno_message(where, "chown", errno));
    if (::fchmod(fd, mode.mode) != 0) return fail(errno_message(where, "chmod", errno));
    return {};
}

Result<void> fsync_dir(const core::Fd& dir, const std::string& where) {
    auto rw = reopen_dir(dir, where);
    if (!rw) return std::unexpected(rw.error());
    if (::fsync(rw->get()) != 0) return fail(errno_message(where, "fsync directory", errno));
    return {};
}


// Where an entry lives: its device and mount id (statx STATX_MNT_ID, so a bind
// mount of the same filesystem counts as another mount), without following it.
struct Placement {
    dev_t dev = 0;
    std::uint64_t mount_id = 0;
    bool has_mount_id = false;
    mode_t mode = 0;
    ino_t ino = 0;
};

Result<std::optional<Placement>> placement_of(int dir, const char* name, const std::string& where) {
    struct statx stx {};
    if (::statx(dir, name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, STATX_TYPE | STATX_INO | STATX_MNT_ID, &stx) != 0) {
        if (errno == ENOENT) return std::optional<Placement>{};
        return fail(errno_message(where, "stat", errno));
    }
    Placement p;
    p.dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
    p.has_mount_id = (stx.stx_mask & STATX_MNT_ID) != 0;
    p.mount_id = stx.stx_mnt_id;
    p.mode = stx.stx_mode;
    p.ino = stx.stx_ino;
    return std::optional<Placement>(p);
}

bool same_mount(const Placement& a, const Placement& b) {
    return a.dev == b.dev && (!a.has_mount_id || !b.has_mount_id || a.mount_id == b.mount_id);
}

// Names in the directory `dir` (O_RDONLY|O_DIRECTORY), without . and ..
Result<std::vector<std::string>> entry_names(const core::Fd& dir, const std::string& where) {
    core::Fd listing(::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!listing.valid()) return fail(errno_message(where, "open", errno));
    std::unique_ptr<DIR, int (*)(DIR*)> stream(::fdopendir(listing.get()), ::closedir);
    if (!stream) return fail(errno_message(where, "opendir", errno));
    std::ignore = listing.release();  // owned by `stream` now
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(stream.get())) {
        std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(std::move(name));
    }
    if (errno != 0) return fail(errno_message(where, "readdir", errno));
    return names;
}

// Removes everything inside the directory `dir` (O_RDONLY|O_DIRECTORY), which
// is at `where` on mount `mount`; see Root::remove_tree.
Result<void> empty_directory(const core::Fd& dir, const Placement& mount, const std::string& where, int depth) {
    if (depth > limits::k_remove_tree_depth) {
        return fail(in_quotes(where) + ": more than " + std::to_string(limits::k_remove_tree_depth) +
                    " levels deep, refusing to remove");
    }
    auto names = entry_names(dir, where);
    if (!names) return std::unexpected(names.error());
    for (const std::string& name : *names) {
        const std::string child_where = (where == "/" ? "" : where) + "/" + name;
        auto p = placement_of(dir.get(), name.c_str(), child_where);
        if (!p) return std::unexpected(p.error());
        if (!*p) continue;
        if (S_ISDIR((*p)->mode)) {
            if (!same_mount(**p, mount)) {
                return fail(in_quotes(child_where) + ": is on another filesystem (a mount point), refusing to remove");
            }
            core::Fd child(::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!child.valid()) return fail(errno_message(child_where, "open", errno));
            struct stat st {};
            if (::fstat(child.get(), &st) != 0) return fail(errno_message(child_where, "stat", errno));
            if (st.st_ino != (*p)->ino || st.st_dev != (*p)->dev) {
                return fail(in_quotes(child_where) + ": replaced while removing it");
            }
            if (auto r = empty_directory(child, mount, child_where, depth + 1); !r) return r;
            if (::unlinkat(dir.get(), name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
                return fail(errno_message(child_where, "rmdir", errno));
            }
        } else if (::unlinkat(dir.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
            return fail(errno_message(child_where, "unlink", errno));
        }
    }
    return {};
}

// Root::remove_temporaries below `dir` (O_RDONLY|O_DIRECTORY) at `where` on `mount`.
Result<int> remove_temporaries_in(const core::Fd& dir, const Placement& mount, const std::string& where,
                                  bool recursive, std::string_view of, int depth) {
    if (depth > limits::k_remove_tree_depth) {
        return fail(in_quotes(where) + ": more than " + std::to_string(limits::k_remove_tree_depth) + " levels deep");
    }
    auto names = entry_names(dir, where);
    if (!names) return std::unexpected(names.error());
    int removed = 0;
    for (const std::string& name : *names) {
        const std::string child_where = (where == "/" ? "" : where) + "/" + name;
        auto p = placement_of(dir.get(), name.c_str(), child_where);
        if (!p) return std::unexpected(p.error());
        if (!*p) continue;
        const mode_t type = (*p)->mode & S_IFMT;
        const TemporaryName temp = parse_temporary_name(name);
        const bool wanted = temp.kind != TemporaryKind::none && (of.empty() || temp.of == of);
        if (wanted && ((temp.kind == TemporaryKind::file && type == S_IFREG) ||
                       (temp.kind == TemporaryKind::link && type == S_IFLNK))) {
            if (::unlinkat(dir.get(), name.c_str(), 0) != 0) {
                if (errno == ENOENT) continue;
                return fail(errno_message(child_where, "unlink", errno));
            }
            ++removed;
        } else if (wanted && temp.kind == TemporaryKind::dir && type == S_IFDIR) {
            // rmdir removes only an empty one: anything put inside is kept.
            if (::unlinkat(dir.get(), name.c_str(), AT_REMOVEDIR) == 0) {
                ++removed;
            } else if (errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST && errno != EBUSY) {
                return fail(errno_message(child_where, "rmdir", errno));
            }
        } else if (recursive && type == S_IFDIR && same_mount(**p, mount)) {
            core::Fd child(::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!child.valid()) {
                if (errno == ENOENT) continue;
                return fail(errno_message(child_where, "open", errno));
            }
            auto below = remove_temporaries_in(child, mount, child_where, recursive, of, depth + 1);
            if (!below) return below;
            removed += *below;
        }
    }
    if (removed > 0) {
        if (auto synced = fsync_dir(dir, where); !synced) return std::unexpected(synced.error());
    }
    return removed;
}
}  // namespace

Root::Root(std::filesystem::path dir, ProcessRunner& runner) : m_dir(std::move(dir)), m_runner(&runner) {}

std::filesystem::path Root::host_path(std::string_view path) const {
    std::string_view rel = path;
    while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
    if (rel.empty()) return m_dir;
    return m_dir / rel;
}

Result<core::Fd> Root::open_dir(std::string_view path) const {
    auto r = resolve_under(m_dir, path, LastComponent::follow_root_owned);
    if (!r) return std::unexpected(r.error());
    switch (r->found) {
        case Found::directory: return std::move(r->self);
        case Found::other: return fail(in_quotes(r->where) + ": not a directory");
        default: return fail(in_quotes(r->where) + ": directory does not exist");
    }
}

Result<std::optional<std::string>> Root::read_file(std::string_view path) const {
    auto r = resolve_under(m_dir, path, LastComponent::follow_root_owned);
    if (!r) return std::unexpected(r.error());
    if (r->found == Found::no_parent || r->found == Found::missing) return std::optional<std::string>{};
    if (r->found == Found::directory) return fail(in_quotes(r->where) + ": is a directory");
    auto fd = open_regular(*r);
    if (!fd) return std::unexpected(fd.error());
    if (!*fd) return std::optional<std::string>{};
    auto bytes = read_all((*fd)->get(), r->where);
    if (!bytes) return std::unexpected(bytes.error());
    return std::optional<std::string>(std::move(*bytes));
}

Result<std::optional<struct stat>> Root::lstat(std::string_view path) const {
    auto r = resolve_under(m_dir, path, LastComponent::keep);
    if (!r) return std::unexpected(r.error());
    if (r->found == Found::no_parent) return std::optional<struct stat>{};
    if (r->name.empty()) {
        struct stat st {};
        if (::fstat(r->self.get(), &st) != 0) return fail(errno_message("/", "stat", errno));
        return std::optional<struct stat>(st);
    }
    return stat_entry(*r);
}

Result<std::vector<std::string>> Root::list_dir(std::string_view path) const {
    auto r = resolve_under(m_dir, path, LastComponent::follow_root_owned);
    if (!r) return std::unexpected(r.error());
    if (r->found == Found::no_parent || r->found == Found::missing) return std::vector<std::string>{};
    if (r->found != Found::directory) return fail(in_quotes(r->where) + ": not a directory");
    auto fd = reopen_dir(r->self, r->where);
    if (!fd) return std::unexpected(fd.error());
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd->get()), ::closedir);
    if (!dir) return fail(errno_message(r->where, "opendir", errno));
    std::ignore = fd->release();  // owned by `dir` now
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(dir.get())) {
        std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(std::move(name));
    }
    if (errno != 0) return fail(errno_message(r->where, "readdir", errno));
    std::sort(names.begin(), names.end());
    return names;
}

Result<void> Root::write_file(std::string_view path, std::string_view bytes, FileMode mode) {
    auto r = resolve_parent_of_file(m_dir, path);
    if (!r) return std::unexpected(r.error());
    return write_whole(*r, bytes, {}, mode);
}

Result<void> Root::append_file(std::string_view path, std::string_view bytes, FileMode mode) {
    auto r = resolve_parent_of_file(m_dir, path);
    if (!r) return std::unexpected(r.error());
    auto fd = open_regular(*r);
    if (!fd) return std::unexpected(fd.error());
    std::string existing;
    if (*fd) {
        auto read = read_all((*fd)->get(), r->where);
        if (!read) return std::unexpected(read.error());
        existing = std::move(*read);
    }
    return write_whole(*r, existing, bytes, mode);
}

Result<void> Root::make_dirs(std::string_view path, FileMode mode) {
    CreateDirs create{true, mode.mode, mode.uid, mode.gid};
    auto r = resolve_under(m_dir, path, LastComponent::follow_root_owned, create);
    if (!r) return std::unexpected(r.error());
    if (r->found != Found::directory) return fail(in_quotes(r->where) + ": not a directory");
    return {};
}

Result<void> Root::ensure_dir(std::string_view path, FileMode mode) {
    auto r = resolve_under(m_dir, path, LastComponent::keep);
    if (!r) return std::unexpected(r.error());
    if (r->found == Found::no_parent) return fail(in_quotes(r->where) + ": parent directory does not exist");
    core::Fd dir;
    if (r->name.empty()) {
        dir = std::move(r->self);
    } else {
        if (::mkdirat(r->parent.get(), r->name.c_str(), 0700) != 0 && errno != EEXIST) {
            return fail(errno_message(r->where, "mkdir", errno));
        }
        dir = core::Fd(::openat(r->parent.get(), r->name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!dir.valid()) return fail(errno_message(r->where, "open", errno));
        struct stat st {};
        if (::fstat(dir.get(), &st) != 0) return fail(errno_message(r->where, "stat", errno));
        if (S_ISLNK(st.st_mode)) return fail(in_quotes(r->where) + ": is a symlink, not a directory");
        if (!S_ISDIR(st.st_mode)) return fail(in_quotes(r->where) + ": not a directory");
    }
    auto rw = reopen_dir(dir, r->where);
    if (!rw) return std::unexpected(rw.error());
    return chown_chmod(rw->get(), r->where, mode);
}

Result<void> Root::remove(std::string_view path) {
    auto r = resolve_under(m_dir, path, LastComponent::keep);
    if (!r) return std::unexpected(r.error());
    if (r->found == Found::no_parent) return {};
    if (r->name.empty()) return fail("'/': is the root directory");
    auto st = stat_entry(*r);
    if (!st) return std::unexpected(st.error());
    if (!*st) return {};
    if (S_ISDIR((*st)->st_mode)) return fail(in_quotes(r->where) + ": is a directory");
    if (::unlinkat(r->parent.get(), r->name.c_str(), 0) != 0 && errno != ENOENT) {
        return fail(errno_message(r->where, "unlink", errno));
    }
    return fsync_dir(r->parent, r->where);
}

Result<void> Root::remove_tree(std::string_view path) {
    auto r = resolve_under(m_dir, path, LastComponent::keep);
    if (!r) return std::unexpected(r.error());
    if (r->found == Found::no_parent) return {};
    if (r->name.empty()) return fail("'/': is the root directory");
    auto self = placement_of(r->parent.get(), r->name.c_str(), r->where);
    if (!self) return std::unexpected(self.error());
    if (!*self) return {};
    if (!S_ISDIR((*self)->mode)) return remove(path);
    auto parent = placement_of(r->parent.get(), "", r->where);
    if (!parent) return std::unexpected(parent.error());
    if (!*parent || !same_mount(**self, **parent)) {
        return fail(in_quotes(r->where) + ": is on another filesystem (a mount point), refusing to remove");
    }
    core::Fd dir(::openat(r->parent.get(), r->name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) return fail(errno_message(r->where, "open", errno));
    if (auto e = empty_directory(dir, **self, r->where, 1); !e) return e;
    if (::unlinkat(r->parent.get(), r->name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        return fail(errno_message(r->where, "rmdir", errno));
    }
    return fsync_dir(r->parent, r->where);
}

Result<int> Root::clear_stale_account_locks() {
    static constexpr std::string_view k_databases[] = {"passwd", "shadow", "group", "gshadow", "subuid", "subgid"};
    auto etc = open_dir("/etc");
    if (!etc) return std::unexpected(etc.error());
    // 1. No /etc/.pwd.lock: no shadow tool ever ran here, so nothing is stale.
    core::Fd pwd_lock(::openat(etc->get(), ".pwd.lock", O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!pwd_lock.valid()) {
        return errno == ENOENT ? Result<int>(0) : fail(errno_message("/etc/.pwd.lock", "open", errno));
    }
    // 2. Held by a live tool: its lock files are live too.
    struct flock whole {};
    whole.l_type = F_WRLCK;
    whole.l_whence = SEEK_SET;
    if (::fcntl(pwd_lock.get(), F_SETLK, &whole) != 0) return 0;
    // 3. Under the lock (released when pwd_lock closes), remove the leftovers.
    core::Fd listing(::openat(etc->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!listing.valid()) return fail(errno_message("/etc", "open", errno));
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(::dup(listing.get())), ::closedir);
    if (!dir) return fail(errno_message("/etc", "opendir", errno));
    auto stale = [](std::string_view name) {
        for (std::string_view db : k_databases) {
            if (!name.starts_with(db)) continue;
            std::string_view rest = name.substr(db.size());
            if (rest == ".lock" || rest == "+") return true;
            if (rest.size() > 1 && rest[0] == '.' &&
                std::all_of(rest.begin() + 1, rest.end(), [](char c) { return c >= '0' && c <= '9'; })) {
                return true;
            }
        }
        return false;
    };
    int removed = 0;
    while (const dirent* e = ::readdir(dir.get())) {
        if (e->d_type != DT_REG || !stale(e->d_name)) continue;
        if (::unlinkat(listing.get(), e->d_name, 0) != 0 && errno != ENOENT) {
            return fail(errno_message("/etc/" + std::string(e->d_name), "unlink", errno));
        }
        ++removed;
    }
    if (removed > 0) {
        if (auto synced = fsync_dir(listing, "/etc"); !synced) return std::unexpected(synced.error());
    }
    return removed;
}

Result<int> Root::remove_temporaries(std::string_view dir, bool recursive, std::string_view of) {
    auto r = resolve_under(m_dir, dir, LastComponent::follow_root_owned);
    if (!r) return std::unexpected(r.error());
    if (r->found == Found::no_parent || r->found == Found::missing) return 0;
    if (r->found != Found::directory) return fail(in_quotes(r->where) + ": not a directory");
    auto rw = reopen_dir(r->self, r->where);
    if (!rw) return std::unexpected(rw.error());
    auto self = placement_of(rw->get(), "", r->where);
    if (!self) return std::unexpected(self.error());
    if (!*self) return 0;
    return remove_temporaries_in(*rw, **self, r->where, recursive, of, 1);
}

Result<void> Root::symlink(std::string_view target, std::string_view path) {
    if (target.empty() || target.size() > limits::k_path_bytes || target.find('\0') != std::string_view::npos) {
        return fail(in_quotes(path) + ": symlink target is empty, too long or contains a NUL byte");
    }
    auto r = resolve_parent_of_file(m_dir, path);
    if (!r) return std::unexpected(r.error());
    auto st = stat_entry(*r);
    if (!st) return std::unexpected(st.error());
    if (*st && S_ISDIR((*st)->st_mode)) return fail(in_quotes(r->where) + ": is a directory");

    const std::string target_str(target);
    std::string temp;
    for (int attempt = 0;; ++attempt) {
        temp = temporary_name(r->name, "link-");
        if (::symlinkat(target_str.c_str(), r->parent.get(), temp.c_str()) == 0) break;
        if (errno != EEXIST || attempt == 15) return fail(errno_message(r->where, "symlink", errno));
    }
    if (::renameat(r->parent.get(), temp.c_str(), r->parent.get(), r->name.c_str()) != 0) {
        int err = errno;
        std::ignore = ::unlinkat(r->parent.get(), temp.c_str(), 0);
        return fail(errno_message(r->where, "rename", err));
    }
    return fsync_dir(r->parent, r->where);
}

Result<void> Root::set_mode(std::string_view path, FileMode mode) {
    auto r = resolve_under(m_dir, path, LastComponent::keep);
    if (!r) return std::unexpected(r.error());
    if (r->found == Found::no_parent) return fail(in_quotes(r->where) + ": does not exist");
    if (r->name.empty()) {
        auto rw = reopen_dir(r->self, "/");
        if (!rw) return std::unexpected(rw.error());
        return chown_chmod(rw->get(), "/", mode);
    }
    core::Fd handle(::openat(r->parent.get(), r->name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!handle.valid()) {
        if (errno == ENOENT) return fail(in_quotes(r->where) + ": does not exist");
        return fail(errno_message(r->where, "open", errno));
    }
    struct stat st {};
    if (::fstat(handle.get(), &st) != 0) return fail(errno_message(r->where, "stat", errno));
    core::Fd fd;
    if (S_ISDIR(st.st_mode)) {
        auto rw = reopen_dir(handle, r->where);
        if (!rw) return std::unexpected(rw.error());
        fd = std::move(*rw);
    } else if (S_ISREG(st.st_mode)) {
        fd = core::Fd(::openat(r->parent.get(), r->name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
        if (!fd.valid()) return fail(errno_message(r->where, "open", errno));
        struct stat again {};
        if (::fstat(fd.get(), &again) != 0 || again.st_ino != st.st_ino || again.st_dev != st.st_dev) {
            return fail(in_quotes(r->where) + ": replaced while changing its mode");
        }
    } else if (S_ISLNK(st.st_mode)) {
        return fail(in_quotes(r->where) + ": is a symlink, refusing to change its mode");
    } else {
        return fail(in_quotes(r->where) + ": not a regular file or directory");
    }
    return chown_chmod(fd.get(), r->where, mode);
}

Result<std::optional<Passwd>> Root::find_user(std::string_view name) const {
    auto text = read_file("/etc/passwd");
    if (!text) return std::unexpected(text.error());
    if (!*text) return std::optional<Passwd>{};
    return find_passwd_entry(**text, name);
}

Result<std::optional<Group>> Root::find_group(std::string_view name) const {
    auto text = read_file("/etc/group");
    if (!text) return std::unexpected(text.error());
    if (!*text) return std::optional<Group>{};
    return find_group_entry(**text, name);
}

Result<ChildResult> Root::run(const Command& cmd) { return m_runner->run(m_dir, cmd); }

Result<std::string> Root::kernel_hostname() const {
    char buf[limits::k_hostname_bytes + 1] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return fail(std::string("gethostname: ") + std::strerror(errno));
    return std::string(buf);
}

Result<void> Root::set_kernel_hostname(std::string_view name) {
    if (!is_host()) {
        return fail("refusing to set the running hostname while acting on root '" + m_dir.string() + "'");
    }
    if (name.empty() || name.size() > limits::k_hostname_bytes) {
        return fail("hostname '" + std::string(name.substr(0, 80)) + "' must be 1 to " +
                    std::to_string(limits::k_hostname_bytes) + " bytes");
    }
    if (::sethostname(name.data(), name.size()) != 0) return fail(std::string("sethostname: ") + std::strerror(errno));
    return {};
}

}  // namespace kindling::system
