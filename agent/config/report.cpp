#include "agent/config/report.hpp"

#include <algorithm>

namespace kindling::config {

std::string Entry::format() const {
    std::string out = location.source;
    if (location.line > 0) {
        out += ", line " + std::to_string(location.line) + ", column " + std::to_string(location.column);
    }
    if (!out.empty()) out += ": ";  // no source: the message names its place itself
    if (!location.key_path.empty()) {
        out += location.key_path + ": ";
    }
    return out + message;
}

void Report::error(Location where, std::string message) {
    m_entries.push_back({Severity::error, std::move(where), std::move(message)});
}

void Report::warning(Location where, std::string message) {
    m_entries.push_back({Severity::warning, std::move(where), std::move(message)});
}

void Report::merge(const Report& other) {
    // Two modules reading the same key (set_hostname and update_hostname) report
    // the same problem; say it once.
    for (const Entry& e : other.m_entries) {
        bool seen = std::any_of(m_entries.begin(), m_entries.end(), [&](const Entry& mine) {
            return mine.severity == e.severity && mine.message == e.message && mine.format() == e.format();
        });
        if (!seen) m_entries.push_back(e);
    }
}

bool Report::has_errors() const { return error_count() > 0; }

std::size_t Report::error_count() const {
    return std::count_if(m_entries.begin(), m_entries.end(),
                         [](const Entry& e) { return e.severity == Severity::error; });
}

std::size_t Report::warning_count() const { return m_entries.size() - error_count(); }

}  // namespace kindling::config
