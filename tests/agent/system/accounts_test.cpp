// passwd(5)/group(5) parsing as system::Root::find_user/find_group use it.
#include <catch2/catch.hpp>

#include "agent/system/accounts.hpp"
#include "agent/system/root.hpp"
#include "tests/support/recording_runner.hpp"
#include "tests/support/scratch_root.hpp"

using kindling::system::find_group_entry;
using kindling::system::find_passwd_entry;

namespace {

constexpr std::string_view k_passwd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "# a comment\n"
    "\n"
    "+nisuser::::::\n"
    "ec2-user:x:1000:1000:EC2 Default User:/home/ec2-user:/bin/bash\n"
    "nologin:x:65534:65534::/nonexistent:\n"
    "broken:x:12:notanumber:::/bin/sh\n"
    "short:x:13:13\n"
    "huge:x:4294967295:1:::/bin/sh";

}  // namespace

TEST_CASE("find_passwd_entry returns every field of the named user", "[system]") {
    auto user = find_passwd_entry(k_passwd, "ec2-user").value();
    REQUIRE(user);
    CHECK(user->name == "ec2-user");
    CHECK(user->uid == 1000);
    CHECK(user->gid == 1000);
    CHECK(user->gecos == "EC2 Default User");
    CHECK(user->home == "/home/ec2-user");
    CHECK(user->shell == "/bin/bash");

    auto nobody = find_passwd_entry(k_passwd, "nologin").value();
    REQUIRE(nobody);
    CHECK(nobody->uid == 65534);
    CHECK(nobody->shell.empty());
}

TEST_CASE("find_passwd_entry misses absent names and rejects malformed entries for the name", "[system]") {
    struct Case {
        std::string_view name;
        std::string expected;  // empty: not found, no error
    };
    const Case cases[] = {
        {"ghost", ""},
        {"", ""},
        {"+nisuser", ""},
        {"ec2", ""},
        {"broken", "'/etc/passwd': line 7: malformed entry for 'broken'"},
        {"short", "'/etc/passwd': line 8: malformed entry for 'short'"},
        {"huge", "'/etc/passwd': line 9: malformed entry for 'huge'"},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        auto r = find_passwd_entry(k_passwd, c.name);
        if (c.expected.empty()) {
            REQUIRE(r);
            CHECK_FALSE(r->has_value());
        } else {
            REQUIRE_FALSE(r);
            CHECK(r.error().message == c.expected);
        }
    }
}

TEST_CASE("find_group_entry returns the gid and the member list", "[system]") {
    constexpr std::string_view groups = "root:x:0:\nwheel:x:10:ec2-user,admin,\nadm:x:4:ec2-user\nbad:x:x:\n";
    auto wheel = find_group_entry(groups, "wheel").value();
    REQUIRE(wheel);
    CHECK(wheel->gid == 10);
    CHECK(wheel->members == std::vector<std::string>{"ec2-user", "admin"});
    CHECK(find_group_entry(groups, "root").value()->members.empty());
    CHECK_FALSE(find_group_entry(groups, "docker").value());
    CHECK(find_group_entry(groups, "bad").error().message == "'/etc/group': line 4: malformed entry for 'bad'");
}

TEST_CASE("Root::find_user and find_group read the root's files, not this machine's", "[system]") {
    kindling::test::ScratchRoot scratch;
    kindling::test::RecordingRunner runner;
    kindling::system::Root root(scratch.path(), runner);
    scratch.append("/etc/passwd", "scratchy:x:4242:4243:Scratch:/home/scratchy:/bin/zsh\n");
    scratch.append("/etc/group", "scratchers:x:4243:scratchy\n");

    auto user = root.find_user("scratchy").value();
    REQUIRE(user);
    CHECK(user->uid == 4242);
    CHECK(user->shell == "/bin/zsh");
    CHECK(root.find_group("scratchers").value()->members == std::vector<std::string>{"scratchy"});
    CHECK_FALSE(root.find_user("daemon").value());  // exists on the host, not in the scratch root
    REQUIRE(root.remove("/etc/passwd"));
    CHECK_FALSE(root.find_user("root").value());
}
