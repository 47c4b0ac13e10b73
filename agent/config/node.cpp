#include "agent/config/node.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "agent/userdata/yaml_types.hpp"

namespace kindling::config {

namespace {

const YAML::Node& undefined_node() {
    static const YAML::Node k_undefined = YAML::Node()["__kindling_undefined__"];
    return k_undefined;
}

bool is_plain(const YAML::Node& n) { return n.Tag() != "!"; }

std::string join_path(const std::string& base, std::string_view key) {
    return base.empty() ? std::string(key) : base + "." + std::string(key);
}

}  // namespace

std::optional<bool> parse_yaml11_bool(std::string_view t) {
    static constexpr std::array<std::string_view, 9> k_true{"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static constexpr std::array<std::string_view, 9> k_false{"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    for (auto s : k_true) {
        if (t == s) return true;
    }
    for (auto s : k_false) {
        if (t == s) return false;
    }
    return std::nullopt;
}

std::optional<std::int64_t> parse_yaml11_int(std::string_view t) {
    std::string digits;
    bool negative = false;
    if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
        negative = t[0] == '-';
        t.remove_prefix(1);
    }
    int base = 10;
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
        base = 16;
        t.remove_prefix(2);
    } else if (t.size() > 2 && t[0] == '0' && (t[1] == 'b' || t[1] == 'B')) {
        base = 2;
        t.remove_prefix(2);
    } else if (t.size() > 2 && t[0] == '0' && (t[1] == 'o' || t[1] == 'O')) {
        base = 8;  // YAML 1.2 spelling, accepted as cloud-init's schema does for modes
        t.remove_prefix(2);
    } else if (t.size() > 1 && t[0] == '0') {
        base = 8;
        t.remove_prefix(1);
    }
    for (char c : t) {
        if (c != '_') digits.push_back(c);
    }
    if (digits.empty()) {
        return t == "0" || (base == 8 && t.empty()) ? std::optional<std::int64_t>(0) : std::nullopt;
    }
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return negative ? -value : value;
}

Node::Node() : m_node(std::make_shared<const YAML::Node>(undefined_node())) {}

Node::Node(const YAML::Node& node, std::string source, std::string path)
    : m_node(std::make_shared<const YAML::Node>(node)), m_source(std::move(source)), m_path(std::move(path)) {}

bool Node::defined() const { return m_node->IsDefined(); }
bool Node::is_null() const { return m_node->IsDefined() && m_node->IsNull(); }
bool Node::is_map() const { return m_node->IsMap(); }
bool Node::is_sequence() const { return m_node->IsSequence(); }
bool Node::is_scalar() const { return m_node->IsScalar(); }

std::string Node::type_name() const {
    if (!defined()) return "nothing";
    switch (userdata::python_type(*m_node)) {
        case userdata::PyType::null:
            return "null";
        case userdata::PyType::dict:
            return "a mapping";
        case userdata::PyType::list:
            return "a list";
        case userdata::PyType::boolean:
            return "a boolean";
        case userdata::PyType::integer:
            return "an integer";
        case userdata::PyType::floating:
            return "a number";
        case userdata::PyType::timestamp:
            return "a date";
        default:
            return "a string";  // str, or a tagged scalar such as !!binary
    }
}

bool Node::is_string() const { return m_node->IsScalar() && type_name() == "a string"; }

Node Node::operator[](std::string_view key) const {
    if (!m_node->IsMap()) {
        return Node(undefined_node(), m_source, join_path(m_path, key));
    }
    for (auto it = m_node->begin(); it != m_node->end(); ++it) {
        if (it->first.IsScalar() && it->first.Scalar() == key) {
            Node child(it->second, m_source, join_path(m_path, key));
            child.m_key_line = it->first.Mark().line;
            child.m_key_column = it->first.Mark().column;
            return child;
        }
    }
    return Node(undefined_node(), m_source, join_path(m_path, key));
}

Node Node::at(std::size_t index) const {
    std::string path = m_path + "[" + std::to_string(index) + "]";
    if (!m_node->IsSequence() || index >= m_node->size()) {
        return Node(undefined_node(), m_source, path);
    }
    return Node((*m_node)[index], m_source, path);
}

std::vector<Node> Node::items() const {
    std::vector<Node> out;
    if (!m_node->IsSequence()) return out;
    std::size_t i = 0;
    for (const auto& child : *m_node) {
        out.emplace_back(child, m_source, m_path + "[" + std::to_string(i++) + "]");
    }
    return out;
}

std::vector<std::pair<std::string, Node>> Node::entries() const {
    std::vector<std::pair<std::string, Node>> out;
    if (!m_node->IsMap()) return out;
    for (auto it = m_node->begin(); it != m_node->end(); ++it) {
        std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string("<non-scalar key>");
        Node child(it->second, m_source, join_path(m_path, key));
        child.m_key_line = it->first.Mark().line;
        child.m_key_column = it->first.Mark().column;
        out.emplace_back(std::move(key), std::move(child));
    }
    return out;
}

