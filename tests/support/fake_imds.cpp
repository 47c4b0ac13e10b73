#include "tests/support/fake_imds.hpp"

namespace kindling::test {
namespace {

fake_imds::Options options_from(FakeImds::Config config) {
    fake_imds::Options options;
    options.listen = config.listen;
    options.tree = config.tree ? std::move(*config.tree) : fake_imds::MetadataTree::from_file(default_metadata_file());
    options.user_data = std::move(config.user_data);
    options.allow_imdsv1 = config.allow_imdsv1;
    options.token_prefix = std::move(config.token_prefix);
    options.refuse_for = config.refuse_for;
    return options;
}

}  // namespace

std::filesystem::path default_metadata_file() {
    return std::filesystem::path(KINDLING_SOURCE_DIR) / "tests/data/imds/aemm-default-metadata.json";
}

FakeImds::FakeImds() : FakeImds(Config{}) {}

FakeImds::FakeImds(Config config) : m_server(options_from(std::move(config))) { m_server.start(); }

FakeImds::~FakeImds() { m_server.stop(); }

std::string FakeImds::url() const { return m_server.url(); }

std::vector<fake_imds::RecordedRequest> FakeImds::requests() const { return m_server.requests(); }

std::vector<std::string> FakeImds::request_lines() const {
    std::vector<std::string> lines;
    for (const auto& r : m_server.requests()) {
        std::string line = r.method + " " + r.path + (r.has_token ? " token" : " -");
        if (r.ttl_header) line += " ttl=" + *r.ttl_header;
        lines.push_back(line + " " + std::to_string(r.status));
    }
    return lines;
}

void FakeImds::clear_requests() { m_server.clear_requests(); }

void FakeImds::set_latency(fake_imds::Millis latency) {
    m_server.update_faults([&](fake_imds::Faults& f) { f.latency = latency; });
}
void FakeImds::set_hang(bool hang) {
    m_server.update_faults([&](fake_imds::Faults& f) { f.hang = hang; });
}
void FakeImds::refuse_for(fake_imds::Millis duration) { m_server.refuse_connections_for(duration); }
void FakeImds::set_reset(bool reset) {
    m_server.update_faults([&](fake_imds::Faults& f) { f.reset = reset; });
}
void FakeImds::set_truncate(bool truncate) {
    m_server.update_faults([&](fake_imds::Faults& f) { f.truncate = truncate; });
}
void FakeImds::fail_with(int status, int count, std::string path_prefix, std::optional<int> retry_after_seconds,
                         bool retry_after_as_date) {
    m_server.update_faults([&](fake_imds::Faults& f) {
        f.error_status = status;
        f.error_count = count;
        f.error_path_prefix = std::move(path_prefix);
        f.retry_after_seconds = retry_after_seconds;
        f.retry_after_as_date = retry_after_as_date;
    });
}
void FakeImds::revoke_tokens_after(int requests) {
    m_server.update_faults([&](fake_imds::Faults& f) { f.revoke_tokens_after = requests; });
}
void FakeImds::set_token_lifetime(std::optional<fake_imds::Millis> lifetime) {
    m_server.update_faults([&](fake_imds::Faults& f) { f.token_lifetime = lifetime; });
}
void FakeImds::forbid_token_put(bool forbid) {
    m_server.update_faults([&](fake_imds::Faults& f) { f.forbid_token_put = forbid; });
}
void FakeImds::black_hole_token_put(bool black_hole) {
    m_server.update_faults([&](fake_imds::Faults& f) { f.token_put_black_hole = black_hole; });
}
void FakeImds::user_data_html_404(bool html) {
    m_server.update_faults([&](fake_imds::Faults& f) { f.user_data_html_404 = html; });
}
void FakeImds::set_user_data(std::optional<std::string> user_data) { m_server.set_user_data(std::move(user_data)); }
void FakeImds::set_allow_imdsv1(bool allow) { m_server.set_allow_imdsv1(allow); }

}  // namespace kindling::test
