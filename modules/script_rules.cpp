#include "modules/script_rules.hpp"

#include <Poco/Logger.h>

#include <algorithm>
#include <optional>

#include "agent/core/error.hpp"
#include "agent/system/atomic_write.hpp"

namespace kindling::modules {

namespace {

// One word of an argv list. cloud-init's shellify passes each through str(),
// so `[chmod, 0755, /x]` and `[sleep, 5]` run: a number, boolean or null is
// accepted with a warning and becomes what str() of PyYAML's value gives
// (0755 is YAML 1.1 octal: '493'; true: 'True'; null: 'None'). A date or a
// float keeps its text. A list or mapping is an error.
std::optional<std::string> argv_word(const config::Node& word, config::Report& report) {
    if (word.is_null()) {
        word.warning(report, "expected a string, got null; run as 'None', as cloud-init does");
        return "None";
    }
    if (!word.is_scalar() || word.is_string()) return word.as_string(report);
    std::string text = word.scalar();
    if (auto b = config::parse_yaml11_bool(text)) {
        text = *b ? "True" : "False";
    } else if (auto i = config::parse_yaml11_int(text)) {
        text = std::to_string(*i);
    }
    word.warning(report, "expected a string, got " + word.type_name() + "; run as '" + text + "', as cloud-init does");
    return text;
}

}  // namespace

CommandList parse_command_list(const config::Node& node, config::Report& report) {
    CommandList out;
    if (!node.defined() || node.is_null()) {
        return out;  // absent or empty: nothing to run (parse runs on every document)
    }
    if (!node.is_sequence()) {
        node.error(report, "expected a list of commands, got " + node.type_name());
        return out;
    }
    for (const config::Node& item : node.items()) {
        if (item.is_null()) {
            continue;
        }
        if (item.is_scalar()) {
            if (auto line = item.as_string(report, "a string or a list of strings")) out.lines.push_back(*line);
            continue;
        }
        if (!item.is_sequence()) {
            item.error(report, "expected a string or a list of strings, got " + item.type_name());
            continue;
        }
        std::string line;
        for (const config::Node& word : item.items()) {
            auto text = argv_word(word, report);
            if (!text) continue;
            if (!line.empty()) line += ' ';
            line += quote_shell_word(*text);
        }
        out.lines.push_back(std::move(line));
    }
    return out;
}

std::string quote_shell_word(std::string_view word) {
    std::string out = "'";
    for (char c : word) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

std::string shellify(const CommandList& commands) {
    std::string out = "#!/bin/sh\n";
    for (const std::string& line : commands.lines) {
        out += line;
        out += '\n';
    }
    return out;
}

system::Command script_command(const pipeline::ModuleContext& ctx, std::vector<std::string> argv, std::string label) {
    system::Command cmd;
    cmd.argv = std::move(argv);
    cmd.timeout = ctx.child_timeout;
    cmd.output = system::Output::output_log;
    cmd.label = std::move(label);
    return cmd;
}

void run_checked(pipeline::ModuleContext& ctx, const system::Command& cmd, const std::string& what) {
    auto result = ctx.root.run(cmd);
    if (!result) {
        throw ModuleFailed(result.error().message);
    }
    if (!result->ok()) {
        throw ModuleFailed(what + ": " + result->describe());
    }
}

pipeline::Outcome run_parts(pipeline::ModuleContext& ctx, const std::string& dir,
                            const std::vector<std::string>& skip) {
    auto names = ctx.root.list_dir(dir);
    if (!names) {
        throw ModuleFailed(names.error().message);
    }
    std::size_t attempted = 0;
    std::vector<std::string> failed;
    for (const std::string& name : *names) {
        if (std::find(skip.begin(), skip.end(), name) != skip.end()) {
            continue;
        }
        // A write killed before its rename leaves ".<name>.kindling-..."
        // (maybe executable, maybe cut short): never a script to run.
        if (system::is_temporary_name(name)) {
            ctx.log.warning("'" + dir + "/" + name + "': leftover of an interrupted write, not run");
            continue;
        }
        const std::string path = dir + "/" + name;
        auto st = ctx.root.lstat(path);
        if (!st) {
            throw ModuleFailed(st.error().message);
        }
        // cloud-init runs what is a file and executable; a directory, a link or
        // a file without an x bit is not a script to run.
        if (!*st || !S_ISREG((*st)->st_mode) || ((*st)->st_mode & 0111) == 0) {
            ctx.log.warning("'" + path + "': not an executable regular file, not run");
            continue;
        }
        ++attempted;
        auto result = ctx.root.run(script_command(ctx, {path}, name));
        if (!result) {
            failed.push_back(name + " (" + result.error().message + ")");
        } else if (!result->ok()) {
            failed.push_back(name + " (" + result->describe() + ")");
        }
    }
    if (!failed.empty()) {
        std::string list;
        for (const std::string& f : failed) {
            list += list.empty() ? f : ", " + f;
        }
        throw ModuleFailed(std::to_string(failed.size()) + " of " + std::to_string(attempted) + " scripts in " + dir +
                           " failed: " + list);
    }
    if (attempted == 0) {
        return {"no scripts in " + dir};
    }
    return {std::to_string(attempted) + (attempted == 1 ? " script" : " scripts") + " in " + dir + " ran"};
}

}  // namespace kindling::modules
