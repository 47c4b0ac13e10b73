#include "modules/registry.hpp"

namespace kindling::modules {

// Each module file defines one of these.
extern const pipeline::ModuleSpec k_set_hostname;
extern const pipeline::ModuleSpec k_users_groups;

const pipeline::Registry& builtin_registry() {
    static const pipeline::Registry k_registry({
        &k_set_hostname,
        &k_users_groups,
    });
    return k_registry;
}

}  // namespace kindling::modules
