// ModuleHarness: one module run the way the pipeline runs it, over a fresh
// ScratchRoot. It parses cloud-config text through the module's `parse`
// (source "user-data"), runs it with a ModuleContext whose paths are the
// defaults (instance i-0123456789abcdef0), and records the module's log lines.
// Children go to a RecordingRunner (nothing is started) or, with Runner::real,
// to the real ChildRunner chrooted into the scratch root (use with
// ScratchRoot::Usr::bind so /bin/sh exists there).
#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <yaml-cpp/yaml.h>

#include <any>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "agent/config/agent_config.hpp"
#include "agent/core/deadline.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "agent/system/root.hpp"
#include "tests/support/recording_runner.hpp"
#include "tests/support/scratch_root.hpp"

namespace kindling::test {

// Keeps every message logged through it, with its priority.
class RecordingChannel final : public Poco::Channel {
public:
    struct Line {
        Poco::Message::Priority priority;
        std::string text;
    };
    void log(const Poco::Message& msg) override { lines.push_back({msg.getPriority(), msg.getText()}); }
    std::vector<Line> lines;
};

// The contents of a file under the source tree (tests/data/...).
inline std::string source_file(const std::string& relative) {
    std::ifstream in(std::string(KINDLING_SOURCE_DIR) + "/" + relative, std::ios::binary);
    REQUIRE(in.good());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

class ModuleHarness {
public:
    enum class Runner { recording, real };

    explicit ModuleHarness(const pipeline::ModuleSpec& spec, Runner runner = Runner::recording,
                           ScratchRoot::Usr usr = ScratchRoot::Usr::none)
        : scratch(usr),
          m_child(runner == Runner::real
                      ? std::make_unique<system::ChildRunner>(scratch.host("/var/log/kindling-output.log"))
                      : nullptr),
          root(scratch.path(), m_child ? static_cast<system::ProcessRunner&>(*m_child) : recorder),
          m_spec(spec),
          m_channel(new RecordingChannel),
          m_logger(Poco::Logger::get("kindling.module." + std::string(spec.name))) {
        instance.instance_id = "i-0123456789abcdef0";
        paths.instance_dir = "/var/lib/kindling/instances/i-0123456789abcdef0";
        m_logger.setChannel(m_channel);
        m_logger.setLevel(Poco::Message::PRIO_DEBUG);
    }
    ~ModuleHarness() { m_logger.setChannel(nullptr); }
    ModuleHarness(const ModuleHarness&) = delete;
    ModuleHarness& operator=(const ModuleHarness&) = delete;

    // Parses `yaml` as the merged cloud-config (loaded as the boot loads a
    // part: duplicate keys keep the last); keeps the result for run().
    config::Report parse(const std::string& yaml) {
        config::Report report;
        auto cc = config::parse_yaml(yaml, "user-data", report);
        REQUIRE(cc);
        m_config = m_spec.parse(*cc, report);
        return report;
    }

    // parse() that must succeed without any entry (error or warning).
    void parse_clean(const std::string& yaml) {
        config::Report report = parse(yaml);
        for (const auto& e : report.entries()) {
            FAIL_CHECK(e.format());
        }
        REQUIRE(report.entries().empty());
    }

    pipeline::Outcome run() {
        pipeline::ModuleContext ctx{
            instance, default_user, paths, root, m_logger, core::Deadline(m_clock, core::Millis(60000)), child_timeout};
        return m_spec.run(ctx, m_config);
    }

    const std::vector<RecordingChannel::Line>& log_lines() const { return m_channel->lines; }

    ScratchRoot scratch;
    RecordingRunner recorder;

private:
    std::unique_ptr<system::ChildRunner> m_child;

public:
    system::Root root;
    InstanceInfo instance;
    pipeline::DefaultUser default_user;
    pipeline::Paths paths;
    std::chrono::seconds child_timeout{600};

private:
    const pipeline::ModuleSpec& m_spec;
    Poco::AutoPtr<RecordingChannel> m_channel;
    Poco::Logger& m_logger;
    core::RealClock m_clock;
    std::any m_config;
};

// Formatted report entries ("user-data, line 2, column 3: runcmd[0]: ...").
inline std::vector<std::string> formatted(const config::Report& report) {
    std::vector<std::string> out;
    for (const auto& e : report.entries()) out.push_back(e.format());
    return out;
}

// mode bits (with setuid/setgid/sticky), uid and gid of a host path, lstat.
struct Stat {
    mode_t mode;
    uid_t uid;
    gid_t gid;
    bool operator==(const Stat&) const = default;
};

inline Stat stat_of(const ScratchRoot& scratch, std::string_view inside) {
    struct stat st {};
    REQUIRE(::lstat(scratch.host(inside).c_str(), &st) == 0);
    return {static_cast<mode_t>(st.st_mode & 07777), st.st_uid, st.st_gid};
}

}  // namespace kindling::test

namespace Catch {
template <>
struct StringMaker<kindling::test::Stat> {
    static std::string convert(const kindling::test::Stat& s) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "{mode 0%o, uid %u, gid %u}", s.mode, s.uid, s.gid);
        return buf;
    }
};
}  // namespace Catch
