#include "modules/registry.hpp"

namespace kindling::modules {

// Each module file defines one of these.
extern const pipeline::ModuleSpec k_set_hostname;
extern const pipeline::ModuleSpec k_update_hostname;
extern const pipeline::ModuleSpec k_update_etc_hosts;
extern const pipeline::ModuleSpec k_users_groups;
extern const pipeline::ModuleSpec k_ssh;

const pipeline::Registry& builtin_registry() {
    static const pipeline::Registry k_registry({
        &k_set_hostname,
        &k_update_hostname,
        &k_update_etc_hosts,
        &k_users_groups,
        &k_ssh,
    });
    return k_registry;
}

}  // namespace kindling::modules
