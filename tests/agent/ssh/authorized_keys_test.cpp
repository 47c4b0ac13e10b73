// The authorized_keys parser and merge (cloud-init ssh_util semantics) and the
// fingerprints, as tables of input and exact output.
#include "agent/ssh/authorized_keys.hpp"

#include <catch2/catch.hpp>

#include "agent/ssh/fingerprint.hpp"

using namespace kindling::ssh;

namespace {

// A real ed25519 public key; its fingerprints below come from `ssh-keygen -l`
// (SHA256 and -E md5) and Python hashlib (sha256, sha512).
constexpr const char* k_blob = "AAAAC3NzaC1lZDI1NTE5AAAAIHMGv45Vn7S8D0K2q4eXCUKyb8xVgJ4gCmaStzRhNP0B";

}  // namespace

TEST_CASE("a key line splits into options, key type, blob and comment", "[ssh]") {
    struct Case {
        const char* line;
        const char* options;
        const char* keytype;
        const char* blob;
        const char* comment;
    };
    const Case cases[] = {
        {"ssh-rsa AAAAB3Nza user@host", "", "ssh-rsa", "AAAAB3Nza", "user@host"},
        {"ssh-ed25519 AAAAC3Nz", "", "ssh-ed25519", "AAAAC3Nz", ""},
        {"  ssh-ed25519   AAAAC3Nz   two words  \r\n", "", "ssh-ed25519", "AAAAC3Nz", "two words"},
        {"no-pty,from=\"10.0.0.1\" ssh-rsa AAAA c", "no-pty,from=\"10.0.0.1\"", "ssh-rsa", "AAAA", "c"},
        {"command=\"echo 'a b'; exit 1\",no-pty ssh-ed25519 AAAA x y", "command=\"echo 'a b'; exit 1\",no-pty",
         "ssh-ed25519", "AAAA", "x y"},
        {"command=\"say \\\"hi there\\\"\" ecdsa-sha2-nistp256 AAAA", "command=\"say \\\"hi there\\\"\"",
         "ecdsa-sha2-nistp256", "AAAA", ""},
        {"sk-ssh-ed25519@openssh.com AAAA key", "", "sk-ssh-ed25519@openssh.com", "AAAA", "key"},
        {"rsa AAAA legacy", "", "rsa", "AAAA", "legacy"},
    };
    for (const Case& c : cases) {
        INFO(c.line);
        AuthKeyLine k = parse_key_line(c.line);
        CHECK(k.valid());
        CHECK(k.options == c.options);
        CHECK(k.keytype == c.keytype);
        CHECK(k.blob == c.blob);
        CHECK(k.comment == c.comment);
    }
}

TEST_CASE("comments, blank lines and unknown key types are not keys and keep their text", "[ssh]") {
    const char* lines[] = {"# a comment ssh-rsa AAAA", "",        "   ",
                           "ssh-foo AAAA x",           "ssh-rsa", "no-pty ssh-rsa",
                           "ssh-dss AAAA old",         "garbage", "\"unterminated ssh-rsa AAAA"};
    for (const char* line : lines) {
        INFO(line);
        AuthKeyLine k = parse_key_line(line);
        CHECK_FALSE(k.valid());
        CHECK(k.format() == line);
    }
}

TEST_CASE("given options replace the line's own options, and an empty string removes them", "[ssh]") {
    CHECK(parse_key_line("no-pty ssh-rsa AAAA c", std::string("restrict")).format() == "restrict ssh-rsa AAAA c");
    CHECK(parse_key_line("ssh-rsa AAAA c", std::string("restrict")).format() == "restrict ssh-rsa AAAA c");
    CHECK(parse_key_line("no-pty ssh-rsa AAAA c", std::string()).format() == "ssh-rsa AAAA c");
    CHECK(parse_key_line("no-pty ssh-rsa AAAA c").format() == "no-pty ssh-rsa AAAA c");
}

TEST_CASE("the refusal options name the user to log in as and the one refused", "[ssh]") {
    CHECK(disable_user_options(k_disable_user_opts, "ec2-user", "root") ==
          "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command=\"echo 'Please login as the user "
          "\\\"ec2-user\\\" rather than the user \\\"root\\\".';echo;sleep 10;exit 142\"");
    CHECK(disable_user_options("$USER $DISABLE_USER $USERS $DISABLE_USE", "a", "b") == "a b aS $DISABLE_USE");
}

TEST_CASE("a formatted key joins its fields with single spaces", "[ssh]") {
    CHECK(parse_key_line("  no-pty\tssh-rsa   AAAA    my  key ").format() == "no-pty ssh-rsa AAAA my  key");
}

