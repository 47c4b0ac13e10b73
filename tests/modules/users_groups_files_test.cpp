// users_groups pure helpers: the exact useradd/usermod/chpasswd commands, the
// /etc/shadow reader, the sudoers drop-in and #includedir text, and the
// authorized_keys merge. No root, no commands run.
#include <catch2/catch.hpp>

#include "modules/users_groups_commands.hpp"
#include "modules/users_groups_files.hpp"

using namespace kindling::modules;
using Argv = std::vector<std::string>;

TEST_CASE("useradd gets cloud-init's options in key order and never a password", "[module][users_groups]") {
    UserEntry u;
    u.name = "bob";
    CHECK(useradd_argv(u) == Argv{"useradd", "bob", "-m"});

    u.gecos = "Bob B";
    u.homedir = "/srv/bob";
    u.primary_group = "staff";
    u.groups = Argv{"wheel", "adm"};
    u.shell = "/bin/bash";
    u.uid = 1500;
    u.expiredate = "2032-09-01";
    u.inactive = 5;
    u.no_user_group = true;
    u.no_log_init = true;
    u.selinux_user = "staff_u";
    u.passwd = kindling::Secret<>("$6$not-on-the-command-line");
    CHECK(useradd_argv(u) == Argv{"useradd", "bob", "--expiredate", "2032-09-01", "--comment", "Bob B", "--groups",
                                  "wheel,adm", "--home", "/srv/bob", "--inactive", "5", "--no-log-init",
                                  "--no-user-group", "--gid", "staff", "--selinux-user", "staff_u", "--shell",
                                  "/bin/bash", "--uid", "1500", "-m"});

    UserEntry sys;
    sys.name = "cloudy";
    sys.system = true;
    CHECK(useradd_argv(sys) == Argv{"useradd", "cloudy", "--system", "-M"});
    UserEntry nohome;
    nohome.name = "n";
    nohome.no_create_home = true;
    CHECK(useradd_argv(nohome) == Argv{"useradd", "n", "-M"});
}

TEST_CASE("usermod changes only what differs and appends missing groups", "[module][users_groups]") {
    UserEntry u;
    u.name = "bob";
    u.gecos = "Bob";
    u.shell = "/bin/bash";
    u.homedir = "/home/bob";
    u.uid = 1000;
    CurrentUser now;
    now.passwd = {"bob", 1000, 1000, "Bob", "/home/bob", "/bin/bash"};
    CHECK(usermod_argv(u, now).empty());

    now.passwd.shell = "/bin/sh";
    now.passwd.gecos = "";
    now.missing_groups = {"wheel", "adm"};
    u.primary_group = "staff";
    now.wanted_gid = 50;
    u.expiredate = "2032-09-01";
    u.inactive = -1;
    now.shadow_inactive = "5";
    CHECK(usermod_argv(u, now) == Argv{"usermod", "--comment", "Bob", "--gid", "staff", "--append", "--groups",
                                       "wheel,adm", "--shell", "/bin/bash", "--expiredate", "2032-09-01",
                                       "--inactive", "-1", "bob"});

    now.shadow_expire = std::to_string(*days_since_epoch("2032-09-01"));
    now.shadow_inactive = "";
    now.passwd = {"bob", 1000, 50, "Bob", "/home/bob", "/bin/bash"};
    now.missing_groups.clear();
    CHECK(usermod_argv(u, now).empty());
}

TEST_CASE("chpasswd takes the password on stdin and labels itself without it", "[module][users_groups]") {
    auto plain = chpasswd_command("bob", kindling::Secret<>("hunter2"), false);
    CHECK(plain.argv == Argv{"chpasswd"});
    CHECK(plain.stdin_data == "bob:hunter2\n");
    CHECK(plain.label == "chpasswd for 'bob'");
    auto hashed = chpasswd_command("bob", kindling::Secret<>("$6$x$y"), true);
    CHECK(hashed.argv == Argv{"chpasswd", "-e"});
    CHECK(hashed.stdin_data == "bob:$6$x$y\n");
}

TEST_CASE("shadow fields are found by user name", "[module][users_groups]") {
    std::string shadow = "root:*:19000:0:99999:7:::\nbob:!$6$x$y:20790::::5:21915:\nbobby:!:1::::::\n";
    auto bob = find_shadow(shadow, "bob");
    REQUIRE(bob);
    CHECK(bob->password.reveal() == "!$6$x$y");
    CHECK(bob->inactive == "5");
    CHECK(bob->expire == "21915");
    CHECK_FALSE(find_shadow(shadow, "bo"));
    CHECK(days_since_epoch("2030-01-01") == 21915);
    CHECK(days_since_epoch("1970-01-01") == 0);
    CHECK_FALSE(days_since_epoch("2030-02-30"));
}

TEST_CASE("the sudoers drop-in gets one block per user, never twice", "[module][users_groups]") {
    CHECK(sudoers_block("bob", {"ALL=(ALL) NOPASSWD:ALL", "ALL=(ALL) ALL"}) ==
          "\n# User rules for bob\nbob ALL=(ALL) NOPASSWD:ALL\nbob ALL=(ALL) ALL\n");
    std::vector<std::string> blocks{sudoers_block("bob", {"ALL"}), sudoers_block("amy", {"ALL"})};
    std::string fresh = merge_rule_blocks(std::nullopt, blocks);
    CHECK(fresh ==
          "# Created by kindling users_groups\n\n# User rules for bob\nbob ALL\n\n# User rules for amy\namy ALL\n");
    CHECK(merge_rule_blocks(fresh, blocks) == fresh);
    CHECK(merge_rule_blocks(std::string("# kept\nx ALL"), {blocks[1]}) == "# kept\nx ALL\n\n# User rules for amy\namy ALL\n");
}

TEST_CASE("doas.conf gets one block per user with the rules as written, never twice", "[module][users_groups]") {
    CHECK(doas_block("bob", {"permit nopass bob", "deny bob as root"}) ==
          "\n# kindling User rules for bob\npermit nopass bob\ndeny bob as root\n");
    std::vector<std::string> blocks{doas_block("bob", {"permit bob"})};
    std::string fresh = merge_rule_blocks(std::nullopt, blocks);
    CHECK(fresh == "# Created by kindling users_groups\n\n# kindling User rules for bob\npermit bob\n");
    CHECK(merge_rule_blocks(fresh, blocks) == fresh);
}

TEST_CASE("sudoers gets an #includedir only when none names the directory", "[module][users_groups]") {
    CHECK_FALSE(sudoers_with_includedir(std::string("Defaults env_reset\n@includedir /etc/sudoers.d\n"), "/etc/sudoers.d"));
    CHECK_FALSE(sudoers_with_includedir(std::string("  #includedir /etc/sudoers.d/\n"), "/etc/sudoers.d"));
    CHECK(sudoers_with_includedir(std::string("Defaults env_reset"), "/etc/sudoers.d") ==
          "Defaults env_reset\n\n# Added by kindling users_groups\n#includedir /etc/sudoers.d\n");
    CHECK(sudoers_with_includedir(std::nullopt, "/etc/sudoers.d") ==
          "# See sudoers(5) for more information on \"#include\" directives:\n\n"
          "# Added by kindling users_groups\n#includedir /etc/sudoers.d\n");
}

