#include "agent/pipeline/status.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sys/resource.h>

#include <chrono>
#include <sstream>

namespace kindling::pipeline {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string_view state_name(ModuleState s) {
    switch (s) {
        case ModuleState::success:
            return "success";
        case ModuleState::failed:
            return "failed";
        case ModuleState::skipped:
            return "skipped";
    }
    return "?";
}

ModuleState state_from(const std::string& s) {
    if (s == "success") return ModuleState::success;
    if (s == "failed") return ModuleState::failed;
    return ModuleState::skipped;
}

Array::Ptr strings(const std::vector<std::string>& list) {
    Array::Ptr out = new Array;
    for (const auto& s : list) out->add(s);
    return out;
}

std::vector<std::string> strings_from(const Array::Ptr& arr) {
    std::vector<std::string> out;
    if (!arr) return out;
    for (std::size_t i = 0; i < arr->size(); ++i) out.push_back(arr->getElement<std::string>(i));
    return out;
}

template <class T>
T get_or(const Object::Ptr& obj, const std::string& key, T fallback) {
    return obj && obj->has(key) && !obj->isNull(key) ? obj->getValue<T>(key) : fallback;
}

}  // namespace

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

ResourceRecord self_usage() {
    struct rusage ru {};
    ::getrusage(RUSAGE_SELF, &ru);
    auto ms = [](const timeval& tv) { return static_cast<std::int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000; };
    return {ms(ru.ru_utime) + ms(ru.ru_stime), ru.ru_maxrss};
}

std::string BootRecord::overall() const {
    // An error anywhere is final; otherwise the boot runs until the final stage
    // has ended (after `kindling init` alone it is still running).
    bool degraded = false, running = stage("final") == nullptr;
    for (const StageRecord& s : stages) {
        if (s.state == "error") return "error";
        running = running || s.state == "running";
        degraded = degraded || s.state == "degraded";
    }
    return running ? "running" : degraded ? "degraded" : "done";
}

StageRecord* BootRecord::stage(std::string_view name) {
    for (auto& s : stages) {
        if (s.name == name) return &s;
    }
    return nullptr;
}

const StageRecord* BootRecord::stage(std::string_view name) const {
    return const_cast<BootRecord*>(this)->stage(name);
}

std::string to_json(const BootRecord& record) {
    Object root(Poco::JSON_PRESERVE_KEY_ORDER);
    root.set("version", record.version);
    root.set("status", record.overall());
    root.set("instance_id", record.instance_id);
    root.set("new_instance", record.new_instance);

    Object::Ptr imds = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    imds->set("endpoint", record.imds.endpoint);
    imds->set("requests", record.imds.requests);
    imds->set("retries", record.imds.retries);
    imds->set("token_refreshes", record.imds.token_refreshes);
    imds->set("elapsed_ms", record.imds.elapsed_ms);
    imds->set("error", record.imds.error);
    root.set("imds", imds);

    Array::Ptr parts = new Array;
    for (const PartRecord& p : record.parts) {
        Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("part", static_cast<Poco::UInt64>(p.part));
        o->set("name", p.name);
        o->set("type", p.type);
        o->set("size", static_cast<Poco::UInt64>(p.size));
        o->set("destination", p.destination);
        parts->add(o);
    }
    root.set("user_data_parts", parts);

    Array::Ptr stages = new Array;
    for (const StageRecord& s : record.stages) {
        Object::Ptr so = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        so->set("name", s.name);
        so->set("status", s.state);
        so->set("start_ms", s.start_ms);
        so->set("end_ms", s.end_ms);
        so->set("duration_ms", s.end_ms > s.start_ms ? s.end_ms - s.start_ms : 0);
        Array::Ptr modules = new Array;
        for (const ModuleRecord& m : s.modules) {
            Object::Ptr mo = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            mo->set("name", m.name);
            mo->set("status", std::string(state_name(m.state)));
            mo->set("frequency", m.frequency);
            mo->set("message", m.message);
            mo->set("start_ms", m.start_ms);
            mo->set("end_ms", m.end_ms);
            mo->set("duration_ms", m.end_ms - m.start_ms);
            modules->add(mo);
        }
        so->set("modules", modules);
        so->set("errors", strings(s.errors));
        so->set("warnings", strings(s.warnings));
        stages->add(so);
    }
    root.set("stages", stages);
    Object::Ptr agent = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    agent->set("cpu_ms", record.agent.cpu_ms);
    agent->set("max_rss_kb", record.agent.max_rss_kb);
    root.set("agent", agent);
    std::ostringstream out;
    root.stringify(out, 2);
    out << "\n";
    return out.str();
}

