#include "agent/pipeline/user_data.hpp"

#include <Poco/Logger.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>
#include <sstream>
#include <tuple>

#include "agent/config/agent_config.hpp"
#include "agent/core/limits.hpp"
#include "agent/imds/url_fetcher.hpp"
#include "agent/pipeline/validate.hpp"
#include "agent/userdata/decode.hpp"
#include "agent/userdata/json_patch.hpp"
#include "agent/userdata/merge.hpp"
#include "agent/userdata/yaml_types.hpp"

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
            const std::string quoted = "'" + imds::shown_url(url) + "': ";
            if (message.rfind(quoted, 0) == 0) message.erase(0, quoted.size());
            return fail(message);
        }
        return body;
    }
};

// The entries of `report` as comparable keys, without line and column (a
// merged or patched config has no meaningful positions).
std::set<std::tuple<config::Severity, std::string, std::string>> entry_keys(const config::Report& report) {
    std::set<std::tuple<config::Severity, std::string, std::string>> keys;
    for (const config::Entry& e : report.entries()) keys.emplace(e.severity, e.location.key_path, e.message);
    return keys;
}

// Where a second YAML document starts in `text` (its "---" line), if there is
// one. cloud-init loads a cloud-config part with PyYAML's safe_load, which
// rejects such a stream ("expected a single document in the stream");
// yaml-cpp's Load would silently read the first document only. The parse stops
// at the second document's start, so nothing of it is built.
std::optional<YAML::Mark> second_document(const std::string& text) {
    struct Found {
        YAML::Mark mark;
    };
    class Handler final : public YAML::EventHandler {
    public:
        void OnDocumentStart(const YAML::Mark& mark) override {
            if (++m_documents == 2) throw Found{mark};
        }
        void OnDocumentEnd() override {}
        void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
        void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
        void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
        void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
        void OnSequenceEnd() override {}
        void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
        void OnMapEnd() override {}

    private:
        int m_documents = 0;
    };
    std::istringstream in(text);
    YAML::Parser parser(in);
    Handler handler;
    try {
        while (parser.HandleNextDocument(handler)) {
        }
    } catch (const Found& found) {
        return found.mark;
    } catch (const YAML::Exception& e) {
        return e.mark;  // something after the first document (which parsed) that is not YAML
    }
    return std::nullopt;
}

}  // namespace

