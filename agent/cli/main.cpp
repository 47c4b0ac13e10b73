// kindling: the first-boot agent. Everything happens in cli::run().
#include "agent/cli/commands.hpp"

int main(int argc, char** argv) { return kindling::cli::run(argc, argv); }
