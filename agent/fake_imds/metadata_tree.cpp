#include "agent/fake_imds/metadata_tree.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace kindling::fake_imds {
namespace {

// "ssh-rsa AAAA... comment" -> "comment"; IMDS lists the key-pair name there.
std::string key_name(const std::string& key, const std::string& index) {
    std::istringstream in(key);
    std::string type, blob, comment;
    in >> type >> blob >> comment;
    return comment.empty() ? "key-" + index : comment;
}

void load_section(const Poco::JSON::Object::Ptr& root, const std::string& name, MetadataTree& tree) {
    if (!root->has(name)) return;
    auto section = root->getObject(name);
    if (!section || !section->has("paths")) {
        throw std::runtime_error("section '" + name + "' has no \"paths\" object");
    }
    auto paths = section->getObject("paths");
    auto values = section->has("values") ? section->getObject("values") : Poco::JSON::Object::Ptr{};
    if (!paths) throw std::runtime_error("section '" + name + "': \"paths\" is not an object");
    for (const auto& [key, path_value] : *paths) {
        if (!path_value.isString()) throw std::runtime_error(name + ".paths." + key + ": not a string");
        std::string path = path_value.toString();
        if (path.rfind("/latest/", 0) != 0) throw std::runtime_error(name + ".paths." + key + ": '" + path + "' does not start with /latest/");
        if (!values || !values->has(key) || values->isNull(key)) continue;
        Poco::Dynamic::Var value = values->get(key);
        if (value.isString()) {
            tree.set(path, value.toString());
        } else if (value.type() == typeid(Poco::JSON::Object::Ptr) || value.type() == typeid(Poco::JSON::Array::Ptr)) {
            std::ostringstream out;
            Poco::JSON::Stringifier::stringify(value, out, 2);
            tree.set(path, out.str());
        } else {
            tree.set(path, value.toString());
        }
    }
}

}  // namespace

MetadataTree MetadataTree::from_json(const std::string& text) {
    Poco::JSON::Object::Ptr root;
    try {
        Poco::JSON::Parser parser;
        root = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("invalid JSON: " + e.displayText());
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("invalid JSON: ") + e.what());
    }
    MetadataTree tree;
    load_section(root, "metadata", tree);
    load_section(root, "dynamic", tree);
    return tree;
}

MetadataTree MetadataTree::from_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("'" + file.string() + "': cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    try {
        return from_json(text.str());
    } catch (const std::runtime_error& e) {
        throw std::runtime_error("'" + file.string() + "': " + e.what());
    }
}

void MetadataTree::set(const std::string& path, std::string value) { m_leaves[path] = std::move(value); }

void MetadataTree::erase(const std::string& path) { m_leaves.erase(path); }

std::optional<std::string> MetadataTree::lookup(const std::string& path) const {
    std::string dir = path;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    const std::string prefix = dir + "/";
    std::set<std::string> children;
    for (auto it = m_leaves.lower_bound(prefix); it != m_leaves.end() && it->first.rfind(prefix, 0) == 0; ++it) {
        std::string rest = it->first.substr(prefix.size());
        auto slash = rest.find('/');
        children.insert(slash == std::string::npos ? rest : rest.substr(0, slash + 1));
    }
    for (auto it = children.begin(); it != children.end();) {
        it = !it->ends_with('/') && children.contains(*it + "/") ? children.erase(it) : std::next(it);
    }
    if (children.empty()) {
        auto leaf = m_leaves.find(dir);
        if (leaf == m_leaves.end()) return std::nullopt;
        return leaf->second;
    }
    const bool public_keys = dir.ends_with("/meta-data/public-keys");
    std::string listing;
    for (const auto& child : children) {
        if (!listing.empty()) listing += '\n';
        if (public_keys && child.ends_with('/')) {
            std::string index = child.substr(0, child.size() - 1);
            auto key = m_leaves.find(prefix + index + "/openssh-key");
            listing += index + "=" + key_name(key == m_leaves.end() ? "" : key->second, index);
        } else {
            listing += child;
        }
    }
    return listing;
}

}  // namespace kindling::fake_imds
