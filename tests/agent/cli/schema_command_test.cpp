#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/run_kindling.hpp"
#include "tests/support/scratch_root.hpp"

using namespace kindling;

namespace {

// A MIME multipart user-data text with one part per (type, body).
std::string multipart(const std::vector<std::pair<std::string, std::string>>& parts) {
    std::string out = "Content-Type: multipart/mixed; boundary=\"B\"\nMIME-Version: 1.0\n\n";
    for (const auto& [type, body] : parts) out += "--B\nContent-Type: " + type + "\n\n" + body + "\n";
    return out + "--B--\n";
}

}  // namespace

TEST_CASE("kindling schema names the part, line, column and key of a typo, a wrong type and broken YAML",
          "[cli][integration]") {
    test::ScratchRoot scratch;
    const std::string file = scratch.host("/tmp/ud.txt").string();
    std::ofstream(file) << multipart({{"text/cloud-config", "#cloud-config\nhostnme: web-01\nruncmd:\n  - echo ok\n  - {a: b}\n"},
                                     {"text/cloud-config", "#cloud-config\nwrite_files:\n  - path: /x\n    content: [unclosed"}});
    auto r = test::run_kindling({"schema", file});
    CHECK(r.exit_code == 65);
    CHECK(r.out == "warning: " + file + " part 1, line 2, column 1: hostnme: unknown key, ignoring (did you mean 'hostname'?)\n"
                   "error: " + file + " part 1, line 5, column 5: runcmd[1]: expected a string or a list of strings, got a mapping\n"
                   "error: " + file + " part 2, line 4, column 1: invalid YAML: end of sequence flow not found\n"
                   "2 errors, 1 warning\n");
}

TEST_CASE("kindling schema rejects a number, a bad date and a date where cloud-init's schema wants a string",
          "[cli][integration]") {
    test::ScratchRoot scratch;
    const std::string file = scratch.host("/tmp/ud.yaml").string();
    std::ofstream(file) << "#cloud-config\ntimezone: 5\nwrite_files:\n- path: 42\nusers:\n- name: bob\n  expiredate: 2020-13-45\n";
    auto r = test::run_kindling({"schema", file});
    CHECK(r.exit_code == 65);
    // Modules validate in registry order: users_groups, write_files, timezone.
    CHECK(r.out == "error: " + file + " part 1, line 7, column 15: users[0].expiredate: expected a date as YYYY-MM-DD, got '2020-13-45'\n"
                   "error: " + file + " part 1, line 4, column 9: write_files[0].path: expected a string, got an integer\n"
                   "error: " + file + " part 1, line 2, column 11: timezone: expected a string, got an integer\n"
                   "3 errors, 0 warnings\n");
}

TEST_CASE("kindling schema warns of a duplicate key and validates its last value", "[cli][integration]") {
    test::ScratchRoot scratch;
    const std::string file = scratch.host("/tmp/ud.yaml").string();
    std::ofstream(file) << "#cloud-config\nruncmd: {a: b}\nruncmd: [echo b]\n";
    auto r = test::run_kindling({"schema", file});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "warning: " + file + " part 1, line 3, column 1: runcmd: duplicate key 'runcmd': the last one is "
                   "used, as cloud-init does\n" +
                   file + ": valid (with warnings)\n");
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

TEST_CASE("kindling schema applies #cloud-config-jsonp parts in order, as the boot does", "[cli][integration]") {
    test::ScratchRoot scratch;
    const std::string file = scratch.host("/tmp/ud.txt").string();
    std::ofstream(file) << multipart({{"text/cloud-config", "#cloud-config\nruncmd: [ls]\n"},
                                     {"text/cloud-config-jsonp",
                                      "[{\"op\": \"test\", \"path\": \"/runcmd/0\", \"value\": \"ls\"},"
                                      " {\"op\": \"add\", \"path\": \"/hostnme\", \"value\": \"web\"}]"},
                                     {"text/cloud-config-jsonp", "[{\"op\": \"remove\", \"path\": \"/packages\"}]"}});
    auto r = test::run_kindling({"schema", file});
    CHECK(r.exit_code == 65);
    CHECK(r.out == "warning: " + file + " part 2: hostnme: unknown key, ignoring (did you mean 'hostname'?) (set by "
                   "this JSON patch)\n"
                   "error: " + file + " part 3: JSON patch operation 1 (remove '/packages'): no key 'packages' in the "
                   "mapping at the top level\n"
                   "1 error, 1 warning\n");
}

TEST_CASE("kindling schema names a file it cannot read, checks the others, and exits 66", "[cli][integration]") {
    test::ScratchRoot scratch;
    const std::string good = scratch.host("/tmp/ok.yaml").string();
    std::ofstream(good) << "#cloud-config\nhostname: web-01\n";
    const std::string missing = scratch.host("/tmp/missing.yaml").string();
    auto r = test::run_kindling({"schema", missing, good});
    CHECK(r.exit_code == 66);
    CHECK(r.err == "kindling schema: cannot read '" + missing + "': No such file or directory\n");
    CHECK(r.out == good + ": valid\n");
}
