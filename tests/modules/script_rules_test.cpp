// Tests modules/script_rules.cpp: cloud-init's shellify and quoting.
#include "modules/script_rules.hpp"

#include <catch2/catch.hpp>

#include "tests/support/module_harness.hpp"

using namespace kindling;

TEST_CASE("a list item becomes single-quoted words and a string item a verbatim line", "[module][script_rules]") {
    config::Report report;
    config::Node cc(YAML::Load("cmds:\n- [echo, \"it's\", '$HOME', '']\n- echo $HOME; false\n-\n- []\n"), "user-data");
    modules::CommandList list = modules::parse_command_list(cc["cmds"], report);
    CHECK(report.entries().empty());
    CHECK(modules::shellify(list) == "#!/bin/sh\n'echo' 'it'\\''s' '$HOME' ''\necho $HOME; false\n\n");
}

TEST_CASE("quote_shell_word survives every quote", "[module][script_rules]") {
    CHECK(modules::quote_shell_word("") == "''");
    CHECK(modules::quote_shell_word("a b") == "'a b'");
    CHECK(modules::quote_shell_word("'") == "''\\'''");
    CHECK(modules::quote_shell_word("a'b'c") == "'a'\\''b'\\''c'");
}
