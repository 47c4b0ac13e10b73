// write_files: cloud-config `write_files` as cloud-init's cc_write_files and
// cc_write_files_deferred. Each entry has `path`, `content` (a `!!binary`
// scalar is its decoded bytes, as PyYAML gives them), `encoding` (b64, base64,
// gz, gzip, gz+b64, gz+base64, gzip+b64, gzip+base64, text/plain; base64 is
// decoded as Python's b64decode does: characters outside the alphabet are
// dropped, padding is checked), `owner` ("user:group" or "user", default
// root:root, names looked up in the root's /etc/passwd and /etc/group),
// `permissions` (a YAML integer is taken as it is, so 0644 is octal under
// YAML 1.1 and 644 is decimal; a string is read as octal), `append` and
// `defer`. Missing parent directories are created 0755 root:root. The mode is
// set after the owner (the door does fchown before fchmod), so setuid bits
// survive.
//
// The same code is registered twice: `write_files` (init) writes the entries
// without `defer: true`, `write_files_deferred` (final, after users and
// packages exist) writes only the deferred ones.
//
// Where Kindling differs from cloud-init, it is stricter, never silent: an
// entry without `path`, an unknown encoding, an unreadable `permissions`, an
// unknown key and `source` (URI content, not supported yet) are errors at parse
// time, so the module does not run at all (cloud-init logs a warning and skips
// the entry or falls back to text/plain and 0644). Owners are all resolved
// before the first file is written, so an unknown user writes nothing.
//
// Idempotent::yes: writing the same bytes, mode and owner again converges, and
// a run that failed (an owner that did not exist yet) is retried on the next
// boot. `append: true` entries are journalled so that a retried or killed run
// appends each exactly once (modules/write_files_append.hpp).
#include <Poco/Logger.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>

#include "agent/core/error.hpp"
#include "agent/core/limits.hpp"
#include "agent/pipeline/module_spec.hpp"
#include "agent/pipeline/temporaries.hpp"
#include "agent/userdata/codec.hpp"
#include "modules/write_files_append.hpp"

