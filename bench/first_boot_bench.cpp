// Benchmark: a full `kindling run` against the in-process fake IMDS on a fresh
// scratch root, repeated. Prints median wall time, the agent's own CPU time and
// peak RSS (children such as useradd excluded; from status.json's "agent"),
// the CPU of the whole process tree, and the HTTP requests made. It prints
// figures against the targets and never fails on them.
//   kindling_bench [RUNS]      (as root; it enters private namespaces first)
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/fake_imds/server.hpp"
#include "tests/support/sandbox.hpp"
#include "tests/support/scratch_root.hpp"

namespace {

struct Sample {
    double wall_ms = 0;
    double tree_cpu_ms = 0;
    double agent_cpu_ms = 0;
    double agent_rss_kb = 0;
    double requests = 0;
};

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// fork/exec + wait4, for the whole tree's rusage.
int run(const std::vector<std::string>& args, struct rusage& usage) {
    pid_t pid = ::fork();
    if (pid == 0) {
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        int devnull = ::open("/dev/null", O_WRONLY);
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    ::wait4(pid, &status, 0, &usage);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double ms(const timeval& tv) { return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0; }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2);
}

}  // namespace

int main(int argc, char** argv) {
    int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 15;
    if (std::string why = kindling::test::enter_private_namespaces(); !why.empty()) {
        std::fprintf(stderr, "kindling_bench: %s\n", why.c_str());
        return 2;
    }
    kindling::fake_imds::Options options;
    options.tree = kindling::fake_imds::MetadataTree::from_file(KINDLING_SOURCE_DIR "/tests/data/imds/aemm-default-metadata.json");
    options.user_data = read(KINDLING_SOURCE_DIR "/bench/data/user-data");
    kindling::fake_imds::Server imds(options);
    imds.start();

    std::vector<Sample> samples;
    int failures = 0;
    for (int i = 0; i < runs; ++i) {
        kindling::test::ScratchRoot root = kindling::test::ScratchRoot::with_usr();
        imds.clear_requests();
        struct rusage usage {};
        auto start = std::chrono::steady_clock::now();
        int rc = run({KINDLING_BINARY, "run", "--root", root.path().string(), "--imds-endpoint", imds.url()}, usage);
        auto end = std::chrono::steady_clock::now();
        if (rc != 0) ++failures;
        Sample s;
        s.wall_ms = std::chrono::duration<double, std::milli>(end - start).count();
        s.tree_cpu_ms = ms(usage.ru_utime) + ms(usage.ru_stime);
        s.requests = static_cast<double>(imds.requests().size());
        try {
            Poco::JSON::Parser parser;
            auto status = parser.parse(root.read("/run/kindling/status.json")).extract<Poco::JSON::Object::Ptr>();
            auto agent = status->getObject("agent");
            s.agent_cpu_ms = agent->getValue<double>("cpu_ms");
            s.agent_rss_kb = agent->getValue<double>("max_rss_kb");
        } catch (const std::exception& e) {
            std::fprintf(stderr, "run %d: no status.json agent record (%s)\n", i + 1, e.what());
        }
        samples.push_back(s);
    }
    auto column = [&](double Sample::*field) {
        std::vector<double> v;
        for (const auto& s : samples) v.push_back(s.*field);
        return v;
    };
    auto wall = column(&Sample::wall_ms), tree = column(&Sample::tree_cpu_ms), cpu = column(&Sample::agent_cpu_ms),
         rss = column(&Sample::agent_rss_kb), req = column(&Sample::requests);
    std::printf("kindling first boot, %d runs (%d failed), fake IMDS on loopback, fresh scratch root each run\n", runs, failures);
    std::printf("  wall time          median %7.1f ms   min %7.1f   max %7.1f\n", median(wall),
                *std::min_element(wall.begin(), wall.end()), *std::max_element(wall.begin(), wall.end()));
    std::printf("  agent CPU (self)   median %7.1f ms   target < 10 ms     (cloud-init: ~900 ms)\n", median(cpu));
    std::printf("  agent peak RSS     median %7.1f MB   target < 8 MB      (cloud-init: ~41 MB)\n", median(rss) / 1024.0);
    std::printf("  process tree CPU   median %7.1f ms   (agent + useradd, ssh-keygen, scripts)\n", median(tree));
    std::printf("  HTTP requests      median %7.0f      (cloud-init: 78)\n", median(req));
    return 0;
}
