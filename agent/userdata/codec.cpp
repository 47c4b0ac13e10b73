#include "agent/userdata/codec.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Checksum.h>
#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>

#include <algorithm>
#include <array>
#include <sstream>

#include "agent/core/limits.hpp"

namespace kindling::userdata {

bool is_gzip(std::string_view data) {
    return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
           static_cast<unsigned char>(data[1]) == 0x8b;
}

Result<std::string> gunzip(std::string_view data, std::size_t& budget) {
    if (!is_gzip(data)) {
        return fail("gzip: not gzip data (no 1f 8b magic bytes)");
    }
    std::istringstream compressed{std::string(data)};
    Poco::InflatingInputStream inflater(compressed, Poco::InflatingStreamBuf::STREAM_GZIP);
    std::string out;
    std::array<char, 64 * 1024> chunk{};
    try {
        while (inflater) {
            inflater.read(chunk.data(), chunk.size());
            const auto got = static_cast<std::size_t>(inflater.gcount());
            if (got > budget - std::min(budget, out.size())) {
                return fail("gzip: decompressed size exceeds the limit of " +
                            std::to_string(limits::k_decompressed_bytes) + " bytes");
            }
            out.append(chunk.data(), got);
        }
    } catch (const Poco::Exception& e) {
        return fail("gzip: " + e.displayText());
    }
    // Poco stops quietly at the end of the input, so a truncated stream is
    // caught here: the gzip trailer holds the CRC-32 and size of the output.
    const auto trailer = [&](std::size_t at) {
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            v |= static_cast<std::uint32_t>(static_cast<unsigned char>(data[data.size() - 8 + at + i])) << (8 * i);
        }
        return v;
    };
    Poco::Checksum crc(Poco::Checksum::TYPE_CRC32);
    crc.update(out.data(), static_cast<unsigned>(out.size()));
    if (data.size() < 18 || trailer(0) != crc.checksum() || trailer(4) != static_cast<std::uint32_t>(out.size())) {
        return fail("gzip: truncated or corrupt data (CRC or size check failed)");
    }
    budget -= out.size();
    return out;
}

namespace {

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

}  // namespace

std::optional<std::string> strict_base64(std::string_view data) {
    // Trailing line breaks are common (echo, heredocs); other whitespace is not base64.
    while (!data.empty() && (data.back() == '\n' || data.back() == '\r')) {
        data.remove_suffix(1);
    }
    std::string compact;
    compact.reserve(data.size());
    for (char c : data) {
        if (c == '\n' || c == '\r') {
            continue;
        }
        compact.push_back(c);
    }
    if (compact.empty() || compact.size() % 4 != 0) {
        return std::nullopt;
    }
    std::size_t padding = 0;
    for (std::size_t i = 0; i < compact.size(); ++i) {
        const char c = compact[i];
        if (c == '=') {
            ++padding;
            if (i + 2 < compact.size()) {
                return std::nullopt;  // '=' only in the last two places
            }
        } else if (padding > 0 || !is_base64_char(c)) {
            return std::nullopt;
        }
    }
    std::istringstream encoded{compact};
    Poco::Base64Decoder decoder(encoded);
    std::string out;
    try {
        out.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
    return out;
}

bool strip_utf8_bom(std::string& data) {
    if (data.starts_with("\xEF\xBB\xBF")) {
        data.erase(0, 3);
        return true;
    }
    return false;
}

bool crlf_to_lf(std::string& data) {
    if (data.find("\r\n") == std::string::npos) {
        return false;
    }
    std::string out;
    out.reserve(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n') {
            continue;
        }
        out.push_back(data[i]);
    }
    data = std::move(out);
    return true;
}

std::string ascii_lower(std::string_view data) {
    std::string out(data);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

std::string describe_bytes(std::string_view data) {
    if (data.empty()) {
        return "empty";
    }
    const std::string size = " (" + std::to_string(data.size()) + " bytes)";
    for (unsigned char c : data.substr(0, 512)) {
        if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) {
            return "binary data" + size;
        }
    }
    const auto first = data.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && data[first] == '#') {
        return "text starting with '#' but no known header" + size;
    }
    return "text without a '#' header" + size;
}

std::string redact_url(std::string_view url) {
    const auto cut = url.find_first_of("?#");
    std::string out(url.substr(0, cut));
    // "scheme://user:password@host/..." -> "scheme://host/...".
    if (const auto scheme = out.find("://"); scheme != std::string::npos) {
        const auto host = scheme + 3;
        const auto authority_end = std::min(out.find('/', host), out.size());
        if (const auto at = out.rfind('@', authority_end); at != std::string::npos && at >= host) {
            out.erase(host, at + 1 - host);
        }
    }
    if (cut != std::string_view::npos) {
        out += "?...";
    }
    return out;
}

}  // namespace kindling::userdata
