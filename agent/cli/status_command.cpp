#include "agent/cli/status_command.hpp"

#include <iostream>
#include <thread>

#include "agent/cli/boot_commands.hpp"
#include "agent/pipeline/module_context.hpp"

namespace kindling::cli {

namespace {

bool finished(const std::optional<pipeline::BootRecord>& record) {
    if (!record) return false;
    const pipeline::StageRecord* final_stage = record->stage("final");
    return final_stage != nullptr && final_stage->state != "running";
}

std::string pad(std::string s, std::size_t width) {
    if (s.size() < width) s.resize(width, ' ');
    return s;
}

std::string ms_text(std::int64_t ms) { return std::to_string(ms) + " ms"; }

}  // namespace

std::string format_status(const std::optional<pipeline::BootRecord>& record, bool long_form) {
    if (!record) return "status: not started\n";
    std::string out = "status: " + record->overall() + "\n";
    if (long_form) {
        out += "instance: " + record->instance_id + (record->new_instance ? " (first boot)" : "") + "\n";
        if (!record->imds.endpoint.empty() || !record->imds.error.empty()) {
            out += "imds: " + record->imds.endpoint + ", " + std::to_string(record->imds.requests) + " requests, " +
                   std::to_string(record->imds.retries) + " retries, " + ms_text(record->imds.elapsed_ms) +
                   (record->imds.error.empty() ? "" : ", error: " + record->imds.error) + "\n";
        }
        for (const pipeline::PartRecord& p : record->parts) {
            out += pipeline::describe_part(p) + "\n";
        }
    }
    for (const pipeline::StageRecord& s : record->stages) {
        if (long_form) {
            out += "\n" + s.name + ": " + s.state +
                   (s.end_ms > s.start_ms ? " (" + ms_text(s.end_ms - s.start_ms) + ")" : "") + "\n";
            for (const pipeline::ModuleRecord& m : s.modules) {
                std::string state = m.state == pipeline::ModuleState::success  ? "ok"
                                    : m.state == pipeline::ModuleState::failed ? "FAILED"
                                                                               : "skipped";
                out += "  " + pad(m.name, 32) + pad(state, 9) + pad(ms_text(m.end_ms - m.start_ms), 9) + m.message + "\n";
            }
        }
        for (const std::string& e : s.errors) out += (long_form ? "  error: " : s.name + ": error: ") + e + "\n";
        for (const std::string& w : s.warnings) out += (long_form ? "  warning: " : s.name + ": warning: ") + w + "\n";
    }
    return out;
}

ExitCode status_command(const Invocation& inv) {
    auto dir = root_dir(inv);
    if (!dir) return ExitCode::usage;
    std::string format = inv.value("--format").value_or("text");
    if (format != "text" && format != "json") {
        std::cerr << "kindling status: --format must be 'text' or 'json'\n";
        return ExitCode::usage;
    }
    system::ChildRunner runner("/dev/null");
    system::Root root(*dir, runner);
    pipeline::Paths paths;
    std::optional<pipeline::BootRecord> record;
    for (;;) {
        auto read = pipeline::read_status(root, paths.run_dir);
        if (!read) {
            std::cerr << "kindling status: " << read.error().message << "\n";
            return ExitCode::internal;
        }
        record = std::move(*read);
        if (!inv.has("--wait") || finished(record)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    if (format == "json") {
        std::cout << (record ? pipeline::to_json(*record) : std::string("{\"status\": \"not started\"}\n"));
    } else {
        std::cout << format_status(record, inv.has("--long"));
    }
    if (!record) return ExitCode::ok;
    std::string overall = record->overall();
    return overall == "error" ? ExitCode::error : overall == "degraded" ? ExitCode::degraded : ExitCode::ok;
}

}  // namespace kindling::cli
