// run_kindling(args): runs the built `kindling` binary (KINDLING_BINARY) the way
// a user would and returns its exit code, stdout and stderr, for integration
// tests that assert on the whole program. The child inherits this process's
// environment and namespaces (private mount/UTS/net, see support/main.cpp);
// a run that exceeds its timeout is killed and reported as timed out.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kindling::test {

struct ProgramRun {
    int exit_code = -1;  // exit status, or 128 + signal when killed
    std::string out;
    std::string err;
    bool timed_out = false;
    bool killed = false;  // SIGKILLed at RunOptions::kill_after
};

struct RunOptions {
    std::map<std::string, std::string> env;  // added to (or replacing in) the inherited environment
    std::optional<std::string> stdin_data;   // else stdin is /dev/null
    std::chrono::seconds timeout{120};
    // SIGKILL the child this long after it started (crash tests); nothing else
    // is sent, so it gets no chance to clean up.
    std::optional<std::chrono::milliseconds> kill_after;
};

// Runs `binary` with `args` (argv[1..]).
ProgramRun run_program(const std::filesystem::path& binary, const std::vector<std::string>& args,
                       const RunOptions& options = {});
// Runs the built kindling binary.
ProgramRun run_kindling(const std::vector<std::string>& args, const RunOptions& options = {});

}  // namespace kindling::test
