#include "agent/userdata/part.hpp"

#include <array>
#include <utility>

#include "agent/userdata/codec.hpp"

namespace kindling::userdata {

namespace {

struct KindInfo {
    PartKind kind;
    std::string_view name;
    std::string_view mime_type;
    std::string_view prefix;  // "" when only a MIME type names the kind
};

// Prefixes are matched longest first, so "#include-once" wins over "#include";
// kind_from_content walks this table in that order.
constexpr std::array<KindInfo, 12> k_kinds{{
    {PartKind::cloud_config_archive, "cloud-config-archive", "text/cloud-config-archive", "#cloud-config-archive"},
    {PartKind::cloud_config_jsonp, "cloud-config-jsonp", "text/cloud-config-jsonp", "#cloud-config-jsonp"},
    {PartKind::jinja_template, "jinja-template", "text/jinja2", "## template: jinja"},
    {PartKind::boothook, "boothook", "text/cloud-boothook", "#cloud-boothook"},
    {PartKind::include_once, "include-once", "text/x-include-once-url", "#include-once"},
    {PartKind::cloud_config, "cloud-config", "text/cloud-config", "#cloud-config"},
    {PartKind::part_handler, "part-handler", "text/part-handler", "#part-handler"},
    {PartKind::include, "include", "text/x-include-url", "#include"},
    {PartKind::script, "script", "text/x-shellscript", "#!"},
    {PartKind::script_per_boot, "script-per-boot", "text/x-shellscript-per-boot", ""},
    {PartKind::script_per_instance, "script-per-instance", "text/x-shellscript-per-instance", ""},
    {PartKind::script_per_once, "script-per-once", "text/x-shellscript-per-once", ""},
}};

}  // namespace

std::string_view kind_name(PartKind kind) {
    for (const auto& info : k_kinds) {
        if (info.kind == kind) {
            return info.name;
        }
    }
    return "unknown";
}

std::optional<PartKind> kind_from_content(std::string_view body) {
    const auto start = body.find_first_not_of(" \t\r\n\f\v");
    if (start == std::string_view::npos) {
        return std::nullopt;
    }
    // Only the head is compared: the longest prefix is 21 bytes.
    const std::string head = ascii_lower(body.substr(start, 32));
    for (const auto& info : k_kinds) {
        if (!info.prefix.empty() && head.starts_with(info.prefix)) {
            return info.kind;
        }
    }
    return std::nullopt;
}

std::optional<PartKind> kind_from_mime_type(std::string_view content_type) {
    const std::string type = ascii_lower(content_type);
    for (const auto& info : k_kinds) {
        if (info.mime_type == type) {
            return info.kind;
        }
    }
    return std::nullopt;
}

std::string_view mime_type_of(PartKind kind) {
    for (const auto& info : k_kinds) {
        if (info.kind == kind) {
            return info.mime_type;
        }
    }
    return "text/plain";
}

}  // namespace kindling::userdata
