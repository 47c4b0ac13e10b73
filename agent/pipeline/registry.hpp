// The module registry: an immutable table of ModuleSpecs, built once by
// modules/registry.cpp (like Ignition's register/stages.go) and passed down. A
// duplicate name is a programming error. The pipeline knows modules only
// through this table.
#pragma once

#include <string_view>
#include <vector>

#include "agent/pipeline/module_spec.hpp"

namespace kindling::pipeline {

class Registry {
public:
    explicit Registry(std::vector<const ModuleSpec*> specs);

    // nullptr when no module has that name.
    const ModuleSpec* find(std::string_view name) const;
    const std::vector<const ModuleSpec*>& all() const { return m_specs; }

private:
    std::vector<const ModuleSpec*> m_specs;
};

}  // namespace kindling::pipeline
