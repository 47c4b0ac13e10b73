// A recorded boot planted in a ScratchRoot, as `kindling run` leaves it: the
// instance id, instance-info.json, the merged cloud-config, instance data
// (redacted 0644 and sensitive 0600) and status.json/result.json, all written
// with the pipeline's own writers so the files have the real format. Times are
// fixed, so `analyze` and `status --long` print the same thing every run.
#pragma once

#include <string>

#include "agent/pipeline/instance_state.hpp"
#include "agent/pipeline/status.hpp"
#include "agent/system/process.hpp"
#include "agent/system/root.hpp"
#include "tests/support/run_kindling.hpp"
#include "tests/support/scratch_root.hpp"

namespace kindling::test {

inline const std::string k_recorded_id = "i-0123456789abcdef0";
inline const std::string k_recorded_user_data = "#cloud-config\nhostname: web-01\n# marker: s3cr3t-user-data\n";

inline InstanceInfo recorded_instance() {
    InstanceInfo info;
    info.instance_id = k_recorded_id;
    info.local_hostname = "ip-10-0-0-12.eu-west-1.compute.internal";
    info.hostname = "ip-10-0-0-12.eu-west-1.compute.internal";
    info.local_ipv4 = "10.0.0.12";
    info.region = "eu-west-1";
    info.availability_zone = "eu-west-1b";
    info.instance_type = "t3.micro";
    info.ami_id = "ami-0abcdef1234567890";
    info.public_keys = {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey0 alice@example.com",
                        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey1 bob@example.com"};
    info.tree = {{"ami-id", "ami-0abcdef1234567890"},
                 {"instance-id", k_recorded_id},
                 {"placement/availability-zone", "eu-west-1b"},
                 {"placement/region", "eu-west-1"},
                 {"public-keys/0/openssh-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey0 alice@example.com"}};
    return info;
}

// A finished boot: init 420 ms (set_hostname 300 ms, ssh 100 ms), final 35 ms
// (runcmd 30 ms, scripts_user skipped). `final_state` "running" leaves final open.
inline pipeline::BootRecord recorded_record(const std::string& final_state = "done") {
    using pipeline::ModuleState;
    pipeline::BootRecord r;
    r.version = "0.1.0";
    r.instance_id = k_recorded_id;
    r.new_instance = true;
    r.imds = {"http://127.0.0.1:8080", 14, 1, 0, 250, ""};
    r.parts = {{1, "", "text/cloud-config", 40, "cloud-config"}};
    pipeline::StageRecord init{"init", "done", 1000, 1420, {}, {}, {}};
    init.modules.push_back({"set_hostname", ModuleState::success, "per-instance", "hostname web-01 written to /etc/hostname", 1010, 1310});
    init.modules.push_back({"ssh", ModuleState::success, "per-instance", "2 keys added", 1310, 1410});
    pipeline::StageRecord fin{"final", final_state, 2000, final_state == "running" ? 0 : 2035, {}, {}, {}};
    fin.modules.push_back({"scripts_user", ModuleState::skipped, "per-instance", "skipped (no configuration)", 2000, 2000});
    fin.modules.push_back({"runcmd", ModuleState::success, "per-instance", "2 commands", 2001, 2031});
    if (final_state == "error") {
        fin.modules.back().state = ModuleState::failed;
        fin.modules.back().message = "command 1 exited with status 3";
        fin.errors.push_back("module runcmd: command 1 exited with status 3");
    } else if (final_state == "degraded") {
        fin.warnings.push_back("user-data part 1, line 3, column 1: bogus: unknown key");
    }
    r.stages = {init, fin};
    return r;
}

// Plants the instance state and instance data of a boot (no status.json).
inline void plant_instance(const ScratchRoot& root, const InstanceInfo& info = recorded_instance(),
                           const std::string& cloud_config = "hostname: web-01\n") {
    const std::string dir = "/var/lib/kindling/instances/" + info.instance_id;
    root.write("/var/lib/kindling/data/instance-id", info.instance_id + "\n");
    root.write(dir + "/instance-info.json", pipeline::instance_info_to_json(info, ""), 0600);
    root.write(dir + "/cloud-config.yaml", cloud_config, 0600);
    root.write(dir + "/user-data.raw", k_recorded_user_data, 0600);
    root.symlink("instances/" + info.instance_id, "/var/lib/kindling/instance");
    root.write("/run/kindling/instance-data.json", pipeline::instance_info_to_json(info, ""), 0644);
    root.write("/run/kindling/instance-data-sensitive.json", pipeline::instance_info_to_json(info, k_recorded_user_data),
               0600);
}

// Writes status.json and result.json through the pipeline's writer.
inline void plant_status(const ScratchRoot& root, const pipeline::BootRecord& record) {
    system::ChildRunner runner("/dev/null");
    system::Root door(root.path(), runner);
    auto w = pipeline::write_status(door, "/run/kindling", record);
    if (!w) throw std::runtime_error(w.error().message);
}

// A whole recorded boot: instance state, instance data and status.
inline void plant_boot(const ScratchRoot& root, const std::string& final_state = "done") {
    plant_instance(root);
    plant_status(root, recorded_record(final_state));
}

// Runs `kindling COMMAND --root ROOT ARGS...`.
inline ProgramRun kindling_on(const ScratchRoot& root, const std::string& command, std::vector<std::string> args = {}) {
    args.insert(args.begin(), {command, "--root", root.path().string()});
    return run_kindling(args);
}

}  // namespace kindling::test
