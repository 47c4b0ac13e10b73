// Listing parsing over untrusted bytes: a table of bodies and what survives.
#include <catch2/catch.hpp>

#include "agent/imds/listing.hpp"

using kindling::imds::parse_listing;
using kindling::imds::parse_public_key_indexes;
using Lines = std::vector<std::string>;

TEST_CASE("listings split on newlines and drop entries that could name another path", "[imds]") {
    auto [body, expected] = GENERATE(table<std::string, Lines>({
        {"ami-id\nplacement/\nhostname", {"ami-id", "placement/", "hostname"}},
        {"a\r\nb/\r\n\n\n", {"a", "b/"}},
        {"", {}},
        {"../etc\n..\n.\n/abs\na/b\nok\n", {"ok"}},
        {std::string("x\0y\nz", 5), {"z"}},
        {"a\x7f\nb", {"b"}},
        {std::string(256, 'a') + "\nshort", {"short"}},
    }));
    CHECK(parse_listing(body) == expected);
}

TEST_CASE("public-keys listings give the indexes in order, once each", "[imds]") {
    using Indexes = std::vector<std::size_t>;
    auto [body, expected] = GENERATE(table<std::string, Indexes>({
        {"0=my-key", {0}},
        {"0=a\n1=b/c d\n2=", {0, 1, 2}},
        {"3=x\n1=y\n3=z", {3, 1}},
        {"0/\n1/", {0, 1}},
        {"=x\nx=1\n-1=a\n1234567=big\n12", {}},
    }));
    CHECK(parse_public_key_indexes(body) == expected);
}
