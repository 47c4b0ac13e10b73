#include "agent/ssh/fingerprint.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/MD5Engine.h>
#include <Poco/SHA1Engine.h>
#include <Poco/SHA2Engine.h>

#include <memory>
#include <sstream>

namespace kindling::ssh {

namespace {

std::unique_ptr<Poco::DigestEngine> make_engine(std::string_view hash) {
    if (hash == "md5") return std::make_unique<Poco::MD5Engine>();
    if (hash == "sha1") return std::make_unique<Poco::SHA1Engine>();
    if (hash == "sha224") return std::make_unique<Poco::SHA2Engine>(Poco::SHA2Engine::SHA_224);
    if (hash == "sha256") return std::make_unique<Poco::SHA2Engine>(Poco::SHA2Engine::SHA_256);
    if (hash == "sha384") return std::make_unique<Poco::SHA2Engine>(Poco::SHA2Engine::SHA_384);
    if (hash == "sha512") return std::make_unique<Poco::SHA2Engine>(Poco::SHA2Engine::SHA_512);
    return nullptr;
}

}  // namespace

std::optional<std::string> decode_blob(std::string_view base64) {
    if (base64.empty() || base64.size() % 4 != 0) return std::nullopt;
    for (std::size_t i = 0; i < base64.size(); ++i) {
        char c = base64[i];
        bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        bool pad = c == '=' && i + 2 >= base64.size() && (i + 1 == base64.size() || base64.back() == '=');
        if (!alnum && c != '+' && c != '/' && !pad) return std::nullopt;
    }
    std::istringstream in{std::string(base64)};
    Poco::Base64Decoder decoder(in);
    std::string out((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
    return out;
}

std::string openssh_fingerprint(std::string_view blob_bytes) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(blob_bytes.data(), static_cast<unsigned>(blob_bytes.size()));
    const Poco::DigestEngine::Digest& digest = engine.digest();
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
    encoder.close();
    std::string text = out.str();
    while (!text.empty() && text.back() == '=') text.pop_back();
    return "SHA256:" + text;
}

bool is_supported_hash(std::string_view name) { return make_engine(name) != nullptr; }

std::string hex_fingerprint(std::string_view blob_bytes, std::string_view hash) {
    std::unique_ptr<Poco::DigestEngine> engine = make_engine(hash);
    if (!engine) return {};
    engine->update(blob_bytes.data(), static_cast<unsigned>(blob_bytes.size()));
    std::string hex = Poco::DigestEngine::digestToHex(engine->digest());
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        if (!out.empty()) out += ':';
        out += hex.substr(i, 2);
    }
    return out;
}

}  // namespace kindling::ssh
