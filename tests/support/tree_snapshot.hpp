// A snapshot of the files under a ScratchRoot -- type, mode, owner and content
// of every file, directory and symlink -- for tests that compare the tree two
// runs leave (the crash loop against a clean boot, a second boot against the
// first). Temporaries of system::AtomicWrite (a kill between create and
// rename) are listed apart, never compared.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "tests/support/scratch_root.hpp"

namespace kindling::test {

struct TreeEntry {
    char type = '?';  // f, d, l
    mode_t mode = 0;  // permission bits (07777)
    uid_t uid = 0;
    gid_t gid = 0;
    std::string content;  // file bytes (normalised) or link target
    bool operator==(const TreeEntry&) const = default;
};
std::ostream& operator<<(std::ostream& out, const TreeEntry& e);

using Tree = std::map<std::string, TreeEntry>;  // by path inside the root

struct SnapshotOptions {
    // Directories inside the root to walk ("/" for all of it); missing ones are skipped.
    std::vector<std::string> tops{"/"};
    // Paths left out with everything below them (mounts such as /usr, logs).
    std::vector<std::string> skip;
    // Whether a regular file is left out (shadow-utils backups, ...); optional.
    std::function<bool(const std::string& path)> skip_file;
    // Content as compared (random or time-dependent parts replaced); optional.
    std::function<std::string(const std::string& path, std::string content)> normalise;
};

struct Snapshot {
    Tree tree;
    std::vector<std::string> temporaries;  // AtomicWrite temporaries found (not in tree)
};

Snapshot snapshot_tree(const ScratchRoot& root, const SnapshotOptions& options = {});

// One line per path that is missing, extra or different in `after` ("changed
// /etc/hosts: f 0644 0:0 ..." with both sides), empty when the trees are equal.
std::vector<std::string> tree_differences(const Tree& before, const Tree& after);

}  // namespace kindling::test
