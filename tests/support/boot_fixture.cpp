#include "tests/support/boot_fixture.hpp"

#include <fstream>

namespace kindling::test {

namespace {

fake_imds::Options imds_options(const BootOptions& o) {
    fake_imds::Options imds;
    imds.tree = fake_imds::MetadataTree::from_file(KINDLING_SOURCE_DIR "/tests/data/imds/aemm-default-metadata.json");
    imds.user_data = o.user_data;
    imds.token_prefix = o.token_prefix;
    return imds;
}

}  // namespace

BootFixture::BootFixture(BootOptions options) : root(ScratchRoot::with_usr()), imds(imds_options(options)) {
    imds.start();
    root.mkdir("/var/tmp", 01777);  // where the tests' commands leave their traces
    // What an EC2 image sets for account creation and chpasswd.
    root.write("/etc/login.defs",
               "UID_MIN 1000\nUID_MAX 60000\nSYS_UID_MIN 100\nSYS_UID_MAX 999\nGID_MIN 1000\nGID_MAX 60000\n"
               "SYS_GID_MIN 100\nSYS_GID_MAX 999\nUSERGROUPS_ENAB yes\nHOME_MODE 0700\nENCRYPT_METHOD SHA512\n");
    root.write("/etc/pam.d/chpasswd", "password required pam_unix.so sha512\n");
    config_path = root.host("/tmp/kindling-test.yaml").string();
    std::ofstream(config_path) << "imds:\n  endpoints: [\"" << imds.url() << "\"]\n  deadline_seconds: "
                               << options.deadline_seconds
                               << "\n  connect_timeout_ms: 500\n  request_timeout_ms: 1000\n"
                                  "default_user: {name: ec2-user, groups: [adm], sudo: \"ALL=(ALL) NOPASSWD:ALL\", "
                                  "shell: /bin/sh}\n"
                                  "stages:\n  init: "
                               << options.init_stage << "\n  final: " << options.final_stage << "\n"
                               << options.extra_config;
}

ProgramRun BootFixture::run(const RunOptions& options, Isolation isolation,
                            const std::vector<std::string>& extra_args) const {
    std::vector<std::string> args{"run", "--root", root.path().string(), "--config", config_path};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    if (isolation == Isolation::none) return run_kindling(args, options);
    // unshare forks kindling as PID 1 of a new namespace; --kill-child SIGKILLs
    // it when unshare dies, and the kernel then kills everything in it.
    args.insert(args.begin(), {"--pid", "--fork", "--kill-child", KINDLING_BINARY});
    return run_program("/usr/bin/unshare", args, options);
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
    return n;
}

}  // namespace kindling::test
