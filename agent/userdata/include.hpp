// The two seams #include and #include-once go through, so that decoding knows
// nothing of HTTP or of the disk: an IncludeFetcher fetches one URL (in the agent,
// Poco with timeouts and retries; in tests, a double or a loopback server), and an
// IncludeOnceCache keeps what #include-once fetched so it is never fetched again
// on this instance (cloud-init's urlcache).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "agent/core/result.hpp"

namespace kindling::system {
class Root;
}

namespace kindling::userdata {

class IncludeFetcher {
public:
    virtual ~IncludeFetcher() = default;
    // The body of `url`. An error (HTTP status, timeout after the retries) says
    // what failed in one line; the decoder adds which include and URL it was.
    virtual Result<std::string> fetch(const std::string& url) = 0;
};

class IncludeOnceCache {
public:
    virtual ~IncludeOnceCache() = default;
    // What an earlier #include-once fetched from `url`; nullopt if nothing.
    virtual Result<std::optional<std::string>> load(const std::string& url) = 0;
    virtual Result<void> store(const std::string& url, const std::string& content) = 0;
};

// The cache on disk: one file per URL, named by the MD5 of the URL as cloud-init
// names them, mode 0600 owned by root, under `dir` inside the root (the
// instance's data/urlcache). `dir` (and missing parents) is created 0700 on
// the first store.
class RootIncludeOnceCache final : public IncludeOnceCache {
public:
    RootIncludeOnceCache(system::Root& root, std::string dir);
    Result<std::optional<std::string>> load(const std::string& url) override;
    Result<void> store(const std::string& url, const std::string& content) override;

    // The cache file name for `url` (hex MD5), for tests and for status.
    static std::string file_name(const std::string& url);

private:
    system::Root* m_root;
    std::string m_dir;
};

// A cache in memory: for `kindling schema` (offline) and for tests.
class MemoryIncludeOnceCache final : public IncludeOnceCache {
public:
    Result<std::optional<std::string>> load(const std::string& url) override;
    Result<void> store(const std::string& url, const std::string& content) override;
    const std::map<std::string, std::string>& entries() const { return m_entries; }

private:
    std::map<std::string, std::string> m_entries;
};

}  // namespace kindling::userdata
