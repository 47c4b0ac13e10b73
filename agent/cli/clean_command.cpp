// `kindling clean`: see clean_command.hpp. Takes the boot lock first so a boot
// in progress is never cleaned under its feet.
#include "agent/cli/clean_command.hpp"

#include <sys/stat.h>

#include <iostream>
#include <optional>

#include "agent/cli/boot_commands.hpp"
#include "agent/pipeline/instance_state.hpp"
#include "agent/pipeline/module_context.hpp"

namespace kindling::cli {

namespace {

constexpr const char* k_machine_id = "/etc/machine-id";
constexpr const char* k_dbus_machine_id = "/var/lib/dbus/machine-id";
constexpr const char* k_ssh_dir = "/etc/ssh";
constexpr std::string_view k_host_key_prefix = "ssh_host_";

// Removes `path` (a tree) if it exists, noting it in `done`.
Result<void> remove_noted(system::Root& root, const std::string& path, std::vector<std::string>& done) {
    auto st = root.lstat(path);
    if (!st) return std::unexpected(st.error());
    if (!*st) return {};
    if (auto r = root.remove_tree(path); !r) return r;
    done.push_back("removed " + path);
    return {};
}

Result<void> clean_seed(system::Root& root, std::vector<std::string>& done) {
    auto names = root.list_dir(k_ssh_dir);
    if (!names) return std::unexpected(names.error());
    for (const std::string& name : *names) {
        if (name.rfind(k_host_key_prefix, 0) != 0) continue;
        if (auto r = remove_noted(root, std::string(k_ssh_dir) + "/" + name, done); !r) return r;
    }
    // Emptied in place with its mode and owner; a missing machine-id stays missing.
    auto id = root.lstat(k_machine_id);
    if (!id) return std::unexpected(id.error());
    if (*id && S_ISREG((*id)->st_mode) && (*id)->st_size > 0) {
        system::FileMode mode{(*id)->st_mode & 07777, (*id)->st_uid, (*id)->st_gid};
        if (auto r = root.write_file(k_machine_id, "", mode); !r) return r;
        done.push_back(std::string("emptied ") + k_machine_id);
    }
    // D-Bus's copy, unless it is the usual link to /etc/machine-id.
    auto dbus = root.lstat(k_dbus_machine_id);
    if (!dbus) return std::unexpected(dbus.error());
    if (*dbus && S_ISREG((*dbus)->st_mode)) return remove_noted(root, k_dbus_machine_id, done);
    return {};
}

}  // namespace

Result<std::vector<std::string>> clean_root(system::Root& root, CleanLogs logs, CleanSeed seed) {
    pipeline::Paths paths;
    std::vector<std::string> done;
    for (const std::string& path : {paths.state_dir, paths.run_dir}) {
        if (auto r = remove_noted(root, path, done); !r) return std::unexpected(r.error());
    }
    if (logs == CleanLogs::yes) {
        for (const std::string& path : {paths.log_file, paths.output_log}) {
            if (auto r = remove_noted(root, path, done); !r) return std::unexpected(r.error());
        }
    }
    if (seed == CleanSeed::yes) {
        if (auto r = clean_seed(root, done); !r) return std::unexpected(r.error());
    }
    return done;
}

ExitCode clean_command(const Invocation& inv) {
    auto dir = root_dir(inv);
    if (!dir) return ExitCode::usage;
    system::ChildRunner runner("/dev/null");
    system::Root root(*dir, runner);
    core::RealClock clock;
    // A boot holds the lock in /run/kindling; never clean under its feet. Held
    // until the end (its file goes with the directory, the lock with us). No
    // run directory means no boot since the last clean: nothing to lock.
    const std::string run_dir = pipeline::Paths{}.run_dir;
    auto run_dir_stat = root.lstat(run_dir);
    std::optional<pipeline::InstanceLock> lock;
    if (run_dir_stat && *run_dir_stat) {
        auto held = pipeline::InstanceLock::acquire(root, run_dir, clock, core::Millis(0));
        if (!held) {
            std::cerr << "kindling clean: " << held.error().message << "\n";
            return ExitCode::busy;
        }
        lock.emplace(std::move(*held));
    }
    auto done = clean_root(root, inv.has("--logs") ? CleanLogs::yes : CleanLogs::no,
                           inv.has("--seed") ? CleanSeed::yes : CleanSeed::no);
    if (!done) {
        std::cerr << "kindling clean: " << done.error().message << "\n";
        return ExitCode::internal;
    }
    for (const std::string& line : *done) std::cout << line << "\n";
    return ExitCode::ok;
}

}  // namespace kindling::cli
