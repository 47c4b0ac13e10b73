#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/run_kindling.hpp"
#include "tests/support/scratch_root.hpp"

using namespace kindling;

TEST_CASE("kindling schema names the part, line, column and key of a typo, a wrong type and broken YAML",
          "[cli][integration]") {
    test::ScratchRoot scratch;
    const std::string file = scratch.host("/tmp/ud.txt").string();
    std::ofstream(file) << "Content-Type: multipart/mixed; boundary=\"B\"\nMIME-Version: 1.0\n\n"
                           "--B\nContent-Type: text/cloud-config\n\n"
                           "#cloud-config\nhostnme: web-01\nruncmd:\n  - echo ok\n  - {a: b}\n\n"
                           "--B\nContent-Type: text/cloud-config\n\n"
                           "#cloud-config\nwrite_files:\n  - path: /x\n    content: [unclosed\n--B--\n";
    auto r = test::run_kindling({"schema", file});
    CHECK(r.exit_code == 65);
    CHECK(r.out == "warning: " + file + " part 1, line 2, column 10: hostnme: unknown key, ignoring (did you mean 'hostname'?)\n"
                   "error: " + file + " part 1, line 5, column 5: runcmd[1]: expected a string or a list of strings, got a mapping\n"
                   "error: " + file + " part 2, line 4, column 1: invalid YAML: end of sequence flow not found\n"
                   "2 errors, 1 warning\n");
}

TEST_CASE("kindling schema accepts valid user data", "[cli][integration]") {
    test::ScratchRoot scratch;
    const std::string file = scratch.host("/tmp/ok.yaml").string();
    std::ofstream(file) << "#cloud-config\nhostname: web-01\nruncmd: [[ls, -l]]\n";
    auto r = test::run_kindling({"schema", file});
    CHECK(r.exit_code == 0);
    CHECK(r.out == file + ": valid\n");
}

TEST_CASE("kindling schema --system before any boot says so and exits 66", "[cli][integration]") {
    test::ScratchRoot scratch;
    auto r = test::run_kindling({"schema", "--system", "--root", scratch.path().string()});
    CHECK(r.exit_code == 66);
    CHECK(r.out.empty());
    CHECK(r.err == "kindling schema: no instance recorded yet (the init stage has not run)\n");
}