bool Node::has(std::string_view key) const { return (*this)[key].defined(); }

Location Node::location() const {
    Location loc{m_source, 0, 0, m_path};
    if (defined()) {
        YAML::Mark mark = m_node->Mark();
        if (mark.line >= 0) {
            loc.line = mark.line + 1;
            loc.column = mark.column + 1;
        }
    }
    return loc;
}

Location Node::key_location() const {
    if (m_key_line < 0) return location();
    return Location{m_source, m_key_line + 1, m_key_column + 1, m_path};
}

std::string Node::scalar() const { return m_node->IsScalar() ? m_node->Scalar() : std::string(); }

bool Node::quoted() const { return m_node->IsScalar() && !is_plain(*m_node); }

std::string Node::tag() const { return defined() ? m_node->Tag() : std::string(); }

void Node::error(Report& report, std::string message) const { report.error(location(), std::move(message)); }

void Node::warning(Report& report, std::string message) const { report.warning(location(), std::move(message)); }

void Node::key_error(Report& report, std::string message) const { report.error(key_location(), std::move(message)); }

void Node::key_warning(Report& report, std::string message) const {
    report.warning(key_location(), std::move(message));
}

std::optional<std::string> Node::as_string(Report& report, std::string_view what) const {
    if (is_string()) {
        return m_node->Scalar();
    }
    error(report, "expected " + std::string(what) + ", got " + type_name());
    return std::nullopt;
}

std::optional<bool> Node::as_bool(Report& report) const {
    if (m_node->IsScalar() && is_plain(*m_node)) {
        if (auto b = parse_yaml11_bool(m_node->Scalar())) return b;
    }
    error(report, "expected a boolean, got " + type_name());
    return std::nullopt;
}

std::optional<std::int64_t> Node::as_int(Report& report) const {
    if (m_node->IsScalar() && is_plain(*m_node)) {
        if (auto i = parse_yaml11_int(m_node->Scalar())) return i;
    }
    error(report, "expected an integer, got " + type_name());
    return std::nullopt;
}

std::optional<std::vector<std::string>> Node::as_string_list(Report& report) const {
    if (!m_node->IsSequence()) {
        error(report, "expected a list of strings, got " + type_name());
        return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (const Node& item : items()) {
        if (auto s = item.as_string(report)) {
            out.push_back(*s);
        } else {
            ok = false;
        }
    }
    return ok ? std::optional(out) : std::nullopt;
}

std::optional<std::vector<std::string>> Node::as_string_or_list(Report& report) const {
    if (is_string()) {
        return std::vector<std::string>{m_node->Scalar()};
    }
    if (m_node->IsSequence()) {
        return as_string_list(report);
    }
    error(report, "expected a string or a list of strings, got " + type_name());
    return std::nullopt;
}

const YAML::Node& Node::yaml() const { return *m_node; }

namespace {

void keep_last(YAML::Node node, const std::string& source, const std::string& path, Report& report) {
    if (node.IsSequence()) {
        std::size_t i = 0;
        for (YAML::Node child : node) keep_last(child, source, path + "[" + std::to_string(i++) + "]", report);
        return;
    }
    if (!node.IsMap()) return;
    std::vector<std::string> keys;
    for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar()) continue;
        const std::string& key = it->first.Scalar();
        if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
            const YAML::Mark mark = it->first.Mark();
            report.warning({source, mark.line + 1, mark.column + 1, join_path(path, key)},
                           "duplicate key '" + key + "': the last one is used, as cloud-init does");
        }
        keys.push_back(key);
    }
    // yaml-cpp's remove(key) takes out the first pair with that key.
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (std::find(keys.begin() + static_cast<std::ptrdiff_t>(i) + 1, keys.end(), keys[i]) != keys.end()) {
            node.remove(keys[i]);
        }
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
        keep_last(it->second, source, it->first.IsScalar() ? join_path(path, it->first.Scalar()) : path, report);
    }
}

}  // namespace

void keep_last_of_duplicate_keys(YAML::Node& doc, const std::string& source, Report& report) {
    keep_last(doc, source, "", report);
}

Node without_keys(const Node& doc, const std::vector<std::string>& keys) {
    if (!doc.is_map()) return doc;
    YAML::Node copy(YAML::NodeType::Map);
    for (auto it = doc.yaml().begin(); it != doc.yaml().end(); ++it) {
        bool drop = it->first.IsScalar() && std::find(keys.begin(), keys.end(), it->first.Scalar()) != keys.end();
        if (!drop) copy[it->first] = it->second;
    }
    return Node(copy, doc.source(), doc.path());
}

}  // namespace kindling::config
