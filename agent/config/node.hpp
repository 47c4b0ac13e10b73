// config::Node is how modules read their cloud-config: a yaml-cpp node plus
// where it came from (source name, line, column) and its key path. Typed reads
// report a precise error into a Report and return nullopt; they never throw.
// yaml-cpp stays behind this header (modules include none of its headers).
// Scalars follow YAML 1.1 as cloud-init's PyYAML reads them: yes/no/on/off are
// booleans, 0644 is octal, quoted scalars are always strings.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/config/report.hpp"

namespace YAML {
class Node;
}

namespace kindling::config {

class Node {
public:
    Node();  // an undefined node
    Node(const YAML::Node& node, std::string source, std::string path = {});

    // Present in the document (a key with an empty value is defined and null).
    bool defined() const;
    bool is_null() const;
    bool is_map() const;
    bool is_sequence() const;
    bool is_scalar() const;
    // What PyYAML loads it as: "a mapping", "a list", "a string", "an
    // integer", "a boolean", "a number" (a float), "a date", "null".
    std::string type_name() const;
    // A scalar that loads as a string: quoted, or plain and not a boolean,
    // number, date or null (`5`, `yes`, `2020-01-01` are not), or tagged
    // (!!str, !!binary).
    bool is_string() const;

    // Child by key ("a.b" path) or index ("a[1]"); undefined if absent.
    Node operator[](std::string_view key) const;
    Node at(std::size_t index) const;
    std::vector<Node> items() const;                            // sequence children
    std::vector<std::pair<std::string, Node>> entries() const;  // mapping children, in order
    bool has(std::string_view key) const;

    Location location() const;
    // Where this node's key is, for a child got from a mapping (operator[] or
    // entries()); location() for any other node. Messages about the key itself
    // ("unknown key") point here, at the key, not at its value.
    Location key_location() const;
    const std::string& path() const { return m_path; }
    const std::string& source() const { return m_source; }

    // The raw scalar text; only meaningful for scalars.
    std::string scalar() const;
    // Whether the scalar was quoted in the document (then it is always a string).
    bool quoted() const;
    // The tag as written in full: "tag:yaml.org,2002:binary" for `!!binary`,
    // "!" for a quoted scalar, "?" or "" for a plain one.
    std::string tag() const;

    // Typed reads. On a type mismatch they add an error to `report`
    // ("expected <what>, got <type_name()>") and return nullopt. The string
    // reads take only is_string() scalars, as cloud-init's schema `type:
    // string` does: `timezone: 5` is "expected a string, got an integer".
    std::optional<std::string> as_string(Report& report, std::string_view what = "a string") const;
    std::optional<bool> as_bool(Report& report) const;
    std::optional<std::int64_t> as_int(Report& report) const;
    std::optional<std::vector<std::string>> as_string_list(Report& report) const;
    // A single string or a list of strings (cloud-init's "string or list").
    std::optional<std::vector<std::string>> as_string_or_list(Report& report) const;

    void error(Report& report, std::string message) const;
    void warning(Report& report, std::string message) const;
    // The same, at key_location().
    void key_error(Report& report, std::string message) const;
    void key_warning(Report& report, std::string message) const;

    // The underlying yaml-cpp node, for agent/config and agent/userdata only.
    const YAML::Node& yaml() const;

private:
    std::shared_ptr<const YAML::Node> m_node;
    std::string m_source;
    std::string m_path;
    int m_key_line = -1;  // 0-based yaml-cpp mark of the key; -1 when not a mapping child
    int m_key_column = -1;
};

// A copy of mapping `doc` without the given top-level keys (for dropping the
// keys that failed validation under the warn policy).
Node without_keys(const Node& doc, const std::vector<std::string>& keys);

// PyYAML keeps the last of two equal keys in one mapping; yaml-cpp keeps both
// and finds the first. This drops the earlier ones, in place and at every
// level, and warns at each later key ("duplicate key 'runcmd': the last one is
// used, as cloud-init does"). parse_yaml runs it on every document it loads.
void keep_last_of_duplicate_keys(YAML::Node& doc, const std::string& source, Report& report);

// YAML 1.1 boolean and integer spellings (PyYAML's resolver), for plain scalars.
std::optional<bool> parse_yaml11_bool(std::string_view text);
std::optional<std::int64_t> parse_yaml11_int(std::string_view text);

}  // namespace kindling::config
