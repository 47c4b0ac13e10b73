// The in-memory include-once cache; the on-disk one is in include_root_cache.cpp
// so that code linking only the decoder does not pull in system::Root.
#include "agent/userdata/include.hpp"

namespace kindling::userdata {

Result<std::optional<std::string>> MemoryIncludeOnceCache::load(const std::string& url) {
    auto it = m_entries.find(url);
    if (it == m_entries.end()) {
        return std::optional<std::string>{};
    }
    return std::optional<std::string>{it->second};
}

Result<void> MemoryIncludeOnceCache::store(const std::string& url, const std::string& content) {
    m_entries[url] = content;
    return {};
}

}  // namespace kindling::userdata
