// users_groups parsing: cloud-init's normalisation of `groups`, `users` and
// `user` (comma strings, sorted member lists, merged entries, `default`), and
// the exact Report message for every wrong type. Pure: no root, no commands.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include "modules/users_groups_config.hpp"

using kindling::config::Node;
using kindling::config::Report;
using namespace kindling::modules;

namespace {

struct Parsed {
    UsersGroups cfg;
    std::vector<std::string> messages;
};

Parsed parse(const std::string& yaml) {
    Report report;
    Parsed out;
    out.cfg = parse_users_groups(Node(YAML::Load(yaml), "user-data"), report);
    for (const auto& e : report.entries()) out.messages.push_back(e.format());
    return out;
}

std::vector<std::string> names(const std::vector<UserEntry>& users) {
    std::vector<std::string> out;
    for (const auto& u : users) out.push_back(u.name);
    return out;
}

}  // namespace

TEST_CASE("without a users key the default user is the only user", "[module][users_groups]") {
    auto p = parse("hostname: x\n");
    CHECK(p.messages.empty());
    REQUIRE(p.cfg.users.size() == 1);
    CHECK(p.cfg.users[0].is_default);
    CHECK(p.cfg.users[0].name == "default");
    CHECK(p.cfg.groups.empty());
}

TEST_CASE("an empty users list creates no user at all", "[module][users_groups]") {
    auto p = parse("users: []\n");
    CHECK(p.messages.empty());
    CHECK(p.cfg.users.empty());
}

TEST_CASE("groups as a list of names and mappings get sorted unique members", "[module][users_groups]") {
    auto p = parse("groups:\n- admingroup: [sys, root, sys]\n- cloud-users\n- admingroup: 'adm, root'\n");
    CHECK(p.messages.empty());
    REQUIRE(p.cfg.groups.size() == 2);
    CHECK(p.cfg.groups[0].name == "admingroup");
    CHECK(p.cfg.groups[0].members == std::vector<std::string>{"adm", "root", "sys"});
    CHECK(p.cfg.groups[1].name == "cloud-users");
    CHECK(p.cfg.groups[1].members.empty());
}

TEST_CASE("groups as a comma string and as a mapping", "[module][users_groups]") {
    auto a = parse("groups: 'ops, dev ,ops'\n");
    CHECK(a.messages.empty());
    REQUIRE(a.cfg.groups.size() == 2);
    CHECK(a.cfg.groups[0].name == "ops");
    CHECK(a.cfg.groups[1].name == "dev");

    auto b = parse("groups:\n  ops: bob\n  dev: [carl, bob]\n");
    CHECK(b.messages.empty());
    REQUIRE(b.cfg.groups.size() == 2);
    CHECK(b.cfg.groups[0].members == std::vector<std::string>{"bob"});
    CHECK(b.cfg.groups[1].members == std::vector<std::string>{"bob", "carl"});
}

TEST_CASE("users as a comma string are sorted, list strings keep their order", "[module][users_groups]") {
    CHECK(names(parse("users: 'zed, amy, default'\n").cfg.users) == std::vector<std::string>{"amy", "default", "zed"});
    CHECK(names(parse("users: [zed, 'amy, default', [bo]]\n").cfg.users) ==
          std::vector<std::string>{"zed", "amy", "default", "bo"});
}

TEST_CASE("entries for the same user merge with the first value winning", "[module][users_groups]") {
    auto p = parse(
        "users:\n- name: bob\n  shell: /bin/zsh\n- name: bob\n  shell: /bin/sh\n  gecos: Bob\n- bob\n");
    CHECK(p.messages.empty());
    REQUIRE(p.cfg.users.size() == 1);
    CHECK(p.cfg.users[0].shell == "/bin/zsh");
    CHECK(p.cfg.users[0].gecos == "Bob");
}

