// Running children (useradd, ssh-keygen, the user's scripts) through
// Boost.Process: a clean environment, chrooted into the target root unless it is
// "/", in a process group of its own, with a mandatory timeout after which the
// whole group is killed and reaped. Child output goes either back to the caller
// (captured) or to /var/log/kindling-output.log; it never goes to a log.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/fd.hpp"
#include "agent/core/limits.hpp"
#include "agent/core/result.hpp"

namespace kindling::system {

enum class Output {
    capture,     // stdout and stderr returned in ChildResult::output
    output_log,  // appended to the root's /var/log/kindling-output.log
};

struct Command {
    std::vector<std::string> argv;              // argv[0] is looked up in PATH inside the root
    std::map<std::string, std::string> env;     // added to PATH, HOME=/root, LANG=C.UTF-8
    std::optional<std::string> stdin_data;      // fed to stdin, then closed (else /dev/null)
    std::chrono::seconds timeout = limits::k_child_timeout;
    Output output = Output::capture;
    std::string label;                          // what it is, for messages: "runcmd", "useradd"
};

struct ChildResult {
    int exit_code = -1;     // valid when signal == 0 and !timed_out
    int signal = 0;         // the signal that ended it, 0 if it exited
    bool timed_out = false; // killed (whole process group) at the timeout
    std::string output;     // captured stdout+stderr (Output::capture only), at most
                            // limits::k_child_output_bytes plus a note saying it was cut
    std::chrono::seconds timeout{0};  // the limit that was applied
    std::chrono::milliseconds duration{0};

    bool ok() const { return !timed_out && signal == 0 && exit_code == 0; }
    // "exit status 3", "killed by signal 9", "timed out after 30 s"
    std::string describe() const;
};

// The seam modules reach through system::Root. Tests substitute a recorder.
class ProcessRunner {
public:
    virtual ~ProcessRunner() = default;
    // Runs `cmd` chrooted into `root` (no chroot when root is "/"). The error
    // channel is for "could not start" (no such program, fork failed); a child
    // that ran and failed is a ChildResult with ok() false.
    [[nodiscard]] virtual Result<ChildResult> run(const std::filesystem::path& root, const Command& cmd) = 0;
};

// The real runner. `output_log` is the host path of the output log, opened
// O_APPEND|O_NOFOLLOW (created 0640) on first use. A child starts in "/" with
// default signal dispositions and no inherited fds beyond stdio. Only a timeout
// kills the group: a leader that exits normally may leave background processes
// behind (a daemon started from runcmd), as under cloud-init. Captured output is
// cut at limits::k_child_output_bytes.
class ChildRunner final : public ProcessRunner {
public:
    explicit ChildRunner(std::filesystem::path output_log);
    [[nodiscard]] Result<ChildResult> run(const std::filesystem::path& root, const Command& cmd) override;

private:
    // A dup of the output log fd, opening the log on first use.
    [[nodiscard]] Result<core::Fd> output_log_fd(const std::string& context);

    std::filesystem::path m_output_log;
    core::Fd m_log;
};

}  // namespace kindling::system
