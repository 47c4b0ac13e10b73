// Every exit code kindling returns, in one place (as ec2-macos-init does with
// sysexits). `kindling status` follows cloud-init's convention (0 done, 1 error,
// 2 degraded) so scripts written for `cloud-init status --wait` port directly;
// the boot commands use the same three and sysexits for the rest.
#pragma once

namespace kindling::cli {

enum class ExitCode : int {
    ok = 0,            // done: every module that was due succeeded
    error = 1,         // a module failed, or status shows an error
    degraded = 2,      // user-data problems were skipped (warn policy); the rest applied
    usage = 64,        // bad command line (EX_USAGE)
    data_error = 65,   // invalid user data or files given to `schema` (EX_DATAERR)
    unavailable = 69,  // IMDS could not be reached within the deadline (EX_UNAVAILABLE)
    internal = 70,     // state could not be read or written (EX_SOFTWARE)
    busy = 75,         // another kindling holds the lock (EX_TEMPFAIL)
    config = 78,       // kindling.yaml is invalid: nothing ran (EX_CONFIG)
};

inline int to_int(ExitCode c) { return static_cast<int>(c); }

}  // namespace kindling::cli
