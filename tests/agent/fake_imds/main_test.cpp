// The kindling-imds binary: port 0 printed on a parseable line, IMDSv2 served
// from the metadata file, fault flags honoured, a clean exit on SIGTERM.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "agent/imds/session.hpp"
#include "agent/imds/transport.hpp"
#include "tests/support/fake_imds.hpp"

namespace {

// Runs kindling-imds with `args`; stdout and stderr go to one pipe read line by line.
class ImdsProcess {
public:
    explicit ImdsProcess(std::vector<std::string> args) {
        args.insert(args.begin(), KINDLING_IMDS_BINARY);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
        REQUIRE(posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ) == 0);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        m_out = ::fdopen(fds[0], "r");
    }
    ~ImdsProcess() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        if (m_out) ::fclose(m_out);
    }
    std::string line() {
        char buffer[512];
        if (!std::fgets(buffer, sizeof buffer, m_out)) return {};
        std::string text(buffer);
        if (!text.empty() && text.back() == '\n') text.pop_back();
        return text;
    }
    int terminate() {
        ::kill(m_pid, SIGTERM);
        return wait();
    }
    int wait() {
        int status = 0;
        ::waitpid(m_pid, &status, 0);
        m_pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

private:
    pid_t m_pid = -1;
    FILE* m_out = nullptr;
};

std::string listening_url(ImdsProcess& process) {
    std::string line = process.line();
    REQUIRE(line.starts_with("listening on http://"));
    return line.substr(std::string("listening on ").size());
}

}  // namespace

TEST_CASE("kindling-imds prints the port it picked and serves IMDSv2 until SIGTERM", "[fake_imds][integration]") {
    auto user_data = std::filesystem::temp_directory_path() / "kindling-imds-test-user-data";
    std::ofstream(user_data, std::ios::binary) << "#cloud-config\nhostname: demo\n";
    ImdsProcess imds({"--listen", "127.0.0.1:0", "--metadata", kindling::test::default_metadata_file().string(),
                      "--user-data", user_data.string()});
    const std::string url = listening_url(imds);
    CHECK_THAT(url, Catch::Matches("http://127\\.0\\.0\\.1:[0-9]+"));
    kindling::test::SkipClock clock;
    kindling::imds::Settings settings;
    settings.endpoints = {url};
    kindling::imds::Session session(settings, clock);
    CHECK(session.get("/latest/meta-data/instance-id") == "i-1234567890abcdef0");
    CHECK(session.get("/latest/user-data") == "#cloud-config\nhostname: demo\n");
    CHECK(session.stats().requests == 3);
    CHECK(imds.terminate() == 0);
    std::filesystem::remove(user_data);
}

TEST_CASE("kindling-imds fault flags: 403 on the token PUT, IPv6 listening", "[fake_imds][integration][reliability]") {
    ImdsProcess imds({"--listen", "[::1]:0", "--metadata", kindling::test::default_metadata_file().string(),
                      "--forbid-token-put"});
    const std::string url = listening_url(imds);
    CHECK(url.starts_with("http://[::1]:"));
    kindling::test::SkipClock clock;
    kindling::imds::Settings settings;
    settings.endpoints = {url};
    kindling::imds::Session session(settings, clock);
    CHECK(session.get("/latest/meta-data/instance-id").error().message ==
          "GET /latest/meta-data/instance-id: token PUT got 403 Forbidden: IMDS endpoint disabled (1 try)");
    CHECK(imds.terminate() == 0);
}

TEST_CASE("kindling-imds refuses a bad flag or metadata file with one specific error", "[fake_imds][integration]") {
    ImdsProcess bad_flag({"--metadata", kindling::test::default_metadata_file().string(), "--bogus"});
    CHECK(bad_flag.line() == "kindling-imds: unknown option '--bogus' (see --help)");
    CHECK(bad_flag.wait() == 2);
    ImdsProcess no_metadata({"--listen", "127.0.0.1:0"});
    CHECK(no_metadata.line() == "kindling-imds: --metadata FILE.json is required");
    CHECK(no_metadata.wait() == 2);
    ImdsProcess bad_number({"--metadata", kindling::test::default_metadata_file().string(), "--latency-ms", "soon"});
    CHECK(bad_number.line() == "kindling-imds: --latency-ms: expected a non-negative integer, got 'soon'");
    CHECK(bad_number.wait() == 2);
    ImdsProcess taken({"--metadata", kindling::test::default_metadata_file().string(), "--listen", "127.0.0.1:99999"});
    CHECK_THAT(taken.line(), Catch::StartsWith("kindling-imds: listen address '127.0.0.1:99999': "));
    CHECK(taken.wait() == 2);
}
