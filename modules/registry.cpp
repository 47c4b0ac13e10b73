#include "modules/registry.hpp"

namespace kindling::modules {

// Each module file defines one of these.
extern const pipeline::ModuleSpec k_set_hostname;
extern const pipeline::ModuleSpec k_update_hostname;
extern const pipeline::ModuleSpec k_update_etc_hosts;
extern const pipeline::ModuleSpec k_users_groups;
extern const pipeline::ModuleSpec k_ssh;
extern const pipeline::ModuleSpec k_bootcmd;
extern const pipeline::ModuleSpec k_write_files;
extern const pipeline::ModuleSpec k_write_files_deferred;
extern const pipeline::ModuleSpec k_scripts_per_once;
extern const pipeline::ModuleSpec k_scripts_per_boot;
extern const pipeline::ModuleSpec k_scripts_per_instance;
extern const pipeline::ModuleSpec k_scripts_user;
extern const pipeline::ModuleSpec k_runcmd;
extern const pipeline::ModuleSpec k_package_update_upgrade_install;
extern const pipeline::ModuleSpec k_timezone;
extern const pipeline::ModuleSpec k_final_message;

const pipeline::Registry& builtin_registry() {
    static const pipeline::Registry k_registry({
        &k_set_hostname,
        &k_update_hostname,
        &k_update_etc_hosts,
        &k_users_groups,
        &k_ssh,
        &k_bootcmd,
        &k_write_files,
        &k_write_files_deferred,
        &k_scripts_per_once,
        &k_scripts_per_boot,
        &k_scripts_per_instance,
        &k_scripts_user,
        &k_runcmd,
        &k_package_update_upgrade_install,
        &k_timezone,
        &k_final_message,
    });
    return k_registry;
}

}  // namespace kindling::modules