std::optional<int> launch_index_of(const InstanceInfo& instance) {
    const std::string& text = instance.launch_index;
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

BuiltCloudConfig build_cloud_config(const std::vector<userdata::Part>& parts, const Registry& registry,
                                    config::Report& report) {
    BuiltCloudConfig out;
    YAML::Node merged(YAML::NodeType::Map);
    // Nodes of the merged config, aliases expanded: at most the sum of the
    // merged parts' counts (merging never makes more nodes than its inputs
    // have), so a part that would take the sum past limits::k_yaml_nodes is
    // refused before merging copies it; each part on its own is within it.
    std::size_t merged_nodes = 1;
    for (const userdata::Part& part : parts) {
        if (part.kind == userdata::PartKind::cloud_config) {
            auto doc = config::parse_yaml(part.body.reveal(), part.source, report);
            if (!doc) {
                out.destinations[part.number] = "rejected (invalid YAML)";
                continue;
            }
            if (auto second = second_document(part.body.reveal())) {
                report.error({part.source, second->line + 1, second->column + 1, ""},
                             "invalid YAML: expected a single document in the stream, but found another document");
                out.destinations[part.number] = "rejected (more than one YAML document)";
                continue;
            }
            std::set<std::string> bad = validate_document(registry, *doc, report);
            if (bad.contains("")) {  // not a mapping at all: the whole part is skipped
                out.destinations[part.number] = "rejected (not a mapping)";
                continue;
            }
            std::vector<std::string> drop(bad.begin(), bad.end());
            out.rejected_keys.insert(bad.begin(), bad.end());
            const config::Node kept = drop.empty() ? *doc : config::without_keys(*doc, drop);
            // Within the limit: parse_yaml refuses a part past it.
            const std::size_t nodes = userdata::check_yaml_limits(kept.yaml()).value_or(limits::k_yaml_nodes);
            if (merged_nodes + nodes > limits::k_yaml_nodes) {
                report.error({part.source, 0, 0, ""},
                             "merged cloud-config too large: with this part's " + std::to_string(nodes) +
                                 " nodes it would have more than " + std::to_string(limits::k_yaml_nodes) +
                                 " nodes with aliases expanded (" + std::to_string(merged_nodes) +
                                 " from the parts before)");
                out.destinations[part.number] = "rejected (merged cloud-config too large)";
                continue;
            }
            if (auto problem = userdata::merge_document(merged, {part.source, kept.yaml(), part.merge_how})) {
                report.warning({part.source, 0, 0, ""}, *problem);
                out.destinations[part.number] = "not merged";
            } else {
                out.destinations[part.number] = "cloud-config";
                merged_nodes += nodes;
            }
        } else if (part.kind == userdata::PartKind::cloud_config_jsonp) {
            // cloud-init applies the patch to the config merged so far, in part
            // order; a patch that fails, or leaves the config invalid, is not
            // applied at all.
            out.destinations[part.number] = "not applied";
            auto patch = userdata::parse_json_patch(part.body.reveal());
            if (!patch) {
                report.error({part.source, 0, 0, ""}, "#cloud-config-jsonp: " + patch.error().message);
                continue;
            }
            auto patched = userdata::apply_json_patch(merged, *patch);
            if (!patched) {
                report.error({part.source, 0, 0, ""}, "JSON patch " + patched.error().message);
                continue;
            }
            config::Report before, after;
            std::ignore = validate_document(registry, config::Node(merged, part.source), before);
            std::ignore = validate_document(registry, config::Node(*patched, part.source), after);
            const auto known = entry_keys(before);
            bool errors = false;
            for (const config::Entry& e : after.entries()) {
                if (known.contains({e.severity, e.location.key_path, e.message})) continue;
                const config::Location where{part.source, 0, 0, e.location.key_path};
                if (e.severity == config::Severity::error) {
                    report.error(where, e.message + " (set by this JSON patch, which is not applied)");
                    errors = true;
                } else {
                    report.warning(where, e.message + " (set by this JSON patch)");
                }
            }
            if (errors) continue;
            merged.reset(*patched);  // reset, not =: yaml-cpp's = would rewrite the node merged refers to
            // The patch kept the config within the limit (apply_json_patch counts it).
            merged_nodes = userdata::check_yaml_limits(merged).value_or(limits::k_yaml_nodes);
            out.destinations[part.number] = "applied to cloud-config";
        }
    }
    out.cloud_config = config::Node(merged, "cloud-config");
    return out;
}

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

    // 2. Decode into parts. Empty user data decodes to no part at all.
    std::vector<userdata::Part> parts;
    if (present) {
        ImdsIncludeFetcher fetcher;
        userdata::RootIncludeOnceCache cache(root, paths.instance_dir + "/urlcache");
        // Parts for another launch index (Launch-Index) are skipped, as in cloud-init.
        auto decoded = userdata::decode(raw, {&fetcher, &cache, launch_index_of(instance)});
        if (!decoded) {
            note_error(decoded.error().message);  // names "user data" or the part itself
        } else {
            for (const std::string& n : decoded->notes) log().information(n);
            for (const std::string& w : decoded->warnings) {
                log().warning(w);
                out.warnings.push_back(w);
            }
            parts = std::move(decoded->parts);
        }
    }

    // 3-4. Merge the cloud-config parts (each validated on its own, so messages
    // name the part) and apply the JSON patches, in part order.
    BuiltCloudConfig built = build_cloud_config(parts, registry, report);

    // 5. Route the other parts: scripts and boothooks to their directories.
    std::set<std::string> taken;
    std::vector<std::pair<const userdata::Part*, std::string>> boothooks;  // saved, to run once allowed
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const userdata::Part& part = parts[i];
        PartRecord rec{part.number, part.name_given ? part.name : "", part.content_type, part.body.size(), ""};
        std::string dir;
        switch (part.kind) {
            case userdata::PartKind::cloud_config:
            case userdata::PartKind::cloud_config_jsonp:
                rec.destination = built.destinations[part.number];
                break;
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
                note_error(part.source + ": " + w.error().message);
                rec.destination = "not saved";
            } else {
                rec.destination = path;
            }
            if (w && part.kind == userdata::PartKind::boothook) boothooks.emplace_back(&part, path);
        }
        log().information(describe_part(rec));
        out.parts.push_back(std::move(rec));
    }

    // 6. Every problem found while merging, with the policy's consequence:
    // under strict, user data with errors runs nothing, not even its boothooks.
    // In warn policy an error only skips its key and ends up among the
    // warnings (below), so it is logged as one: the log and status.json agree.
    for (const config::Entry& e : report.entries()) {
        if (e.severity == config::Severity::error) {
            const bool warn = policy == config::UserDataPolicy::warn;
            out.errors.push_back(e.format() + (warn ? ", skipped" : ""));
            if (warn) {
                log().warning(out.errors.back());
            } else {
                log().error(out.errors.back());
            }
        } else {
            out.warnings.push_back(e.format());
            log().warning(e.format());
        }
    }
    if (policy == config::UserDataPolicy::strict && !out.errors.empty()) {
        out.blocked = true;
        return out;
    }

    // Boothooks run now, early in init, on every boot, in part order. Under
    // strict, one that fails blocks the modules as any other error does.
    for (const auto& [part, path] : boothooks) {
        system::Command cmd{{path}, {{"INSTANCE_ID", instance.instance_id}}, std::nullopt,
                            child_timeout, system::Output::output_log, "boothook " + part->name};
        auto ran = root.run(cmd);
        if (!ran) {
            note_error(part->source + ": boothook: " + ran.error().message);
        } else if (!ran->ok()) {
            note_error(part->source + ": boothook: " + ran->describe());
        } else {
            log().information(part->source + ": boothook ran");
        }
    }
    if (policy == config::UserDataPolicy::strict && !out.errors.empty()) {
        out.blocked = true;
        return out;
    }
    // In warn policy the skipped errors make the boot degraded, not failed.
    for (std::string& e : out.errors) out.warnings.push_back(std::move(e));
    out.errors.clear();

    // 7. Keep the merged cloud-config for the final stage (root only), and
    // which keys were skipped for errors, one a line (no file when none).
    out.cloud_config = built.cloud_config;
    out.rejected_keys = built.rejected_keys;
    std::string rejected;
    for (const std::string& key : out.rejected_keys) rejected += key + "\n";
    const std::string stored = userdata::to_yaml_text(out.cloud_config.yaml());
    auto w = root.write_file(paths.instance_dir + "/cloud-config.yaml", stored, {0600, 0, 0});
    if (w) {
        const std::string rejected_path = paths.instance_dir + "/cloud-config.rejected";
        w = rejected.empty() ? root.remove(rejected_path) : root.write_file(rejected_path, rejected, {0600, 0, 0});
    }
    if (!w) out.warnings.push_back("user data: " + w.error().message);
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

