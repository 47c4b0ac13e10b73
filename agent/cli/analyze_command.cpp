// `kindling analyze`: see analyze_command.hpp. Ties keep the boot's order
// (stable sort), so the report is the same for the same record.
#include "agent/cli/analyze_command.hpp"

#include <algorithm>
#include <iostream>

#include "agent/cli/boot_commands.hpp"
#include "agent/pipeline/module_context.hpp"

namespace kindling::cli {

namespace {

struct Row {
    std::string name;
    std::int64_t ms = 0;
    bool running = false;
    std::string note;
};

std::string duration_column(const Row& row) {
    std::string text = row.running ? "running" : std::to_string(row.ms) + " ms";
    if (text.size() < 12) text.insert(0, 12 - text.size(), ' ');
    return text;
}

std::string rows_text(std::vector<Row> rows, const std::string& total_note) {
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.ms > b.ms; });
    std::string out;
    std::int64_t total = 0;
    for (const Row& row : rows) {
        total += row.ms;
        std::string name = row.name;
        if (!row.note.empty() && name.size() < 34) name.resize(34, ' ');
        out += duration_column(row) + "  " + name + row.note + "\n";
    }
    out += duration_column(Row{"total", total, false, ""}) + "  total" + total_note + "\n";
    return out;
}

std::string counted(std::int64_t n, const std::string& one, const std::string& many = "") {
    return std::to_string(n) + " " + (n == 1 ? one : many.empty() ? one + "s" : many);
}

std::string state_name(pipeline::ModuleState s) {
    switch (s) {
        case pipeline::ModuleState::success:
            return "success";
        case pipeline::ModuleState::failed:
            return "failed";
        case pipeline::ModuleState::skipped:
            return "skipped";
    }
    return "?";
}

}  // namespace

std::string format_analysis(const pipeline::BootRecord& record) {
    std::string out = "boot of " + (record.instance_id.empty() ? std::string("an unknown instance") : record.instance_id) +
                      ": " + record.overall() + "\n";
    std::vector<Row> stages, modules;
    std::size_t ran = 0, skipped = 0, failed = 0;
    for (const pipeline::StageRecord& s : record.stages) {
        bool running = s.state == "running" || s.end_ms < s.start_ms;
        stages.push_back({s.name, running ? 0 : s.end_ms - s.start_ms, running, ""});
        for (const pipeline::ModuleRecord& m : s.modules) {
            modules.push_back({s.name + "/" + m.name, std::max<std::int64_t>(0, m.end_ms - m.start_ms), false,
                               state_name(m.state)});
            (m.state == pipeline::ModuleState::success ? ran : m.state == pipeline::ModuleState::failed ? failed : skipped)++;
        }
    }
    out += "\nstages, slowest first:\n" + rows_text(stages, "");
    out += "\nmodules, slowest first:\n" +
           rows_text(modules, " (" + std::to_string(ran) + " ran, " + std::to_string(skipped) + " skipped, " +
                                  std::to_string(failed) + " failed)");
    if (!record.imds.endpoint.empty() || !record.imds.error.empty()) {
        out += "\nimds: " + std::to_string(record.imds.elapsed_ms) + " ms (" + counted(record.imds.requests, "request") +
               ", " + counted(record.imds.retries, "retry", "retries") + ")" +
               (record.imds.error.empty() ? "" : ", error: " + record.imds.error) + "\n";
    }
    return out;
}

ExitCode analyze_command(const Invocation& inv) {
    auto dir = root_dir(inv);
    if (!dir) return ExitCode::usage;
    system::ChildRunner runner("/dev/null");
    system::Root root(*dir, runner);
    pipeline::Paths paths;
    auto record = pipeline::read_status(root, paths.run_dir);
    if (!record) {
        std::cerr << "kindling analyze: " << record.error().message << "\n";
        return ExitCode::internal;
    }
    if (!*record) {
        std::cerr << "kindling analyze: " << paths.run_dir << "/status.json: no boot recorded\n";
        return ExitCode::no_input;
    }
    std::cout << format_analysis(**record);
    return ExitCode::ok;
}

}  // namespace kindling::cli
