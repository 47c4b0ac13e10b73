// Everything wrong with user input, collected, never stopping at the first
// problem. Each entry carries where it came from: source name (a file path or
// "user-data part 2"), line and column (1-based, from yaml-cpp marks) and the
// key path ("runcmd[1]"). Formatted as
//   user-data part 2, line 7, column 5: runcmd[1]: expected a string, got a mapping
#pragma once

#include <string>
#include <vector>

namespace kindling::config {

enum class Severity { warning, error };

struct Location {
    std::string source;    // "kindling.yaml", "user-data part 2"
    int line = 0;          // 1-based; 0 when unknown
    int column = 0;        // 1-based; 0 when unknown
    std::string key_path;  // "write_files[1].permissions"; empty for the document
};

struct Entry {
    Severity severity = Severity::error;
    Location location;
    std::string message;

    std::string format() const;
};

class Report {
public:
    void error(Location where, std::string message);
    void warning(Location where, std::string message);
    void merge(const Report& other);

    bool has_errors() const;
    std::size_t error_count() const;
    std::size_t warning_count() const;
    const std::vector<Entry>& entries() const { return m_entries; }

private:
    std::vector<Entry> m_entries;
};

}  // namespace kindling::config
