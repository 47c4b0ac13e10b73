// The one table that names every built-in module. Adding a module means its
// file, one line here in registry.cpp, and its test. No self-registration from
// static initializers (a static library drops objects nothing references).
#pragma once

#include "agent/pipeline/registry.hpp"

namespace kindling::modules {

const pipeline::Registry& builtin_registry();

}  // namespace kindling::modules
