// ChildRunner: Boost.Process v1 starts the child; everything between fork and
// exec (signals reset, own process group, stdio, chroot, close-on-exec for
// every inherited fd) is done by ChildSetup with async-signal-safe calls only.
// The parent then pumps stdin/stdout with poll() until the leader exits or the
// timeout kills the whole group. A leader that exits normally may leave
// background children behind on purpose (a runcmd line starting a daemon, as
// cloud-init allows); only a timeout kills the group. Output is never logged.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <climits>
#include <cstring>
#include <sstream>

#include "agent/core/limits.hpp"
#include "agent/system/process.hpp"
#include "agent/system/resolve.hpp"

namespace kindling::system {

namespace {

namespace bp = boost::process;
using Clock = std::chrono::steady_clock;

constexpr const char* k_default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Moves `fd` above 0..2 so dup2 onto stdio in the child never clobbers it.
core::Fd above_stdio(core::Fd fd) {
    if (!fd.valid() || fd.get() > 2) return fd;
    return core::Fd(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3));
}

struct Pipe {
    core::Fd read;
    core::Fd write;
};

Result<Pipe> make_pipe(const std::string& context) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return fail(context + ": pipe: " + std::strerror(errno));
    Pipe p{above_stdio(core::Fd(fds[0])), above_stdio(core::Fd(fds[1]))};
    if (!p.read.valid() || !p.write.valid()) return fail(context + ": pipe: " + std::strerror(errno));
    return p;
}

bool set_nonblocking(const core::Fd& fd) {
    int flags = ::fcntl(fd.get(), F_GETFL);
    return flags >= 0 && ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) == 0;
}

// The whole child-side setup. Runs in the forked child: async-signal-safe calls
// only, no allocation. A failure is reported through Boost's error pipe and the
// child exits 127 before exec, so a failed chroot can never exec on the host.
struct ChildSetup : bp::extend::handler {
    int stdin_fd = -1;
    int output_fd = -1;
    const char* chroot_dir = nullptr;  // nullptr: stay on the host root
    char** envp = nullptr;

    template <class Exec>
    void on_setup(Exec& exec) const {
        exec.env = envp;
    }

    template <class Exec>
    void on_error(Exec& exec, const std::error_code&) const {
        // Boost does not reap a child whose exec (or our setup) failed.
        if (exec.pid > 0) {
            int status = 0;
            while (::waitpid(exec.pid, &status, 0) < 0 && errno == EINTR) {
            }
        }
    }

    template <class Exec>
    void on_exec_setup(Exec& exec) const {
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; ++sig) {
            if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
        }
        if (::setpgid(0, 0) != 0) die(exec, "setpgid");
        if (::dup2(stdin_fd, 0) < 0 || ::dup2(output_fd, 1) < 0 || ::dup2(output_fd, 2) < 0) die(exec, "dup2");
        if (chroot_dir != nullptr && ::chroot(chroot_dir) != 0) die(exec, "chroot");
        if (::chdir("/") != 0) die(exec, "chdir /");
        close_inherited_fds();
    }

    template <class Exec>
    static void die(Exec& exec, const char* what) {
        exec.set_error(std::error_code(errno, std::system_category()), what);
        ::_exit(127);
    }

    // Everything above stdio closes at exec (Boost's error pipe already does and
    // must stay open until then, so close-on-exec rather than close).
    static void close_inherited_fds() {
#ifdef SYS_close_range
        if (::syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) == 0) return;
#endif
        long max = ::sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > 65536) max = 65536;
        for (int fd = 3; fd < max; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
};

// SIGPIPE blocked while we write a child's stdin (a child that stops reading
// must not kill the agent); a pending one is consumed before unblocking.
class SigpipeBlocked {
public:
    SigpipeBlocked() {
        sigemptyset(&m_set);
        sigaddset(&m_set, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &m_set, &m_old);
    }
    ~SigpipeBlocked() {
        struct timespec zero {};
        while (::sigtimedwait(&m_set, nullptr, &zero) == SIGPIPE) {
        }
        ::pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
    }
    SigpipeBlocked(const SigpipeBlocked&) = delete;
    SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

private:
    sigset_t m_set{};
    sigset_t m_old{};
};

// A started process group: killed (SIGKILL to the group) and reaped in the
// destructor unless it was reaped normally.
class RunningGroup {
public:
    explicit RunningGroup(pid_t pid) : m_pid(pid) {}
    RunningGroup(const RunningGroup&) = delete;
    RunningGroup& operator=(const RunningGroup&) = delete;
    ~RunningGroup() {
        if (!m_reaped) kill_and_reap();
    }