TEST_CASE("every user key is read into its typed field", "[module][users_groups]") {
    auto p = parse(R"(users:
- name: bob
  gecos: Bob B
  homedir: /srv/bob
  primary_group: staff
  groups: 'wheel, adm'
  lock_passwd: false
  passwd: $6$salt$hash
  hashed_passwd: $6$salt$other
  plain_text_passwd: hunter2
  no_create_home: false
  no_user_group: true
  no_log_init: yes
  create_groups: false
  ssh_authorized_keys: ssh-ed25519 AAAAC3 bob@x
  sudo: [ 'ALL=(ALL) ALL', null ]
  shell: /bin/bash
  system: false
  uid: '1500'
  expiredate: '2032-09-01'
  inactive: '5'
  selinux-user: staff_u
)");
    CHECK(p.messages.empty());
    REQUIRE(p.cfg.users.size() == 1);
    const auto& u = p.cfg.users[0];
    CHECK(u.gecos == "Bob B");
    CHECK(u.homedir == "/srv/bob");
    CHECK(u.primary_group == "staff");
    CHECK(u.groups == std::vector<std::string>{"wheel", "adm"});
    CHECK(u.lock_passwd == false);
    CHECK(u.passwd->reveal() == "$6$salt$hash");
    CHECK(u.hashed_passwd->reveal() == "$6$salt$other");
    CHECK(u.plain_text_passwd->reveal() == "hunter2");
    CHECK(u.no_create_home == false);
    CHECK(u.no_user_group == true);
    CHECK(u.no_log_init == true);
    CHECK(u.create_groups == false);
    CHECK(u.ssh_authorized_keys == std::vector<std::string>{"ssh-ed25519 AAAAC3 bob@x"});
    CHECK(u.sudo == std::vector<std::string>{"ALL=(ALL) ALL"});
    CHECK(u.shell == "/bin/bash");
    CHECK(u.system == false);
    CHECK(u.uid == 1500);
    CHECK(u.expiredate == "2032-09-01");
    CHECK(u.inactive == 5);
    CHECK(u.selinux_user == "staff_u");
}

TEST_CASE("expiredate takes a leap day that exists", "[module][users_groups]") {
    auto p = parse("users:\n- name: bob\n  expiredate: '2024-02-29'\n");
    CHECK(p.messages.empty());
    REQUIRE(p.cfg.users.size() == 1);
    CHECK(p.cfg.users[0].expiredate == "2024-02-29");
}

TEST_CASE("sudo false and null mean no rules, and stop the default user's rule", "[module][users_groups]") {
    kindling::pipeline::DefaultUser def;
    def.sudo = "ALL=(ALL) NOPASSWD:ALL";
    for (const char* value : {"false", "null", "~", "no"}) {
        auto p = parse(std::string("users:\n- name: default\n  sudo: ") + value + "\n");
        CHECK(p.messages.empty());
        auto users = resolve_users(p.cfg.users, def);
        REQUIRE(users.size() == 1);
        CHECK(users[0].sudo == std::vector<std::string>{});
    }
}

TEST_CASE("the default user takes kindling.yaml's values under the entry's own keys", "[module][users_groups]") {
    kindling::pipeline::DefaultUser def;
    def.name = "ec2-user";
    def.groups = {"wheel", "adm"};
    def.sudo = "ALL=(ALL) NOPASSWD:ALL";
    auto p = parse("users:\n- name: default\n  shell: /bin/zsh\n- name: bob\n");
    auto users = resolve_users(p.cfg.users, def);
    REQUIRE(users.size() == 2);
    CHECK(users[0].name == "ec2-user");
    CHECK(users[0].is_default);
    CHECK(users[0].shell == "/bin/zsh");
    CHECK(users[0].gecos == "Default user");
    CHECK(users[0].groups == std::vector<std::string>{"wheel", "adm"});
    CHECK(users[0].sudo == std::vector<std::string>{"ALL=(ALL) NOPASSWD:ALL"});
    CHECK(users[0].lock_passwd == true);
    CHECK(users[1].name == "bob");
    CHECK_FALSE(users[1].shell);
}

TEST_CASE("the user key renames and overrides the default user and adds it to users", "[module][users_groups]") {
    kindling::pipeline::DefaultUser def;
    auto p = parse("user: {name: mynewdefault, sudo: false}\nusers: [bob]\n");
    CHECK(p.messages.empty());
    auto users = resolve_users(p.cfg.users, def);
    REQUIRE(users.size() == 2);
    CHECK(users[0].name == "bob");
    CHECK(users[1].name == "mynewdefault");
    CHECK(users[1].sudo == std::vector<std::string>{});
    CHECK(users[1].shell == "/bin/bash");

    auto q = parse("user: admin\n");
    auto only = resolve_users(q.cfg.users, def);
    REQUIRE(only.size() == 1);
    CHECK(only[0].name == "admin");
    CHECK(only[0].is_default);
}

