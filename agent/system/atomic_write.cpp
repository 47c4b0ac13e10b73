// Temp file, fsync, rename, directory fsync; see atomic_write.hpp.
#include "agent/system/atomic_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <random>
#include <tuple>
#include <utility>

#include "agent/system/resolve.hpp"

namespace kindling::system {

std::string temporary_name(std::string_view name, std::string_view tag) {
    static thread_local std::mt19937 rng{std::random_device{}()};
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(rng()));
    return "." + std::string(name.substr(0, 200)) + ".kindling-" + std::string(tag) + suffix;
}

bool is_temporary_name(std::string_view name) {
    return name.starts_with('.') && name.find(".kindling-") != std::string_view::npos;
}

TemporaryName parse_temporary_name(std::string_view name) {
    constexpr std::string_view k_marker = ".kindling-";
    const std::size_t at = name.rfind(k_marker);
    if (!name.starts_with('.') || at == std::string_view::npos || at < 2 || at - 1 > 200) return {};
    std::string_view rest = name.substr(at + k_marker.size());
    TemporaryKind kind = TemporaryKind::file;
    if (rest.starts_with("link-")) {
        kind = TemporaryKind::link;
        rest.remove_prefix(5);
    } else if (rest.size() == 9 && rest.starts_with('d')) {
        kind = TemporaryKind::dir;
        rest.remove_prefix(1);
    }
    const bool hex = rest.size() == 8 && std::all_of(rest.begin(), rest.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
    if (!hex) return {};
    return {kind, name.substr(1, at - 1)};
}

AtomicWrite::AtomicWrite(core::Fd dir, core::Fd file, std::string temp, std::string name, std::string where)
    : m_dir(std::move(dir)),
      m_file(std::move(file)),
      m_temp(std::move(temp)),
      m_name(std::move(name)),
      m_where(std::move(where)) {}

AtomicWrite::AtomicWrite(AtomicWrite&& other) noexcept
    : m_dir(std::move(other.m_dir)),
      m_file(std::move(other.m_file)),
      m_temp(std::move(other.m_temp)),
      m_name(std::move(other.m_name)),
      m_where(std::move(other.m_where)),
      m_done(std::exchange(other.m_done, true)) {}

AtomicWrite::~AtomicWrite() {
    if (!m_done && m_dir.valid()) {
        std::ignore = ::unlinkat(m_dir.get(), m_temp.c_str(), 0);
    }
}

Result<AtomicWrite> AtomicWrite::begin(const core::Fd& dir, std::string name, std::string where) {
    auto rw = reopen_dir(dir, where);
    if (!rw) return std::unexpected(rw.error());
    for (int attempt = 0; attempt < 16; ++attempt) {
        std::string temp = temporary_name(name);
        core::Fd file(::openat(rw->get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (file.valid()) {
            return AtomicWrite(std::move(*rw), std::move(file), std::move(temp), std::move(name), std::move(where));
        }
        if (errno != EEXIST) return fail(errno_message(where, "create temporary file", errno));
    }
    return fail("'" + where + "': create temporary file: no free name after 16 tries");
}

Result<void> AtomicWrite::write(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(m_file.get(), bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(errno_message(m_where, "write", errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Result<void> AtomicWrite::commit(mode_t mode, uid_t uid, gid_t gid) {
    if (m_done) return fail("'" + m_where + "': write already finished");
    // Owner first: fchown clears setuid/setgid bits that fchmod sets.
    if (::fchown(m_file.get(), uid, gid) != 0) return fail(errno_message(m_where, "chown", errno));
    if (::fchmod(m_file.get(), mode) != 0) return fail(errno_message(m_where, "chmod", errno));
    if (::fsync(m_file.get()) != 0) return fail(errno_message(m_where, "fsync", errno));
    if (::close(m_file.release()) != 0) return fail(errno_message(m_where, "close", errno));
    if (::renameat(m_dir.get(), m_temp.c_str(), m_dir.get(), m_name.c_str()) != 0) {
        return fail(errno_message(m_where, "rename", errno));
    }
    m_done = true;
    // The rename is done; a failed directory fsync means it may not survive a crash.
    if (::fsync(m_dir.get()) != 0) return fail(errno_message(m_where, "fsync directory", errno));
    return {};
}

}  // namespace kindling::system