TEST_CASE("merging appends new keys and keeps every other line byte for byte", "[ssh]") {
    const std::string existing = "# managed by hand\n\nssh-rsa  OLD   admin key\ngarbage line\n";
    MergeResult r =
        merge_authorized_keys(existing, {parse_key_line("ssh-ed25519 NEW1 a"), parse_key_line("ssh-ed25519 NEW2")});
    CHECK(r.content == existing + "ssh-ed25519 NEW1 a\nssh-ed25519 NEW2\n");
    CHECK(r.added == 2);
    CHECK(r.replaced == 0);
    CHECK(r.changed);
}

TEST_CASE("a key whose blob is already present replaces that line in place", "[ssh]") {
    const std::string existing = "ssh-rsa A first\nssh-rsa SAME old comment\nssh-rsa Z last\n";
    MergeResult r = merge_authorized_keys(existing, {parse_key_line("no-pty ssh-rsa SAME new comment")});
    CHECK(r.content == "ssh-rsa A first\nno-pty ssh-rsa SAME new comment\nssh-rsa Z last\n");
    CHECK(r.added == 0);
    CHECK(r.replaced == 1);
}

TEST_CASE("root's copy gets the refusal options even when the bare key was already there", "[ssh]") {
    const std::string opts = "no-port-forwarding,command=\"echo 'no';exit 142\"";
    MergeResult r = merge_authorized_keys("ssh-rsa K me\n", {parse_key_line("ssh-rsa K me", opts)});
    CHECK(r.content == opts + " ssh-rsa K me\n");
}

TEST_CASE("a blob given twice is written once, the later key winning", "[ssh]") {
    MergeResult r = merge_authorized_keys(
        "", {parse_key_line("ssh-rsa K one"), parse_key_line("ssh-rsa X x"), parse_key_line("ssh-rsa K two")});
    CHECK(r.content == "ssh-rsa K two\nssh-rsa X x\n");
    CHECK(r.added == 2);
}

TEST_CASE("merging the same keys again changes nothing", "[ssh]") {
    std::vector<AuthKeyLine> keys{parse_key_line("ssh-rsa K one"), parse_key_line("no-pty ssh-ed25519 E two")};
    MergeResult first = merge_authorized_keys("# hand\n", keys);
    MergeResult second = merge_authorized_keys(first.content, keys);
    CHECK(second.content == first.content);
    CHECK_FALSE(second.changed);
    CHECK(second.added == 0);
    CHECK(second.replaced == 0);
}

TEST_CASE("a file without a final newline or with CRLF endings is rewritten with LF", "[ssh]") {
    CHECK(merge_authorized_keys("ssh-rsa A a\r\nssh-rsa B b", {}).content == "ssh-rsa A a\nssh-rsa B b\n");
    CHECK(merge_authorized_keys("", {}).content.empty());
    CHECK_FALSE(merge_authorized_keys("", {}).changed);
}

TEST_CASE("invalid keys are not merged", "[ssh]") {
    MergeResult r = merge_authorized_keys("ssh-rsa A a\n", {parse_key_line("not a key"), parse_key_line("# c")});
    CHECK(r.content == "ssh-rsa A a\n");
    CHECK_FALSE(r.changed);
}

TEST_CASE("fingerprints match ssh-keygen and cloud-init's authkey format", "[ssh]") {
    std::optional<std::string> bytes = decode_blob(k_blob);
    REQUIRE(bytes);
    CHECK(bytes->size() == 51);
    CHECK(openssh_fingerprint(*bytes) == "SHA256:mvRO0G6m6TQIMaVbGv43f2M8IlkjJXP5q1PACcA6ShQ");
    CHECK(hex_fingerprint(*bytes, "md5") == "75:b9:4a:15:48:03:7d:3d:4e:b6:f3:be:fa:9f:5a:63");
    CHECK(hex_fingerprint(*bytes, "sha256") ==
          "9a:f4:4e:d0:6e:a6:e9:34:08:31:a5:5b:1a:fe:37:7f:63:3c:22:59:23:25:73:f9:ab:53:c0:09:c0:3a:4a:14");
    CHECK(hex_fingerprint(*bytes, "sha512").substr(0, 23) == "2a:2a:ce:28:62:0a:90:ed");
    CHECK(is_supported_hash("sha1"));
    CHECK_FALSE(is_supported_hash("sha3"));
}

TEST_CASE("a blob that is not base64 has no fingerprint", "[ssh]") {
    CHECK_FALSE(decode_blob("AAAA..."));
    CHECK_FALSE(decode_blob("AAA"));
    CHECK_FALSE(decode_blob(""));
    CHECK_FALSE(decode_blob("A=AA"));
    CHECK(decode_blob("AA=="));
}
