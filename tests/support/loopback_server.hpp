// An HTTP or HTTPS server on 127.0.0.1 (port 0) for URL-fetch tests: it answers
// from a table of paths, records every request, and for HTTPS presents a
// certificate made at test time by TestPki, whose CA no system trusts. Nothing
// here ever listens on or connects to anything but loopback.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace kindling::test {

// A throw-away PKI in a temporary directory (removed with it), made with
// OpenSSL: a CA, and a server certificate signed by it for `names`
// (subjectAltName entries such as "IP:127.0.0.1" or "DNS:localhost"). Keys are
// P-256; certificates are valid from an hour ago for a day.
class TestPki {
public:
    explicit TestPki(const std::vector<std::string>& names = {"IP:127.0.0.1", "DNS:localhost"});
    ~TestPki();
    TestPki(const TestPki&) = delete;
    TestPki& operator=(const TestPki&) = delete;

    std::string ca_file() const { return (m_dir / "ca.pem").string(); }      // the CA certificate (PEM)
    std::string cert_file() const { return (m_dir / "server.pem").string(); }  // the server certificate
    std::string key_file() const { return (m_dir / "server.key").string(); }   // its private key

private:
    std::filesystem::path m_dir;
};

class LoopbackServer {
public:
    struct Reply {
        int status = 200;
        std::string body;
        std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Location", "/next"}
    };

    // Plain HTTP.
    LoopbackServer();
    // HTTPS, presenting `pki`'s server certificate.
    explicit LoopbackServer(const TestPki& pki);
    ~LoopbackServer();
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;

    // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
    std::string url() const;
    // What GET `path` (with its query) answers; anything else is a 404.
    void set(const std::string& path, Reply reply);
    // "GET /path" for each request served, in order.
    std::vector<std::string> requests() const;

    struct State;

private:
    std::shared_ptr<State> m_state;
};

}  // namespace kindling::test
