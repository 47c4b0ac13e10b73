// Turns a Result from the system door into a value or a ModuleFailed carrying
// its message (already prefixed with the path and the operation), for modules
// whose every step is "do it or fail the module". ccache's value_or_throw.
#pragma once

#include <type_traits>
#include <utility>

#include "agent/core/error.hpp"
#include "agent/core/result.hpp"

namespace kindling::modules {

template <class T>
T or_fail(Result<T> r) {
    if (!r) throw ModuleFailed(r.error().message);
    if constexpr (!std::is_void_v<T>) return std::move(*r);
}

}  // namespace kindling::modules
