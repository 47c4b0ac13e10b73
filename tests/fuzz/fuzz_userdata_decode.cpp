// libFuzzer entry point for kindling::fuzz::userdata_decode (tests/support/fuzz_targets.hpp).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/support/fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string violation = kindling::fuzz::userdata_decode({reinterpret_cast<const char*>(data), size});
    if (!violation.empty()) __builtin_trap();  // a contract broken: keep the input as a crash
    return 0;
}
