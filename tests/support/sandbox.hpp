// Moves the calling process into private mount, UTS and network namespaces
// (only `lo`, brought up), so nothing done afterwards -- a hostname, a bind
// mount, an HTTP request -- reaches this machine or the network. Used by the
// test binary and the benchmark before they do anything else.
#pragma once

#include <string>

namespace kindling::test {

// Returns an empty string on success, else why it failed (then nothing may run).
std::string enter_private_namespaces();

}  // namespace kindling::test
