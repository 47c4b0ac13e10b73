#include "agent/imds/metadata.hpp"

#include <deque>

#include "agent/core/limits.hpp"
#include "agent/imds/listing.hpp"

namespace kindling::imds {
namespace {

const std::string k_meta_data = "/latest/meta-data/";

// Never fetched: it holds the instance role's temporary credentials.
bool sensitive(const std::string& relative) { return relative.starts_with("iam/security-credentials"); }

std::string trim_right(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    return text;
}

Result<std::optional<std::string>> read_leaf(Session& session, InstanceInfo& info, const std::string& relative) {
    auto value = session.get_optional(k_meta_data + relative);
    if (value && *value) info.tree[relative] = **value;
    return value;
}

Result<void> read_into(Session& session, InstanceInfo& info, const std::string& relative, std::string& field) {
    auto value = read_leaf(session, info, relative);
    if (!value) return std::unexpected(value.error());
    if (*value) field = trim_right(**value);
    return {};
}

Result<void> read_public_keys(Session& session, InstanceInfo& info) {
    auto listing = session.get_optional(k_meta_data + "public-keys/");
    if (!listing) return std::unexpected(listing.error());
    if (!*listing) return {};
    for (auto index : parse_public_key_indexes(**listing)) {
        auto key = read_leaf(session, info, "public-keys/" + std::to_string(index) + "/openssh-key");
        if (!key) return std::unexpected(key.error());
        if (*key && !trim_right(**key).empty()) info.public_keys.push_back(trim_right(**key));
    }
    return {};
}

// Breadth-first over listings; public-keys/ was read by read_public_keys.
Result<void> crawl_tree(Session& session, InstanceInfo& info) {
    std::deque<std::pair<std::string, std::size_t>> directories{{"", 0}};
    std::size_t visited = 0;
    while (!directories.empty()) {
        auto [dir, depth] = directories.front();
        directories.pop_front();
        auto body = session.get_optional(k_meta_data + dir);
        if (!body) return std::unexpected(body.error());
        if (!*body) continue;
        for (const auto& entry : parse_listing(**body)) {
            std::string relative = dir + entry;
            if (sensitive(relative) || relative == "public-keys/") continue;  // keys: read already
            if (++visited > limits::k_imds_tree_paths) {
                return fail("meta-data tree: more than " + std::to_string(limits::k_imds_tree_paths) + " paths");
            }
            if (entry.ends_with('/')) {
                if (depth + 1 < limits::k_imds_tree_depth) directories.emplace_back(relative, depth + 1);
                continue;
            }
            if (info.tree.contains(relative)) continue;
            auto value = read_leaf(session, info, relative);
            if (!value) return std::unexpected(value.error());
        }
    }
    return {};
}

}  // namespace

Result<InstanceInfo> fetch_instance_info(Session& session, Crawl crawl) {
    InstanceInfo info;
    auto id = session.get(k_meta_data + "instance-id");
    if (!id) return std::unexpected(id.error());
    info.instance_id = trim_right(*id);
    if (info.instance_id.empty()) return fail("GET " + k_meta_data + "instance-id: empty value");
    info.tree["instance-id"] = *id;

    const std::pair<const char*, std::string*> fields[] = {
        {"local-hostname", &info.local_hostname},
        {"hostname", &info.hostname},
        {"local-ipv4", &info.local_ipv4},
        {"placement/region", &info.region},
        {"placement/availability-zone", &info.availability_zone},
        {"instance-type", &info.instance_type},
        {"ami-id", &info.ami_id},
        {"ami-launch-index", &info.launch_index},
    };
    for (const auto& [relative, field] : fields) {
        if (auto read = read_into(session, info, relative, *field); !read) return std::unexpected(read.error());
    }
    // Older IMDS versions have no placement/region: "us-east-1a" -> "us-east-1".
    if (info.region.empty() && info.availability_zone.size() > 1) {
        info.region = info.availability_zone.substr(0, info.availability_zone.size() - 1);
    }
    if (auto keys = read_public_keys(session, info); !keys) return std::unexpected(keys.error());
    if (crawl == Crawl::full) {
        if (auto tree = crawl_tree(session, info); !tree) return std::unexpected(tree.error());
    }
    return info;
}

Result<std::optional<Secret<std::string>>> fetch_user_data(Session& session) {
    auto body = session.get_optional("/latest/user-data");
    if (!body) return std::unexpected(body.error());
    if (!*body) return std::optional<Secret<std::string>>{};
    if ((*body)->size() > limits::k_user_data_bytes) {
        return fail("user-data: " + std::to_string((*body)->size()) + " bytes, over the limit of " +
                    std::to_string(limits::k_user_data_bytes) + " bytes");
    }
    return std::optional<Secret<std::string>>{Secret<std::string>(std::move(**body))};
}

}  // namespace kindling::imds
