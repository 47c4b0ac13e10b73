#include "agent/pipeline/user_data.hpp"

#include <Poco/Logger.h>

#include <set>

#include "agent/config/agent_config.hpp"
#include "agent/imds/url_fetcher.hpp"
#include "agent/pipeline/validate.hpp"
#include "agent/userdata/decode.hpp"
#include "agent/userdata/merge.hpp"

namespace kindling::pipeline {

namespace {

Poco::Logger& log() { return Poco::Logger::get("kindling.userdata"); }

// A part name becomes a file name: letters, digits, '.', '_', '-'; anything
// else is replaced, and names are made unique within one directory.
std::string file_name_for(const userdata::Part& part, std::size_t index, std::set<std::string>& taken) {
    std::string name;
    for (char c : part.name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        name.push_back(ok ? c : '_');
    }
    if (name.empty() || name == "." || name == ".." || name.size() > 200) {
        name = "part-" + std::to_string(index + 1);
    }
    std::string unique = name;
    for (int n = 2; taken.contains(unique); ++n) unique = name + "-" + std::to_string(n);
    taken.insert(unique);
    return unique;
}

// #include URLs go through the HTTP client. A URL's query (a presigned S3
// signature, say) is a secret: it is cut from the error, which the decoder
// prefixes with the URL already stripped of it.
class ImdsIncludeFetcher final : public userdata::IncludeFetcher {
public:
    Result<std::string> fetch(const std::string& url) override {
        auto body = imds::fetch_url(url);
        if (!body) {
            std::string message = body.error().message;
            const std::string quoted = "'" + url + "': ";
            if (message.rfind(quoted, 0) == 0) message.erase(0, quoted.size());
            return fail(message);
        }
        return body;
    }
};

struct CloudConfigPart {
    config::Node doc;
    std::string merge_how;
};

}  // namespace

UserDataOutcome process_user_data(const std::string& raw, bool present, config::UserDataPolicy policy,
                                  const Registry& registry, system::Root& root, const Paths& paths,
                                  const InstanceInfo& instance, std::chrono::seconds child_timeout) {
    UserDataOutcome out;
    config::Report report;
    out.cloud_config = *config::parse_yaml("{}", "cloud-config", report);
    auto note_error = [&](std::string message) {
        log().error(message);
        out.errors.push_back(std::move(message));
    };

    // 1. Keep the raw bytes (root only), even when they turn out to be invalid.
    if (auto w = root.write_file(paths.instance_dir + "/user-data.raw", raw, {0600, 0, 0}); !w) {
        note_error("user data: " + w.error().message);
    }
    if (!present) {
        log().information("user data: none");
    }

    // 2. Decode into parts.
    std::vector<CloudConfigPart> cloud_configs;
    if (present && !raw.empty()) {
        ImdsIncludeFetcher fetcher;
        userdata::RootIncludeOnceCache cache(root, paths.instance_dir + "/urlcache");
        auto decoded = userdata::decode(raw, {&fetcher, &cache, std::nullopt});
        if (!decoded) {
            note_error("user data: " + decoded.error().message);
        } else {
            for (const std::string& w : decoded->warnings) {
                log().warning("user data: " + w);
                out.warnings.push_back("user data: " + w);
            }
            // 3. Route each part: scripts to their directories, cloud-config to validation.
            std::set<std::string> taken;
            for (std::size_t i = 0; i < decoded->parts.size(); ++i) {
                const userdata::Part& part = decoded->parts[i];
                PartRecord rec{part.name, part.content_type, part.body.size(), ""};
                std::string dir;
                switch (part.kind) {
                    case userdata::PartKind::cloud_config: {
                        auto doc = config::parse_yaml(part.body.reveal(), part.source, report);
                        if (doc) {
                            cloud_configs.push_back({*doc, part.merge_how});
                            rec.destination = "cloud-config";
                        } else {
                            rec.destination = "rejected (invalid YAML)";
                        }
                        break;
                    }
                    case userdata::PartKind::script:
                        dir = paths.instance_dir + "/scripts";
                        break;
                    case userdata::PartKind::boothook:
                        dir = paths.instance_dir + "/boothooks";
                        break;
                    case userdata::PartKind::script_per_boot:
                        dir = paths.state_dir + "/scripts/per-boot";
                        break;
                    case userdata::PartKind::script_per_instance:
                        dir = paths.state_dir + "/scripts/per-instance";
                        break;
                    case userdata::PartKind::script_per_once:
                        dir = paths.state_dir + "/scripts/per-once";
                        break;
                    default:
                        rec.destination = "not applied";
                        break;
                }
                if (!dir.empty()) {
                    std::string path = dir + "/" + file_name_for(part, i, taken);
                    auto w = root.make_dirs(dir, {0700, 0, 0});
                    if (w) w = root.write_file(path, part.body.reveal(), {0700, 0, 0});
                    if (!w) {
                        note_error("user data " + part.source + ": " + w.error().message);
                        rec.destination = "not saved";
                    } else {
                        rec.destination = path;
                    }
                    // 4. Boothooks run now, early in init, on every boot.
                    if (w && part.kind == userdata::PartKind::boothook) {
                        system::Command cmd{{path}, {{"INSTANCE_ID", instance.instance_id}}, std::nullopt,
                                            child_timeout, system::Output::output_log, "boothook " + part.name};
                        auto ran = root.run(cmd);
                        if (!ran) {
                            note_error("boothook " + part.name + ": " + ran.error().message);
                        } else if (!ran->ok()) {
                            note_error("boothook " + part.name + ": " + ran->describe());
                        } else {
                            log().information("boothook " + part.name + ": ran");
                        }
                    }
                }
                log().information("user data " + part.source + " (" + part.name + "): " + rec.type + ", " +
                                  std::to_string(rec.size) + " bytes -> " + rec.destination);
                out.parts.push_back(std::move(rec));
            }
        }
    }

    // 5. Validate each cloud-config part on its own, so messages name the part.
    std::vector<std::pair<config::Node, std::string>> valid;
    for (CloudConfigPart& part : cloud_configs) {
        std::set<std::string> bad = validate_document(registry, part.doc, report);
        if (bad.contains("")) continue;  // not a mapping at all: the whole part is skipped
        std::vector<std::string> drop(bad.begin(), bad.end());
        valid.emplace_back(drop.empty() ? part.doc : config::without_keys(part.doc, drop), part.merge_how);
    }
    for (const config::Entry& e : report.entries()) {
        if (e.severity == config::Severity::error) {
            out.errors.push_back(e.format() + (policy == config::UserDataPolicy::warn ? ", skipped" : ""));
            log().error(out.errors.back());
        } else {
            out.warnings.push_back(e.format());
            log().warning(e.format());
        }
    }
    if (policy == config::UserDataPolicy::strict && !out.errors.empty()) {
        out.blocked = true;
        return out;
    }
    // In warn policy the skipped errors make the boot degraded, not failed.
    for (std::string& e : out.errors) out.warnings.push_back(std::move(e));
    out.errors.clear();

    // 6. Merge with cloud-init's rules and keep the result (root only).
    if (!valid.empty()) {
        std::vector<userdata::CloudConfigDoc> docs;
        for (const auto& [doc, merge_how] : valid) docs.push_back({doc.source(), doc.yaml(), merge_how});
        userdata::Merged merged = userdata::merge_cloud_configs(docs);
        for (const std::string& w : merged.warnings) {
            out.warnings.push_back("user data: " + w);
            log().warning(out.warnings.back());
        }
        out.cloud_config = config::Node(merged.config, "cloud-config");
    }
    if (auto w = root.write_file(paths.instance_dir + "/cloud-config.yaml", config::to_yaml_text(out.cloud_config),
                                 {0600, 0, 0});
        !w) {
        out.warnings.push_back("user data: " + w.error().message);
    }
    return out;
}

config::Node load_stored_cloud_config(const system::Root& root, const Paths& paths, config::Report& report) {
    const std::string path = paths.instance_dir + "/cloud-config.yaml";
    auto text = root.read_file(path);
    if (!text) {
        report.error({path, 0, 0, ""}, text.error().message);
    } else if (*text) {
        if (auto doc = config::parse_yaml(**text, path, report)) return *doc;
    }
    return *config::parse_yaml("{}", path, report);
}

config::Report validate_user_data_file(const std::string& name, const std::string& bytes, const Registry& registry) {
    config::Report report;
    auto decoded = userdata::decode(bytes, {nullptr, nullptr, std::nullopt});
    if (!decoded) {
        report.error({name, 0, 0, ""}, decoded.error().message);
        return report;
    }
    for (const std::string& w : decoded->warnings) report.warning({name, 0, 0, ""}, w);
    bool single = decoded->parts.size() == 1;
    for (const userdata::Part& part : decoded->parts) {
        if (part.kind != userdata::PartKind::cloud_config) continue;
        std::string source = single ? name : name + " " + part.source.substr(part.source.find("part"));
        if (auto doc = config::parse_yaml(part.body.reveal(), source, report)) {
            std::ignore = validate_document(registry, *doc, report);
        }
    }
    return report;
}

}  // namespace kindling::pipeline
