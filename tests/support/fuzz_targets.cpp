#include "tests/support/fuzz_targets.hpp"

#include <yaml-cpp/yaml.h>

#include <set>
#include <tuple>
#include <vector>

#include "agent/config/agent_config.hpp"
#include "agent/config/node.hpp"
#include "agent/imds/listing.hpp"
#include "agent/pipeline/validate.hpp"
#include "agent/userdata/decode.hpp"
#include "agent/userdata/include.hpp"
#include "agent/userdata/merge.hpp"
#include "agent/userdata/yaml_types.hpp"
#include "modules/registry.hpp"

namespace kindling::fuzz {

namespace {

// Answers by the URL's length: a 404, another include of the same URL (a
// chain that only the depth limit ends), or a small cloud-config.
class EchoFetcher final : public userdata::IncludeFetcher {
public:
    Result<std::string> fetch(const std::string& url) override {
        if (url.size() % 3 == 0) return fail("HTTP 404");
        if (url.size() % 3 == 1) return "#include\n" + url + "\n";
        return "#cloud-config\nfetched: '" + std::to_string(url.size()) + "'\n";
    }
};

}  // namespace

std::string userdata_decode(std::string_view raw) {
    std::ignore = userdata::decode(raw, {nullptr, nullptr, std::nullopt});
    EchoFetcher fetcher;
    userdata::MemoryIncludeOnceCache cache;
    auto decoded = userdata::decode(raw, {&fetcher, &cache, 0});
    if (decoded) {
        // Merging applies #cloud-config-jsonp parts too (userdata/json_patch).
        const userdata::Merged merged = userdata::merge_cloud_config_parts(decoded->parts);
        if (!merged.config.IsMap()) return "merged cloud-config is not a mapping";
        std::ignore = userdata::to_yaml_text(merged.config);
    }
    return "";
}

std::string config(std::string_view bytes) {
    const std::string text(bytes);
    config::Report report;
    if (auto doc = config::parse_yaml(text, "fuzz", report)) {
        const pipeline::Registry& registry = modules::builtin_registry();
        std::set<std::string> bad = pipeline::validate_document(registry, *doc, report);
        if (!bad.contains("")) {
            std::vector<std::string> drop(bad.begin(), bad.end());
            config::Node kept = drop.empty() ? *doc : config::without_keys(*doc, drop);
            std::ignore = pipeline::parse_modules(registry, kept, report);
            std::ignore = userdata::to_yaml_text(kept.yaml());
        }
    }
    config::Report agent_report;
    std::ignore = config::load_agent_config_texts({{"kindling.yaml", text}}, agent_report);
    for (const config::Entry& e : report.entries()) std::ignore = e.format();
    return "";
}

std::string imds_listing(std::string_view body) {
    for (const std::string& entry : imds::parse_listing(body)) {
        if (entry.empty() || entry == "." || entry == ".." || entry.front() == '/') {
            return "listing entry '" + entry + "' names another path";
        }
        for (char c : entry) {
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "listing entry with a control character";
        }
    }
    std::ignore = imds::parse_public_key_indexes(body);
    return "";
}

std::string merge(std::string_view bytes) {
    const std::string text(bytes);
    const std::size_t eol = text.find('\n');
    const std::string header = eol == std::string::npos ? text : text.substr(0, eol);
    const std::string body = eol == std::string::npos ? std::string() : text.substr(eol + 1);
    std::ignore = userdata::parse_merge_how(header);
    // One YAML::Load per "---"-separated document, as each MIME part is loaded
    // on its own. Not YAML::LoadAll: yaml-cpp 0.7's LoadAll allocates without
    // end on some broken streams (tests/fuzz/regressions/merge/loadall-*);
    // Kindling never calls it.
    std::vector<userdata::CloudConfigDoc> parts;
    std::size_t start = 0;
    while (start <= body.size() && parts.size() < 8) {
        std::size_t end = body.find("\n---\n", start);
        const std::string one = body.substr(start, end == std::string::npos ? std::string::npos : end - start);
        try {
            const std::size_t i = parts.size();
            parts.push_back({"user-data part " + std::to_string(i + 1), YAML::Load(one), i % 2 == 0 ? header : ""});
        } catch (const YAML::Exception&) {
            // a broken part is skipped, as merge_cloud_config_parts does
        }
        if (end == std::string::npos) break;
        start = end + 5;
    }
    userdata::Merged merged = userdata::merge_cloud_configs(parts);
    if (!merged.config.IsMap()) return "merged cloud-config is not a mapping";
    return "";
}

}  // namespace kindling::fuzz
