// Component-by-component resolution under a root fd; see resolve.hpp.
#include "agent/system/resolve.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <tuple>

#include "agent/core/limits.hpp"
#include "agent/system/atomic_write.hpp"

namespace kindling::system {

namespace {

struct Level {
    core::Fd fd;
    std::string name;
};

std::vector<std::string> split(std::string_view path) {
    std::vector<std::string> parts;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        std::size_t slash = path.find('/', pos);
        if (slash == std::string_view::npos) slash = path.size();
        if (slash > pos) parts.emplace_back(path.substr(pos, slash - pos));
        pos = slash + 1;
    }
    return parts;
}

class Walk {
public:
    Walk(const core::Fd& root, const CreateDirs& create) : m_create(create) {
        m_stack.push_back(Level{core::Fd(::fcntl(root.get(), F_DUPFD_CLOEXEC, 0)), ""});
    }

    Result<Resolved> run(std::deque<std::string> pending, LastComponent last) {
        if (!m_stack.front().fd.valid()) return fail("'/': dup: " + std::string(std::strerror(errno)));
        bool ended_in_dir = true;  // the empty path is the root itself
        while (!pending.empty()) {
            std::string comp = std::move(pending.front());
            pending.pop_front();
            const bool is_last = pending.empty();
            if (comp == ".") continue;
            if (comp == "..") {
                if (m_stack.size() > 1) m_stack.pop_back();
                ended_in_dir = true;
                continue;
            }
            ended_in_dir = false;
            auto step = enter(comp, is_last, last, pending);
            if (!step) return std::unexpected(step.error());
            if (*step == Step::entered_dir) {
                ended_in_dir = true;
            } else if (*step == Step::stop) {
                return std::move(m_result);
            }
        }
        if (!ended_in_dir) {
            // Only reachable when a followed symlink was the last thing; enter() stops otherwise.
            return fail("'" + where("") + "': internal resolution error");
        }
        Resolved r;
        r.found = Found::directory;
        if (m_stack.size() == 1) {
            r.parent = dup(m_stack.back().fd);
            r.self = dup(m_stack.back().fd);
            r.where = "/";
            return r;
        }
        Level self = std::move(m_stack.back());
        m_stack.pop_back();
        r.where = where(self.name);
        r.name = std::move(self.name);
        r.self = std::move(self.fd);
        r.parent = std::move(m_stack.back().fd);
        return r;
    }

private:
    enum class Step { entered_dir, followed_link, stop };

    static core::Fd dup(const core::Fd& fd) { return core::Fd(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0)); }

    std::string where(const std::string& name) const {
        std::string out;
        for (std::size_t i = 1; i < m_stack.size(); ++i) out += "/" + m_stack[i].name;
        if (!name.empty()) out += "/" + name;
        return out.empty() ? "/" : out;
    }

    Result<Step> stop_here(const std::string& name, Found found) {
        m_result.found = found;
        m_result.where = where(name);
        m_result.name = name;
        if (found != Found::no_parent) m_result.parent = std::move(m_stack.back().fd);
        return Step::stop;
    }

