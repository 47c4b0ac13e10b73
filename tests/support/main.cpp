// The test binary's entry point. Before any test runs it moves itself into
// private mount, UTS and network namespaces (support/sandbox.hpp), so nothing a
// test does can reach this machine or the network. If that fails, no test runs.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include "tests/support/sandbox.hpp"

int main(int argc, char* argv[]) {
    if (std::string why = kindling::test::enter_private_namespaces(); !why.empty()) {
        std::fprintf(stderr, "kindling_tests: %s\n", why.c_str());
        return 2;
    }
    return Catch::Session().run(argc, argv);
}
