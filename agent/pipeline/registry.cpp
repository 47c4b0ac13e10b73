#include "agent/pipeline/registry.hpp"

#include "agent/core/error.hpp"

namespace kindling::pipeline {

Registry::Registry(std::vector<const ModuleSpec*> specs) : m_specs(std::move(specs)) {
    for (std::size_t i = 0; i < m_specs.size(); ++i) {
        KINDLING_ASSERT(m_specs[i] != nullptr);
        for (std::size_t j = 0; j < i; ++j) {
            KINDLING_ASSERT(m_specs[i]->name != m_specs[j]->name);
        }
    }
}

const ModuleSpec* Registry::find(std::string_view name) const {
    for (const ModuleSpec* spec : m_specs) {
        if (spec->name == name) return spec;
    }
    return nullptr;
}

std::string_view to_string(Frequency f) {
    switch (f) {
        case Frequency::always:
            return "always";
        case Frequency::per_instance:
            return "per-instance";
        case Frequency::once:
            return "once";
    }
    return "?";
}

bool parse_frequency(std::string_view text, Frequency& out) {
    // cloud-init spells these "always", "once-per-instance"/"per-instance" and "once".
    if (text == "always") {
        out = Frequency::always;
    } else if (text == "per-instance" || text == "once-per-instance" || text == "per_instance") {
        out = Frequency::per_instance;
    } else if (text == "once") {
        out = Frequency::once;
    } else {
        return false;
    }
    return true;
}

}  // namespace kindling::pipeline
