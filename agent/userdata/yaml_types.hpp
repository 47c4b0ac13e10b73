// What Python value cloud-init sees for a YAML node: PyYAML reads YAML 1.1, so
// a plain `yes` is a bool, `0644` an int (octal), `2024-01-01` a date, while a
// quoted, block or !!str scalar is always a str. Merging (which merger applies),
// #cloud-config-archive (which entries are strings) and #cloud-config-jsonp
// (`test` equality) all decide by this type.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>

namespace kindling::userdata {

enum class PyType { dict, list, str, integer, floating, boolean, null, timestamp, other };

// The type of `node`; an undefined node is null. Tags other than str, int,
// float, bool, null, map and seq (e.g. !!binary) give `other`.
PyType python_type(const YAML::Node& node);

// The value of an integer node (decimal, 0x, 0b, 0o or leading-0 octal, with
// '_' separators and a sign), else nullopt (also when it does not fit 64 bits).
std::optional<std::int64_t> python_int(const YAML::Node& node);
// The value of an integer or float node as a double (.inf, .nan included).
std::optional<double> python_number(const YAML::Node& node);
// The value of a boolean node.
std::optional<bool> python_bool(const YAML::Node& node);

// Whether `a` and `b` are equal as the Python values they load to (dicts by
// key text, lists item by item, numbers by value, so 1 == 1.0; a bool never
// equals a number, unlike Python, as RFC 6902 asks for JSON values).
bool python_equal(const YAML::Node& a, const YAML::Node& b);

// `node` as YAML text that PyYAML (and Kindling) read back with the same
// types: a string that would otherwise read as another type ("yes", "0644",
// "" or "null" from a quoted scalar or a JSON patch) is double-quoted. Used for
// the merged cloud-config the init stage stores for the final stage.
std::string to_yaml_text(const YAML::Node& node);

}  // namespace kindling::userdata
