// Replays every fuzz seed and every input a fuzzer once crashed on
// (tests/fuzz/regressions/<target>/) through the same target bodies the
// libFuzzer binaries run, so CI keeps them fixed without clang.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "tests/support/fuzz_targets.hpp"
#include "tests/support/reliability_tally.hpp"

namespace fs = std::filesystem;
using kindling::test::tally::Kind;

namespace {

const fs::path k_fuzz_dir = KINDLING_SOURCE_DIR "/tests/fuzz";

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> files;
    if (fs::is_directory(dir)) {
        for (const auto& e : fs::directory_iterator(dir)) {
            if (e.is_regular_file()) files.push_back(e.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Target {
    const char* name;
    std::function<std::string(std::string_view)> run;
};

const std::vector<Target> k_targets{{"userdata_decode", kindling::fuzz::userdata_decode},
                                    {"config", kindling::fuzz::config},
                                    {"imds_listing", kindling::fuzz::imds_listing},
                                    {"merge", kindling::fuzz::merge}};

std::size_t replay(const char* subdir) {
    std::size_t n = 0;
    for (const Target& target : k_targets) {
        for (const fs::path& input : files_in(k_fuzz_dir / subdir / target.name)) {
            INFO(target.name << ": " << input.string());
            CHECK(target.run(slurp(input)) == "");
            ++n;
        }
    }
    kindling::test::tally::tried(Kind::hostile_input, n);
    return n;
}

}  // namespace

TEST_CASE("every input a fuzzer crashed on is handled now", "[fuzz][reliability]") {
    CHECK(replay("regressions") >= 1);
}

TEST_CASE("every fuzz seed is handled", "[fuzz][reliability]") {
    CHECK(replay("corpus") >= 60);
}
