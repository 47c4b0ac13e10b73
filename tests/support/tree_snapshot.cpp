// Tree snapshots; see tree_snapshot.hpp.
#include "tests/support/tree_snapshot.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "agent/system/atomic_write.hpp"

namespace fs = std::filesystem;

namespace kindling::test {

namespace {

bool under(const std::string& path, const std::string& top) {
    return path == top || (path.starts_with(top) && (top.ends_with("/") || path[top.size()] == '/'));
}

std::string describe(const TreeEntry& e) {
    std::ostringstream out;
    out << e;
    return out.str();
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const TreeEntry& e) {
    return out << e.type << " " << std::oct << e.mode << std::dec << " " << e.uid << ":" << e.gid << " "
               << (e.content.size() > 200 ? e.content.substr(0, 200) + "..." : e.content);
}

Snapshot snapshot_tree(const ScratchRoot& root, const SnapshotOptions& options) {
    Snapshot snap;
    auto skipped = [&](const std::string& inside) {
        return std::any_of(options.skip.begin(), options.skip.end(), [&](const std::string& s) { return under(inside, s); });
    };
    for (const std::string& top : options.tops) {
        fs::path base = root.host(top);
        if (!fs::exists(base)) continue;
        for (auto it = fs::recursive_directory_iterator(base); it != fs::recursive_directory_iterator(); ++it) {
            // Lexically: fs::relative would resolve a symlink (/etc/localtime) to its target.
            std::string rel = it->path().lexically_relative(base).string();
            std::string inside = top == "/" ? "/" + rel : top + "/" + rel;
            struct stat st {};
            if (::lstat(it->path().c_str(), &st) != 0) throw std::runtime_error("lstat " + it->path().string());
            if (skipped(inside)) {
                if (S_ISDIR(st.st_mode)) it.disable_recursion_pending();
                continue;
            }
            if (system::is_temporary_name(it->path().filename().string())) {
                if (S_ISDIR(st.st_mode)) it.disable_recursion_pending();
                snap.temporaries.push_back(inside);
                continue;
            }
            if (S_ISREG(st.st_mode) && options.skip_file && options.skip_file(inside)) continue;
            TreeEntry e{S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : S_ISREG(st.st_mode) ? 'f' : '?',
                        st.st_mode & 07777, st.st_uid, st.st_gid, ""};
            if (e.type == 'f') {
                e.content = root.read(inside);
                if (options.normalise) e.content = options.normalise(inside, std::move(e.content));
            }
            if (e.type == 'l') e.content = fs::read_symlink(it->path()).string();
            snap.tree[inside] = std::move(e);
        }
    }
    return snap;
}

std::vector<std::string> tree_differences(const Tree& before, const Tree& after) {
    std::vector<std::string> out;
    for (const auto& [path, entry] : before) {
        auto found = after.find(path);
        if (found == after.end()) {
            out.push_back("missing " + path + ": was " + describe(entry));
        } else if (!(found->second == entry)) {
            out.push_back("changed " + path + ": " + describe(entry) + " -> " + describe(found->second));
        }
    }
    for (const auto& [path, entry] : after) {
        if (!before.contains(path)) out.push_back("extra " + path + ": " + describe(entry));
    }
    return out;
}

}  // namespace kindling::test
