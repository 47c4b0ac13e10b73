// Helpers shared by the userdata tests: corpus files and YAML tree equality.
#pragma once

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>
#include <string>

namespace kindling::userdata::test {

inline std::string corpus_dir() { return std::string(KINDLING_SOURCE_DIR) + "/tests/data/cloud-init/"; }

inline std::string read_corpus(const std::string& relative) {
    std::ifstream in(corpus_dir() + relative, std::ios::binary);
    if (!in) {
        throw std::runtime_error("missing test file " + relative);
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Equality as Python compares what PyYAML loads: mappings regardless of order,
// sequences in order, scalars by text, nulls equal.
inline bool yaml_equal(const YAML::Node& a, const YAML::Node& b) {
    if (a.IsNull() || b.IsNull()) {
        return a.IsNull() && b.IsNull();
    }
    if (a.Type() != b.Type()) {
        return false;
    }
    if (a.IsScalar()) {
        return a.Scalar() == b.Scalar();
    }
    if (a.size() != b.size()) {
        return false;
    }
    if (a.IsSequence()) {
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!yaml_equal(a[i], b[i])) {
                return false;
            }
        }
        return true;
    }
    for (const auto& entry : a) {
        const YAML::Node& lookup = b;
        const YAML::Node other = lookup[entry.first.Scalar()];
        if (!other || !yaml_equal(entry.second, other)) {
            return false;
        }
    }
    return true;
}

}  // namespace kindling::userdata::test
