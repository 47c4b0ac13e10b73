#include "agent/cli/commands.hpp"

#include <Poco/Logger.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "agent/cli/analyze_command.hpp"
#include "agent/cli/boot_commands.hpp"
#include "agent/cli/clean_command.hpp"
#include "agent/cli/logging.hpp"
#include "agent/cli/query_command.hpp"
#include "agent/cli/single_command.hpp"
#include "agent/cli/status_command.hpp"
#include "agent/core/error.hpp"

namespace kindling::cli {

std::optional<std::string> Invocation::value(std::string_view flag) const {
    auto it = flags.find(flag);
    if (it == flags.end()) return std::nullopt;
    return it->second;
}

namespace {

ExitCode version_command(const Invocation&) {
    std::cout << "kindling " << KINDLING_VERSION << "\n";
    return ExitCode::ok;
}

ExitCode help_command(const Invocation& inv);

const Flag k_root{"--root", "DIR", "act on the system in DIR (a mounted image, a test tree); default /"};
const Flag k_config{"--config", "FILE", "read this kindling.yaml instead of ROOT/etc/kindling/kindling.yaml"};
const Flag k_endpoint{"--imds-endpoint", "URL", "use this metadata endpoint instead of the configured ones"};

constexpr std::string_view k_query_details =
    "keys: instance_id, local_hostname, hostname, local_ipv4, region, availability_zone, instance_type,\n"
    "ami_id, public_ssh_keys (one per line), meta_data (JSON), meta_data/PATH (a value, or JSON below it),\n"
    "user_data (root only). Root reads /run/kindling/instance-data-sensitive.json, others instance-data.json.\n"
    "exit status: 0 printed, 1 no such key, 64 bad command line, 66 no instance data yet,\n"
    "70 instance data unreadable, 77 user_data asked for by a user other than root";

constexpr std::string_view k_clean_details =
    "removes /var/lib/kindling and /run/kindling; with --logs the two log files; with --seed\n"
    "/etc/ssh/ssh_host_* (the ssh module makes new ones at first boot) and the content of /etc/machine-id\n"
    "(systemd makes a new id at boot), and /var/lib/dbus/machine-id when it is a copy, not a link.\n"
    "Never follows a symlink, never crosses into another filesystem.\n"
    "exit status: 0 cleaned, 70 something could not be removed, 75 a boot is running";

}  // namespace

const std::vector<Flag>& global_flags() {
    static const std::vector<Flag> k_flags{
        {"--quiet", "", "print warnings and errors only"},
        {"--debug", "", "print debug messages too"},
        {"--help", "", "show help for kindling or the subcommand"},
    };
    return k_flags;
}

const std::vector<CommandSpec>& commands() {
    static const std::vector<CommandSpec> k_commands{
        {"run", "run the init and final stages in one process (images without systemd, tests, demos)", "",
         {k_config, k_root, k_endpoint}, run_command},
        {"init", "run the init stage: fetch metadata and user data, then the init modules", "",
         {k_config, k_root, k_endpoint}, init_command},
        {"final", "run the final stage: scripts, runcmd, packages, final_message", "",
         {k_config, k_root}, final_command},
        {"status", "show the state of this boot: not started, running, done, degraded or error", "",
         {k_root,
          {"--wait", "", "block until the final stage has ended"},
          {"--long", "", "show each stage and module with its duration and message"},
          {"--format", "FORMAT", "'text' (default) or 'json' (status.json as written)"}},
         status_command,
         "exit status: 0 done (or not started), 1 error, 2 degraded, as `cloud-init status`; 70 status.json unreadable"},
        {"query", "print instance data: metadata values, SSH keys, the metadata tree; user data for root", "[KEY]",
         {k_root,
          {"--all", "", "print all instance data as JSON"},
          {"--list-keys", "", "list the keys (with KEY meta_data or meta_data/PATH: the paths below it)"}},
         query_command, k_query_details},
        {"analyze", "show how long each stage and module of the last boot took, slowest first", "",
         {k_root}, analyze_command, "exit status: 0 shown, 66 no boot recorded, 70 status.json unreadable"},
        {"clean", "forget this instance so the next boot is a first boot (before baking an AMI)", "",
         {k_root,
          {"--logs", "", "also remove /var/log/kindling.log and /var/log/kindling-output.log"},
          {"--seed", "", "also remove the machine's identity: SSH host keys, /etc/machine-id content"}},
         clean_command, k_clean_details},
        {"single", "run one module now with this instance's stored cloud-config", "",
         {{"--name", "MODULE", "the module to run (required)"},
          {"--frequency", "FREQ", "always (ignore its semaphore), per-instance or once; default: its own"},
          k_config, k_root},
         single_command,
         "exit status: 0 ran or skipped (already ran, no configuration), 1 failed, 64 unknown module, "
         "66 no instance recorded yet, 70 stored state unreadable, 75 a boot is running, 78 kindling.yaml invalid"},
        {"schema", "validate user data files offline, or this instance's user data", "[FILE...]",
         {k_root, {"--system", "", "validate the user data stored for this instance"}}, schema_command},
        {"version", "print the version", "", {}, version_command},
        {"help", "show this help", "[COMMAND]", {}, help_command},
    };
    return k_commands;
}

namespace {

const CommandSpec* find_command(std::string_view name) {
    for (const CommandSpec& c : commands()) {
        if (c.name == name) return &c;
    }
    return nullptr;
}

std::string flag_lines(const std::vector<Flag>& flags) {
    std::string out;
    for (const Flag& f : flags) {
        std::string left = "  " + std::string(f.name) + (f.value.empty() ? "" : " " + std::string(f.value));
        left.resize(std::max<std::size_t>(left.size() + 2, 26), ' ');
        out += left + std::string(f.help) + "\n";
    }
    return out;
}

ExitCode help_command(const Invocation& inv) {
    if (!inv.operands.empty()) {
        if (const CommandSpec* spec = find_command(inv.operands.front())) {
            std::cout << command_help(*spec);
            return ExitCode::ok;
        }
        std::cerr << "kindling: unknown command '" << inv.operands.front() << "'\n";
        return ExitCode::usage;
    }
    std::cout << main_help();
    return ExitCode::ok;
}

}  // namespace

std::string main_help() {
    std::string out = "usage: kindling COMMAND [OPTIONS]\n\n"
                      "Kindling configures an EC2 instance at first boot from its metadata and user data.\n\n"
                      "commands:\n";
    for (const CommandSpec& c : commands()) {
        std::string left = "  " + std::string(c.name);
        left.resize(12, ' ');
        out += left + std::string(c.summary) + "\n";
    }
    out += "\noptions for every command:\n" + flag_lines(global_flags());
    out += "\nexit codes:\n";
    for (const ExitCodeDoc& doc : k_exit_codes) {
        std::string left = "  " + std::to_string(to_int(doc.code));
        left.resize(7, ' ');
        out += left + std::string(doc.meaning) + "\n";
    }
    out += "\nRun 'kindling COMMAND --help' for a command's options; see kindling(1).\n";
    return out;
}

std::string command_help(const CommandSpec& spec) {
    std::string out = "usage: kindling " + std::string(spec.name) + (spec.flags.empty() ? "" : " [OPTIONS]") +
                      (spec.operands.empty() ? "" : " " + std::string(spec.operands)) + "\n\n" +
                      std::string(spec.summary) + "\n";
    if (!spec.flags.empty()) out += "\noptions:\n" + flag_lines(spec.flags);
    out += "\n" + flag_lines(global_flags());
    if (!spec.details.empty()) out += "\n" + std::string(spec.details) + "\n";
    return out;
}

int run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::cerr << main_help();
        return to_int(ExitCode::usage);
    }
    if (args[0] == "--help" || args[0] == "-h") {
        std::cout << main_help();
        return to_int(ExitCode::ok);
    }
    if (args[0] == "--version") args[0] = "version";
    const CommandSpec* spec = find_command(args[0]);
    if (spec == nullptr) {
        std::cerr << "kindling: unknown command '" << args[0] << "' (see 'kindling --help')\n";
        return to_int(ExitCode::usage);
    }
    Invocation inv;
    inv.command = args[0];
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--", 0) != 0 || a == "--") {
            inv.operands.push_back(a);
            continue;
        }
        std::string name = a, value;
        bool inline_value = false;
        if (auto eq = a.find('='); eq != std::string::npos) {
            name = a.substr(0, eq);
            value = a.substr(eq + 1);
            inline_value = true;
        }
        auto match = [&](const Flag& f) { return f.name == name; };
        const Flag* flag = nullptr;
        if (auto it = std::find_if(spec->flags.begin(), spec->flags.end(), match); it != spec->flags.end()) flag = &*it;
        if (auto it = std::find_if(global_flags().begin(), global_flags().end(), match); it != global_flags().end()) flag = &*it;
        if (flag == nullptr) {
            std::cerr << "kindling " << spec->name << ": unknown option '" << name << "' (see 'kindling " << spec->name
                      << " --help')\n";
            return to_int(ExitCode::usage);
        }
        if (!flag->value.empty() && !inline_value) {
            if (i + 1 >= args.size()) {
                std::cerr << "kindling " << spec->name << ": option '" << name << "' needs a value (" << flag->value << ")\n";
                return to_int(ExitCode::usage);
            }
            value = args[++i];
        } else if (flag->value.empty() && inline_value) {
            std::cerr << "kindling " << spec->name << ": option '" << name << "' takes no value\n";
            return to_int(ExitCode::usage);
        }
        inv.flags[name] = value;
    }
    if (inv.has("--help")) {
        std::cout << command_help(*spec);
        return to_int(ExitCode::ok);
    }
    setup_console_logging(inv.has("--quiet") ? Verbosity::quiet : inv.has("--debug") ? Verbosity::debug : Verbosity::normal);
    try {
        return to_int(spec->handler(inv));
    } catch (const Fatal& e) {
        Poco::Logger::get("kindling.cli").fatal(e.what());
        return to_int(ExitCode::internal);
    } catch (const std::exception& e) {
        Poco::Logger::get("kindling.cli").fatal(std::string("unexpected error: ") + e.what());
        return to_int(ExitCode::internal);
    }
}

}  // namespace kindling::cli
