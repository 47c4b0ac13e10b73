// run_program/run_kindling with Boost.Process: both output streams are read
// concurrently through asio so a chatty child cannot block on a full pipe.
#include "tests/support/run_kindling.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/process.hpp>
#include <future>

namespace kindling::test {

namespace bp = boost::process;

ProgramRun run_program(const std::filesystem::path& binary, const std::vector<std::string>& args,
                       const RunOptions& options) {
    boost::asio::io_context io;
    std::future<std::string> out;
    std::future<std::string> err;
    bp::environment env = boost::this_process::environment();
    for (const auto& [key, value] : options.env) env[key] = value;
    const std::string input = options.stdin_data.value_or("");

    bp::child child = options.stdin_data
                          ? bp::child(bp::exe = binary.string(), bp::args = args, env,
                                      bp::std_in < boost::asio::buffer(input), bp::std_out > out, bp::std_err > err, io)
                          : bp::child(bp::exe = binary.string(), bp::args = args, env, bp::std_in < bp::null,
                                      bp::std_out > out, bp::std_err > err, io);
    ProgramRun run;
    if (options.kill_after && options.kill_after < options.timeout) {
        io.run_for(*options.kill_after);
        if (!io.stopped()) {
            run.killed = true;
            ::kill(child.id(), SIGKILL);
        }
    }
    io.run_for(options.timeout);
    if (!io.stopped()) {
        run.timed_out = true;
        // Not child.terminate(): it reaps without recording the status.
        ::kill(child.id(), SIGKILL);
        io.restart();
        io.run();
    }
    child.wait();
    run.out = out.get();
    run.err = err.get();
    const int status = child.native_exit_code();
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
    return run;
}

ProgramRun run_kindling(const std::vector<std::string>& args, const RunOptions& options) {
    return run_program(KINDLING_BINARY, args, options);
}

}  // namespace kindling::test
