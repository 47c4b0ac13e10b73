// ScratchRoot; see scratch_root.hpp.
#include "tests/support/scratch_root.hpp"

#include <fcntl.h>
#include <ftw.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace kindling::test {

namespace {

[[noreturn]] void die(const std::string& what) {
    throw std::runtime_error("scratch root: " + what + ": " + std::strerror(errno));
}

int remove_entry(const char* path, const struct stat*, int type, struct FTW*) {
    if (type == FTW_DP) {
        ::rmdir(path);
    } else {
        ::unlink(path);
    }
    return 0;
}

// rm -r that stays on DIR's filesystem (FTW_MOUNT) and never follows links (FTW_PHYS).
void remove_tree(const std::filesystem::path& dir) {
    ::nftw(dir.c_str(), remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

}  // namespace

ScratchRoot::ScratchRoot(Usr usr) {
    char tmpl[] = "/tmp/kindling-scratch-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) die("mkdtemp");
    m_dir = tmpl;
    ::chmod(tmpl, 0755);
    mkdir("/etc");
    mkdir("/home");
    mkdir("/root", 0700);
    mkdir("/tmp", 01777);
    mkdir("/run");
    mkdir("/var/lib");
    mkdir("/var/log");
    write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    write("/etc/group", "root:x:0:\n");
    write("/etc/shadow", "root:*:19000:0:99999:7:::\n", 0640);
    write("/etc/gshadow", "root:*::\n", 0640);
    if (usr == Usr::bind) bind_usr();
}

ScratchRoot::ScratchRoot(ScratchRoot&& other) noexcept
    : m_dir(std::exchange(other.m_dir, {})), m_mounts(std::exchange(other.m_mounts, {})) {}

ScratchRoot::~ScratchRoot() {
    if (m_dir.empty()) return;
    bool all_unmounted = true;
    for (auto it = m_mounts.rbegin(); it != m_mounts.rend(); ++it) {
        if (::umount2(it->c_str(), MNT_DETACH) != 0) {
            std::fprintf(stderr, "scratch root: cannot unmount %s: %s; leaving %s in place\n", it->c_str(),
                         std::strerror(errno), m_dir.c_str());
            all_unmounted = false;
        }
    }
    if (all_unmounted) remove_tree(m_dir);
}

std::filesystem::path ScratchRoot::host(std::string_view inside) const {
    while (!inside.empty() && inside.front() == '/') inside.remove_prefix(1);
    return inside.empty() ? m_dir : m_dir / inside;
}

void ScratchRoot::write(std::string_view inside, std::string_view bytes, mode_t mode, uid_t uid, gid_t gid) const {
    auto p = host(inside);
    std::filesystem::create_directories(p.parent_path());
    ::unlink(p.c_str());
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) die("create " + p.string());
    bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
              ::fchown(fd, uid, gid) == 0 && ::fchmod(fd, mode) == 0;
    ::close(fd);
    if (!ok) die("write " + p.string());
}

void ScratchRoot::append(std::string_view inside, std::string_view bytes) const {
    std::ofstream out(host(inside), std::ios::app | std::ios::binary);
    out << bytes;
    if (!out) die("append " + host(inside).string());
}

void ScratchRoot::mkdir(std::string_view inside, mode_t mode, uid_t uid, gid_t gid) const {
    auto p = host(inside);
    std::filesystem::create_directories(p);
    if (::chown(p.c_str(), uid, gid) != 0 || ::chmod(p.c_str(), mode) != 0) die("mkdir " + p.string());
}

void ScratchRoot::symlink(std::string_view target, std::string_view inside, uid_t uid, gid_t gid) const {
    auto p = host(inside);
    std::filesystem::create_directories(p.parent_path());
    ::unlink(p.c_str());
    if (::symlink(std::string(target).c_str(), p.c_str()) != 0) die("symlink " + p.string());
    if (::lchown(p.c_str(), uid, gid) != 0) die("lchown " + p.string());
}

std::string ScratchRoot::read(std::string_view inside) const {
    std::ifstream in(host(inside), std::ios::binary);
    if (!in) die("read " + host(inside).string());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

bool ScratchRoot::exists(std::string_view inside) const {
    struct stat st {};
    return ::lstat(host(inside).c_str(), &st) == 0;
}

void ScratchRoot::mount_point(const std::filesystem::path& source, std::string_view inside, unsigned long flags,
                              const char* fstype, const std::string& data) {
    auto target = host(inside);
    if (::mount(source.c_str(), target.c_str(), fstype, flags, data.empty() ? nullptr : data.c_str()) != 0) {
        die("mount " + target.string());
    }
    m_mounts.push_back(target);
}

void ScratchRoot::mount_tmpfs(std::string_view inside, std::size_t bytes) {
    std::filesystem::create_directories(host(inside));
    mount_point("tmpfs", inside, MS_NOSUID | MS_NODEV, "tmpfs", "size=" + std::to_string(bytes) + ",mode=0755");
}

void ScratchRoot::bind_readonly(std::string_view inside) {
    auto target = host(inside);
    mount_point(target, inside, MS_BIND, nullptr, "");
    if (::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
        die("remount read-only " + target.string());
    }
}

void ScratchRoot::bind_usr() {
    mkdir("/usr");
    mount_point("/usr", "/usr", MS_BIND | MS_REC, nullptr, "");
    if (::mount(nullptr, host("/usr").c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
        die("remount /usr read-only");
    }
    for (const char* dir : {"bin", "sbin", "lib", "lib32", "lib64", "libx32"}) {
        if (std::filesystem::exists(std::filesystem::path("/usr") / dir)) symlink(std::string("usr/") + dir, dir);
    }
    mkdir("/dev");
    write("/dev/null", "");
    mount_point("/dev/null", "/dev/null", MS_BIND, nullptr, "");
}

}  // namespace kindling::test
