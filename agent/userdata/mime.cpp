#include "agent/userdata/mime.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/MultipartReader.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/QuotedPrintableDecoder.h>

#include <sstream>

#include "agent/core/limits.hpp"
#include "agent/userdata/codec.hpp"

namespace kindling::userdata {

namespace {

using Poco::Net::MessageHeader;

// A header line: a field name of printable ASCII other than ':' and space,
// then ':'. An mbox "From " line before the headers is allowed (Python's
// email parser skips it as the "unix from" line).
bool is_header_line(std::string_view line) {
    const auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
        return false;
    }
    for (char c : line.substr(0, colon)) {
        if (c <= ' ' || c > '~') {
            return false;
        }
    }
    return true;
}

std::string_view skip_unix_from(std::string_view data) {
    if (data.starts_with("From ")) {
        const auto eol = data.find('\n');
        return eol == std::string_view::npos ? std::string_view{} : data.substr(eol + 1);
    }
    return data;
}

Result<std::string> decode_transfer(const MessageHeader& header, std::string raw) {
    const std::string encoding = ascii_lower(header.get("Content-Transfer-Encoding", ""));
    try {
        if (encoding == "base64") {
            std::istringstream in{raw};
            Poco::Base64Decoder decoder(in);
            return std::string(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
        }
        if (encoding == "quoted-printable") {
            std::istringstream in{raw};
            Poco::Net::QuotedPrintableDecoder decoder(in);
            return std::string(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
        }
    } catch (const Poco::Exception& e) {
        return fail("Content-Transfer-Encoding " + encoding + ": " + e.displayText());
    }
    return raw;
}

struct Walker {
    std::size_t& parts_budget;
    std::vector<MimeLeaf> leaves;

    // One entity: its headers are read, then its body is either split into
    // parts (multipart) or kept as a leaf.
    Result<void> entity(const MessageHeader& header, std::istream& body, std::size_t depth) {
        if (parts_budget == 0) {
            return fail("more than " + std::to_string(limits::k_mime_parts) + " parts");
        }
        --parts_budget;
        std::string type;
        Poco::Net::NameValueCollection params;
        MessageHeader::splitParameters(header.get("Content-Type", "text/plain"), type, params);
        type = ascii_lower(type);
        if (type.empty()) {
            type = "text/plain";
        }
        if (type.starts_with("multipart/")) {
            if (depth >= limits::k_mime_depth) {
                return fail("multipart nested deeper than " + std::to_string(limits::k_mime_depth) +
                            " levels");
            }
            const std::string boundary = params.get("boundary", "");
            if (boundary.empty()) {
                return fail(type + " without a boundary");
            }
            Poco::Net::MultipartReader reader(body, boundary);
            while (reader.hasNextPart()) {
                MessageHeader part_header;
                reader.nextPart(part_header);
                // A nested multipart needs its own stream: MultipartReader reads
                // the outer one lazily and nested readers cannot share it.
                std::istringstream part_body{std::string(std::istreambuf_iterator<char>(reader.stream()),
                                                         std::istreambuf_iterator<char>())};
                if (auto done = entity(part_header, part_body, depth + 1); !done) {
                    return done;
                }
            }
            return {};
        }
        MimeLeaf leaf;
        leaf.content_type = type;
        if (header.has("Content-Disposition")) {
            std::string disposition;
            Poco::Net::NameValueCollection disposition_params;
            MessageHeader::splitParameters(header.get("Content-Disposition"), disposition, disposition_params);
            leaf.filename = disposition_params.get("filename", "");
        }
        if (leaf.filename.empty()) {
            leaf.filename = params.get("name", "");
        }
        leaf.merge_how = header.get("Merge-Type", "");
        if (leaf.merge_how.empty()) {
            leaf.merge_how = header.get("X-Merge-Type", "");
        }
        if (header.has("Launch-Index")) {
            leaf.launch_index = header.get("Launch-Index");
        }
        auto decoded = decode_transfer(
            header, std::string(std::istreambuf_iterator<char>(body), std::istreambuf_iterator<char>()));
        if (!decoded) {
            return fail(leaf.filename.empty() ? type : leaf.filename, decoded.error());
        }
        leaf.body = std::move(*decoded);
        leaves.push_back(std::move(leaf));
        return {};
    }
};

}  // namespace

bool looks_like_mime(std::string_view data) {
    if (ascii_lower(data.substr(0, limits::k_mime_sniff_bytes)).find("mime-version:") == std::string::npos) {
        return false;
    }
    const std::string_view rest = skip_unix_from(data);
    return is_header_line(rest.substr(0, rest.find('\n')));
}

Result<std::vector<MimeLeaf>> parse_mime(std::string_view message, std::size_t& parts_budget) {
    std::istringstream in{std::string(skip_unix_from(message))};
    Walker walker{parts_budget, {}};
    try {
        MessageHeader header;
        header.read(in);
        if (auto done = walker.entity(header, in, 0); !done) {
            return fail("MIME", done.error());
        }
    } catch (const Poco::Exception& e) {
        return fail("MIME: " + e.displayText());
    }
    return std::move(walker.leaves);
}

}  // namespace kindling::userdata
