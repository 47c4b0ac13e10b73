// AtomicWrite: the only way Kindling replaces a file. The new content goes to a
// temp file created in the target's own directory (openat O_CREAT|O_EXCL|
// O_NOFOLLOW, 0600), gets its owner then its mode (fchown clears set-id bits, so
// fchmod comes second), is fsynced, renamed over the target and the directory is
// fsynced. Until commit() succeeds the target is untouched; the destructor
// removes an uncommitted temp file (as ccache's AtomicFile). A symlink at the
// target is replaced by the rename, never followed.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "agent/core/fd.hpp"
#include "agent/core/result.hpp"

namespace kindling::system {

// A fresh name for a temporary entry next to `name`: ".<name>.kindling-<tag><8 hex>",
// cut to fit NAME_MAX. Used by AtomicWrite and Root::symlink.
std::string temporary_name(std::string_view name, std::string_view tag = "");
// Whether `name` looks like one of those: a leftover of a run killed
// mid-write, never a file in its own right (run-parts must not run one).
bool is_temporary_name(std::string_view name);

// What an exact temporary name is for: ".<name>.kindling-<8 lowercase hex>" a
// file (AtomicWrite), "-link-<8 hex>" a symlink (Root::symlink), "-d<8 hex>" a
// directory (make_dirs); anything else is `none`. `of` is the <name> part.
enum class TemporaryKind { none, file, link, dir };
struct TemporaryName {
    TemporaryKind kind = TemporaryKind::none;
    std::string_view of;
};
TemporaryName parse_temporary_name(std::string_view name);

class AtomicWrite {
public:
    // Starts a write of `name` inside the directory `dir` (any fd of it, O_PATH
    // is fine). `where` is the path shown in errors ("/etc/hostname").
    [[nodiscard]] static Result<AtomicWrite> begin(const core::Fd& dir, std::string name, std::string where);

    AtomicWrite(AtomicWrite&& other) noexcept;
    AtomicWrite& operator=(AtomicWrite&&) = delete;
    AtomicWrite(const AtomicWrite&) = delete;
    AtomicWrite& operator=(const AtomicWrite&) = delete;
    ~AtomicWrite();

    // Appends `bytes` to the temp file (all of them, or an error such as
    // "'/etc/x': write: No space left on device").
    [[nodiscard]] Result<void> write(std::string_view bytes);
    // Sets owner and mode, fsyncs, renames over the target, fsyncs the directory.
    [[nodiscard]] Result<void> commit(mode_t mode, uid_t uid, gid_t gid);

private:
    AtomicWrite(core::Fd dir, core::Fd file, std::string temp, std::string name, std::string where);

    core::Fd m_dir;   // O_RDONLY|O_DIRECTORY: usable for *at() and fsync
    core::Fd m_file;
    std::string m_temp;
    std::string m_name;
    std::string m_where;
    bool m_done = false;
};

}  // namespace kindling::system
