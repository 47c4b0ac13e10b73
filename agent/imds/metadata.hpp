// Typed reads on top of a Session: the instance values modules need, and the
// user data. The sensitive IAM credentials path is never fetched.
#pragma once

#include <optional>
#include <string>

#include "agent/core/instance_info.hpp"
#include "agent/core/result.hpp"
#include "agent/core/secret.hpp"
#include "agent/imds/session.hpp"

namespace kindling::imds {

// Fetches instance-id (required), hostnames, placement, public keys and the
// rest of the meta-data tree (skipping iam/security-credentials).
[[nodiscard]] Result<InstanceInfo> fetch_instance_info(Session& session);

// 404 on /latest/user-data means "no user data" (nullopt).
[[nodiscard]] Result<std::optional<Secret<std::string>>> fetch_user_data(Session& session);

}  // namespace kindling::imds
