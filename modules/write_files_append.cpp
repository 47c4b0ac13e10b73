#include "modules/write_files_append.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <map>
#include <sstream>
#include <utility>

#include "agent/core/error.hpp"
#include "modules/or_fail.hpp"

namespace kindling::modules {

namespace {

// <instance_dir>/write_files.appends: one line "KEY BEFORE AFTER" per append
// entry (hex SHA-256 of the whole file), 0600 since paths come from user data.
std::string journal_path(const pipeline::ModuleContext& ctx) {
    return ctx.paths.instance_dir.empty() ? "" : ctx.paths.instance_dir + "/write_files.appends";
}

std::string digest_of(const std::string& bytes) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(bytes);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

using Journal = std::map<std::string, std::pair<std::string, std::string>>;

Journal read_journal(pipeline::ModuleContext& ctx, const std::string& path) {
    Journal journal;
    auto text = or_fail(ctx.root.read_file(path));
    std::istringstream lines(text.value_or(""));
    std::string key, before, after;
    while (lines >> key >> before >> after) journal[key] = {before, after};
    return journal;
}

void write_journal(pipeline::ModuleContext& ctx, const std::string& path, const Journal& journal) {
    std::string text;
    for (const auto& [key, digests] : journal) text += key + " " + digests.first + " " + digests.second + "\n";
    or_fail(ctx.root.make_dirs(ctx.paths.instance_dir, {0755, 0, 0}));  // as the pipeline makes it
    or_fail(ctx.root.write_file(path, text, {0600, 0, 0}));
}

}  // namespace

AppendOutcome append_once(pipeline::ModuleContext& ctx, const std::string& key, const std::string& path,
                          const std::string& content, system::FileMode mode) {
    const std::string journal_file = journal_path(ctx);
    if (journal_file.empty()) {
        or_fail(ctx.root.append_file(path, content, mode));
        return AppendOutcome::appended;
    }
    const std::string current = or_fail(ctx.root.read_file(path)).value_or("");
    const std::string now = digest_of(current);
    Journal journal = read_journal(ctx, journal_file);
    if (auto it = journal.find(key); it != journal.end()) {
        if (now == it->second.second) return AppendOutcome::already_done;
        if (now != it->second.first) return AppendOutcome::changed_since;
        // The file is as it was before: the run that recorded this was killed
        // before its append landed.
    }
    journal[key] = {now, digest_of(current + content)};
    write_journal(ctx, journal_file, journal);
    or_fail(ctx.root.append_file(path, content, mode));
    return AppendOutcome::appended;
}

}  // namespace kindling::modules