    // Non-blocking check; true once the leader has exited (status recorded).
    bool poll_exit() {
        if (m_reaped) return true;
        int status = 0;
        pid_t r = ::waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) {
            m_status = status;
            m_reaped = true;
        }
        return m_reaped;
    }

    void kill_and_reap() {
        ::kill(-m_pid, SIGKILL);
        int status = 0;
        while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
        }
        m_status = status;
        m_reaped = true;
    }

    pid_t pid() const { return m_pid; }
    int status() const { return m_status; }

private:
    pid_t m_pid;
    int m_status = 0;
    bool m_reaped = false;
};

// argv[0] found inside the root: a name with a '/' is taken as a path from the
// root; a bare name is searched in PATH. Symlinks are resolved as system::Root
// does (root-owned only), so the lookup cannot be steered by a user's link.
Result<std::string> find_program(const std::filesystem::path& root, const std::string& name,
                                 const std::string& path_var, const std::string& context) {
    auto root_fd = open_root(root);
    if (!root_fd) return fail(context, root_fd.error());
    std::vector<std::string> candidates;
    if (name.find('/') != std::string::npos) {
        candidates.push_back(name.front() == '/' ? name : "/" + name);
    } else {
        std::stringstream dirs(path_var);
        for (std::string dir; std::getline(dirs, dir, ':');) {
            if (!dir.empty() && dir.front() == '/') candidates.push_back(dir + "/" + name);
        }
    }
    for (const auto& candidate : candidates) {
        auto r = resolve(*root_fd, candidate, LastComponent::follow_root_owned);
        if (!r) {
            if (candidates.size() == 1) return fail(context, r.error());
            continue;
        }
        if (r->found != Found::other) continue;
        struct stat st {};
        if (::fstatat(r->parent.get(), r->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            (st.st_mode & 0111) != 0) {
            return candidate;
        }
    }
    if (candidates.size() == 1 && name.find('/') != std::string::npos) {
        return fail(context + ": '" + name + "': no such executable file");
    }
    return fail(context + ": '" + name + "': command not found in PATH");
}

// Reads what is available from a non-blocking pipe; false at EOF.
bool pump_output(const core::Fd& fd, std::string& out, bool& truncated) {
    char buf[65536];
    while (true) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n > 0) {
            std::size_t room = limits::k_child_output_bytes - std::min(out.size(), limits::k_child_output_bytes);
            std::size_t take = std::min(room, static_cast<std::size_t>(n));
            out.append(buf, take);
            if (take < static_cast<std::size_t>(n)) truncated = true;
            continue;
        }
        if (n == 0) return false;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;  // any other error: treat as closed
    }
}

// Writes what the pipe takes; false when stdin is finished (all written, or the child closed it).
bool pump_input(const core::Fd& fd, std::string_view data, std::size_t& written) {
    while (written < data.size()) {
        ssize_t n = ::write(fd.get(), data.data() + written, data.size() - written);
        if (n > 0) {
            written += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        return false;  // EPIPE: the child stopped reading
    }
    return false;
}

std::vector<std::string> make_environment(const Command& cmd) {
    std::map<std::string, std::string> env{{"PATH", k_default_path}, {"HOME", "/root"}, {"LANG", "C.UTF-8"}};
    for (const auto& [key, value] : cmd.env) env[key] = value;
    std::vector<std::string> out;
    for (const auto& [key, value] : env) out.push_back(key + "=" + value);
    return out;
}

Result<void> check_command(const Command& cmd, const std::string& context) {
    if (cmd.argv.empty() || cmd.argv.front().empty()) return fail(context + ": empty command");
    if (cmd.timeout.count() <= 0) return fail(context + ": timeout must be at least 1 s");
    for (const auto& arg : cmd.argv) {
        if (arg.find('\0') != std::string::npos) return fail(context + ": argument contains a NUL byte");
    }
    for (const auto& [key, value] : cmd.env) {
        if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos ||
            value.find('\0') != std::string::npos) {
            return fail(context + ": invalid environment variable name or value");
        }
    }
    return {};
}

}  // namespace

std::string ChildResult::describe() const {
    if (timed_out) return "timed out after " + std::to_string(timeout.count()) + " s";
    if (signal != 0) return "killed by signal " + std::to_string(signal);
    return "exit status " + std::to_string(exit_code);
}

ChildRunner::ChildRunner(std::filesystem::path output_log) : m_output_log(std::move(output_log)) {}

Result<core::Fd> ChildRunner::output_log_fd(const std::string& context) {
    if (!m_log.valid()) {
        // O_EXCL first so a log we create gets exactly 0640 whatever the umask.
        const int flags = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
        core::Fd fd(::open(m_output_log.c_str(), flags | O_EXCL, 0640));
        if (fd.valid()) {
            if (::fchmod(fd.get(), 0640) != 0) {
                return fail(context + ": '" + m_output_log.string() + "': chmod: " + std::strerror(errno));
            }
        } else if (errno == EEXIST) {
            fd = core::Fd(::open(m_output_log.c_str(), flags, 0640));
        }
        if (!fd.valid()) {
            return fail(context + ": cannot open output log '" + m_output_log.string() + "': " + std::strerror(errno));
        }
        m_log = above_stdio(std::move(fd));
    }
    core::Fd dup(::fcntl(m_log.get(), F_DUPFD_CLOEXEC, 3));
    if (!dup.valid()) return fail(context + ": dup: " + std::strerror(errno));
    return dup;
}

