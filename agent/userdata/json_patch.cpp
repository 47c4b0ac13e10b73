#include "agent/userdata/json_patch.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <array>
#include <charconv>
#include <optional>

#include "agent/core/limits.hpp"
#include "agent/userdata/codec.hpp"
#include "agent/userdata/yaml_types.hpp"

namespace kindling::userdata {

namespace {

constexpr std::string_view k_prefix = "#cloud-config-jsonp";
constexpr std::array<std::string_view, 6> k_ops{"add", "remove", "replace", "move", "copy", "test"};

// ---- JSON -> YAML ----------------------------------------------------------

YAML::Node str_node(const std::string& text) {
    YAML::Node node(text);
    node.SetTag("!");  // a string whatever it spells ("yes", "0644")
    return node;
}

YAML::Node plain_node(const std::string& text) {
    YAML::Node node(text);
    node.SetTag("?");  // resolved as PyYAML would (a number, true, false)
    return node;
}

// A double as a YAML 1.1 float: PyYAML needs a '.' ("1e+20" alone is a string).
std::string float_text(double value) {
    char buffer[64];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    std::string text(buffer, ec == std::errc{} ? end : buffer);
    const auto exponent = text.find('e');
    if (text.find('.') == std::string::npos) {
        text.insert(exponent == std::string::npos ? text.size() : exponent, ".0");
    }
    return text;
}

YAML::Node to_yaml(const Poco::Dynamic::Var& value) {
    if (value.isEmpty()) {
        return YAML::Node(YAML::NodeType::Null);
    }
    if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
        const auto object = value.extract<Poco::JSON::Object::Ptr>();
        YAML::Node map(YAML::NodeType::Map);
        for (const std::string& key : object->getNames()) {
            map.force_insert(str_node(key), to_yaml(object->get(key)));
        }
        return map;
    }
    if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto array = value.extract<Poco::JSON::Array::Ptr>();
        YAML::Node list(YAML::NodeType::Sequence);
        for (std::size_t i = 0; i < array->size(); ++i) {
            list.push_back(to_yaml(array->get(i)));
        }
        return list;
    }
    if (value.type() == typeid(bool)) {
        return plain_node(value.extract<bool>() ? "true" : "false");
    }
    if (value.isString()) {
        return str_node(value.extract<std::string>());
    }
    if (value.isInteger()) {
        return plain_node(value.convert<std::string>());
    }
    return plain_node(float_text(value.convert<double>()));
}

// Poco sometimes reports the end of the text as the byte 0xff; say it in words.
std::string json_error(const Poco::Exception& e) {
    std::string message = e.message();
    if (message.find('\xff') != std::string::npos) {
        return "unexpected end of text";
    }
    if (message == "Maximum depth exceeded") {  // Parser::setDepth below
        return "nested deeper than " + std::to_string(limits::k_yaml_depth) + " levels";
    }
    return message;
}

// ---- JSON Pointer (RFC 6901) -----------------------------------------------

Result<std::vector<std::string>> parse_pointer(const std::string& text) {
    std::vector<std::string> tokens;
    if (text.empty()) {
        return tokens;  // the whole document
    }
    if (text[0] != '/') {
        return fail("'" + text + "' is not a JSON Pointer (it must be empty or start with '/')");
    }
    std::string token;
    for (std::size_t i = 1; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == '/') {
            tokens.push_back(std::move(token));
            token.clear();
        } else if (text[i] == '~') {
            if (i + 1 < text.size() && (text[i + 1] == '0' || text[i + 1] == '1')) {
                token.push_back(text[i + 1] == '0' ? '~' : '/');
                ++i;
            } else {
                return fail("'" + text + "' is not a JSON Pointer ('~' must be followed by 0 or 1)");
            }
        } else {
            token.push_back(text[i]);
        }
    }
    return tokens;
}

std::string pointer_text(const std::vector<std::string>& tokens, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) {
        out += '/';
        for (char c : tokens[i]) {
            out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
        }
    }
    return out;
}

