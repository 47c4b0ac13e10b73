// RecordingRunner; see recording_runner.hpp.
#include "tests/support/recording_runner.hpp"

namespace kindling::test {

Result<system::ChildResult> RecordingRunner::run(const std::filesystem::path& root, const system::Command& cmd) {
    m_calls.push_back(Call{root, cmd});
    if (!m_results.empty()) {
        auto result = std::move(m_results.front());
        m_results.pop_front();
        return result;
    }
    if (m_handler) return m_handler(root, cmd);
    system::ChildResult ok;
    ok.exit_code = 0;
    ok.timeout = cmd.timeout;
    return ok;
}

void RecordingRunner::push_exit(int code, std::string output) {
    system::ChildResult r;
    r.exit_code = code;
    r.output = std::move(output);
    m_results.push_back(r);
}

std::vector<std::vector<std::string>> RecordingRunner::argvs() const {
    std::vector<std::vector<std::string>> out;
    for (const auto& call : m_calls) out.push_back(call.cmd.argv);
    return out;
}

}  // namespace kindling::test
