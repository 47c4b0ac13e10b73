#include "tests/support/loopback_server.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace kindling::test {

namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("TestPki: ") + what + " failed");
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    check(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
    X509_EXTENSION_free(ext);
}

// A certificate for `key` named `cn`, signed by `issuer_key` (itself when
// `issuer` is null).
CertPtr make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, long serial,
                  const std::vector<std::pair<int, std::string>>& extensions) {
    CertPtr cert(X509_new());
    check(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
    check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                               0);
    check(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name) == 1, "issuer");
    for (const auto& [nid, value] : extensions) add_extension(cert.get(), issuer ? issuer : cert.get(), nid, value);
    check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "X509_sign");
    return cert;
}

void write_pem(const std::filesystem::path& path, X509* cert, EVP_PKEY* key) {
    FILE* f = std::fopen(path.c_str(), "w");
    check(f != nullptr, "fopen");
    const bool ok = cert ? PEM_write_X509(f, cert) == 1
                         : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    std::fclose(f);
    check(ok, "PEM_write");
}

}  // namespace

TestPki::TestPki(const std::vector<std::string>& names) {
    char tmpl[] = "/tmp/kindling-pki-XXXXXX";
    check(::mkdtemp(tmpl) != nullptr, "mkdtemp");
    m_dir = tmpl;
    KeyPtr ca_key(EVP_EC_gen("P-256"));
    KeyPtr server_key(EVP_EC_gen("P-256"));
    check(ca_key && server_key, "EVP_EC_gen");
    CertPtr ca = make_cert(ca_key.get(), "Kindling test CA", nullptr, ca_key.get(), 1,
                           {{NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,keyCertSign,cRLSign"},
                            {NID_subject_key_identifier, "hash"}});
    std::string san;
    for (const std::string& n : names) san += (san.empty() ? "" : ",") + n;
    CertPtr server = make_cert(server_key.get(), "kindling test server", ca.get(), ca_key.get(), 2,
                               {{NID_basic_constraints, "critical,CA:FALSE"},
                                {NID_key_usage, "critical,digitalSignature"},
                                {NID_ext_key_usage, "serverAuth"},
                                {NID_authority_key_identifier, "keyid"},
                                {NID_subject_alt_name, san}});
    write_pem(ca_file(), ca.get(), nullptr);
    write_pem(cert_file(), server.get(), nullptr);
    write_pem(key_file(), nullptr, server_key.get());
}

TestPki::~TestPki() {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
}

struct LoopbackServer::State {
    mutable std::mutex mutex;
    std::map<std::string, Reply> routes;
    std::vector<std::string> requests;
    std::string scheme;
    std::unique_ptr<Poco::Net::HTTPServer> http;
};

namespace {

class Handler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(std::shared_ptr<LoopbackServer::State> state) : m_state(std::move(state)) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        LoopbackServer::Reply reply{404, "not found\n", {}};
        {
            std::lock_guard lock(m_state->mutex);
            m_state->requests.push_back(request.getMethod() + " " + request.getURI());
            if (auto it = m_state->routes.find(request.getURI()); it != m_state->routes.end()) reply = it->second;
        }
        response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
        for (const auto& [name, value] : reply.headers) response.set(name, value);
        response.setContentLength(static_cast<std::streamsize>(reply.body.size()));
        response.send() << reply.body;
    }

private:
    std::shared_ptr<LoopbackServer::State> m_state;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(std::shared_ptr<LoopbackServer::State> state) : m_state(std::move(state)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new Handler(m_state);
    }

private:
    std::shared_ptr<LoopbackServer::State> m_state;
};

void start(const std::shared_ptr<LoopbackServer::State>& state, const Poco::Net::ServerSocket& socket) {
    auto params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(false);
    state->http = std::make_unique<Poco::Net::HTTPServer>(new Factory(state), socket, params);
    state->http->start();
}

}  // namespace

LoopbackServer::LoopbackServer() : m_state(std::make_shared<State>()) {
    m_state->scheme = "http";
    start(m_state, Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)));
}

LoopbackServer::LoopbackServer(const TestPki& pki) : m_state(std::make_shared<State>()) {
    Poco::Net::initializeSSL();
    Poco::Net::Context::Params params;
    params.certificateFile = pki.cert_file();
    params.privateKeyFile = pki.key_file();
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;  // no client certificates
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    m_state->scheme = "https";
    start(m_state, Poco::Net::SecureServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context));
}

// The server's factory holds the state that holds the server: destroying the
// server here breaks that cycle (LeakSanitizer reported it).
LoopbackServer::~LoopbackServer() {
    m_state->http->stopAll(true);
    m_state->http.reset();
}

std::string LoopbackServer::url() const {
    return m_state->scheme + "://127.0.0.1:" + std::to_string(m_state->http->port());
}

void LoopbackServer::set(const std::string& path, Reply reply) {
    std::lock_guard lock(m_state->mutex);
    m_state->routes[path] = std::move(reply);
}

std::vector<std::string> LoopbackServer::requests() const {
    std::lock_guard lock(m_state->mutex);
    return m_state->requests;
}

}  // namespace kindling::test
