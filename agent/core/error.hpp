// Exceptions, used only to abandon a unit of work whose catcher is known:
// ModuleFailed is caught by the pipeline runner, Fatal by cli::run (which still
// writes status.json and returns an exit code). Everything else is Result<T> or
// a config::Report. KINDLING_ASSERT is for programming errors only.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace kindling {

class Fatal : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class ModuleFailed : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace kindling

#define KINDLING_ASSERT(cond)                                                              \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            std::fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                  \
        }                                                                                  \
    } while (0)
