// Test harness for users_groups: a ModuleContext over a ScratchRoot that runs
// the module through its ModuleSpec (parse, then run only without errors), and
// a fake account tool for RecordingRunner that edits the scratch /etc the way
// useradd/groupadd/usermod/chpasswd would (only what the module reads back).
#pragma once

#include <sys/stat.h>

#include <Poco/Logger.h>
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <any>
#include <string>
#include <tuple>
#include <vector>

#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "agent/system/root.hpp"
#include "modules/users_groups_commands.hpp"
#include "tests/support/recording_runner.hpp"
#include "tests/support/scratch_root.hpp"

namespace kindling::modules {
extern const pipeline::ModuleSpec k_users_groups;
}

namespace kindling::test::users_groups {

using Argv = std::vector<std::string>;

struct Parsed {
    std::any cfg;
    std::vector<std::string> messages;  // errors and warnings, in order
    bool has_errors = false;
};

inline Parsed parse_text(const std::string& yaml, const std::string& source = "user-data") {
    config::Report report;
    Parsed out;
    out.cfg = modules::k_users_groups.parse(config::Node(YAML::Load(yaml), source), report);
    for (const auto& e : report.entries()) out.messages.push_back(e.format());
    out.has_errors = report.has_errors();
    return out;
}

// What `ls -ln` shows: type+mode, uid, gid.
struct Mode {
    mode_t mode;
    uid_t uid;
    gid_t gid;
    bool operator==(const Mode&) const = default;
};

inline Mode file_mode(const ScratchRoot& scratch, std::string_view inside) {
    struct stat st {};
    REQUIRE(::lstat(scratch.host(inside).c_str(), &st) == 0);
    return {st.st_mode, st.st_uid, st.st_gid};
}

inline std::ostream& operator<<(std::ostream& out, const Mode& m) {
    return out << std::oct << m.mode << std::dec << " " << m.uid << ":" << m.gid;
}

// uid and gid of `name` in the scratch /etc/passwd.
inline std::pair<uid_t, gid_t> ids_of(const ScratchRoot& scratch, const std::string& name) {
    std::istringstream in(scratch.read("/etc/passwd"));
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> f;
        std::istringstream fields(line);
        for (std::string x; std::getline(fields, x, ':');) f.push_back(x);
        if (f.size() >= 4 && f[0] == name) return {std::stoul(f[2]), std::stoul(f[3])};
    }
    FAIL("no user " << name);
    return {};
}

// `text` without the lines containing any of `drop`.
inline std::string without_lines(const std::string& text, const std::vector<std::string>& drop) {
    std::istringstream in(text);
    std::string out;
    for (std::string line; std::getline(in, line);) {
        if (std::none_of(drop.begin(), drop.end(), [&](const auto& d) { return line.find(d) != std::string::npos; })) {
            out += line + "\n";
        }
    }
    return out;
}

struct RunResult {
    std::string summary;
    std::string error;  // ModuleFailed's message
};

// kindling.yaml's shipped default user (ARCHITECTURE.md).
inline pipeline::DefaultUser shipped_default_user() {
    pipeline::DefaultUser def;
    def.groups = {"wheel", "adm", "systemd-journal"};
    def.sudo = "ALL=(ALL) NOPASSWD:ALL";
    return def;
}

struct Harness {
    Harness(ScratchRoot& scratch, system::ProcessRunner& runner)
        : root(scratch.path(), runner),
          log(Poco::Logger::get("kindling.module.users_groups")),
          ctx{instance, def, paths, root, log, core::Deadline(clock, std::chrono::minutes(5)),
              std::chrono::seconds(60)} {}

    // Parses `yaml` (REQUIREs no errors; warnings are the caller's to check) and runs the module.
    RunResult run(const std::string& yaml) {
        auto parsed = parse_text(yaml);
        REQUIRE_FALSE(parsed.has_errors);
        try {
            return {modules::k_users_groups.run(ctx, parsed.cfg).summary, {}};
        } catch (const ModuleFailed& e) {
            return {{}, e.what()};
        }
    }

    InstanceInfo instance;
    pipeline::DefaultUser def = shipped_default_user();
    pipeline::Paths paths;
    core::RealClock clock;
    system::Root root;
    Poco::Logger& log;
    pipeline::ModuleContext ctx;
};

