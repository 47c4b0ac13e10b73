// BootFixture: one instance for a whole-program test: a ScratchRoot with the
// host's /usr bound read-only and an image's login.defs and pam.d/chpasswd, the fake IMDS on 127.0.0.1 serving the bundled
// AEMM metadata and the given user data, and a kindling.yaml pointing at it.
// run() starts the real `kindling run` on that root. With Isolation::pid_namespace
// kindling runs as init of its own PID namespace, so a SIGKILL takes its
// children (scripts, useradd) down with it, as a power cut or a kernel panic would.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/fake_imds/server.hpp"
#include "tests/support/run_kindling.hpp"
#include "tests/support/scratch_root.hpp"

namespace kindling::test {

struct BootOptions {
    std::optional<std::string> user_data;
    std::string init_stage = "[write_files, set_hostname, update_etc_hosts, users_groups, ssh]";
    std::string final_stage = "[scripts_per_instance, scripts_user, runcmd]";
    std::string extra_config;  // appended to kindling.yaml (e.g. "processes: {timeout_seconds: 2}\n")
    std::string token_prefix;  // the fake's tokens start with it
    int deadline_seconds = 20;
};

enum class Isolation { none, pid_namespace };

class BootFixture {
public:
    explicit BootFixture(BootOptions options);

    ScratchRoot root;
    fake_imds::Server imds;
    std::string config_path;  // host path of the kindling.yaml written for the fake

    // `kindling run --root ROOT --config CONFIG` plus `extra_args`.
    ProgramRun run(const RunOptions& options = {}, Isolation isolation = Isolation::none,
                   const std::vector<std::string>& extra_args = {}) const;
};

// Occurrences of `needle` in `text`.
std::size_t count_of(const std::string& text, const std::string& needle);

}  // namespace kindling::test