    // The directory is made under a temporary name, given its owner and mode,
    // then renamed into place: a crash never leaves it with the 0700 it starts
    // with (make_dirs leaves existing directories alone, so that would stay).
    Result<void> make_dir(const std::string& comp) {
        const int dir = m_stack.back().fd.get();
        const std::string temp = temporary_name(comp, "d");
        if (::mkdirat(dir, temp.c_str(), 0700) != 0) return fail(errno_message(where(comp), "mkdir", errno));
        auto discard = [&] { std::ignore = ::unlinkat(dir, temp.c_str(), AT_REMOVEDIR); };
        core::Fd fd(::openat(dir, temp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd.valid()) {
            int err = errno;
            discard();
            return fail(errno_message(where(comp), "open", err));
        }
        // fchown before fchmod: fchown clears set-id bits.
        if (::fchown(fd.get(), m_create.uid, m_create.gid) != 0 || ::fchmod(fd.get(), m_create.mode) != 0) {
            int err = errno;
            discard();
            return fail(errno_message(where(comp), "chown/chmod", err));
        }
        if (::renameat2(dir, temp.c_str(), dir, comp.c_str(), RENAME_NOREPLACE) != 0) {
            int err = errno;
            discard();
            if (err == EEXIST) return {};  // raced with someone else; resolve what is there
            return fail(errno_message(where(comp), "rename", err));
        }
        return {};
    }

    Result<Step> enter(const std::string& comp, bool is_last, LastComponent last, std::deque<std::string>& pending) {
        const bool follow = !is_last || last == LastComponent::follow_root_owned;
        if (!follow) return stop_here(comp, Found::unchecked);

        core::Fd fd(::openat(m_stack.back().fd.get(), comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!fd.valid() && errno == ENOENT && m_create.enabled) {
            if (auto made = make_dir(comp); !made) return std::unexpected(made.error());
            fd = core::Fd(::openat(m_stack.back().fd.get(), comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        }
        if (!fd.valid()) {
            if (errno == ENOENT) return stop_here(comp, is_last ? Found::missing : Found::no_parent);
            return fail(errno_message(where(comp), "open", errno));
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return fail(errno_message(where(comp), "stat", errno));

        if (S_ISDIR(st.st_mode)) {
            m_stack.push_back(Level{std::move(fd), comp});
            return Step::entered_dir;
        }
        if (S_ISLNK(st.st_mode)) {
            if (st.st_uid != 0) {
                return fail("'" + where(comp) + "': refusing to follow symlink owned by uid " +
                            std::to_string(st.st_uid));
            }
            if (++m_hops > limits::k_symlink_hops) {
                return fail("'" + where(comp) + "': more than " + std::to_string(limits::k_symlink_hops) +
                            " symlinks followed");
            }
            std::string target(limits::k_path_bytes + 1, '\0');
            ssize_t n = ::readlinkat(fd.get(), "", target.data(), target.size());
            if (n < 0) return fail(errno_message(where(comp), "readlink", errno));
            if (n == 0 || static_cast<std::size_t>(n) > limits::k_path_bytes) {
                return fail("'" + where(comp) + "': symlink target is empty or too long");
            }
            target.resize(static_cast<std::size_t>(n));
            if (target.front() == '/') m_stack.resize(1);
            auto parts = split(target);
            for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
                if (it->size() > limits::k_name_bytes) {
                    return fail("'" + where(comp) + "': symlink target has a name longer than " +
                                std::to_string(limits::k_name_bytes) + " bytes");
                }
                pending.push_front(*it);
            }
            if (parts.empty() && is_last) {
                // A link to "/" as the last component: the root itself.
                pending.push_front(".");
            }
            return Step::followed_link;
        }
        if (is_last) return stop_here(comp, Found::other);
        return fail("'" + where(comp) + "': not a directory");
    }

    CreateDirs m_create;
    std::vector<Level> m_stack;
    Resolved m_result;
    int m_hops = 0;
};

}  // namespace

std::string errno_message(const std::string& where, std::string_view what, int err) {
    return "'" + where + "': " + std::string(what) + ": " + std::strerror(err);
}

Result<std::vector<std::string>> clean_components(std::string_view path) {
    if (auto nul = path.find('\0'); nul != std::string_view::npos) {
        return fail("'" + std::string(path.substr(0, std::min<std::size_t>(nul, 200))) + "': path contains a NUL byte");
    }
    const std::string shown(path.substr(0, 200));
    if (path.empty() || path.front() != '/') return fail("'" + shown + "': not an absolute path");
    if (path.size() > limits::k_path_bytes) {
        return fail("'" + shown + "...': path longer than " + std::to_string(limits::k_path_bytes) + " bytes");
    }
    std::vector<std::string> out;
    for (auto& part : split(path)) {
        if (part == ".") continue;
        if (part == "..") {
            if (!out.empty()) out.pop_back();
            continue;
        }
        if (part.size() > limits::k_name_bytes) {
            return fail("'" + shown + "': name longer than " + std::to_string(limits::k_name_bytes) + " bytes");
        }
        out.push_back(std::move(part));
    }
    return out;
}

Result<core::Fd> open_root(const std::filesystem::path& root) {
    core::Fd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return fail(errno_message(root.string(), "open root", errno));
    return fd;
}

Result<Resolved> resolve(const core::Fd& root, std::string_view path, LastComponent last, const CreateDirs& create) {
    auto parts = clean_components(path);
    if (!parts) return std::unexpected(parts.error());
    Walk walk(root, create);
    return walk.run(std::deque<std::string>(parts->begin(), parts->end()), last);
}

Result<core::Fd> reopen_dir(const core::Fd& dir, const std::string& where) {
    core::Fd fd(::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return fail(errno_message(where, "open", errno));
    return fd;
}

}  // namespace kindling::system