Result<BootRecord> from_json(const std::string& text) {
    try {
        Poco::JSON::Parser parser;
        Object::Ptr root = parser.parse(text).extract<Object::Ptr>();
        BootRecord r;
        r.version = get_or<std::string>(root, "version", "");
        r.instance_id = get_or<std::string>(root, "instance_id", "");
        r.new_instance = get_or<bool>(root, "new_instance", false);
        if (Object::Ptr imds = root->getObject("imds")) {
            r.imds.endpoint = get_or<std::string>(imds, "endpoint", "");
            r.imds.requests = get_or<int>(imds, "requests", 0);
            r.imds.retries = get_or<int>(imds, "retries", 0);
            r.imds.token_refreshes = get_or<int>(imds, "token_refreshes", 0);
            r.imds.elapsed_ms = get_or<Poco::Int64>(imds, "elapsed_ms", 0);
            r.imds.error = get_or<std::string>(imds, "error", "");
        }
        if (Array::Ptr parts = root->getArray("user_data_parts")) {
            for (std::size_t i = 0; i < parts->size(); ++i) {
                Object::Ptr p = parts->getObject(i);
                r.parts.push_back({static_cast<std::size_t>(get_or<Poco::UInt64>(p, "part", i + 1)),
                                   get_or<std::string>(p, "name", ""), get_or<std::string>(p, "type", ""),
                                   static_cast<std::size_t>(get_or<Poco::UInt64>(p, "size", 0)),
                                   get_or<std::string>(p, "destination", "")});
            }
        }
        if (Array::Ptr stages = root->getArray("stages")) {
            for (std::size_t i = 0; i < stages->size(); ++i) {
                Object::Ptr so = stages->getObject(i);
                StageRecord s;
                s.name = get_or<std::string>(so, "name", "");
                s.state = get_or<std::string>(so, "status", "running");
                s.start_ms = get_or<Poco::Int64>(so, "start_ms", 0);
                s.end_ms = get_or<Poco::Int64>(so, "end_ms", 0);
                if (Array::Ptr modules = so->getArray("modules")) {
                    for (std::size_t j = 0; j < modules->size(); ++j) {
                        Object::Ptr mo = modules->getObject(j);
                        s.modules.push_back({get_or<std::string>(mo, "name", ""),
                                             state_from(get_or<std::string>(mo, "status", "")),
                                             get_or<std::string>(mo, "frequency", ""),
                                             get_or<std::string>(mo, "message", ""),
                                             get_or<Poco::Int64>(mo, "start_ms", 0),
                                             get_or<Poco::Int64>(mo, "end_ms", 0)});
                    }
                }
                s.errors = strings_from(so->getArray("errors"));
                s.warnings = strings_from(so->getArray("warnings"));
                r.stages.push_back(std::move(s));
            }
        }
        if (Object::Ptr agent = root->getObject("agent")) {
            r.agent.cpu_ms = get_or<Poco::Int64>(agent, "cpu_ms", 0);
            r.agent.max_rss_kb = get_or<Poco::Int64>(agent, "max_rss_kb", 0);
        }
        return r;
    } catch (const Poco::Exception& e) {
        return fail("status.json: " + e.displayText());
    }
}

Result<void> write_status(system::Root& root, const std::string& run_dir, const BootRecord& record) {
    if (auto r = root.make_dirs(run_dir, {0755, 0, 0}); !r) return r;
    if (auto r = root.write_file(run_dir + "/status.json", to_json(record), {0644, 0, 0}); !r) return r;

    Object result(Poco::JSON_PRESERVE_KEY_ORDER);
    result.set("status", record.overall());
    result.set("instance_id", record.instance_id);
    Array::Ptr errors = new Array;
    for (const StageRecord& s : record.stages) {
        for (const std::string& e : s.errors) errors->add(s.name + ": " + e);
    }
    result.set("errors", errors);
    std::ostringstream out;
    result.stringify(out, 2);
    out << "\n";
    return root.write_file(run_dir + "/result.json", out.str(), {0644, 0, 0});
}

Result<std::optional<BootRecord>> read_status(const system::Root& root, const std::string& run_dir) {
    auto text = root.read_file(run_dir + "/status.json");
    if (!text) return std::unexpected(text.error());
    if (!*text) return std::optional<BootRecord>();
    auto record = from_json(**text);
    if (!record) return std::unexpected(record.error());
    return std::optional<BootRecord>(std::move(*record));
}

std::string describe_part(const PartRecord& part) {
    return "user-data part " + std::to_string(part.part) + (part.name.empty() ? "" : " '" + part.name + "'") + ": " +
           part.type + ", " + std::to_string(part.size) + " bytes -> " + part.destination;
}

}  // namespace kindling::pipeline
