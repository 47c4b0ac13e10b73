// RecordingRunner: the ProcessRunner test double (ninja's FakeCommandRunner).
// Records every Command with the root it was meant for and answers with
// scripted results in order; with none left it answers with the handler, or
// with exit status 0. It never starts a process.
#pragma once

#include <deque>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "agent/system/process.hpp"

namespace kindling::test {

class RecordingRunner final : public system::ProcessRunner {
public:
    struct Call {
        std::filesystem::path root;
        system::Command cmd;
    };
    using Handler = std::function<Result<system::ChildResult>(const std::filesystem::path&, const system::Command&)>;

    [[nodiscard]] Result<system::ChildResult> run(const std::filesystem::path& root,
                                                  const system::Command& cmd) override;

    // The next run() returns `result` (queued in order).
    void push_result(Result<system::ChildResult> result) { m_results.push_back(std::move(result)); }
    // Convenience: the next run() exits with `code` and prints `output`.
    void push_exit(int code, std::string output = {});
    // Answers calls once the queue is empty (e.g. a fake useradd editing /etc/passwd).
    void set_handler(Handler handler) { m_handler = std::move(handler); }

    const std::vector<Call>& calls() const { return m_calls; }
    // argv of each call, for exact comparisons.
    std::vector<std::vector<std::string>> argvs() const;

private:
    std::vector<Call> m_calls;
    std::deque<Result<system::ChildResult>> m_results;
    Handler m_handler;
};

}  // namespace kindling::test