TEST_CASE("wrong types and values give the exact message", "[module][users_groups]") {
    struct Case {
        const char* yaml;
        const char* message;
    };
    const Case cases[] = {
        {"groups: true\n", "user-data, line 1, column 9: groups: expected a string, a list or a mapping of groups, got a boolean"},
        {"groups:\n- [a]\n", "user-data, line 2, column 3: groups[0]: expected a group name or a mapping of group to members, got a list"},
        {"groups:\n- 5\n", "user-data, line 2, column 3: groups[0]: expected a group name or a mapping of group to members, got an integer"},
        {"groups:\n- admins: null\n", "user-data, line 2, column 11: groups[0].admins: expected a member name or a list of member names, got null"},
        {"groups:\n  admins: [bob, {a: b}]\n", "user-data, line 2, column 17: groups.admins[1]: expected a member name, got a mapping"},
        {"groups: 'a b'\n", "user-data, line 1, column 9: groups: 'a b' is not a valid group name"},
        {"groups: {'-x': [a]}\n", "user-data, line 1, column 16: groups.-x: '-x' is not a valid group name"},
        {"users: 5\n", "user-data, line 1, column 8: users: expected a list, a string or a mapping of users, got an integer"},
        {"users:\n", "user-data, line 2, column 1: users: expected a list, a string or a mapping of users, got null"},
        {"users:\n- true\n", "user-data, line 2, column 3: users[0]: expected a user name or a mapping of user keys, got a boolean"},
        {"users: ['bob:x']\n", "user-data, line 1, column 9: users[0]: 'bob:x' is not a valid user name"},
        {"users:\n- gecos: x\n", "user-data, line 2, column 3: users[0]: a user needs a 'name'"},
        {"users:\n- name: [a]\n", "user-data, line 2, column 9: users[0].name: expected a user name, got a list"},
        {"users:\n- name: bob\n  colour: red\n", "user-data, line 3, column 3: users[0].colour: unknown user key"},
        {"users:\n- name: bob\n  doas: permit bob\n", "user-data, line 3, column 9: users[0].doas: expected a list of strings, got a string"},
        {"users:\n- name: bob\n  doas: [permit bob, permit]\n", "user-data, line 3, column 22: users[0].doas[1]: 'permit' is not a doas rule (permit|deny [options] identity [as target] [cmd command [args ...]], on one line)"},
        {"users:\n- name: bob\n  doas: [allow bob]\n", "user-data, line 3, column 10: users[0].doas[0]: 'allow bob' is not a doas rule (permit|deny [options] identity [as target] [cmd command [args ...]], on one line)"},
        {"users:\n- doas: [permit nopass alice as root]\n  name: bob\n", "user-data, line 2, column 10: users[0].doas[0]: the doas rule is for 'alice', not for the user 'bob'"},
        {"users:\n- name: bob\n  doas: [permit :wheel]\n", "user-data, line 3, column 10: users[0].doas[0]: the doas rule is for ':wheel', not for the user 'bob'"},
        {"users:\n- name: bob\n  ssh_import_id: [gh:bob]\n", "user-data, line 3, column 3: users[0].ssh_import_id: not supported by kindling, not applied"},
        {"users:\n- name: bob\n  ssh_import_id: {gh: bob}\n", "user-data, line 3, column 18: users[0].ssh_import_id: expected a string or a list of strings, got a mapping"},
        {"users:\n- name: bob\n  snapuser: [a@b.c]\n", "user-data, line 3, column 13: users[0].snapuser: expected a string, got a list"},
        {"users:\n- name: bob\n  ssh_redirect_user: maybe\n", "user-data, line 3, column 22: users[0].ssh_redirect_user: expected true, false or \"default\", got 'maybe'"},
        {"users:\n- name: bob\n  ssh_redirect_user: [x]\n", "user-data, line 3, column 22: users[0].ssh_redirect_user: expected true, false or \"default\", got a list"},
        {"users:\n- name: bob\n  ssh_redirect_user: true\n  ssh_authorized_keys: [ssh-ed25519 AAAA]\n", "user-data, line 2, column 3: users[0]: ssh_redirect_user cannot be given with ssh_authorized_keys"},
        {"users:\n- name: bob\n  ssh_redirect_user: true\n  system: true\n", "user-data, line 2, column 3: users[0]: ssh_redirect_user cannot be given with system"},
        {"users:\n- name: bob\n  uid: abc\n", "user-data, line 3, column 8: users[0].uid: expected a uid from 0 to 4294967294, got 'abc'"},
        {"users:\n- name: bob\n  uid: -3\n", "user-data, line 3, column 8: users[0].uid: expected a uid from 0 to 4294967294, got -3"},
        {"users:\n- name: bob\n  uid: true\n", "user-data, line 3, column 8: users[0].uid: expected a uid from 0 to 4294967294, got a boolean"},
        {"users:\n- name: bob\n  inactive: soon\n", "user-data, line 3, column 13: users[0].inactive: expected a number of days (-1 to disable), got 'soon'"},
        {"users:\n- name: bob\n  expiredate: 2030/01/01\n", "user-data, line 3, column 15: users[0].expiredate: expected a date as YYYY-MM-DD, got '2030/01/01'"},
        {"users:\n- name: bob\n  expiredate: 2020-13-45\n", "user-data, line 3, column 15: users[0].expiredate: expected a date as YYYY-MM-DD, got '2020-13-45'"},
        {"users:\n- name: bob\n  expiredate: '2023-02-29'\n", "user-data, line 3, column 15: users[0].expiredate: expected a date as YYYY-MM-DD, got '2023-02-29'"},
        {"users:\n- name: bob\n  expiredate: '2023-04-31'\n", "user-data, line 3, column 15: users[0].expiredate: expected a date as YYYY-MM-DD, got '2023-04-31'"},
        {"users:\n- name: bob\n  expiredate: 2032-09-01\n", "user-data, line 3, column 15: users[0].expiredate: expected a string, got a date (quote it: '2032-09-01')"},
        {"users:\n- name: bob\n  expiredate: 20320901\n", "user-data, line 3, column 15: users[0].expiredate: expected a string, got an integer"},
        {"users:\n- name: bob\n  gecos: 42\n", "user-data, line 3, column 10: users[0].gecos: expected a string, got an integer"},
        {"users:\n- name: bob\n  passwd: 12345\n", "user-data, line 3, column 11: users[0].passwd: expected a string, got an integer"},
        {"users:\n- name: bob\n  ssh_authorized_keys: [42]\n", "user-data, line 3, column 25: users[0].ssh_authorized_keys[0]: expected a string, got an integer"},
        {"users:\n- name: bob\n  lock_passwd: maybe\n", "user-data, line 3, column 16: users[0].lock_passwd: expected a boolean, got a string"},
        {"users:\n- name: bob\n  system: 'yes'\n", "user-data, line 3, column 11: users[0].system: expected a boolean, got a string"},
        {"users:\n- name: bob\n  sudo: true\n", "user-data, line 3, column 9: users[0].sudo: expected a sudo rule, a list of sudo rules, false or null, got a boolean"},
        {"users:\n- name: bob\n  sudo: [[a]]\n", "user-data, line 3, column 10: users[0].sudo[0]: expected a sudo rule, got a list"},
        {"users:\n- name: bob\n  sudo: \"ALL\\nroot ALL\"\n", "user-data, line 3, column 9: users[0].sudo: a sudo rule must be one non-empty line"},
        {"users:\n- name: bob\n  groups: 5\n", "user-data, line 3, column 11: users[0].groups: expected a string or a list of group names, got an integer"},
        {"users:\n- name: bob\n  groups: [wheel, 'a b']\n", "user-data, line 3, column 11: users[0].groups: 'a b' is not a valid group name"},
        {"users:\n- name: bob\n  primary_group: [a]\n", "user-data, line 3, column 18: users[0].primary_group: expected a group name, got a list"},
        {"users:\n- name: bob\n  homedir: home/bob\n", "user-data, line 3, column 12: users[0].homedir: expected an absolute path without ':', got 'home/bob'"},
        {"users:\n- name: bob\n  shell: {a: b}\n", "user-data, line 3, column 10: users[0].shell: expected an absolute path, got a mapping"},
        {"users:\n- name: bob\n  gecos: 'a:b'\n", "user-data, line 3, column 10: users[0].gecos: a gecos cannot contain ':' or a newline"},
        {"users:\n- name: bob\n  passwd: [x]\n", "user-data, line 3, column 11: users[0].passwd: expected a string, got a list"},
        {"users:\n- name: bob\n  ssh_authorized_keys: {a: b}\n", "user-data, line 3, column 24: users[0].ssh_authorized_keys: expected a string or a list of strings, got a mapping"},
        {"users:\n- name: bob\n  no_create_home: true\n  ssh_authorized_keys: [ssh-ed25519 AAAA]\n", "user-data, line 2, column 3: users[0]: ssh_authorized_keys cannot be given with no_create_home"},
        {"user: [a]\n", "user-data, line 1, column 7: user: expected a user name or a mapping of user keys, got a list"},
    };
    for (const auto& c : cases) {
        INFO(c.yaml);
        auto p = parse(c.yaml);
        CHECK(p.messages == std::vector<std::string>{c.message});
    }
}

