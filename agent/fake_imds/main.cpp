// kindling-imds: the fake instance metadata service as a tool. Serves a
// metadata JSON file (amazon-ec2-metadata-mock's shape) with IMDSv2 semantics
// until SIGINT/SIGTERM; each fault of the reliability suite has a flag. Prints
// "listening on http://HOST:PORT" (flushed) once the port is known,
// so scripts can start it on port 0 and read the port back.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/fake_imds/server.hpp"

namespace {

using kindling::fake_imds::Millis;

const char* const k_usage =
    "usage: kindling-imds --metadata FILE.json [--listen HOST:PORT] [--user-data FILE] [--allow-imdsv1]\n"
    "                     [--token-prefix TEXT] [fault flags]\n"
    "  --listen HOST:PORT          default 127.0.0.1:0 (port 0 picks a free port); [::1]:PORT for IPv6\n"
    "faults:\n"
    "  --latency-ms N              delay every answer by N ms\n"
    "  --hang                      accept and read requests, never answer\n"
    "  --refuse-for-seconds N      refuse connections for the first N seconds\n"
    "  --reset                     reset the connection in the middle of each response\n"
    "  --truncate                  send a Content-Length larger than the body\n"
    "  --error-status CODE         answer CODE (500, 503, 429...) instead\n"
    "  --error-count N             ... for the first N requests only\n"
    "  --error-path PREFIX         ... for paths starting with PREFIX only\n"
    "  --retry-after SECONDS       add Retry-After to those errors\n"
    "  --retry-after-date          ... as an HTTP-date\n"
    "  --revoke-tokens-after N     revoke every token after N requests (401 with the old token)\n"
    "  --token-lifetime-seconds N  tokens expire after N seconds whatever TTL was asked\n"
    "  --forbid-token-put          403 on the token PUT (IMDS endpoint disabled)\n"
    "  --token-put-black-hole      the token PUT never answers (hop limit symptom)\n"
    "  --user-data-html-404        404 with an HTML body on /latest/user-data\n";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("'" + path + "': cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

int to_int(const std::string& flag, const std::string& value) {
    try {
        std::size_t used = 0;
        int n = std::stoi(value, &used);
        if (used == value.size() && n >= 0) return n;
    } catch (const std::exception&) {
    }
    throw std::runtime_error(flag + ": expected a non-negative integer, got '" + value + "'");
}

kindling::fake_imds::Options parse(const std::vector<std::string>& args) {
    kindling::fake_imds::Options options;
    std::string metadata;
    auto& f = options.faults;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&]() -> const std::string& {
            if (i + 1 >= args.size()) throw std::runtime_error(a + ": missing value");
            return args[++i];
        };
        if (a == "--listen") options.listen = value();
        else if (a == "--metadata") metadata = value();
        else if (a == "--user-data") options.user_data = read_file(value());
        else if (a == "--allow-imdsv1") options.allow_imdsv1 = true;
        else if (a == "--token-prefix") options.token_prefix = value();
        else if (a == "--latency-ms") f.latency = Millis(to_int(a, value()));
        else if (a == "--hang") f.hang = true;
        else if (a == "--refuse-for-seconds") options.refuse_for = Millis(1000LL * to_int(a, value()));
        else if (a == "--reset") f.reset = true;
        else if (a == "--truncate") f.truncate = true;
        else if (a == "--error-status") f.error_status = to_int(a, value());
        else if (a == "--error-count") f.error_count = to_int(a, value());
        else if (a == "--error-path") f.error_path_prefix = value();
        else if (a == "--retry-after") f.retry_after_seconds = to_int(a, value());
        else if (a == "--retry-after-date") f.retry_after_as_date = true;
        else if (a == "--revoke-tokens-after") f.revoke_tokens_after = to_int(a, value());
        else if (a == "--token-lifetime-seconds") f.token_lifetime = Millis(1000LL * to_int(a, value()));
        else if (a == "--forbid-token-put") f.forbid_token_put = true;
        else if (a == "--token-put-black-hole") f.token_put_black_hole = true;
        else if (a == "--user-data-html-404") f.user_data_html_404 = true;
        else throw std::runtime_error("unknown option '" + a + "' (see --help)");
    }
    if (metadata.empty()) throw std::runtime_error("--metadata FILE.json is required");
    options.tree = kindling::fake_imds::MetadataTree::from_file(metadata);
    return options;
}

}  // namespace

int main(int argc, char* argv[]) {
    std::vector<std::string> args(argv + 1, argv + argc);
    for (const auto& a : args) {
        if (a == "--help" || a == "-h") {
            std::cout << k_usage;
            return 0;
        }
    }
    // Block the stop signals before any thread starts, then wait for them here.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    try {
        kindling::fake_imds::Server server(parse(args));
        server.start();
        std::cout << "listening on " << server.url() << std::endl;
        int signal = 0;
        sigwait(&stop_signals, &signal);
        server.stop();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "kindling-imds: " << e.what() << "\n";
        return 2;
    }
}