// The fake account tools: enough of useradd/groupadd/usermod/chpasswd for the
// module to read back what it asked for. Ids come from one counter from 1000
// (system users from 999 down).
inline RecordingRunner::Handler fake_account_tools(ScratchRoot& scratch) {
    struct Ids {
        unsigned next = 1000, next_system = 999;
    };
    auto ids = std::make_shared<Ids>();
    auto edit = [&scratch](const std::string& file, auto change) {
        std::istringstream in(scratch.read(file));
        std::string out;
        for (std::string line; std::getline(in, line);) out += change(line) + "\n";
        scratch.write(file, out, file == "/etc/shadow" ? 0640 : 0644);
    };
    auto field_set = [](std::string line, std::size_t index, const std::string& value) {
        std::vector<std::string> f;
        std::size_t start = 0;
        for (std::size_t c; (c = line.find(':', start)) != std::string::npos; start = c + 1) f.push_back(line.substr(start, c - start));
        f.push_back(line.substr(start));
        f[index] = value;
        std::string out;
        for (std::size_t i = 0; i < f.size(); ++i) out += (i ? ":" : "") + f[i];
        return out;
    };
    return [&scratch, ids, edit, field_set](const std::filesystem::path&,
                                            const system::Command& cmd) -> Result<system::ChildResult> {
        system::ChildResult ok;
        ok.exit_code = 0;
        const Argv& a = cmd.argv;
        auto opt = [&](const std::string& flag) -> std::string {
            auto it = std::find(a.begin(), a.end(), flag);
            return it != a.end() && it + 1 != a.end() ? *(it + 1) : std::string();
        };
        auto has = [&](const std::string& flag) { return std::find(a.begin(), a.end(), flag) != a.end(); };
        auto group_gid = [&](const std::string& name) {
            std::istringstream in(scratch.read("/etc/group"));
            for (std::string line; std::getline(in, line);) {
                if (line.rfind(name + ":", 0) == 0) return line.substr(name.size() + 3, line.find(':', name.size() + 3) - name.size() - 3);
            }
            return std::string();
        };
        if (a[0] == "groupadd") {
            scratch.append("/etc/group", a[1] + ":x:" + std::to_string(ids->next++) + ":\n");
        } else if (a[0] == "useradd") {
            bool sys = has("--system");
            std::string id = std::to_string(sys ? ids->next_system-- : ids->next++);
            std::string gid = opt("--gid").empty() ? id : group_gid(opt("--gid"));
            if (opt("--gid").empty()) scratch.append("/etc/group", a[1] + ":x:" + id + ":\n");
            std::string home = opt("--home").empty() ? "/home/" + a[1] : opt("--home");
            std::string shell = opt("--shell").empty() ? "/bin/sh" : opt("--shell");
            scratch.append("/etc/passwd", a[1] + ":x:" + id + ":" + gid + ":" + opt("--comment") + ":" + home + ":" + shell + "\n");
            std::string expire = opt("--expiredate").empty() ? "" : std::to_string(*modules::days_since_epoch(opt("--expiredate")));
            scratch.append("/etc/shadow", a[1] + ":!:1::::" + opt("--inactive") + ":" + expire + ":\n");
            std::string groups = opt("--groups");
            for (std::size_t s = 0, c; !groups.empty() && s <= groups.size(); s = c + 1) {
                c = groups.find(',', s);
                if (c == std::string::npos) c = groups.size();
                std::string g = groups.substr(s, c - s);
                edit("/etc/group", [&](const std::string& line) {
                    return line.rfind(g + ":", 0) == 0 ? line + (line.back() == ':' ? "" : ",") + a[1] : line;
                });
            }
            if (has("-m")) scratch.mkdir(home, 0700, std::stoul(id), std::stoul(gid));
        } else if (a[0] == "usermod" && a.size() == 5 && a[1] == "-a") {
            edit("/etc/group", [&](const std::string& line) {
                return line.rfind(a[3] + ":", 0) == 0 ? line + (line.back() == ':' ? "" : ",") + a[4] : line;
            });
        } else if (a[0] == "usermod" && (a[1] == "--lock" || a[1] == "--unlock")) {
            edit("/etc/shadow", [&](const std::string& line) {
                if (line.rfind(a[2] + ":", 0) != 0) return line;
                auto entry = modules::find_shadow(line, a[2]);
                std::string pw = entry->password.reveal();
                if (a[1] == "--lock" && pw.rfind('!', 0) != 0) pw = "!" + pw;
                if (a[1] == "--unlock" && pw.rfind('!', 0) == 0) pw.erase(0, 1);
                return field_set(line, 1, pw);
            });
        } else if (a[0] == "chpasswd") {
            std::string in = *cmd.stdin_data;
            std::string name = in.substr(0, in.find(':'));
            std::string pw = in.substr(name.size() + 1, in.size() - name.size() - 2);
            if (!has("-e")) pw = "$fake$" + std::to_string(pw.size());
            edit("/etc/shadow", [&](const std::string& line) { return line.rfind(name + ":", 0) == 0 ? field_set(line, 1, pw) : line; });
        }
        return ok;
    };
}

// `tools`, except that `program` exits 1 printing `output`.
inline RecordingRunner::Handler failing_program(RecordingRunner::Handler tools, std::string program,
                                                std::string output) {
    return [=](const std::filesystem::path& root, const system::Command& cmd) -> Result<system::ChildResult> {
        if (cmd.argv[0] != program) return tools(root, cmd);
        system::ChildResult r;
        r.exit_code = 1;
        r.output = output;
        return r;
    };
}

}  // namespace kindling::test::users_groups
