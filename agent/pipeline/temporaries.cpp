// Sweeping AtomicWrite temporaries; see temporaries.hpp.
//
// Where Kindling writes (grep of write_file, append_file, symlink, make_dirs
// and ensure_dir in agent/ and modules/), and so where the sweep looks:
//   <state_dir>, recursively: data/ (instance-id, previous-hostname, the
//     write-dirs list...), instances/<id>/ (sem/, scripts/, cloud-config.yaml,
//     user-data.raw, intents and journals), the `instance` link;
//   <run_dir>, recursively: status.json, result.json, instance-data*.json,
//     tmp/bootcmd.sh;
//   /etc: hostname, hosts, timezone, localtime (a link), sudoers, doas.conf,
//     machine-id (kindling clean);
//   /etc/sudoers.d (90-kindling-users), /etc/ssh (host keys, sshd_config),
//     /etc/ssh/sshd_config.d (50-kindling.conf);
//   <home>/.ssh of every user in the root's /etc/passwd (authorized_keys);
//   the directories write_files wrote in, noted in <state_dir>/data/write-dirs
//     before each write (remember_write_dir): its paths come from user data and
//     can be anywhere.
// make_dirs creates a missing directory under a temporary name too, so each
// of those directories' ancestors (and each home's) is looked at for an empty
// ".<child>.kindling-d..." of the next component only. /etc/kindling is only
// read. The note is renamed into place before the file's own temporary is
// made, so a kill can leave that temporary only in a noted directory. Not
// covered: write_files paths containing a newline (not noted).
#include "agent/pipeline/temporaries.hpp"

#include <algorithm>
#include <set>
#include <sstream>
#include <tuple>

#include "agent/system/accounts.hpp"

namespace kindling::pipeline {

namespace {

std::string write_dirs_file(const Paths& paths) { return paths.state_dir + "/data/write-dirs"; }

bool under(const std::string& path, const std::string& dir) {
    return path == dir || (path.starts_with(dir) && path.size() > dir.size() && path[dir.size()] == '/');
}

// The fixed directories: (dir, recursive).
std::vector<std::pair<std::string, bool>> fixed_places(const Paths& paths) {
    return {{paths.state_dir, true}, {paths.run_dir, true},  {"/etc", false},
            {"/etc/sudoers.d", false}, {"/etc/ssh", false}, {"/etc/ssh/sshd_config.d", false}};
}

bool covered(const Paths& paths, const std::string& dir) {
    for (const auto& [place, recursive] : fixed_places(paths)) {
        if (recursive ? under(dir, place) : dir == place) return true;
    }
    return false;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with('/')) out.push_back(line);
    }
    return out;
}

}  // namespace

SweepOutcome remove_stale_temporaries(system::Root& root, const Paths& paths) {
    SweepOutcome out;
    // (dir, recursive, of): `of` empty for every temporary in dir, else only
    // make_dirs' temporary of that child.
    std::set<std::tuple<std::string, bool, std::string>> places;
    auto add = [&](const std::string& dir, bool recursive) {
        places.emplace(dir, recursive, "");
        for (std::string child = dir; child.size() > 1;) {
            const std::size_t slash = child.rfind('/');
            std::string parent = slash == 0 ? "/" : child.substr(0, slash);
            places.emplace(parent, false, child.substr(slash + 1));
            child = std::move(parent);
        }
    };
    for (const auto& [dir, recursive] : fixed_places(paths)) add(dir, recursive);

    auto passwd = root.read_file("/etc/passwd");
    if (!passwd) out.errors.push_back(passwd.error().message);
    for (const std::string& home : system::passwd_homes(passwd ? passwd->value_or("") : "")) {
        add(home == "/" ? "/.ssh" : home + "/.ssh", false);
    }

    const std::string noted = write_dirs_file(paths);
    auto listed = root.read_file(noted);
    if (!listed) out.errors.push_back(listed.error().message);
    for (const std::string& dir : lines_of(listed ? listed->value_or("") : "")) add(dir, false);

    // A directory swept whole needs no look for one child's leftovers.
    std::erase_if(places, [&](const auto& p) {
        const auto& [dir, recursive, of] = p;
        return !of.empty() && (places.contains({dir, false, ""}) || places.contains({dir, true, ""}));
    });
    for (const auto& [dir, recursive, of] : places) {
        auto removed = root.remove_temporaries(dir, recursive, of);
        if (!removed) {
            out.errors.push_back(removed.error().message);
            continue;
        }
        out.removed += *removed;
    }
    return out;
}

Result<void> remember_write_dir(system::Root& root, const Paths& paths, const std::string& dir) {
    if (!dir.starts_with('/') || dir.find('\n') != std::string::npos || covered(paths, dir)) return {};
    const std::string noted = write_dirs_file(paths);
    auto text = root.read_file(noted);
    if (!text) return std::unexpected(text.error());
    std::vector<std::string> dirs = lines_of(text->value_or(""));
    if (std::find(dirs.begin(), dirs.end(), dir) != dirs.end()) return {};
    if (auto r = root.make_dirs(paths.state_dir + "/data", {0755, 0, 0}); !r) return r;
    return root.write_file(noted, text->value_or("") + dir + "\n", {0600, 0, 0});
}

}  // namespace kindling::pipeline
