// `kindling query`: see query_command.hpp. Keys are the top-level names of
// instance-data.json; meta_data/PATH walks the metadata tree by path prefix.
#include "agent/cli/query_command.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <unistd.h>

#include <iostream>
#include <sstream>

#include "agent/cli/boot_commands.hpp"
#include "agent/pipeline/module_context.hpp"

namespace kindling::cli {

namespace {

using Poco::JSON::Object;

constexpr std::string_view k_meta_prefix = "meta_data/";

QueryAnswer failure(ExitCode code, std::string message) { return {code, "", "kindling query: " + message}; }

std::string line(std::string value) {
    if (value.empty() || value.back() != '\n') value += '\n';
    return value;
}

std::string json_text(const Object& o) {
    std::ostringstream out;
    o.stringify(out, 2);
    return out.str() + "\n";
}

// Metadata leaves at `path` or below it, keyed by the rest of their path.
Object::Ptr subtree(const Object& tree, const std::string& path) {
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    const std::string prefix = path + "/";
    for (const auto& [key, value] : tree) {
        if (key.rfind(prefix, 0) == 0) out->set(key.substr(prefix.size()), value);
    }
    return out;
}

QueryAnswer list_keys(const Object& data, const std::string& key) {
    std::string out;
    if (key.empty()) {
        for (const std::string& name : data.getNames()) out += name + "\n";  // file order
        return {ExitCode::ok, out, ""};
    }
    Object::Ptr tree = data.getObject("meta_data");
    if (tree && (key == "meta_data" || key.rfind(k_meta_prefix, 0) == 0)) {
        const std::string path = key == "meta_data" ? "" : key.substr(k_meta_prefix.size());
        for (const auto& [name, value] : *tree) {
            if (path.empty() || name.rfind(path + "/", 0) == 0) out += std::string(k_meta_prefix) + name + "\n";
        }
        if (!out.empty()) return {ExitCode::ok, out, ""};
    }
    const bool is_leaf = key.rfind(k_meta_prefix, 0) == 0 ? tree && tree->has(key.substr(k_meta_prefix.size()))
                                                          : data.has(key);
    if (is_leaf) return failure(ExitCode::error, "'" + key + "' is a value, it has no keys");
    return failure(ExitCode::error, "no key '" + key + "' in instance data (see --list-keys)");
}

QueryAnswer value_of(const Object& data, const std::string& key, Reader reader) {
    if (key == "user_data") {
        if (reader != Reader::root) {
            return failure(ExitCode::permission, "user_data is readable by root only (it may hold secrets); run as root");
        }
        if (!data.has("user_data")) return failure(ExitCode::error, "this instance was given no user data");
    }
    if (key == "meta_data" || key.rfind(k_meta_prefix, 0) == 0) {
        Object::Ptr tree = data.getObject("meta_data");
        if (!tree) return failure(ExitCode::error, "no metadata tree in instance data");
        if (key == "meta_data") return {ExitCode::ok, json_text(*tree), ""};
        const std::string path = key.substr(k_meta_prefix.size());
        if (tree->has(path)) return {ExitCode::ok, line(tree->getValue<std::string>(path)), ""};
        Object::Ptr below = subtree(*tree, path);
        if (below->size() > 0) return {ExitCode::ok, json_text(*below), ""};
        return failure(ExitCode::error, "no key '" + key + "' in instance data (see --list-keys meta_data)");
    }
    if (!data.has(key)) return failure(ExitCode::error, "no key '" + key + "' in instance data (see --list-keys)");
    if (Poco::JSON::Array::Ptr list = data.getArray(key)) {
        std::string out;
        for (std::size_t i = 0; i < list->size(); ++i) out += line(list->getElement<std::string>(i));
        return {ExitCode::ok, out, ""};
    }
    if (Object::Ptr object = data.getObject(key)) return {ExitCode::ok, json_text(*object), ""};
    return {ExitCode::ok, line(data.get(key).toString()), ""};
}

}  // namespace

Reader reader_of(uid_t euid) { return euid == 0 ? Reader::root : Reader::other; }

std::string instance_data_path(Reader reader) {
    return pipeline::Paths{}.run_dir + (reader == Reader::root ? "/instance-data-sensitive.json" : "/instance-data.json");
}

QueryAnswer answer_query(const std::string& text, const QueryRequest& request, Reader reader) {
    Object::Ptr data;
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        data = parser.parse(text).extract<Object::Ptr>();
    } catch (const Poco::Exception& e) {
        return failure(ExitCode::internal, instance_data_path(reader) + ": " + e.displayText());
    }
    switch (request.mode) {
        case QueryRequest::Mode::all:
            return {ExitCode::ok, line(text), ""};
        case QueryRequest::Mode::list_keys:
            return list_keys(*data, request.key);
        case QueryRequest::Mode::key:
            return value_of(*data, request.key, reader);
    }
    return failure(ExitCode::internal, "unknown query mode");
}

ExitCode query_command(const Invocation& inv) {
    QueryRequest request;
    if (inv.operands.size() > 1) {
        std::cerr << "kindling query: give one KEY at most\n";
        return ExitCode::usage;
    }
    request.key = inv.operands.empty() ? "" : inv.operands.front();
    if (inv.has("--all") && (inv.has("--list-keys") || !request.key.empty())) {
        std::cerr << "kindling query: --all takes no KEY and no --list-keys\n";
        return ExitCode::usage;
    }
    request.mode = inv.has("--all")         ? QueryRequest::Mode::all
                   : inv.has("--list-keys") ? QueryRequest::Mode::list_keys
                                            : QueryRequest::Mode::key;
    if (request.mode == QueryRequest::Mode::key && request.key.empty()) {
        std::cerr << "kindling query: give a KEY, --all or --list-keys\n";
        return ExitCode::usage;
    }
    auto dir = root_dir(inv);
    if (!dir) return ExitCode::usage;
    system::ChildRunner runner("/dev/null");
    system::Root root(*dir, runner);
    Reader reader = reader_of(::geteuid());
    const std::string path = instance_data_path(reader);
    auto text = root.read_file(path);
    if (!text) {
        std::cerr << "kindling query: " << text.error().message << "\n";
        return ExitCode::internal;
    }
    if (!*text) {
        std::cerr << "kindling query: " << path << ": no instance data yet (the init stage has not run)\n";
        return ExitCode::no_input;
    }
    QueryAnswer answer = answer_query(**text, request, reader);
    std::cout << answer.out;
    if (!answer.err.empty()) std::cerr << answer.err << "\n";
    return answer.code;
}

}  // namespace kindling::cli