// "0" or a number without a leading zero (RFC 6901 array-index).
std::optional<std::size_t> list_index(const std::string& token) {
    if (token.empty() || token.size() > 9 || (token.size() > 1 && token[0] == '0')) {
        return std::nullopt;
    }
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (ec != std::errc{} || end != token.data() + token.size()) {
        return std::nullopt;
    }
    return value;
}

std::string type_phrase(const YAML::Node& node) {
    switch (python_type(node)) {
        case PyType::dict:
            return "a mapping";
        case PyType::list:
            return "a list";
        case PyType::null:
            return "null";
        case PyType::boolean:
            return "a boolean";
        case PyType::integer:
        case PyType::floating:
            return "a number";
        default:
            return "a string";
    }
}

// ---- applying ----------------------------------------------------------------

// Keeps the patched config within limits::k_yaml_nodes nodes (counting every
// node a patch adds) and limits::k_yaml_depth levels (a value put at depth
// `depth` must fit below it). Checked before a value is copied or put, so a
// patch that copies a tree into itself stops by name, and nothing walking the
// config later recurses deeper than the limit.
class Budget {
public:
    explicit Budget(std::size_t left) : m_left(left) {}
    Result<void> take(const YAML::Node& node, std::size_t depth) { return walk(node, depth, true); }
    Result<void> fits(const YAML::Node& node, std::size_t depth) { return walk(node, depth, false); }

private:
    Result<void> walk(const YAML::Node& node, std::size_t depth, bool count) {
        if (depth > limits::k_yaml_depth) {
            return fail("YAML nested deeper than " + std::to_string(limits::k_yaml_depth) + " levels");
        }
        if (count) {
            if (m_left == 0) {
                return fail("more than " + std::to_string(limits::k_yaml_nodes) + " YAML nodes");
            }
            --m_left;
        }
        if (node.IsMap()) {
            for (const auto& entry : node) {
                if (auto walked = walk(entry.second, depth + 1, count); !walked) return walked;
            }
        } else if (node.IsSequence()) {
            for (const auto& item : node) {
                if (auto walked = walk(item, depth + 1, count); !walked) return walked;
            }
        }
        return {};
    }

    std::size_t m_left;
};

// A tree of fresh nodes equal to `node` (aliases expanded): the patched config
// shares nothing with its input, so changing it in place is safe.
YAML::Node deep_copy(const YAML::Node& node) {
    if (node.IsMap()) {
        YAML::Node out(YAML::NodeType::Map);
        for (const auto& entry : node) {
            out.force_insert(deep_copy(entry.first), deep_copy(entry.second));
        }
        return out;
    }
    if (node.IsSequence()) {
        YAML::Node out(YAML::NodeType::Sequence);
        for (const auto& item : node) {
            out.push_back(deep_copy(item));
        }
        return out;
    }
    if (!node.IsDefined() || node.IsNull()) {
        return YAML::Node(YAML::NodeType::Null);
    }
    YAML::Node out(node.Scalar());
    out.SetTag(node.Tag());
    return out;
}

class Patcher {
public:
    Patcher(YAML::Node doc, Budget budget) : m_doc(std::move(doc)), m_budget(budget) {}

    Result<void> apply(const PatchOperation& op) {
        if (op.op == "add") return add(op.path, op.value);
        if (op.op == "remove") return remove(op.path);
        if (op.op == "replace") {
            auto target = find(op.path, op.path.size());
            if (!target) return std::unexpected(target.error());
            if (auto taken = m_budget.take(op.value, op.path.size()); !taken) return taken;
            return put(op.path, deep_copy(op.value), true);
        }
        if (op.op == "test") {
            auto target = find(op.path, op.path.size());
            if (!target) return std::unexpected(target.error());
            if (!python_equal(*target, op.value)) return fail("test failed: the value differs");
            return {};
        }
        auto source = find(op.from, op.from.size());
        if (!source) return std::unexpected(source.error());
        if (op.op == "copy") return add(op.path, *source);
        // move
        if (op.from == op.path) return {};
        if (op.from.size() < op.path.size() && std::equal(op.from.begin(), op.from.end(), op.path.begin())) {
            return fail("cannot move a value into itself");
        }
        if (auto fits = m_budget.fits(*source, op.path.size()); !fits) return fits;
        YAML::Node moved = *source;  // still alive once removed from its parent
        if (auto removed = remove(op.from); !removed) return removed;
        return put(op.path, moved, false);
    }