TEST_CASE("a bad password is reported without its value", "[module][users_groups]") {
    auto p = parse("users:\n- name: bob\n  plain_text_passwd: \"s3cr3t-one\\nbob2:s3cr3t-two\"\n"
                   "  hashed_passwd: '$6$s3cr3t:three'\n");
    REQUIRE(p.messages == std::vector<std::string>{
                              "user-data, line 3, column 22: users[0].plain_text_passwd: a password must be a single line",
                              "user-data, line 4, column 18: users[0].hashed_passwd: a password hash cannot contain ':'"});
    for (const auto& m : p.messages) CHECK(m.find("s3cr3t") == std::string::npos);
}

TEST_CASE("account names refuse what useradd or a passwd line would misread", "[module][users_groups]") {
    for (const char* ok : {"ec2-user", "a", "_svc", "Bob.Smith", "host$", "web01"}) {
        CHECK(valid_account_name(ok));
    }
    for (const char* bad : {"", "-o", "a b", "a:b", "a,b", "1000", ".", "..", "a$b", "abcdefghijklmnopqrstuvwxyz0123456"}) {
        INFO(bad);
        CHECK_FALSE(valid_account_name(bad));
    }
}

TEST_CASE("doas, ssh_redirect_user, ssh_import_id and snapuser are read with cloud-init's meaning",
          "[module][users_groups]") {
    Report report;
    auto cfg = parse_users_groups(
        Node(YAML::Load("users:\n"
                        "- {name: amy, doas: [permit nopass amy, deny amy as root]}\n"
                        "- {name: bob, ssh_redirect_user: default}\n"
                        "- {name: cat, ssh_redirect_user: false, ssh_import_id: gh:cat}\n"
                        "- {name: dan, snapuser: dan@example.com}\n"
                        "- snapuser: joe@joeuser.io\n"),
             "user-data"),
        report);
    // Only warnings: nothing stops the module.
    CHECK_FALSE(report.has_errors());
    std::vector<std::string> warnings;
    for (const auto& e : report.entries()) {
        CHECK(e.severity == kindling::config::Severity::warning);
        warnings.push_back(e.format());
    }
    CHECK(warnings == std::vector<std::string>{
                          "user-data, line 4, column 41: users[2].ssh_import_id: not supported by kindling, not applied",
                          "user-data, line 5, column 15: users[3].snapuser: not supported by kindling, not applied",
                          "user-data, line 6, column 3: users[4].snapuser: not supported by kindling, not applied",
                      });
    // The nameless snapuser entry (cloud-init: a name or a snapuser) is not a user here.
    REQUIRE(names(cfg.users) == std::vector<std::string>{"amy", "bob", "cat", "dan"});
    CHECK(cfg.users[0].doas == std::vector<std::string>{"permit nopass amy", "deny amy as root"});
    CHECK(cfg.users[1].ssh_redirect_user == true);
    CHECK(cfg.users[2].ssh_redirect_user == false);
    CHECK(cfg.users[2].ssh_import_id == std::vector<std::string>{"gh:cat"});
    CHECK(cfg.users[3].snapuser == "dan@example.com");
}

