// The error channel for failures a caller has to weigh (IMDS timeout, missing
// file, bad gzip, non-zero child exit). C++23 is set in CMake, so Result is
// std::expected; Error carries one message, already prefixed with its context
// (see STYLE.md 10: each layer adds its context once, lower case, no period).
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace kindling {

struct Error {
    std::string message;
};

template <class T = void>
using Result = std::expected<T, Error>;

// `return fail("open '/etc/x': ...");` inside a function returning Result<T>.
inline std::unexpected<Error> fail(std::string message) {
    return std::unexpected<Error>(Error{std::move(message)});
}

// Adds "context: " in front of an error travelling up one layer.
inline std::unexpected<Error> fail(const std::string& context, const Error& inner) {
    return std::unexpected<Error>(Error{context + ": " + inner.message});
}

}  // namespace kindling
