// final_message: the line that says Kindling has finished, as cloud-init's
// cc_final_message. `final_message` is a template with $version, $timestamp,
// $datasource, $uptime (also written ${version}, and in upper case: $VERSION,
// ${UPTIME}); a message starting with "## template: jinja" uses {{ version }}
// instead. A name that is not one of these is left as written, with a warning
// at parse time (cloud-init fails to render and prints nothing). The message
// goes to the console through the logger at information level, and
// <instance_dir>/boot-finished gets "<uptime> - <timestamp> - v. <version>".
// The uptime is the machine's (CLOCK_BOOTTIME), the timestamp RFC 2822 in UTC
// as cloud-init's util.time_rfc2822. Idempotent::yes: it only reports and
// rewrites boot-finished; it runs on every boot.
#include <Poco/Logger.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <map>

#include "agent/core/error.hpp"
#include "agent/pipeline/module_spec.hpp"

#ifndef KINDLING_VERSION
#define KINDLING_VERSION "0.0.0"
#endif

namespace kindling::modules {

namespace {

constexpr std::string_view k_default_message =
    "Kindling v. $version finished at $timestamp. Datasource $datasource.  Up $uptime seconds";
constexpr std::string_view k_jinja_header = "## template: jinja";
// Kindling reads one datasource, EC2's instance metadata service.
constexpr std::string_view k_datasource = "Ec2";

struct FinalMessage {
    std::string text;  // already stripped; the default when empty
};

using Substitutions = std::map<std::string, std::string, std::less<>>;

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Replaces the known names; unknown ones stay as written and are listed in
// `unknown`.
std::string render(std::string_view text, const Substitutions& subs, std::vector<std::string>& unknown) {
    bool jinja = text.starts_with(k_jinja_header);
    if (jinja) {
        std::size_t eol = text.find('\n');
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    }
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t start = i;
        std::size_t name_begin = 0;
        std::size_t name_end = 0;
        std::size_t end = 0;
        if (jinja && text.compare(i, 2, "{{") == 0) {
            std::size_t close = text.find("}}", i + 2);
            if (close != std::string_view::npos) {
                name_begin = text.find_first_not_of(' ', i + 2);
                name_end = text.find_last_not_of(' ', close - 1) + 1;
                end = close + 2;
            }
        } else if (!jinja && text[i] == '$') {
            bool braced = i + 1 < text.size() && text[i + 1] == '{';
            name_begin = i + (braced ? 2 : 1);
            name_end = name_begin;
            while (name_end < text.size() && is_name_char(text[name_end])) ++name_end;
            end = name_end;
            if (braced) {
                end = name_end < text.size() && text[name_end] == '}' ? name_end + 1 : 0;
            }
        }
        if (end == 0 || name_end <= name_begin) {
            out += text[i++];
            continue;
        }
        std::string_view name = text.substr(name_begin, name_end - name_begin);
        if (auto it = subs.find(name); it != subs.end()) {
            out += it->second;
        } else {
            unknown.emplace_back(name);
            out += text.substr(start, end - start);
        }
        i = end;
    }
    return out;
}

Substitutions substitutions(const std::string& version, const std::string& timestamp, const std::string& uptime) {
    Substitutions subs{
        {"version", version}, {"timestamp", timestamp}, {"datasource", std::string(k_datasource)}, {"uptime", uptime}};
    Substitutions upper;
    for (const auto& [k, v] : subs) {
        std::string K;
        for (char c : k) K += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        upper.emplace(K, v);
    }
    subs.merge(upper);
    return subs;
}

std::string strip(std::string s) {
    s.erase(0, s.find_first_not_of(" \t\r\n"));
    s.erase(s.find_last_not_of(" \t\r\n") + 1);
    return s;
}

FinalMessage parse_final_message(const config::Node& cc, config::Report& report) {
    FinalMessage cfg;
    config::Node n = cc["final_message"];
    if (!n.defined() || n.is_null()) {
        return cfg;
    }
    if (auto text = n.as_string(report)) {
        cfg.text = strip(*text);
        std::vector<std::string> unknown;
        render(cfg.text, substitutions("v", "t", "u"), unknown);
        for (const std::string& name : unknown) {
            n.warning(report, "unknown variable '" + name +
                                  "' is left as written (known: version, timestamp, datasource, uptime)");
        }
    }
    return cfg;
}

// "Tue, 05 Mar 2024 10:00:00 +0000", independent of the locale.
std::string rfc2822_now() {
    static constexpr std::array<const char*, 7> k_days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> k_months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::array<char, 64> buf{};
    std::snprintf(buf.data(), buf.size(), "%s, %02d %s %04d %02d:%02d:%02d +0000", k_days[tm.tm_wday], tm.tm_mday,
                  k_months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf.data();
}

// Seconds since boot with two decimals, as /proc/uptime.
std::string uptime_now() {
    struct timespec ts {};
    ::clock_gettime(CLOCK_BOOTTIME, &ts);
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%lld.%02ld", static_cast<long long>(ts.tv_sec), ts.tv_nsec / 10000000);
    return buf.data();
}

pipeline::Outcome run_final_message(pipeline::ModuleContext& ctx, const FinalMessage& cfg) {
    const std::string version = KINDLING_VERSION;
    const std::string timestamp = rfc2822_now();
    const std::string uptime = uptime_now();
    std::vector<std::string> unknown;
    std::string message = render(cfg.text.empty() ? k_default_message : std::string_view(cfg.text),
                                 substitutions(version, timestamp, uptime), unknown);
    ctx.log.information(message);
    if (ctx.paths.instance_dir.empty()) {
        throw ModuleFailed("no instance directory for boot-finished");
    }
    const std::string path = ctx.paths.instance_dir + "/boot-finished";
    if (auto r = ctx.root.write_file(path, uptime + " - " + timestamp + " - v. " + version + "\n", {0644, 0, 0}); !r) {
        throw ModuleFailed(r.error().message);
    }
    return {"boot-finished written after " + uptime + " seconds"};
}

}  // namespace

extern const pipeline::ModuleSpec k_final_message{
    "final_message",
    pipeline::Frequency::always,
    {"final_message"},
    pipeline::Activation::always,
    pipeline::Idempotent::yes,
    pipeline::bind_parse(parse_final_message),
    pipeline::bind_run(run_final_message),
};

}  // namespace kindling::modules
