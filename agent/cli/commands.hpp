// Subcommands are one table of name, summary, flags and handler (ninja's tool
// table). `--help` for kindling and for each subcommand is generated from it,
// and the man page is checked against it (tests/agent/cli/man_page_test.cpp).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/cli/exit_code.hpp"

namespace kindling::cli {

struct Flag {
    std::string_view name;   // "--root"
    std::string_view value;  // "DIR", empty for a switch
    std::string_view help;
};

// The parsed command line, handed to a handler.
struct Invocation {
    std::string command;
    std::map<std::string, std::string, std::less<>> flags;  // "--root" -> "DIR" ("" for switches)
    std::vector<std::string> operands;

    bool has(std::string_view flag) const { return flags.contains(flag); }
    std::optional<std::string> value(std::string_view flag) const;
};

struct CommandSpec {
    std::string_view name;
    std::string_view summary;
    std::string_view operands;  // "FILE..." for usage lines; empty if none
    std::vector<Flag> flags;
    ExitCode (*handler)(const Invocation&);
    std::string_view details = {};  // more --help text: keys, exit codes (one paragraph)
};

const std::vector<CommandSpec>& commands();
const std::vector<Flag>& global_flags();

// Entry point used by main(): parses, dispatches, never throws.
int run(int argc, char** argv);

// Help texts, generated from the table.
std::string main_help();
std::string command_help(const CommandSpec& spec);

}  // namespace kindling::cli
