#include "agent/cli/boot_commands.hpp"

#include <Poco/Logger.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "agent/cli/default_config.hpp"
#include "agent/cli/logging.hpp"
#include "agent/core/deadline.hpp"
#include "agent/imds/session.hpp"
#include "agent/pipeline/boot.hpp"
#include "agent/pipeline/instance_state.hpp"
#include "agent/pipeline/user_data.hpp"
#include "modules/registry.hpp"

namespace kindling::cli {

namespace {

Poco::Logger& log() { return Poco::Logger::get("kindling.cli"); }

constexpr const char* k_config_path = "/etc/kindling/kindling.yaml";

ExitCode boot_with(const Invocation& inv, pipeline::StageSelection stages) {
    auto endpoint = inv.value("--imds-endpoint");
    if (endpoint) {
        if (auto problem = imds::endpoint_problem(*endpoint)) {
            std::cerr << "kindling " << inv.command << ": --imds-endpoint '" << *endpoint << "': " << *problem << "\n";
            return ExitCode::usage;
        }
    }
    auto dir = root_dir(inv);
    if (!dir) return ExitCode::usage;
    system::ChildRunner runner(std::filesystem::path(*dir) / "var/log/kindling-output.log");
    system::Root root(*dir, runner);
    add_file_logging(root);
    auto config = load_config(inv, root);
    if (!config) return ExitCode::config;
    core::RealClock clock;
    pipeline::BootRequest request{stages, endpoint};
    return exit_code_of(pipeline::boot(request, *config, modules::builtin_registry(), root, clock));
}

}  // namespace

ExitCode exit_code_of(pipeline::BootResult r) {
    switch (r) {
        case pipeline::BootResult::done:
            return ExitCode::ok;
        case pipeline::BootResult::degraded:
            return ExitCode::degraded;
        case pipeline::BootResult::module_failed:
            return ExitCode::error;
        case pipeline::BootResult::config_error:
            return ExitCode::config;
        case pipeline::BootResult::imds_error:
            return ExitCode::unavailable;
        case pipeline::BootResult::busy:
            return ExitCode::busy;
        case pipeline::BootResult::internal:
            return ExitCode::internal;
    }
    return ExitCode::internal;
}

std::optional<std::string> root_dir(const Invocation& inv) {
    std::string dir = inv.value("--root").value_or("/");
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        std::cerr << "kindling " << inv.command << ": --root '" << dir << "' is not a directory\n";
        return std::nullopt;
    }
    std::filesystem::path canonical = std::filesystem::canonical(dir, ec);
    return ec ? dir : canonical.string();
}

std::optional<config::AgentConfig> load_config(const Invocation& inv, system::Root& root) {
    config::Report report;
    config::AgentConfig cfg;
    if (auto path = inv.value("--config")) {
        auto loaded = config::load_agent_config(*path, report);
        if (!loaded) {
            log().error(loaded.error().message);
            return std::nullopt;
        }
        cfg = std::move(*loaded);
    } else {
        std::vector<std::pair<std::string, std::string>> texts;
        auto main_text = root.read_file(k_config_path);
        if (!main_text) {
            log().error("config: " + main_text.error().message);
            return std::nullopt;
        }
        // The drop-ins apply on top of kindling.yaml, or of the built-in
        // default when an image ships only drop-ins.
        if (*main_text) {
            texts.emplace_back(k_config_path, **main_text);
        } else {
            texts.emplace_back("built-in default kindling.yaml", k_default_config);
        }
        auto dropins = root.list_dir(std::string(k_config_path) + ".d");
        if (!dropins) {
            log().error("config: " + dropins.error().message);
            return std::nullopt;
        }
        for (const std::string& name : *dropins) {
            if (name.size() <= 5 || name.substr(name.size() - 5) != ".yaml") continue;
            std::string path = std::string(k_config_path) + ".d/" + name;
            auto text = root.read_file(path);
            if (!text) {
                log().error("config: " + text.error().message);
                return std::nullopt;
            }
            if (*text) texts.emplace_back(path, **text);
        }
        cfg = config::load_agent_config_texts(texts, report);
    }
    for (const config::Entry& e : report.entries()) {
        (e.severity == config::Severity::error ? log().error(e.format()) : log().warning(e.format()));
    }
    if (report.has_errors()) return std::nullopt;
    return cfg;
}