std::set<std::string> load_stored_rejected_keys(const system::Root& root, const Paths& paths, config::Report& report) {
    const std::string path = paths.instance_dir + "/cloud-config.rejected";
    std::set<std::string> keys;
    auto text = root.read_file(path);
    if (!text) {
        report.error({path, 0, 0, ""}, text.error().message);
    } else if (*text) {
        std::size_t start = 0;
        const std::string& body = **text;
        while (start < body.size()) {
            std::size_t end = body.find('\n', start);
            if (end == std::string::npos) end = body.size();
            if (end > start) keys.insert(body.substr(start, end - start));
            start = end + 1;
        }
    }
    return keys;
}

config::Report validate_user_data(const std::string& bytes, const std::string& name, const std::string& part_prefix,
                                 const Registry& registry, std::optional<int> launch_index) {
    config::Report report;
    userdata::DecodeOptions options;
    options.name = name;
    options.part_prefix = part_prefix;
    options.launch_index = launch_index;
    auto decoded = userdata::decode(bytes, options);
    // Decoder messages name the input or the part themselves.
    if (!decoded) {
        report.error({"", 0, 0, ""}, decoded.error().message);
        return report;
    }
    for (const std::string& w : decoded->warnings) report.warning({"", 0, 0, ""}, w);
    std::ignore = build_cloud_config(decoded->parts, registry, report);
    return report;
}

}  // namespace kindling::pipeline
