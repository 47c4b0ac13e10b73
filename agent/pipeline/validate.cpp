#include "agent/pipeline/validate.hpp"

#include <algorithm>

#include "agent/config/cloud_init_keys.hpp"

namespace kindling::pipeline {

namespace {

// Keys the pipeline itself understands (merging directives; a part's
// launch-index, read by the decoder's launch-index filter).
constexpr std::string_view k_pipeline_keys[] = {"merge_how", "merge_type", "launch-index"};

bool module_reads(const Registry& registry, std::string_view key) {
    for (const ModuleSpec* spec : registry.all()) {
        if (std::find(spec->keys.begin(), spec->keys.end(), key) != spec->keys.end()) return true;
    }
    return std::find(std::begin(k_pipeline_keys), std::end(k_pipeline_keys), key) != std::end(k_pipeline_keys);
}

std::string closest_key(const Registry& registry, std::string_view key) {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, key.size() / 3) + 1;
    auto consider = [&](std::string_view candidate) {
        std::size_t d = config::edit_distance(key, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = std::string(candidate);
        }
    };
    for (const ModuleSpec* spec : registry.all()) {
        for (std::string_view k : spec->keys) consider(k);
    }
    return best;
}

}  // namespace

std::string top_level_key(const std::string& key_path) {
    return key_path.substr(0, key_path.find_first_of(".["));
}

std::set<std::string> validate_document(const Registry& registry, const config::Node& doc, config::Report& report) {
    std::set<std::string> bad_keys;
    if (doc.is_null()) return bad_keys;
    if (!doc.is_map()) {
        doc.error(report, "expected a mapping of cloud-config keys, got " + doc.type_name());
        bad_keys.insert("");
        return bad_keys;
    }
    for (const auto& [key, child] : doc.entries()) {
        if (module_reads(registry, key)) continue;
        if (config::is_cloud_init_key(key)) {
            child.key_warning(report, "not supported by kindling, ignoring");
        } else if (std::string near = closest_key(registry, key); !near.empty()) {
            child.key_warning(report, "unknown key, ignoring (did you mean '" + near + "'?)");
        } else {
            child.key_warning(report, "unknown key, ignoring");
        }
    }
    for (const ModuleSpec* spec : registry.all()) {
        config::Report module_report;
        std::ignore = spec->parse(doc, module_report);
        for (const config::Entry& e : module_report.entries()) {
            if (e.severity == config::Severity::error) bad_keys.insert(top_level_key(e.location.key_path));
        }
        report.merge(module_report);
    }
    return bad_keys;
}

ModuleConfigs parse_modules(const Registry& registry, const config::Node& merged, config::Report& report,
                            const std::set<std::string>& rejected_keys) {
    ModuleConfigs out;
    for (const ModuleSpec* spec : registry.all()) {
        config::Report module_report;
        std::any parsed = spec->parse(merged, module_report);
        if (module_report.has_errors()) {
            out.invalid.insert(std::string(spec->name));
        } else {
            out.parsed.emplace(std::string(spec->name), std::move(parsed));
        }
        report.merge(module_report);
        bool has_key = std::any_of(spec->keys.begin(), spec->keys.end(), [&](std::string_view k) { return merged.has(k); });
        if (has_key || spec->activation == Activation::always) {
            out.active.insert(std::string(spec->name));
        } else if (std::any_of(spec->keys.begin(), spec->keys.end(),
                               [&](std::string_view k) { return rejected_keys.contains(std::string(k)); })) {
            out.rejected.insert(std::string(spec->name));
        }
    }
    return out;
}

}  // namespace kindling::pipeline
