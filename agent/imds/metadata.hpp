// Typed reads on top of a Session: the instance values modules need, and the
// user data. The sensitive IAM credentials path is never fetched.
//
// Request budget (benchmarked; cloud-init makes 78 requests for a first boot):
// Crawl::needed reads only the leaves InstanceInfo names -- instance-id, the two
// hostnames, local-ipv4, placement/region and availability-zone, instance-type,
// ami-id, ami-launch-index (user data's Launch-Index filter), the public-keys/
// listing and one request per key -- so a boot costs 1 PUT + 10 + keys + 1
// user-data GET. Crawl::full walks the whole meta-data tree
// for `kindling query` and instance-data.json, bounded by the limits in limits.hpp.
#pragma once

#include <optional>
#include <string>

#include "agent/core/instance_info.hpp"
#include "agent/core/result.hpp"
#include "agent/core/secret.hpp"
#include "agent/imds/session.hpp"

namespace kindling::imds {

enum class Crawl { needed, full };

// Fetches instance-id (required), hostnames, placement, instance type, AMI,
// launch index and public keys; InstanceInfo::tree gets every leaf read (path under meta-data/).
// Other values missing (404) stay empty; region falls back to the zone minus its
// letter. Crawl::full also reads the rest of the tree, never iam/security-credentials.
[[nodiscard]] Result<InstanceInfo> fetch_instance_info(Session& session, Crawl crawl = Crawl::needed);

// 404 on /latest/user-data means "no user data" (nullopt). Over
// limits::k_user_data_bytes is an error.
[[nodiscard]] Result<std::optional<Secret<std::string>>> fetch_user_data(Session& session);

}  // namespace kindling::imds
