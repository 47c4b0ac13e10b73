#include "agent/pipeline/instance_state.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace kindling::pipeline {

namespace {

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

bool valid_instance_id(const std::string& id) {
    if (id.empty() || id.size() > 128 || id == "." || id == "..") return false;
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

Result<InstanceState> record_instance(system::Root& root, const Paths& paths, const std::string& instance_id) {
    if (!valid_instance_id(instance_id)) {
        return fail("instance id from metadata is not a safe name (letters, digits, '-', '_', '.')");
    }
    const std::string data = paths.state_dir + "/data";
    if (auto r = root.make_dirs(data, {0755, 0, 0}); !r) return std::unexpected(r.error());
    auto previous = root.read_file(data + "/instance-id");
    if (!previous) return std::unexpected(previous.error());

    InstanceState state;
    state.instance_id = instance_id;
    state.previous_instance_id = *previous ? trimmed(**previous) : "";
    state.new_instance = state.previous_instance_id != instance_id;
    if (state.new_instance) {
        if (!state.previous_instance_id.empty()) {
            if (auto r = root.write_file(data + "/previous-instance-id", state.previous_instance_id + "\n", {0644, 0, 0}); !r) {
                return std::unexpected(r.error());
            }
        }
        if (auto r = root.write_file(data + "/instance-id", instance_id + "\n", {0644, 0, 0}); !r) {
            return std::unexpected(r.error());
        }
    }
    const std::string dir = paths.state_dir + "/instances/" + instance_id;
    if (auto r = root.make_dirs(dir, {0755, 0, 0}); !r) return std::unexpected(r.error());
    if (auto r = root.symlink("instances/" + instance_id, paths.state_dir + "/instance"); !r) {
        return std::unexpected(r.error());
    }
    return state;
}

Result<std::string> current_instance_id(const system::Root& root, const Paths& paths) {
    auto text = root.read_file(paths.state_dir + "/data/instance-id");
    if (!text) return std::unexpected(text.error());
    if (!*text) return fail("no instance recorded yet (the init stage has not run)");
    std::string id = trimmed(**text);
    if (!valid_instance_id(id)) return fail(paths.state_dir + "/data/instance-id: not a valid instance id");
    return id;
}

std::string instance_info_to_json(const InstanceInfo& info, const std::string& user_data) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("instance_id", info.instance_id);
    o.set("local_hostname", info.local_hostname);
    o.set("hostname", info.hostname);
    o.set("local_ipv4", info.local_ipv4);
    o.set("region", info.region);
    o.set("availability_zone", info.availability_zone);
    o.set("instance_type", info.instance_type);
    o.set("ami_id", info.ami_id);
    Poco::JSON::Array::Ptr keys = new Poco::JSON::Array;
    for (const auto& k : info.public_keys) keys->add(k);
    o.set("public_ssh_keys", keys);
    Poco::JSON::Object::Ptr tree = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [path, value] : info.tree) tree->set(path, value);
    o.set("meta_data", tree);
    if (!user_data.empty()) o.set("user_data", user_data);
    std::ostringstream out;
    o.stringify(out, 2);
    out << "\n";
    return out.str();
}

Result<InstanceInfo> instance_info_from_json(const std::string& text) {
    try {
        Poco::JSON::Parser parser;
        auto o = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
        auto str = [&](const char* key) { return o->has(key) ? o->getValue<std::string>(key) : std::string(); };
        InstanceInfo info;
        info.instance_id = str("instance_id");
        info.local_hostname = str("local_hostname");
        info.hostname = str("hostname");
        info.local_ipv4 = str("local_ipv4");
        info.region = str("region");
        info.availability_zone = str("availability_zone");
        info.instance_type = str("instance_type");
        info.ami_id = str("ami_id");
        if (auto keys = o->getArray("public_ssh_keys")) {
            for (std::size_t i = 0; i < keys->size(); ++i) info.public_keys.push_back(keys->getElement<std::string>(i));
        }
        if (auto tree = o->getObject("meta_data")) {
            for (const auto& [k, v] : *tree) info.tree[k] = v.toString();
        }
        // Kept in meta_data only (instance-data.json has no key of its own for it).
        if (auto it = info.tree.find("ami-launch-index"); it != info.tree.end()) info.launch_index = trimmed(it->second);
        return info;
    } catch (const Poco::Exception& e) {
        return fail("instance data: " + e.displayText());
    }
}

Result<InstanceLock> InstanceLock::acquire(system::Root& root, const std::string& run_dir, core::Clock& clock,
                                           core::Millis wait) {
    if (auto r = root.make_dirs(run_dir, {0755, 0, 0}); !r) return std::unexpected(r.error());
    auto dir = root.open_dir(run_dir);
    if (!dir) return std::unexpected(dir.error());
    core::Fd fd(::openat(dir->get(), "kindling.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return fail("'" + run_dir + "/kindling.lock': open: " + std::strerror(errno));
    core::Deadline deadline(clock, wait);
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) return fail("'" + run_dir + "/kindling.lock': flock: " + std::strerror(errno));
        if (deadline.expired()) {
            char buf[32] = {};
            ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
            std::string holder = n > 0 ? trimmed(std::string(buf, static_cast<std::size_t>(n))) : "unknown";
            return fail("another kindling is running (pid " + holder + "), gave up waiting after " +
                        std::to_string(wait.count() / 1000) + " s");
        }
        clock.sleep_for(core::Millis(std::min<long>(100, deadline.remaining().count() + 1)));
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) {
        // The pid is only informative; the lock itself is held.
    }
    return InstanceLock(std::move(fd));
}

}  // namespace kindling::pipeline