    const YAML::Node& doc() const { return m_doc; }

private:
    // The node the first `count` tokens of `path` name.
    // (yaml-cpp's operator= on a node changes the node it refers to; reset()
    // only moves the handle, which is what walking down needs.)
    Result<YAML::Node> find(const std::vector<std::string>& path, std::size_t count) {
        YAML::Node node = m_doc;
        for (std::size_t i = 0; i < count; ++i) {
            const std::string at = pointer_text(path, i);
            const std::string where = at.empty() ? "the top level" : "'" + at + "'";
            if (node.IsMap()) {
                auto child = map_child(node, path[i]);
                if (!child) return fail("no key '" + path[i] + "' in the mapping at " + where);
                node.reset(*child);
            } else if (node.IsSequence()) {
                auto index = list_index(path[i]);
                if (!index) return fail("'" + path[i] + "' is not an index of the list at " + where);
                if (*index >= node.size()) {
                    return fail("no item " + path[i] + " in the list at " + where + " (" +
                                std::to_string(node.size()) + " items)");
                }
                node.reset(node[*index]);
            } else {
                return fail(where + " is " + type_phrase(node) + ", not a mapping or a list");
            }
        }
        return node;
    }

    static std::optional<YAML::Node> map_child(const YAML::Node& map, const std::string& key) {
        for (const auto& entry : map) {
            if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
        }
        return std::nullopt;
    }

    // Adds a fresh copy of `value` (the patch's own, or a copy's source).
    Result<void> add(const std::vector<std::string>& path, const YAML::Node& value) {
        if (auto taken = m_budget.take(value, path.size()); !taken) return taken;
        return put(path, deep_copy(value), false);
    }

    // Sets the value at `path`: `existing` says it must already be there
    // (replace) rather than be added; in a list, adding inserts.
    Result<void> put(const std::vector<std::string>& path, YAML::Node value, bool existing) {
        if (path.empty()) {
            m_doc.reset(value);
            return {};
        }
        auto parent = find(path, path.size() - 1);
        if (!parent) return std::unexpected(parent.error());
        const std::string& last = path.back();
        const std::string at = pointer_text(path, path.size() - 1);
        const std::string where = at.empty() ? "the top level" : "'" + at + "'";
        YAML::Node container = *parent;
        if (container.IsMap()) {
            if (auto child = map_child(container, last)) {
                YAML::Node slot = *child;
                slot = value;
                return {};
            }
            if (existing) return fail("no key '" + last + "' in the mapping at " + where);
            container.force_insert(str_node(last), value);
            return {};
        }
        if (container.IsSequence()) {
            std::size_t index = container.size();
            if (last != "-" || existing) {
                auto parsed = list_index(last);
                if (!parsed) return fail("'" + last + "' is not an index of the list at " + where);
                index = *parsed;
            }
            const std::size_t size = container.size();
            if (existing ? index >= size : index > size) {
                return fail("no item " + last + " in the list at " + where + " (" + std::to_string(size) +
                            " items)");
            }
            if (existing) {
                YAML::Node slot = container[index];
                slot = value;
                return {};
            }
            YAML::Node list(YAML::NodeType::Sequence);
            for (std::size_t i = 0; i <= size; ++i) {
                if (i == index) list.push_back(value);
                if (i < size) list.push_back(container[i]);
            }
            container = list;  // in place: the parent now holds the longer list
            return {};
        }
        return fail(where + " is " + type_phrase(container) + ", not a mapping or a list");
    }

    Result<void> remove(const std::vector<std::string>& path) {
        if (path.empty()) return fail("cannot remove the whole cloud-config");
        auto target = find(path, path.size());
        if (!target) return std::unexpected(target.error());
        YAML::Node container = *find(path, path.size() - 1);
        const std::string& last = path.back();
        if (container.IsMap()) {
            for (const auto& entry : container) {
                if (entry.first.IsScalar() && entry.first.Scalar() == last) {
                    container.remove(entry.first);
                    return {};
                }
            }
        }
        const std::size_t index = *list_index(last);  // find() accepted it
        YAML::Node list(YAML::NodeType::Sequence);
        for (std::size_t i = 0; i < container.size(); ++i) {
            if (i != index) list.push_back(container[i]);
        }
        container = list;
        return {};
    }

