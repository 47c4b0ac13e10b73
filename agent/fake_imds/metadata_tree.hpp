// The fake IMDS's content: leaves keyed by their full path ("/latest/meta-data/
// instance-id"), loaded from a JSON file shaped like amazon-ec2-metadata-mock's
// defaults ({"metadata"|"dynamic": {"paths": {K: path}, "values": {K: value}}}).
// Directory listings are derived from the leaves the way IMDS prints them:
// newline-separated, sub-trees with a trailing '/', public-keys as "N=name".
// A path that has both a value and children is served as a directory (AEMM
// stores the listing text as the value, e.g. iam/security-credentials).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace kindling::fake_imds {

class MetadataTree {
public:
    // Throws std::runtime_error naming the problem. Keys without a value
    // (AEMM's run-time paths: events, spot) are skipped; object values become
    // JSON documents. The "userdata" section is ignored: user data is given
    // separately (--user-data) so that "none" (404) is expressible.
    static MetadataTree from_json(const std::string& text);
    static MetadataTree from_file(const std::filesystem::path& file);

    // Adds or replaces one leaf; `path` starts with "/latest/".
    void set(const std::string& path, std::string value);
    void erase(const std::string& path);

    // The body IMDS would send for GET `path`, nullopt for 404.
    std::optional<std::string> lookup(const std::string& path) const;

    std::size_t size() const { return m_leaves.size(); }

private:
    std::map<std::string, std::string> m_leaves;
};

}  // namespace kindling::fake_imds