ExitCode run_command(const Invocation& inv) { return boot_with(inv, pipeline::StageSelection::both); }
ExitCode init_command(const Invocation& inv) { return boot_with(inv, pipeline::StageSelection::init); }
ExitCode final_command(const Invocation& inv) { return boot_with(inv, pipeline::StageSelection::final); }

ExitCode schema_command(const Invocation& inv) {
    struct Input {
        std::string name;         // in "FILE: valid"
        std::string doc_name;     // what messages call the whole input
        std::string part_prefix;  // "FILE part "
        std::string bytes;
        std::optional<int> launch_index;  // --system: this instance's, so parts are the boot's
    };
    std::vector<Input> inputs;
    if (inv.has("--system")) {
        auto dir = root_dir(inv);
        if (!dir) return ExitCode::usage;
        system::ChildRunner runner("/dev/null");
        system::Root root(*dir, runner);
        pipeline::Paths paths;
        auto recorded = root.lstat(paths.state_dir + "/data/instance-id");
        if (recorded && !*recorded) {
            std::cerr << "kindling schema: no instance recorded yet (the init stage has not run)\n";
            return ExitCode::no_input;
        }
        auto id = pipeline::current_instance_id(root, paths);
        if (!id) {
            std::cerr << "kindling schema: " << id.error().message << "\n";
            return ExitCode::internal;
        }
        std::string path = paths.state_dir + "/instances/" + *id + "/user-data.raw";
        auto text = root.read_file(path);
        if (!text || !*text) {
            // A read error names the path itself.
            std::cerr << "kindling schema: " << (text ? path + ": no user data stored" : text.error().message) << "\n";
            return text ? ExitCode::ok : ExitCode::internal;
        }
        // Named and filtered by launch index as the boot does, so the parts
        // and messages are the boot's own.
        std::optional<int> launch_index;
        if (auto info_text = root.read_file(paths.state_dir + "/instances/" + *id + "/instance-info.json");
            info_text && *info_text) {
            if (auto info = pipeline::instance_info_from_json(**info_text)) launch_index = pipeline::launch_index_of(*info);
        }
        inputs.push_back({"user-data", "user data", "user-data part ", **text, launch_index});
    }
    // A file that cannot be read is reported and the others still checked.
    std::size_t unreadable = 0;
    for (const std::string& file : inv.operands) {
        errno = 0;
        std::ifstream in(file, std::ios::binary);
        if (!in || std::filesystem::is_directory(file)) {
            const int why = errno != 0 ? errno : EISDIR;
            std::cerr << "kindling schema: cannot read '" << file << "': " << std::strerror(why) << "\n";
            ++unreadable;
            continue;
        }
        std::ostringstream text;
        text << in.rdbuf();
        inputs.push_back({file, file, file + " part ", text.str(), std::nullopt});
    }
    if (inputs.empty() && unreadable == 0) {
        std::cerr << "kindling schema: give one or more FILEs, or --system\n";
        return ExitCode::usage;
    }
    std::size_t errors = 0, warnings = 0;
    for (const auto& [name, doc_name, part_prefix, bytes, launch_index] : inputs) {
        config::Report report =
            pipeline::validate_user_data(bytes, doc_name, part_prefix, modules::builtin_registry(), launch_index);
        for (const config::Entry& e : report.entries()) {
            std::cout << (e.severity == config::Severity::error ? "error: " : "warning: ") << e.format() << "\n";
        }
        errors += report.error_count();
        warnings += report.warning_count();
        if (!report.has_errors()) std::cout << name << ": valid" << (report.warning_count() ? " (with warnings)" : "") << "\n";
    }
    if (errors > 0) {
        std::cout << errors << " error" << (errors == 1 ? "" : "s") << ", " << warnings << " warning"
                  << (warnings == 1 ? "" : "s") << "\n";
    }
    if (errors > 0) return ExitCode::data_error;
    return unreadable > 0 ? ExitCode::no_input : ExitCode::ok;
}

}  // namespace kindling::cli