Result<ChildResult> ChildRunner::run(const std::filesystem::path& root, const Command& cmd) {
    const std::string context = cmd.label.empty() ? (cmd.argv.empty() ? "command" : cmd.argv.front()) : cmd.label;
    const auto started = Clock::now();

    // 1. Check the command and build the child's environment.
    if (auto ok = check_command(cmd, context); !ok) return std::unexpected(ok.error());
    std::vector<std::string> env = make_environment(cmd);
    std::vector<char*> envp;
    std::string path_var = k_default_path;
    for (auto& entry : env) {
        envp.push_back(entry.data());
        if (entry.starts_with("PATH=")) path_var = entry.substr(5);
    }
    envp.push_back(nullptr);

    // 2. Find the program inside the root.
    auto exe = find_program(root, cmd.argv.front(), path_var, context);
    if (!exe) return std::unexpected(exe.error());

    // 3. Stdio: stdin from stdin_data or /dev/null; stdout+stderr to a pipe or the output log.
    core::Fd child_in, parent_in, child_out, parent_out;
    if (cmd.stdin_data) {
        auto p = make_pipe(context);
        if (!p) return std::unexpected(p.error());
        child_in = std::move(p->read);
        parent_in = std::move(p->write);
        if (!set_nonblocking(parent_in)) return fail(context + ": fcntl: " + std::strerror(errno));
    } else {
        child_in = above_stdio(core::Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
        if (!child_in.valid()) return fail(context + ": '/dev/null': " + std::strerror(errno));
    }
    if (cmd.output == Output::capture) {
        auto p = make_pipe(context);
        if (!p) return std::unexpected(p.error());
        child_out = std::move(p->write);
        parent_out = std::move(p->read);
        if (!set_nonblocking(parent_out)) return fail(context + ": fcntl: " + std::strerror(errno));
    } else {
        auto fd = output_log_fd(context);
        if (!fd) return std::unexpected(fd.error());
        child_out = std::move(*fd);
    }

    // 4. Start it.
    SigpipeBlocked sigpipe_blocked;
    ChildSetup setup;
    setup.stdin_fd = child_in.get();
    setup.output_fd = child_out.get();
    const std::string chroot_dir = root.string();
    if (root != "/") setup.chroot_dir = chroot_dir.c_str();
    setup.envp = envp.data();
    std::vector<std::string> args(cmd.argv.begin() + 1, cmd.argv.end());
    std::error_code ec;
    bp::child child(bp::exe = *exe, bp::args = args, setup, ec);
    if (ec) return fail(context + ": cannot start '" + *exe + "': " + ec.message());
    RunningGroup group(child.id());
    child.detach();
    child_in.reset();
    child_out.reset();

    // 5. Feed stdin and collect output until the leader exits or the timeout.
    ChildResult result;
    result.timeout = cmd.timeout;
    const auto deadline = started + cmd.timeout;
    core::Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, group.pid(), 0)));
    std::size_t written = 0;
    bool truncated = false;
    while (!group.poll_exit()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            group.kill_and_reap();
            result.timed_out = true;
            break;
        }
        pollfd fds[3];
        nfds_t n = 0;
        if (parent_out.valid()) fds[n++] = {parent_out.get(), POLLIN, 0};
        if (parent_in.valid()) fds[n++] = {parent_in.get(), POLLOUT, 0};
        if (pidfd.valid()) fds[n++] = {pidfd.get(), POLLIN, 0};
        // Without a pidfd (kernel < 5.3) exit is noticed by polling every 50 ms.
        long wait_ms = pidfd.valid() ? left.count() : std::min<long>(left.count(), 50);
        int ready = ::poll(fds, n, static_cast<int>(std::min<long>(wait_ms, INT_MAX)));
        if (ready < 0 && errno != EINTR) return fail(context + ": poll: " + std::strerror(errno));
        if (parent_out.valid() && !pump_output(parent_out, result.output, truncated)) parent_out.reset();
        if (parent_in.valid() && !pump_input(parent_in, *cmd.stdin_data, written)) parent_in.reset();
    }
    // The leader is gone: take what is already in the pipe, but do not wait for
    // background children that still hold it open.
    if (parent_out.valid()) pump_output(parent_out, result.output, truncated);
    if (truncated) {
        result.output += "\n[kindling: output truncated after " + std::to_string(limits::k_child_output_bytes) +
                         " bytes]\n";
    }

    const int status = group.status();
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    return result;
}

}  // namespace kindling::system
