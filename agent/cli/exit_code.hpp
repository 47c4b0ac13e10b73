// Every exit code kindling returns, in one place (as ec2-macos-init does with
// sysexits). `kindling status` follows cloud-init's convention (0 done, 1 error,
// 2 degraded) so scripts written for `cloud-init status --wait` port directly;
// the other commands use the same three and sysexits for the rest.
// k_exit_codes documents each value for --help, kindling(1) and README; the man
// page test reads this enum and checks all three, so they cannot drift.
#pragma once

#include <array>
#include <string_view>

namespace kindling::cli {

enum class ExitCode : int {
    ok = 0,            // done: every module that was due succeeded
    error = 1,         // a module failed, or status shows an error
    degraded = 2,      // user-data problems were skipped (warn policy); the rest applied
    usage = 64,        // bad command line (EX_USAGE)
    data_error = 65,   // invalid user data or files given to `schema` (EX_DATAERR)
    no_input = 66,     // nothing recorded yet: no boot, no instance data (EX_NOINPUT)
    unavailable = 69,  // IMDS could not be reached within the deadline (EX_UNAVAILABLE)
    internal = 70,     // state could not be read or written (EX_SOFTWARE)
    busy = 75,         // another kindling holds the lock (EX_TEMPFAIL)
    permission = 77,   // root only: user data asked for by another user (EX_NOPERM)
    config = 78,       // kindling.yaml is invalid, or user data was rejected (policy strict): nothing ran (EX_CONFIG)
};

inline int to_int(ExitCode c) { return static_cast<int>(c); }

struct ExitCodeDoc {
    ExitCode code;
    std::string_view meaning;
};

// In numeric order; one line each in `kindling --help`, kindling(1) and README.
inline constexpr std::array<ExitCodeDoc, 11> k_exit_codes{{
    {ExitCode::ok, "success; for status and the boot commands: done, every module that was due succeeded"},
    {ExitCode::error, "a module failed, status shows an error, or query found no such key"},
    {ExitCode::degraded, "user-data problems were skipped (user_data.policy warn); the rest applied"},
    {ExitCode::usage, "bad command line"},
    {ExitCode::data_error, "invalid user data (schema)"},
    {ExitCode::no_input, "nothing recorded yet: no status.json or instance data (query, analyze, single, schema --system), or a FILE given to schema cannot be read"},
    {ExitCode::unavailable, "IMDS could not be reached within the deadline"},
    {ExitCode::internal, "state could not be read or written"},
    {ExitCode::busy, "another kindling holds the lock"},
    {ExitCode::permission, "user data is readable by root only (query)"},
    {ExitCode::config, "kindling.yaml is invalid, or user data was rejected (policy strict): nothing ran"},
}};

}  // namespace kindling::cli