TEST_CASE("the default user's doas rules are kept for the run to check against its name", "[module][users_groups]") {
    auto p = parse("users:\n- name: default\n  doas: [permit ec2-user]\n");
    CHECK(p.messages.empty());
    kindling::pipeline::DefaultUser def;
    auto users = resolve_users(p.cfg.users, def);
    REQUIRE(users.size() == 1);
    CHECK(users[0].name == "ec2-user");
    CHECK(users[0].doas == std::vector<std::string>{"permit ec2-user"});
}

TEST_CASE("a doas rule's identity is read as doas.conf(5) defines a rule", "[module][users_groups]") {
    using Identity = std::optional<std::string>;
    CHECK(doas_rule_identity("permit nopass newsuper") == Identity("newsuper"));
    CHECK(doas_rule_identity("deny newsuper as root") == Identity("newsuper"));
    CHECK(doas_rule_identity("permit persist keepenv setenv { PATH=/bin -HOME } :wheel") == Identity(":wheel"));
    CHECK(doas_rule_identity("permit nolog bob as root cmd /usr/bin/apt args update") == Identity("bob"));
    CHECK(doas_rule_identity("  permit  bob  cmd reboot  ") == Identity("bob"));
    CHECK(doas_rule_identity("permit bob cmd") == std::nullopt);
    CHECK(doas_rule_identity("permit nopass") == Identity("nopass"));  // a user named nopass
    CHECK(doas_rule_identity("permit") == std::nullopt);
    CHECK(doas_rule_identity("allow bob") == std::nullopt);
    CHECK(doas_rule_identity("permit bob as") == std::nullopt);
    CHECK(doas_rule_identity("permit bob extra") == std::nullopt);
    CHECK(doas_rule_identity("permit b:ob") == std::nullopt);
}
