#include "agent/userdata/decode.hpp"

#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>
#include <cstdio>

#include "agent/core/limits.hpp"
#include "agent/userdata/codec.hpp"
#include "agent/userdata/mime.hpp"
#include "agent/userdata/yaml_types.hpp"

namespace kindling::userdata {

namespace {

// The MIME types cloud-init inflates as gzip (its DECOMP_TYPES).
constexpr std::array<std::string_view, 8> k_gzip_types{
    "application/gzip",          "application/gzip-compressed", "application/gzipped",
    "application/x-compress",    "application/x-compressed",    "application/x-gunzip",
    "application/x-gzip",        "application/x-gzip-compressed",
};

// Types whose content decides the kind (cloud-init's TYPE_NEEDED plus
// text/x-shellscript, which real user data often mislabels).
constexpr std::array<std::string_view, 3> k_recheck_types{"text/plain", "text/x-not-multipart",
                                                          "text/x-shellscript"};

constexpr std::string_view k_not_multipart = "text/x-not-multipart";

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& table, std::string_view value) {
    return std::find(table.begin(), table.end(), value) != table.end();
}

bool is_recognisable(std::string_view data) {
    return is_gzip(data) || looks_like_mime(data) || kind_from_content(data).has_value();
}

std::optional<int> parse_launch_index(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    const auto last = text.find_last_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    text = text.substr(first, last - first + 1);
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// A cloud-config part's own "launch-index" key (cloud-init reads it only from
// text/cloud-config parts). Unparsable YAML is left to validation.
std::optional<std::string> launch_index_in_cloud_config(const std::string& body) {
    try {
        const YAML::Node doc = YAML::Load(body);
        std::optional<std::string> found;
        if (!doc.IsMap()) return found;
        for (const auto& entry : doc) {  // the last of duplicate keys, as PyYAML reads it
            if (entry.first.IsScalar() && entry.first.Scalar() == "launch-index") {
                found = entry.second.IsScalar() ? std::optional(entry.second.Scalar()) : std::nullopt;
            }
        }
        return found;
    } catch (const YAML::Exception&) {
    }
    return std::nullopt;
}

// A raw message or MIME leaf on its way to becoming a part.
struct Leaf {
    std::string content_type;
    std::string filename;
    std::string merge_how;
    std::optional<std::string> launch_index;
    std::string body;
    // Said about this leaf before it is known whether it becomes a part (then
    // the part's name prefixes them) or is expanded (an include, an archive).
    std::vector<std::string> pending_warnings;
};

class Decoder {
public:
    explicit Decoder(const DecodeOptions& options) : m_options(options) {}

    // One document: the raw user data (origin "") or an included URL's content.
    Result<void> document(std::string data, const std::string& origin, std::size_t include_depth) {
        const std::string where = origin.empty() ? m_options.name : "#include '" + redact_url(origin) + "'";
        if (strip_utf8_bom(data)) {
            m_out.warnings.push_back(where + ": removed a UTF-8 byte order mark at the start");
        }
        if (is_gzip(data)) {
            auto inflated = inflate(data, where);
            if (!inflated) {
                return std::unexpected(inflated.error());
            }
            data = std::move(*inflated);
        } else if (auto decoded = strict_base64(data); decoded && is_recognisable(*decoded)) {
            m_out.notes.push_back(where + ": base64-encoded, decoded once");
            data = std::move(*decoded);
            if (is_gzip(data)) {
                auto inflated = inflate(data, where);
                if (!inflated) {
                    return std::unexpected(inflated.error());
                }
                data = std::move(*inflated);
            }
        }
        if (looks_like_mime(data)) {
            auto leaves = parse_mime(data, m_parts_budget);
            if (!leaves) {
                return fail(where, leaves.error());
            }
            for (auto& mime : *leaves) {
                Leaf leaf{std::move(mime.content_type), std::move(mime.filename), std::move(mime.merge_how),
                          std::move(mime.launch_index), std::move(mime.body), {}};
                if (auto done = this->leaf(std::move(leaf), where, origin, include_depth); !done) {
                    return done;
                }
            }
            return {};
        }
        if (data.empty()) {
            // Nothing to apply, so no part (cloud-init only logs an empty
            // payload at debug level): empty user data and user data that is
            // only a byte order mark decode the same, at boot and offline.
            m_out.notes.push_back(where + ": empty, nothing to apply");
            return {};
        }
        if (auto counted = count_part(where); !counted) {
            return counted;
        }
        return leaf(Leaf{std::string(k_not_multipart), "", "", std::nullopt, std::move(data), {}}, where, origin,
                    include_depth);
    }

    Decoded take() { return std::move(m_out); }

private:
    Result<void> count_part(const std::string& where) {
        if (m_parts_budget == 0) {
            return fail(where + ": more than " + std::to_string(limits::k_mime_parts) + " parts");
        }
        --m_parts_budget;
        return {};
    }

    Result<std::string> inflate(const std::string& data, const std::string& where) {
        auto inflated = gunzip(data, m_decompress_budget);
        if (!inflated) {
            return fail(where, inflated.error());
        }
        m_out.notes.push_back(where + ": gzip-compressed, " + std::to_string(data.size()) + " -> " +
                              std::to_string(inflated->size()) + " bytes");
        return inflated;
    }

    Result<void> leaf(Leaf leaf, const std::string& document_where, const std::string& origin,
                      std::size_t include_depth) {
        const std::string where =
            leaf.filename.empty() ? document_where : document_where + ": '" + leaf.filename + "'";
        if (strip_utf8_bom(leaf.body)) {
            leaf.pending_warnings.push_back("removed a UTF-8 byte order mark at the start");
        }
        const bool gzip_type = contains(k_gzip_types, leaf.content_type);
        if (gzip_type || is_gzip(leaf.body)) {
            auto inflated = inflate(leaf.body, where);
            if (!inflated) {
                return std::unexpected(inflated.error());
            }
            leaf.body = std::move(*inflated);
            if (gzip_type) {
                leaf.content_type = "text/plain";  // unknown until its content is seen
            }
        }
        if (contains(k_recheck_types, leaf.content_type)) {
            if (auto kind = kind_from_content(leaf.body)) {
                leaf.content_type = std::string(mime_type_of(*kind));
            }
        }
        const PartKind kind = kind_from_mime_type(leaf.content_type).value_or(PartKind::unknown);
        const bool expanded = ((kind == PartKind::include || kind == PartKind::include_once) && m_options.fetcher) ||
                              kind == PartKind::cloud_config_archive;
        if (expanded) {
            for (const std::string& warning : leaf.pending_warnings) {
                m_out.warnings.push_back(where + ": " + warning);
            }
            return kind == PartKind::cloud_config_archive ? archive(leaf.body, where, origin)
                                                          : include(leaf.body, where, include_depth);
        }
        Part part;
        part.name = std::move(leaf.filename);
        part.kind = kind;
        part.content_type = std::move(leaf.content_type);
        part.body = Secret<std::string>(std::move(leaf.body));
        part.merge_how = std::move(leaf.merge_how);
        part.origin = origin;
        attach(std::move(part), leaf.launch_index, leaf.pending_warnings);
        return {};
    }

    // cloud-init's _do_include: one URL per line; a line "#include-once URL" or
    // "#include URL" switches the mode for it and the lines after it; other
    // '#' lines and blank lines are skipped.
    Result<void> include(const std::string& body, const std::string& where, std::size_t include_depth) {
        if (include_depth >= limits::k_include_depth) {
            return fail(where + ": #include nested deeper than " + std::to_string(limits::k_include_depth) +
                        " levels");
        }
        struct Url {
            std::string url;
            bool once;
        };
        std::vector<Url> urls;
        bool once = false;
        std::size_t start = 0;
        while (start <= body.size()) {
            auto end = body.find('\n', start);
            if (end == std::string::npos) {
                end = body.size();
            }
            std::string_view line(body.data() + start, end - start);
            start = end + 1;
            const std::string lower = ascii_lower(line.substr(0, 16));
            if (lower.starts_with("#include-once")) {
                line.remove_prefix(13);
                once = true;
            } else if (lower.starts_with("#include")) {
                line.remove_prefix(8);
                once = false;
            }
            const auto first = line.find_first_not_of(" \t\r");
            if (first == std::string_view::npos || line[first] == '#') {
                continue;
            }
            const auto last = line.find_last_not_of(" \t\r");
            urls.push_back({std::string(line.substr(first, last - first + 1)), once});
            if (urls.size() > limits::k_include_urls) {
                return fail(where + ": more than " + std::to_string(limits::k_include_urls) + " #include URLs");
            }
        }
        for (const auto& [url, include_once] : urls) {
            const std::string what = where + ": " + (include_once ? "#include-once '" : "#include '") +
                                     redact_url(url) + "'";
            std::optional<std::string> content;
            if (include_once && m_options.once_cache) {
                auto cached = m_options.once_cache->load(url);
                if (!cached) {
                    return fail(what, cached.error());
                }
                content = std::move(*cached);
            }
            if (!content) {
                auto fetched = m_options.fetcher->fetch(url);
                if (!fetched) {
                    return fail(what, fetched.error());
                }
                if (include_once && m_options.once_cache) {
                    if (auto stored = m_options.once_cache->store(url, *fetched); !stored) {
                        return fail(what, stored.error());
                    }
                }
                content = std::move(*fetched);
            } else {
                m_out.notes.push_back(what + ": from the include-once cache");
            }
            if (auto done = document(std::move(*content), url, include_depth + 1); !done) {
                return done;
            }
        }
        return {};
    }

    // cloud-init's _explode_archive. A broken archive is not applied, with a
    // warning (cloud-init loads it as an empty list).
    Result<void> archive(const std::string& body, const std::string& where, const std::string& origin) {
        YAML::Node entries;
        try {
            entries = YAML::Load(body);
        } catch (const YAML::Exception& e) {
            m_out.warnings.push_back(where + ": #cloud-config-archive is not valid YAML (line " +
                                     std::to_string(e.mark.line + 1) + ", column " +
                                     std::to_string(e.mark.column + 1) + ": " + e.msg + "); not applied");
            return {};
        }
        if (!entries.IsSequence()) {
            m_out.warnings.push_back(where + ": #cloud-config-archive is not a YAML list; not applied");
            return {};
        }
        if (entries.size() > limits::k_archive_entries) {
            return fail(where + ": #cloud-config-archive has more than " +
                        std::to_string(limits::k_archive_entries) + " entries");
        }
        std::size_t index = 0;
        for (const YAML::Node& entry : entries) {
            ++index;
            const std::string entry_where = where + ": #cloud-config-archive entry " + std::to_string(index);
            YAML::Node content;
            YAML::Node fields;
            // cloud-init takes a str entry as {content: entry} and skips anything
            // else that is not a mapping (a number, a boolean, null, !!binary, a
            // list); Kindling skips the same entries, but says so.
            if (python_type(entry) == PyType::str) {
                content = entry;
            } else if (entry.IsMap()) {
                fields = entry;
                // A const map's missing key is an invalid node that cannot be
                // assigned (YAML::InvalidNode); no content is empty content.
                if (const YAML::Node found = entry["content"]; found.IsDefined()) content = found;
            } else {
                m_out.warnings.push_back(entry_where + " is neither a string nor a mapping; not applied");
                continue;
            }
            if (content && !content.IsScalar() && !content.IsNull()) {
                m_out.warnings.push_back(entry_where + ": 'content' is not text; not applied");
                continue;
            }
            if (auto counted = count_part(where); !counted) {
                return counted;
            }
            std::string text;
            bool binary = false;
            if (content && content.IsScalar()) {
                if (content.Tag() == "tag:yaml.org,2002:binary") {
                    YAML::Binary bytes;
                    if (!YAML::convert<YAML::Binary>::decode(content, bytes)) {
                        m_out.warnings.push_back(entry_where + ": 'content' is !!binary but not base64; not applied");
                        continue;
                    }
                    text.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
                    binary = true;
                } else {
                    text = content.Scalar();
                }
            }
            Part part;
            std::optional<std::string> launch_index;
            if (fields) {
                for (const auto& field : fields) {
                    const std::string key = ascii_lower(field.first.Scalar());
                    if (!field.second.IsScalar()) {
                        continue;
                    }
                    const std::string& value = field.second.Scalar();
                    if (key == "type") {
                        part.content_type = ascii_lower(value);
                    } else if (key == "filename") {
                        part.name = value;
                    } else if (key == "launch-index") {
                        launch_index = value;
                    } else if ((key == "merge-type" || key == "x-merge-type") && part.merge_how.empty()) {
                        part.merge_how = value;
                    }
                }
            }
            if (part.content_type.empty()) {
                const auto kind = kind_from_content(text);
                part.content_type = kind ? std::string(mime_type_of(*kind))
                                         : (binary ? "application/octet-stream" : "text/cloud-config");
            }
            part.kind = kind_from_mime_type(part.content_type).value_or(PartKind::unknown);
            part.body = Secret<std::string>(std::move(text));
            part.origin = origin;
            attach(std::move(part), launch_index, {});
        }
        return {};
    }

    void attach(Part part, std::optional<std::string> launch_index_text, const std::vector<std::string>& warnings) {
        ++m_attached;
        part.name_given = !part.name.empty();
        if (part.name.empty()) {
            char name[32];
            std::snprintf(name, sizeof name, "part-%03zu", m_attached);
            part.name = name;
        }
        if (!launch_index_text && part.kind == PartKind::cloud_config) {
            launch_index_text = launch_index_in_cloud_config(part.body.reveal());
        }
        if (launch_index_text) {
            part.launch_index = parse_launch_index(*launch_index_text);
        }
        if (m_options.launch_index && part.launch_index && *part.launch_index != *m_options.launch_index) {
            m_out.notes.push_back(part.name + ": for launch index " + std::to_string(*part.launch_index) +
                                  ", not this instance's " + std::to_string(*m_options.launch_index) +
                                  "; skipped");
            return;
        }
        part.number = m_out.parts.size() + 1;
        part.source = m_options.part_prefix + std::to_string(part.number);
        for (const std::string& warning : warnings) {
            m_out.warnings.push_back(part.source + ": " + warning);
        }
        normalise(part, part.source);
        if (auto warning = unsupported(part, part.source)) {
            m_out.warnings.push_back(*warning);
        }
        m_out.parts.push_back(std::move(part));
    }

    void normalise(Part& part, const std::string& label) {
        switch (part.kind) {
            case PartKind::script:
            case PartKind::script_per_boot:
            case PartKind::script_per_instance:
            case PartKind::script_per_once:
            case PartKind::boothook: {
                std::string body = part.body.reveal();
                if (crlf_to_lf(body)) {
                    m_out.notes.push_back(label + ": CRLF line ends converted to LF");
                }
                if (part.kind == PartKind::boothook) {
                    // The "#cloud-boothook" line goes, so a "#!" line after it is
                    // the first line of the script that runs.
                    const auto start = body.find_first_not_of(" \t\r\n");
                    const auto eol = body.find('\n', start == std::string::npos ? 0 : start);
                    body.erase(0, eol == std::string::npos ? body.size() : eol + 1);
                }
                part.body = Secret<std::string>(std::move(body));
                break;
            }
            default:
                break;
        }
    }

    std::optional<std::string> unsupported(const Part& part, const std::string& label) const {
        switch (part.kind) {
            case PartKind::jinja_template:
                return label + ": '## template: jinja' user data is not supported; part not applied";
            case PartKind::part_handler:
                return label + ": '#part-handler' (Python handler code) is not supported; part not applied";
            case PartKind::include:
            case PartKind::include_once:
                return label + ": " + (m_options.fetcher ? "an include inside an archive is not expanded"
                                                         : "includes are not fetched here") +
                       "; part not applied";
            case PartKind::cloud_config_archive:
                return label + ": an archive inside an archive is not expanded; part not applied";
            case PartKind::unknown:
                if (part.body.size() == 0) {
                    return std::nullopt;  // nothing to apply (cloud-init: debug "Empty payload")
                }
                return label + ": unrecognised user data (" + part.content_type + ", " +
                       describe_bytes(part.body.reveal()) + "); part not applied";
            default:
                return std::nullopt;
        }
    }

    const DecodeOptions& m_options;
    Decoded m_out;
    std::size_t m_decompress_budget = limits::k_decompressed_bytes;
    std::size_t m_parts_budget = limits::k_mime_parts;
    std::size_t m_attached = 0;
};

}  // namespace

Result<Decoded> decode(std::string_view raw, const DecodeOptions& options) {
    if (raw.size() > limits::k_user_data_bytes) {
        return fail(options.name + ": " + std::to_string(raw.size()) + " bytes, over the limit of " +
                    std::to_string(limits::k_user_data_bytes));
    }
    Decoder decoder(options);
    if (auto done = decoder.document(std::string(raw), "", 0); !done) {
        // Errors inside an included document start at that document.
        if (!done.error().message.starts_with(options.name)) {
            return fail(options.name, done.error());
        }
        return std::unexpected(done.error());
    }
    return decoder.take();
}

}  // namespace kindling::userdata
