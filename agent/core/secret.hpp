// Holds a value that must never reach a log: IMDS tokens, user-data bytes,
// passwords. Streaming it prints "<redacted, N bytes>"; the value is reachable
// only through reveal(), so every use of the secret is greppable.
#pragma once

#include <ostream>
#include <string>
#include <utility>

namespace kindling {

template <class T = std::string>
class Secret {
public:
    Secret() = default;
    explicit Secret(T value) : m_value(std::move(value)) {}

    const T& reveal() const { return m_value; }
    bool empty() const { return m_value.empty(); }
    std::size_t size() const { return m_value.size(); }

    friend std::ostream& operator<<(std::ostream& out, const Secret& s) {
        return out << "<redacted, " << s.m_value.size() << " bytes>";
    }

private:
    T m_value;
};

}  // namespace kindling
