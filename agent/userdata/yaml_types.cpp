#include "agent/userdata/yaml_types.hpp"

#include <charconv>
#include <cmath>
#include <regex>
#include <string>

namespace kindling::userdata {

namespace {

// PyYAML's YAML 1.1 implicit resolvers, one per type.
const std::regex& null_re() {
    static const std::regex k_re("~|null|Null|NULL|");
    return k_re;
}
const std::regex& bool_re() {
    static const std::regex k_re("yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF");
    return k_re;
}
const std::regex& int_re() {
    static const std::regex k_re(
        "[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+");
    return k_re;
}
const std::regex& float_re() {
    static const std::regex k_re(
        "[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|"
        "[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
    return k_re;
}
const std::regex& timestamp_re() {
    static const std::regex k_re(
        "[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?([Tt]|[ \\t]+)?([0-9][0-9]?:[0-9][0-9]:[0-9][0-9].*)?");
    return k_re;
}

std::string without_underscores(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c != '_') out.push_back(c);
    }
    return out;
}

}  // namespace

PyType python_type(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return PyType::null;
    if (node.IsMap()) return PyType::dict;
    if (node.IsSequence()) return PyType::list;
    const std::string& tag = node.Tag();
    const std::string& s = node.Scalar();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return PyType::str;
    if (tag == "tag:yaml.org,2002:int") return PyType::integer;
    if (tag == "tag:yaml.org,2002:float") return PyType::floating;
    if (tag == "tag:yaml.org,2002:bool") return PyType::boolean;
    if (tag == "tag:yaml.org,2002:null") return PyType::null;
    if (tag != "?") return PyType::other;  // "" too: a scalar built in code without saying what it is
    if (std::regex_match(s, null_re())) return PyType::null;
    if (std::regex_match(s, bool_re())) return PyType::boolean;
    if (std::regex_match(s, int_re())) return PyType::integer;
    if (std::regex_match(s, float_re())) return PyType::floating;
    if (std::regex_match(s, timestamp_re())) return PyType::timestamp;
    return PyType::str;
}

std::optional<std::int64_t> python_int(const YAML::Node& node) {
    if (python_type(node) != PyType::integer) return std::nullopt;
    std::string text = without_underscores(node.Scalar());
    bool negative = false;
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
        negative = text[0] == '-';
        text.erase(0, 1);
    }
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'b' || text[1] == 'o')) {
        base = text[1] == 'x' ? 16 : text[1] == 'b' ? 2 : 8;
        text.erase(0, 2);
    } else if (text.size() > 1 && text[0] == '0') {
        base = 8;
        text.erase(0, 1);
    }
    std::int64_t value = 0;
    if (text.find(':') != std::string::npos) {  // base 60: 1:30 is 90
        std::size_t start = 0;
        while (start <= text.size()) {
            const auto end = std::min(text.find(':', start), text.size());
            std::int64_t digit = 0;
            const auto [p, ec] = std::from_chars(text.data() + start, text.data() + end, digit);
            if (ec != std::errc{} || p != text.data() + end) return std::nullopt;
            value = value * 60 + digit;
            start = end + 1;
        }
        return negative ? -value : value;
    }
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc{} || p != text.data() + text.size()) return std::nullopt;
    return negative ? -value : value;
}

std::optional<double> python_number(const YAML::Node& node) {
    const PyType type = python_type(node);
    if (type == PyType::integer) {
        if (auto i = python_int(node)) return static_cast<double>(*i);
        return std::nullopt;
    }
    if (type != PyType::floating) return std::nullopt;
    std::string text = without_underscores(node.Scalar());
    if (text.find(".inf") != std::string::npos || text.find(".Inf") != std::string::npos ||
        text.find(".INF") != std::string::npos) {
        return text[0] == '-' ? -INFINITY : INFINITY;
    }
    if (text.find(".nan") != std::string::npos || text.find(".NaN") != std::string::npos ||
        text.find(".NAN") != std::string::npos) {
        return NAN;
    }
    if (text.find(':') != std::string::npos) return std::nullopt;  // base-60 floats: too rare to value
    try {
        std::size_t used = 0;
        const double value = std::stod(text, &used);
        return used == text.size() ? std::optional<double>(value) : std::nullopt;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<bool> python_bool(const YAML::Node& node) {
    if (python_type(node) != PyType::boolean) return std::nullopt;
    const char c = node.Scalar().empty() ? 'f' : node.Scalar()[0];
    return c == 'y' || c == 'Y' || c == 't' || c == 'T' || node.Scalar() == "on" || node.Scalar() == "On" ||
           node.Scalar() == "ON";
}

bool python_equal(const YAML::Node& a, const YAML::Node& b) {
    const PyType ta = python_type(a);
    const PyType tb = python_type(b);
    const bool a_number = ta == PyType::integer || ta == PyType::floating;
    const bool b_number = tb == PyType::integer || tb == PyType::floating;
    if (a_number && b_number) {
        if (ta == PyType::integer && tb == PyType::integer) {
            const auto ia = python_int(a);
            const auto ib = python_int(b);
            if (ia && ib) return *ia == *ib;
        }
        const auto na = python_number(a);
        const auto nb = python_number(b);
        return na && nb && *na == *nb;
    }
    if (ta != tb) return false;
    switch (ta) {
        case PyType::null:
            return true;
        case PyType::boolean:
            return python_bool(a) == python_bool(b);
        case PyType::list: {
            if (a.size() != b.size()) return false;
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (!python_equal(a[i], b[i])) return false;
            }
            return true;
        }
        case PyType::dict: {
            if (a.size() != b.size()) return false;
            for (const auto& entry : a) {
                bool found = false;
                for (const auto& other : b) {
                    if (other.first.IsScalar() && entry.first.IsScalar() &&
                        other.first.Scalar() == entry.first.Scalar()) {
                        if (!python_equal(entry.second, other.second)) return false;
                        found = true;
                        break;
                    }
                }
                if (!found) return false;
            }
            return true;
        }
        case PyType::str:
        case PyType::timestamp:
            return a.Scalar() == b.Scalar();  // however it was quoted
        default:
            return a.Tag() == b.Tag() && a.Scalar() == b.Scalar();
    }
}

namespace {

void emit(YAML::Emitter& out, const YAML::Node& node) {
    if (node.IsMap()) {
        out << YAML::BeginMap;
        for (const auto& entry : node) {
            out << YAML::Key;
            emit(out, entry.first);
            out << YAML::Value;
            emit(out, entry.second);
        }
        out << YAML::EndMap;
    } else if (node.IsSequence()) {
        out << YAML::BeginSeq;
        for (const auto& item : node) emit(out, item);
        out << YAML::EndSeq;
    } else if (!node.IsDefined() || node.IsNull()) {
        out << YAML::Null;
    } else if (python_type(node) == PyType::str) {
        YAML::Node plain(node.Scalar());
        plain.SetTag("?");
        if (python_type(plain) != PyType::str) out << YAML::DoubleQuoted;
        out << node.Scalar();
    } else if (node.Tag() == "?" || node.Tag().empty()) {
        out << node.Scalar();
    } else {
        out << YAML::VerbatimTag(node.Tag()) << node.Scalar();
    }
}

}  // namespace

std::string to_yaml_text(const YAML::Node& node) {
    YAML::Emitter out;
    emit(out, node);
    return std::string(out.c_str()) + "\n";
}

}  // namespace kindling::userdata
