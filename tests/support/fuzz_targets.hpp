// The bodies of the libFuzzer targets in tests/fuzz/, shared with the Catch2
// replay of tests/fuzz/regressions/ so that every input a fuzzer ever crashed
// on runs in CI without clang. Each takes untrusted bytes, drives one parser
// through the code a boot uses, and returns a violated contract ("" if none);
// a crash, a sanitizer report or an escaping exception is the other failure.
#pragma once

#include <string>
#include <string_view>

namespace kindling::fuzz {

// userdata::decode without a fetcher (offline `kindling schema`) and with a
// double whose answers chain #include to the depth limit.
std::string userdata_decode(std::string_view raw);
// The text as a cloud-config document (parse_yaml, validate_document,
// parse_modules with the built-in registry) and as kindling.yaml.
std::string config(std::string_view text);
// An IMDS listing and public-keys/ listing; no entry may name another path.
std::string imds_listing(std::string_view body);
// First line: a Merge-Type header; the rest: a YAML stream merged in order.
std::string merge(std::string_view text);

}  // namespace kindling::fuzz