namespace kindling::modules {

namespace {

struct FileEntry {
    std::string path;
    std::string content;  // decoded bytes
    std::string user = "root";
    std::string group = "root";
    mode_t mode = 0644;
    bool append = false;
    bool defer = false;
};

struct WriteFiles {
    std::vector<FileEntry> files;
};

enum class Step { base64, gunzip };

constexpr std::array<std::string_view, 8> k_entry_keys{"path",        "content", "source", "encoding",
                                                       "permissions", "owner",   "append", "defer"};

// Python's base64.b64decode(validate=False): characters outside the alphabet
// are dropped, a complete padding ends the input, leftover bits are an error.
Result<std::string> decode_base64(std::string_view text) {
    std::string out;
    std::uint32_t acc = 0;
    int quad = 0;
    int pads = 0;
    std::size_t data_chars = 0;
    for (char c : text) {
        if (c == '=') {
            if (quad >= 2 && quad + ++pads >= 4) {
                // The bits of the last, short group: 2 characters hold one
                // byte, 3 hold two.
                if (quad == 2) {
                    out.push_back(static_cast<char>((acc >> 4) & 0xff));
                } else {
                    out.push_back(static_cast<char>((acc >> 10) & 0xff));
                    out.push_back(static_cast<char>((acc >> 2) & 0xff));
                }
                return out;
            }
            continue;
        }
        int v = -1;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        if (v < 0) continue;
        ++data_chars;
        pads = 0;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        if (++quad == 4) {
            out.push_back(static_cast<char>((acc >> 16) & 0xff));
            out.push_back(static_cast<char>((acc >> 8) & 0xff));
            out.push_back(static_cast<char>(acc & 0xff));
            acc = 0;
            quad = 0;
        }
    }
    if (quad == 1) {
        return fail("invalid base64: " + std::to_string(data_chars) +
                    " data characters cannot be 1 more than a multiple of 4");
    }
    if (quad != 0) {
        return fail("invalid base64: incorrect padding");
    }
    return out;
}

// cloud-init's canonicalize_extraction: the decoding steps, in order.
std::optional<std::vector<Step>> parse_encoding(std::string text) {
    std::string e;
    for (char c : text) e += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    e.erase(0, e.find_first_not_of(" \t\n"));
    e.erase(e.find_last_not_of(" \t\n") + 1);
    if (e == "gz" || e == "gzip") return std::vector{Step::gunzip};
    if (e == "gz+base64" || e == "gzip+base64" || e == "gz+b64" || e == "gzip+b64") {
        return std::vector{Step::base64, Step::gunzip};
    }
    if (e == "b64" || e == "base64") return std::vector{Step::base64};
    if (e == "text/plain" || e.empty()) return std::vector<Step>{};
    return std::nullopt;
}

// A mode from a YAML integer (taken as it is) or a string (read as octal, as
// Python's int(str, 8), which also accepts a 0o prefix and blanks around).
std::optional<mode_t> parse_permissions(const config::Node& n, config::Report& report) {
    if (!n.is_scalar()) {
        n.error(report, "expected an octal mode such as '0644', got " + n.type_name());
        return std::nullopt;
    }
    std::optional<std::int64_t> value;
    std::string text = n.scalar();
    if (!n.quoted()) {
        value = config::parse_yaml11_int(text);
        if (value && *value >= 0 && *value <= 07777 && text.size() > 1 && text[0] != '0' &&
            text.find_first_not_of("01234567") == std::string::npos) {
            std::array<char, 16> octal{};
            std::snprintf(octal.data(), octal.size(), "%04llo", static_cast<unsigned long long>(*value));
            n.warning(report, text + " is the decimal number " + text + ", mode " + octal.data() +
                                  " (as cloud-init reads it); quote it ('" + text + "') for octal");
        }
    }
    if (!value) {
        std::string s = text;
        s.erase(0, s.find_first_not_of(" \t"));
        s.erase(s.find_last_not_of(" \t") + 1);
        if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) s.erase(0, 2);
        if (!s.empty() && s.size() <= 8 && s.find_first_not_of("01234567") == std::string::npos) {
            value = std::stoll(s, nullptr, 8);
        }
    }
    if (!value || *value < 0 || *value > 07777) {
        n.error(report, "expected an octal mode such as '0644', got '" + text + "'");
        return std::nullopt;
    }
    return static_cast<mode_t>(*value);
}

std::optional<std::string> parse_content(const config::Node& entry, config::Report& report) {
    std::vector<Step> steps;
    if (config::Node enc = entry["encoding"]; enc.defined()) {
        auto name = enc.as_string(report);
        if (!name) return std::nullopt;
        auto parsed = parse_encoding(*name);
        if (!parsed) {
            enc.error(report, "unknown encoding '" + *name +
                                  "' (b64, base64, gz, gzip, gz+b64, gz+base64, gzip+b64, gzip+base64 or text/plain)");
            return std::nullopt;
        }
        steps = *parsed;
    }
    config::Node n = entry["content"];
    if (!n.defined() || n.is_null()) {
        return std::string();
    }
    auto text = n.as_string(report);
    if (!text) return std::nullopt;
    std::string bytes = *text;
    if (n.tag() == "tag:yaml.org,2002:binary") {
        auto decoded = decode_base64(bytes);
        if (!decoded) {
            n.error(report, "!!binary: " + decoded.error().message);
            return std::nullopt;
        }
        bytes = std::move(*decoded);
    }
    for (Step step : steps) {
        std::size_t budget = limits::k_decompressed_bytes;
        auto decoded = step == Step::base64 ? decode_base64(bytes) : userdata::gunzip(bytes, budget);
        if (!decoded) {
            n.error(report, decoded.error().message);
            return std::nullopt;
        }
        bytes = std::move(*decoded);
    }
    return bytes;
}

std::optional<FileEntry> parse_entry(const config::Node& n, config::Report& report) {
    if (!n.is_map()) {
        n.error(report, "expected a mapping, got " + n.type_name());
        return std::nullopt;
    }
    const std::size_t errors_before = report.error_count();
    FileEntry entry;
    for (const auto& [key, value] : n.entries()) {
        if (std::find(k_entry_keys.begin(), k_entry_keys.end(), key) == k_entry_keys.end()) {
            value.key_error(report, "unknown key");
        }
    }
    if (config::Node source = n["source"]; source.defined()) {
        source.error(report, "content from a URI is not supported yet; give the content inline");
    }
    if (config::Node path = n["path"]; !path.defined()) {
        n.error(report, "path is required");
    } else if (auto text = path.as_string(report)) {
        if (text->empty()) {
            path.error(report, "path is empty");
        } else {
            // cloud-init's os.path.abspath from "/": relative paths start at /.
            std::string p = std::filesystem::path("/" + *text).lexically_normal().string();
            while (p.size() > 1 && p.back() == '/') p.pop_back();
            entry.path = p;
            // Checked here, not when writing, so an entry past PATH_MAX or
            // NAME_MAX fails validation and nothing (not even a parent
            // directory) is created.
            if (p.size() > limits::k_path_bytes) {
                path.error(report, "path is longer than " + std::to_string(limits::k_path_bytes) + " bytes");
            }
            for (const auto& name : std::filesystem::path(p)) {
                if (name.native().size() > limits::k_name_bytes) {
                    path.error(report, "'" + name.native().substr(0, 32) + "...' is longer than " +
                                           std::to_string(limits::k_name_bytes) + " bytes (a file name)");
                    break;
                }
            }
        }
    }
    if (auto content = parse_content(n, report)) {
        entry.content = std::move(*content);
    }
    if (config::Node owner = n["owner"]; owner.defined()) {
        if (auto text = owner.as_string(report)) {
            std::size_t colon = text->find(':');
            entry.user = text->substr(0, colon);
            entry.group = colon == std::string::npos ? "root" : text->substr(colon + 1);
            if (entry.user.empty() || entry.group.empty()) {
                owner.error(report, "expected 'user:group' or 'user', got '" + *text + "'");
            }
        }
    }
    if (config::Node perms = n["permissions"]; perms.defined()) {
        if (auto mode = parse_permissions(perms, report)) entry.mode = *mode;
    }
    if (config::Node append = n["append"]; append.defined()) {
        entry.append = append.as_bool(report).value_or(false);
    }
    if (config::Node defer = n["defer"]; defer.defined()) {
        entry.defer = defer.as_bool(report).value_or(false);
    }
    if (report.error_count() != errors_before) {
        return std::nullopt;
    }
    return entry;
}

WriteFiles parse_write_files(const config::Node& cc, config::Report& report) {
    WriteFiles cfg;
    config::Node list = cc["write_files"];
    if (!list.defined() || list.is_null()) {
        return cfg;  // absent or empty: nothing to write (parse runs on every document)
    }
    if (!list.is_sequence()) {
        list.error(report, "expected a list of files, got " + list.type_name());
        return cfg;
    }
    for (const config::Node& item : list.items()) {
        if (auto entry = parse_entry(item, report)) {
            cfg.files.push_back(std::move(*entry));
        }
    }
    return cfg;
}

std::string parent_of(const std::string& path) {
    std::size_t slash = path.rfind('/');
    return slash == 0 ? "/" : path.substr(0, slash);
}

// Writes the entries whose `defer` equals `deferred`; owners are resolved first
// so an unknown name writes nothing.
pipeline::Outcome write_entries(pipeline::ModuleContext& ctx, const WriteFiles& cfg, bool deferred) {
    std::vector<std::pair<const FileEntry*, system::FileMode>> todo;
    for (const FileEntry& f : cfg.files) {
        if (f.defer != deferred) continue;
        auto user = ctx.root.find_user(f.user);
        if (!user) throw ModuleFailed(user.error().message);
        if (!*user) throw ModuleFailed(f.path + ": owner " + f.user + ": no such user in /etc/passwd");
        auto group = ctx.root.find_group(f.group);
        if (!group) throw ModuleFailed(group.error().message);
        if (!*group) throw ModuleFailed(f.path + ": group " + f.group + ": no such group in /etc/group");
        todo.emplace_back(&f, system::FileMode{f.mode, (*user)->uid, (*group)->gid});
    }
    std::size_t written = 0;
    std::size_t appended = 0;
    for (const auto& [f, mode] : todo) {
        // Noted first, so the next boot sweeps what a kill here leaves there.
        if (auto r = pipeline::remember_write_dir(ctx.root, ctx.paths, parent_of(f->path)); !r) {
            throw ModuleFailed(r.error().message);
        }
        if (auto r = ctx.root.make_dirs(parent_of(f->path), {0755, 0, 0}); !r) {
            throw ModuleFailed(r.error().message);
        }
        if (f->append) {
            // Keyed by stage and position: the same user data on the same instance.
            const std::string key = (deferred ? "final:" : "init:") + std::to_string(f - cfg.files.data());
            if (append_once(ctx, key, f->path, f->content, mode) == AppendOutcome::appended) {
                ++appended;
            } else {
                ctx.log.information(f->path + ": appended by an earlier run of this instance, not appended again");
            }
            continue;
        }
        if (auto r = ctx.root.write_file(f->path, f->content, mode); !r) {
            throw ModuleFailed(r.error().message);
        }
        ++written;
    }
    if (todo.empty()) {
        return {deferred ? "no deferred files" : "no files to write before the final stage"};
    }
    return {std::to_string(written) + (written == 1 ? " file" : " files") + " written, " + std::to_string(appended) +
            " appended"};
}

pipeline::Outcome run_write_files(pipeline::ModuleContext& ctx, const WriteFiles& cfg) {
    return write_entries(ctx, cfg, false);
}

pipeline::Outcome run_write_files_deferred(pipeline::ModuleContext& ctx, const WriteFiles& cfg) {
    return write_entries(ctx, cfg, true);
}

}  // namespace

extern const pipeline::ModuleSpec k_write_files{
    "write_files",
    pipeline::Frequency::per_instance,
    {"write_files"},
    pipeline::Activation::by_keys,
    pipeline::Idempotent::yes,
    pipeline::bind_parse(parse_write_files),
    pipeline::bind_run(run_write_files),
};

extern const pipeline::ModuleSpec k_write_files_deferred{
    "write_files_deferred",
    pipeline::Frequency::per_instance,
    {"write_files"},
    pipeline::Activation::by_keys,
    pipeline::Idempotent::yes,
    pipeline::bind_parse(parse_write_files),
    pipeline::bind_run(run_write_files_deferred),
};

}  // namespace kindling::modules
