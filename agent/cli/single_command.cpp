// `kindling single`: see single_command.hpp. Prints one line on stdout with the
// module's outcome; the runner's log line and any warnings go to stderr.
#include "agent/cli/single_command.hpp"

#include <filesystem>
#include <iostream>

#include "agent/cli/boot_commands.hpp"
#include "agent/cli/logging.hpp"
#include "agent/pipeline/boot.hpp"
#include "agent/pipeline/module_context.hpp"
#include "modules/registry.hpp"

namespace kindling::cli {

namespace {

std::string outcome_line(const pipeline::ModuleRecord& m) {
    switch (m.state) {
        case pipeline::ModuleState::success:
            return "module " + m.name + ": ran" + (m.message.empty() ? "" : " (" + m.message + ")");
        case pipeline::ModuleState::failed:
            return "module " + m.name + ": failed: " + m.message;
        case pipeline::ModuleState::skipped:
            return "module " + m.name + ": " + m.message;
    }
    return "module " + m.name;
}

}  // namespace

ExitCode single_command(const Invocation& inv) {
    auto name = inv.value("--name");
    if (!name || name->empty()) {
        std::cerr << "kindling single: --name MODULE is required\n";
        return ExitCode::usage;
    }
    const pipeline::Registry& registry = modules::builtin_registry();
    if (registry.find(*name) == nullptr) {
        std::string known;
        for (const pipeline::ModuleSpec* spec : registry.all()) known += (known.empty() ? "" : ", ") + std::string(spec->name);
        std::cerr << "kindling single: unknown module '" << *name << "' (modules: " << known << ")\n";
        return ExitCode::usage;
    }
    pipeline::SingleRequest request{*name, std::nullopt};
    if (auto text = inv.value("--frequency")) {
        pipeline::Frequency f;
        if (!pipeline::parse_frequency(*text, f)) {
            std::cerr << "kindling single: --frequency must be always, per-instance or once, not '" << *text << "'\n";
            return ExitCode::usage;
        }
        request.frequency = f;
    }
    auto dir = root_dir(inv);
    if (!dir) return ExitCode::usage;
    pipeline::Paths paths;
    system::ChildRunner runner(std::filesystem::path(*dir) / paths.output_log.substr(1));
    system::Root root(*dir, runner);
    auto recorded = root.lstat(paths.state_dir + "/data/instance-id");
    if (recorded && !*recorded) {
        std::cerr << "kindling single: no instance recorded yet (the init stage has not run)\n";
        return ExitCode::no_input;
    }
    add_file_logging(root);
    auto config = load_config(inv, root);
    if (!config) return ExitCode::config;
    core::RealClock clock;
    pipeline::SingleResult result = pipeline::run_single(request, *config, registry, root, clock);
    for (const std::string& p : result.problems) std::cerr << "kindling single: " << p << "\n";
    if (result.record) std::cout << outcome_line(*result.record) << "\n";
    return exit_code_of(result.result);
}

}  // namespace kindling::cli
