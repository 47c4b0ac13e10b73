// ScratchRoot: a fresh root directory per test (mkdtemp under /tmp), with a
// minimal /etc, removed in the destructor (like ccache's TestContext). With
// Usr::bind it also bind-mounts the host's /usr read-only at DIR/usr, adds the
// merged-/usr links (bin, sbin, lib, lib64) and binds /dev/null, so chrooted
// commands (sh, useradd) run inside it. Mounting is safe because the test binary
// runs in a private mount namespace (support/main.cpp). Removal unmounts first
// and never crosses into another filesystem, so a mount that failed to detach
// cannot lead to deleting the host's files.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kindling::test {

class ScratchRoot {
public:
    enum class Usr { none, bind };

    // Creates DIR with etc/{passwd,group,shadow,gshadow} (root only), home/,
    // root/, tmp/, run/, var/lib/, var/log/. Throws std::runtime_error on failure.
    explicit ScratchRoot(Usr usr = Usr::none);
    static ScratchRoot with_usr() { return ScratchRoot(Usr::bind); }
    ScratchRoot(ScratchRoot&& other) noexcept;
    ScratchRoot& operator=(ScratchRoot&&) = delete;
    ScratchRoot(const ScratchRoot&) = delete;
    ScratchRoot& operator=(const ScratchRoot&) = delete;
    ~ScratchRoot();

    const std::filesystem::path& path() const { return m_dir; }
    // Host path of `inside` ("/etc/passwd" -> DIR/etc/passwd).
    std::filesystem::path host(std::string_view inside) const;

    // Test-side helpers acting directly on the host path (for planting state;
    // the code under test goes through system::Root). Parents are created.
    void write(std::string_view inside, std::string_view bytes, mode_t mode = 0644, uid_t uid = 0, gid_t gid = 0) const;
    void append(std::string_view inside, std::string_view bytes) const;
    void mkdir(std::string_view inside, mode_t mode = 0755, uid_t uid = 0, gid_t gid = 0) const;
    // A symlink `inside` -> `target`, owned by uid/gid (lchown).
    void symlink(std::string_view target, std::string_view inside, uid_t uid = 0, gid_t gid = 0) const;
    // Contents of a file; throws if it cannot be read.
    std::string read(std::string_view inside) const;
    bool exists(std::string_view inside) const;

    // Mounts a tmpfs of `bytes` at `inside` (created if missing); unmounted in the destructor.
    void mount_tmpfs(std::string_view inside, std::size_t bytes);
    // Makes the mount or directory at `inside` a read-only bind of itself.
    void bind_readonly(std::string_view inside);

private:
    void bind_usr();
    void mount_point(const std::filesystem::path& source, std::string_view inside, unsigned long flags,
                     const char* fstype, const std::string& data);

    std::filesystem::path m_dir;
    std::vector<std::filesystem::path> m_mounts;  // in mount order
};

}  // namespace kindling::test
