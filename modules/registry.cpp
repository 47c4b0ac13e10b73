#include "modules/registry.hpp"

namespace kindling::modules {

// Each module file defines one of these.
extern const pipeline::ModuleSpec k_set_hostname;

const pipeline::Registry& builtin_registry() {
    static const pipeline::Registry k_registry({
        &k_set_hostname,
    });
    return k_registry;
}

}  // namespace kindling::modules
