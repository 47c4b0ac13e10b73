// #include-once content kept under the instance directory, 0600, through
// system::Root (so --root applies and no planted symlink is followed).
#include <Poco/DigestEngine.h>
#include <Poco/MD5Engine.h>

#include "agent/system/root.hpp"
#include "agent/userdata/include.hpp"

namespace kindling::userdata {

RootIncludeOnceCache::RootIncludeOnceCache(system::Root& root, std::string dir)
    : m_root(&root), m_dir(std::move(dir)) {}

std::string RootIncludeOnceCache::file_name(const std::string& url) {
    Poco::MD5Engine md5;
    md5.update(url);
    return Poco::DigestEngine::digestToHex(md5.digest());
}

Result<std::optional<std::string>> RootIncludeOnceCache::load(const std::string& url) {
    auto content = m_root->read_file(m_dir + "/" + file_name(url));
    if (!content) {
        return fail("include-once cache", content.error());
    }
    return *content;
}

Result<void> RootIncludeOnceCache::store(const std::string& url, const std::string& content) {
    if (auto made = m_root->make_dirs(m_dir, {.mode = 0700}); !made) {
        return fail("include-once cache", made.error());
    }
    if (auto made = m_root->ensure_dir(m_dir, {.mode = 0700}); !made) {
        return fail("include-once cache", made.error());
    }
    if (auto written = m_root->write_file(m_dir + "/" + file_name(url), content, {.mode = 0600}); !written) {
        return fail("include-once cache", written.error());
    }
    return {};
}

}  // namespace kindling::userdata