    YAML::Node m_doc;
    Budget m_budget;
};

std::string describe(const PatchOperation& op, std::size_t number) {
    std::string out = "operation " + std::to_string(number) + " (" + op.op;
    if (op.op == "move" || op.op == "copy") {
        out += " '" + op.from_text + "' to";
    }
    return out + " '" + op.path_text + "')";
}

}  // namespace

Result<JsonPatch> parse_json_patch(std::string_view body) {
    const auto start = body.find_first_not_of(" \t\r\n");
    body.remove_prefix(start == std::string_view::npos ? body.size() : start);
    if (ascii_lower(body.substr(0, k_prefix.size())) == k_prefix) {
        body.remove_prefix(k_prefix.size());
    }
    const auto first = body.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && body[first] != '[' && body[first] != '{') {
        return fail("a JSON patch is a list of operations, and this does not start with '['");
    }
    Poco::Dynamic::Var parsed;
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        parser.setDepth(limits::k_yaml_depth);
        parsed = parser.parse(std::string(body));
    } catch (const Poco::Exception& e) {
        return fail("not valid JSON: " + json_error(e));
    }
    if (parsed.type() != typeid(Poco::JSON::Array::Ptr)) {
        return fail("a JSON patch is a list of operations, got an object");
    }
    const auto array = parsed.extract<Poco::JSON::Array::Ptr>();
    JsonPatch patch;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const std::string which = "operation " + std::to_string(i + 1);
        const Poco::Dynamic::Var item = array->get(i);
        if (item.type() != typeid(Poco::JSON::Object::Ptr)) {
            return fail(which + ": expected an object with \"op\" and \"path\"");
        }
        const auto object = item.extract<Poco::JSON::Object::Ptr>();
        auto member = [&](const std::string& name) -> Result<std::string> {
            if (!object->has(name)) return fail(which + ": no \"" + name + "\" member");
            const Poco::Dynamic::Var value = object->get(name);
            if (!value.isString()) return fail(which + ": \"" + name + "\" must be a string");
            return value.extract<std::string>();
        };
        PatchOperation op;
        auto name = member("op");
        if (!name) return std::unexpected(name.error());
        if (std::find(k_ops.begin(), k_ops.end(), *name) == k_ops.end()) {
            return fail(which + ": unknown op '" + *name + "' (expected add, remove, replace, move, copy or test)");
        }
        op.op = *name;
        const std::string named = which + " (" + op.op + ")";
        auto path = member("path");
        if (!path) return std::unexpected(path.error());
        op.path_text = *path;
        auto tokens = parse_pointer(*path);
        if (!tokens) return fail(named + ": \"path\"", tokens.error());
        op.path = std::move(*tokens);
        if (op.op == "move" || op.op == "copy") {
            auto from = member("from");
            if (!from) return std::unexpected(from.error());
            op.from_text = *from;
            auto from_tokens = parse_pointer(*from);
            if (!from_tokens) return fail(named + ": \"from\"", from_tokens.error());
            op.from = std::move(*from_tokens);
        }
        if (op.op == "add" || op.op == "replace" || op.op == "test") {
            if (!object->has("value")) return fail(named + ": no \"value\" member");
            op.value = to_yaml(object->get("value"));
        }
        patch.push_back(std::move(op));
    }
    return patch;
}

Result<YAML::Node> apply_json_patch(const YAML::Node& doc, const JsonPatch& patch) {
    Budget budget(limits::k_yaml_nodes);
    if (auto counted = budget.take(doc, 0); !counted) return std::unexpected(counted.error());
    Patcher patcher(deep_copy(doc), budget);
    for (std::size_t i = 0; i < patch.size(); ++i) {
        if (auto applied = patcher.apply(patch[i]); !applied) {
            return fail(describe(patch[i], i + 1), applied.error());
        }
    }
    return patcher.doc();
}

}  // namespace kindling::userdata
