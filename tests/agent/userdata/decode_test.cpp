// Decoding user data into typed parts as cloud-init does: its example files, its
// multipart samples, each format, gzip / base64 / MIME layers, includes through
// a test double, and every guard against hostile input.
#include "agent/userdata/decode.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/DeflatingStream.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <sstream>

#include "agent/core/limits.hpp"
#include "agent/userdata/merge.hpp"
#include "tests/agent/userdata/userdata_test_support.hpp"

using namespace kindling;
using namespace kindling::userdata;
using kindling::userdata::test::corpus_dir;
using kindling::userdata::test::read_corpus;
using kindling::userdata::test::yaml_equal;

namespace {

// Serves URLs from a map and records every fetch; an unknown URL fails.
class FakeFetcher final : public IncludeFetcher {
public:
    std::map<std::string, std::string> pages;
    std::vector<std::string> fetched;

    Result<std::string> fetch(const std::string& url) override {
        fetched.push_back(url);
        auto it = pages.find(url);
        if (it == pages.end()) {
            return fail("HTTP 404");
        }
        return it->second;
    }
};

std::string gzip(const std::string& data) {
    std::ostringstream out;
    Poco::DeflatingOutputStream deflater(out, Poco::DeflatingStreamBuf::STREAM_GZIP);
    deflater << data;
    deflater.close();
    return out.str();
}

std::string base64(const std::string& data) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder << data;
    encoder.close();
    return out.str();
}

Decoded decoded(std::string_view raw, const DecodeOptions& options = {}) {
    auto result = decode(raw, options);
    INFO((result ? std::string("ok") : result.error().message));
    REQUIRE(result);
    return std::move(*result);
}

std::string decode_error(std::string_view raw, const DecodeOptions& options = {}) {
    auto result = decode(raw, options);
    REQUIRE_FALSE(result);
    return result.error().message;
}

using Summary = std::vector<std::pair<PartKind, std::string>>;

Summary summary(const Decoded& d) {
    Summary out;
    for (const auto& part : d.parts) {
        out.emplace_back(part.kind, part.name);
    }
    return out;
}

// A MIME multipart message with one part per (headers, body).
std::string multipart(const std::vector<std::pair<std::string, std::string>>& parts,
                      const std::string& boundary = "BOUNDARY") {
    std::string out = "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\nMIME-Version: 1.0\n\n";
    for (const auto& [headers, body] : parts) {
        out += "--" + boundary + "\n" + headers + "\n\n" + body + "\n";
    }
    return out + "--" + boundary + "--\n";
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<PartKind> {
    static std::string convert(PartKind kind) { return std::string(kind_name(kind)); }
};
}  // namespace Catch

// ---- cloud-init's example files -------------------------------------------

TEST_CASE("each cloud-init example file decodes into its parts", "[userdata][decode]") {
    struct Case {
        const char* file;
        Summary parts;
        std::size_t warnings;
    };
    const std::vector<Case> cases{
        {"boothook.txt", {{PartKind::boothook, "part-001"}}, 0},
        {"cloud-config-archive.txt",
         {{PartKind::unknown, "bar"},
          {PartKind::cloud_config, "part-002"},
          {PartKind::cloud_config, "part-003"},
          {PartKind::cloud_config, "part-004"}},
         1},
        {"cloud-config-boot-cmds.txt", {{PartKind::cloud_config, "part-001"}}, 0},
        {"cloud-config-install-packages.txt", {{PartKind::cloud_config, "part-001"}}, 0},
        {"cloud-config-run-cmds.txt", {{PartKind::cloud_config, "part-001"}}, 0},
        {"cloud-config-ssh-keys.txt", {{PartKind::cloud_config, "part-001"}}, 0},
        {"cloud-config-update-packages.txt", {{PartKind::cloud_config, "part-001"}}, 0},
        {"cloud-config-user-groups.txt", {{PartKind::cloud_config, "part-001"}}, 0},
        {"cloud-config-write-files.txt", {{PartKind::cloud_config, "part-001"}}, 0},
        {"cloud-config.txt", {{PartKind::cloud_config, "part-001"}}, 0},
        {"part-handler.txt", {{PartKind::part_handler, "part-001"}}, 1},
        {"plain-ignored.txt", {{PartKind::unknown, "part-001"}}, 1},
        {"user-script.txt", {{PartKind::script, "part-001"}}, 0},
    };
    std::size_t covered = 0;
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.file) {
            const Decoded d = decoded(read_corpus(std::string("examples/") + c.file));
            CHECK(summary(d) == c.parts);
            CHECK(d.warnings.size() == c.warnings);
            for (std::size_t i = 0; i < d.parts.size(); ++i) {
                CHECK(d.parts[i].source == "user-data part " + std::to_string(i + 1));
                CHECK(d.parts[i].origin.empty());
            }
        }
        ++covered;
    }
    // include.txt and include-once.txt need a fetcher: tested below.
    CHECK(static_cast<std::ptrdiff_t>(covered + 2) == std::distance(std::filesystem::directory_iterator(corpus_dir() + "examples"),
                                       std::filesystem::directory_iterator{}));
}

TEST_CASE("the archive example keeps cloud-init's types, names and contents", "[userdata][decode]") {
    const Decoded d = decoded(read_corpus("examples/cloud-config-archive.txt"));
    REQUIRE(d.parts.size() == 4);
    CHECK(d.parts[0].content_type == "foo/wark");
    CHECK(d.parts[0].body.reveal() == "This is my payload\nhello\n");
    // An entry without a type is cloud-config unless its content says otherwise.
    CHECK(d.parts[1].content_type == "text/cloud-config");
    CHECK(d.parts[1].body.reveal() == "this is also payload");
    CHECK(d.parts[2].body.reveal() == "multi line payload\nhere\n");
    CHECK(d.warnings == std::vector<std::string>{
                            "user-data part 1: unrecognised user data (foo/wark, text without a '#' "
                            "header (25 bytes)); part not applied"});
}

TEST_CASE("the boothook example becomes the script after its #cloud-boothook line", "[userdata][decode]") {
    const Decoded d = decoded(read_corpus("examples/boothook.txt"));
    REQUIRE(d.parts.size() == 1);
    CHECK(d.parts[0].content_type == "text/cloud-boothook");
    CHECK(d.parts[0].body.reveal() == "#!/bin/sh\necho 192.168.1.130 us.archive.ubuntu.com > /etc/hosts\n");
}

TEST_CASE("the part-handler and plain examples are reported as not applied", "[userdata][decode]") {
    CHECK(decoded(read_corpus("examples/part-handler.txt")).warnings ==
          std::vector<std::string>{"user-data part 1: '#part-handler' (Python handler code) is not "
                                   "supported; part not applied"});
    CHECK(decoded(read_corpus("examples/plain-ignored.txt")).warnings ==
          std::vector<std::string>{"user-data part 1: unrecognised user data (text/x-not-multipart, "
                                   "text starting with '#' but no known header (68 bytes)); part not applied"});
}

TEST_CASE("the include example fetches each URL and decodes what it serves", "[userdata][decode]") {
    const std::string base =
        "https://raw.githubusercontent.com/canonical/cloud-init/403f70b930e3ce0f05b9b6f0e1a38d383d058b53/doc/"
        "examples/";
    FakeFetcher fetcher;
    fetcher.pages[base + "cloud-config-run-cmds.txt"] = read_corpus("examples/cloud-config-run-cmds.txt");
    fetcher.pages[base + "cloud-config-boot-cmds.txt"] = read_corpus("examples/cloud-config-boot-cmds.txt");
    const Decoded d = decoded(read_corpus("examples/include.txt"), {.fetcher = &fetcher});
    CHECK(fetcher.fetched ==
          std::vector<std::string>{base + "cloud-config-run-cmds.txt", base + "cloud-config-boot-cmds.txt"});
    CHECK(summary(d) == Summary{{PartKind::cloud_config, "part-001"}, {PartKind::cloud_config, "part-002"}});
    CHECK(d.parts[0].origin == base + "cloud-config-run-cmds.txt");
    CHECK(d.parts[1].body.reveal() == fetcher.pages[base + "cloud-config-boot-cmds.txt"]);
    CHECK(d.warnings.empty());
}

TEST_CASE("the include-once example is fetched once and then read from the cache", "[userdata][decode]") {
    FakeFetcher fetcher;
    fetcher.pages["http://www.ubuntu.com/robots.txt"] = "#cloud-config\nhostname: a\n";
    fetcher.pages["http://www.w3schools.com/html/lastpage.htm"] = "#!/bin/sh\necho hi\n";
    MemoryIncludeOnceCache cache;
    const std::string raw = read_corpus("examples/include-once.txt");

    const Decoded first = decoded(raw, {.fetcher = &fetcher, .once_cache = &cache});
    CHECK(summary(first) == Summary{{PartKind::cloud_config, "part-001"}, {PartKind::script, "part-002"}});
    CHECK(fetcher.fetched.size() == 2);
    CHECK(cache.entries() == fetcher.pages);

    fetcher.pages.clear();  // a second boot must not need the network
    const Decoded second = decoded(raw, {.fetcher = &fetcher, .once_cache = &cache});
    CHECK(fetcher.fetched.size() == 2);
    CHECK(summary(second) == summary(first));
    CHECK(second.parts[1].body.reveal() == "#!/bin/sh\necho hi\n");
}

TEST_CASE("a plain #include is fetched again every time, even with a cache", "[userdata][decode]") {
    FakeFetcher fetcher;
    fetcher.pages["http://127.0.0.1:1/a"] = "#cloud-config\n{}\n";
    MemoryIncludeOnceCache cache;
    decoded("#include http://127.0.0.1:1/a\n", {.fetcher = &fetcher, .once_cache = &cache});
    decoded("#include http://127.0.0.1:1/a\n", {.fetcher = &fetcher, .once_cache = &cache});
    CHECK(fetcher.fetched.size() == 2);
    CHECK(cache.entries().empty());
}

TEST_CASE("a failed include fetch fails decoding, naming the URL without its query", "[userdata][decode]") {
    FakeFetcher fetcher;
    fetcher.pages["http://127.0.0.1:1/ok"] = "#!/bin/sh\n";
    CHECK(decode_error("#include\nhttp://127.0.0.1:1/ok\nhttp://127.0.0.1:1/missing?X-Amz-Signature=s3cr3t\n",
                       {.fetcher = &fetcher}) ==
          "user data: #include 'http://127.0.0.1:1/missing?...': HTTP 404");
}

TEST_CASE("without a fetcher an include part is kept and reported as not applied", "[userdata][decode]") {
    const Decoded d = decoded(read_corpus("examples/include.txt"));
    CHECK(summary(d) == Summary{{PartKind::include, "part-001"}});
    CHECK(d.warnings == std::vector<std::string>{
                            "user-data part 1: includes are not fetched here; part not applied"});
}

TEST_CASE("included content is decoded again: gzip and MIME inside an include", "[userdata][decode]") {
    FakeFetcher fetcher;
    fetcher.pages["http://127.0.0.1:1/mime.gz"] =
        gzip(multipart({{"Content-Type: text/x-shellscript-per-boot", "#!/bin/sh\necho boot"}}));
    const Decoded d = decoded("#include http://127.0.0.1:1/mime.gz\n", {.fetcher = &fetcher});
    CHECK(summary(d) == Summary{{PartKind::script_per_boot, "part-001"}});
}

// ---- module docs and multipart samples ------------------------------------

TEST_CASE("every module-docs example is one cloud-config part", "[userdata][decode]") {
    std::size_t examples = 0;
    for (const auto& dir : std::filesystem::directory_iterator(corpus_dir() + "module-docs")) {
        for (const auto& file : std::filesystem::directory_iterator(dir.path())) {
            const std::string name = file.path().filename();
            const std::string relative = "module-docs/" + dir.path().filename().string() + "/" + name;
            DYNAMIC_SECTION(relative) {
                const Decoded d = decoded(read_corpus(relative));
                if (name == "data.yaml") {
                    // Module documentation, not user data: no header, so not applied.
                    CHECK(summary(d) == Summary{{PartKind::unknown, "part-001"}});
                    CHECK(d.warnings.size() == 1);
                } else {
                    CHECK(summary(d) == Summary{{PartKind::cloud_config, "part-001"}});
                    CHECK(d.warnings.empty());
                    // And it merges on its own without complaint.
                    CHECK(merge_cloud_config_parts(d.parts).warnings.empty());
                }
            }
            examples += name != "data.yaml";
        }
    }
    CHECK(examples == 25);
}

TEST_CASE("an archive's string entries are parts; entries that are neither a string nor a mapping are not",
          "[userdata][decode]") {
    // cloud-init's _explode_archive: a str entry is {content: entry}, typed by
    // its first bytes with text/cloud-config as the default; an entry PyYAML
    // loads as anything else but a dict (a number, a boolean, null, bytes, a
    // list) is skipped. Kindling skips the same ones, with a warning each.
    const Decoded d = decoded("#cloud-config-archive\n"
                              "- \"#!/bin/sh\\necho hi\\n\"\n"
                              "- 42\n"
                              "- true\n"
                              "- ~\n"
                              "- !!binary aGk=\n"
                              "- [a, b]\n"
                              "- 2024-01-01\n"
                              "- '42'\n"
                              "- |\n  #cloud-config\n  hostname: web\n"
                              "- plain words\n");
    CHECK(summary(d) == Summary{{PartKind::script, "part-001"},
                                {PartKind::cloud_config, "part-002"},
                                {PartKind::cloud_config, "part-003"},
                                {PartKind::cloud_config, "part-004"}});
    CHECK(d.parts[0].body.reveal() == "#!/bin/sh\necho hi\n");
    CHECK(d.parts[1].body.reveal() == "42");
    CHECK(d.parts[2].body.reveal() == "#cloud-config\nhostname: web\n");
    CHECK(d.parts[3].body.reveal() == "plain words");
    std::vector<std::string> expected;
    for (int entry : {2, 3, 4, 5, 6, 7}) {
        expected.push_back("user data: #cloud-config-archive entry " + std::to_string(entry) +
                           " is neither a string nor a mapping; not applied");
    }
    CHECK(d.warnings == expected);
}

TEST_CASE("an archive entry whose !!binary content is not base64 is not applied", "[userdata][decode]") {
    const Decoded d = decoded("#cloud-config-archive\n- content: !!binary \"%%%\"\n- content: !!binary aGk=\n");
    CHECK(summary(d) == Summary{{PartKind::unknown, "part-001"}});  // application/octet-stream
    CHECK(d.parts[0].body.reveal() == "hi");
    CHECK(d.warnings.at(0) == "user data: #cloud-config-archive entry 1: 'content' is !!binary but not base64; not "
                              "applied");
}

TEST_CASE("cloud-init's launch-index archive decodes to eight parts with their indexes", "[userdata][decode]") {
    const std::string raw = read_corpus("multipart/filter_cloud_multipart.yaml");
    const Decoded d = decoded(raw);
    CHECK(summary(d) == Summary{{PartKind::cloud_config, "part-001"},
                                {PartKind::cloud_config, "part-002"},
                                {PartKind::unknown, "b0.txt"},
                                {PartKind::unknown, "b3.txt"},
                                {PartKind::unknown, "b2.txt"},
                                {PartKind::script, "b2.txt"},
                                {PartKind::script, "b2.txt"},
                                {PartKind::script, "b2.txt"}});
    std::vector<std::optional<int>> indexes;
    for (const auto& p : d.parts) {
        indexes.push_back(p.launch_index);
    }
    CHECK(indexes == std::vector<std::optional<int>>{3, 4, 0, 3, 2, 2, 1, 1});
    // cloud-init's launch-index filter keeps the parts for this index.
    const std::map<int, std::size_t> kept{{0, 1}, {1, 2}, {2, 2}, {3, 2}, {4, 1}, {5, 0}};
    for (const auto& [index, count] : kept) {
        CHECK(decoded(raw, {.launch_index = index}).parts.size() == count);
    }
}

TEST_CASE("cloud-init's single-part MIME samples decode with their launch index", "[userdata][decode]") {
    const Decoded one = decoded(read_corpus("multipart/filter_cloud_multipart_1.email"));
    CHECK(summary(one) == Summary{{PartKind::cloud_config, "part-001"}});
    CHECK(one.parts[0].content_type == "text/cloud-config");
    CHECK(one.parts[0].launch_index == 2);

    const Decoded header = decoded(read_corpus("multipart/filter_cloud_multipart_header.email"));
    CHECK(summary(header) == Summary{{PartKind::cloud_config, "part-001"}});
    CHECK(header.parts[0].launch_index == 5);
    CHECK(decoded(read_corpus("multipart/filter_cloud_multipart_header.email"), {.launch_index = 4})
              .parts.empty());
}

TEST_CASE("cloud-init's multipart sample with an archive inside decodes in order", "[userdata][decode]") {
    const Decoded d = decoded(read_corpus("multipart/filter_cloud_multipart_2.email"));
    CHECK(summary(d) == Summary{{PartKind::cloud_config, "part-001"},
                                {PartKind::unknown, "b3.txt"},
                                {PartKind::cloud_config, "part-003"}});
    CHECK(d.parts[0].launch_index == 2);
    CHECK(d.parts[1].launch_index == 3);
    CHECK(d.parts[2].content_type == "text/cloud-config");  // text/plain re-checked by content
    CHECK(decoded(read_corpus("multipart/filter_cloud_multipart_2.email"), {.launch_index = 2}).parts.size() ==
          2);
}

// ---- formats ----------------------------------------------------------------

TEST_CASE("content prefixes are matched after whitespace, in any case, longest first", "[userdata][decode]") {
    const std::vector<std::pair<const char*, PartKind>> cases{
        {"#cloud-config\na: 1\n", PartKind::cloud_config},
        {"  \n\t#Cloud-Config\na: 1\n", PartKind::cloud_config},
        {"#!/bin/bash\n", PartKind::script},
        {"#cloud-boothook\n#!/bin/sh\n", PartKind::boothook},
        {"#CLOUD-CONFIG-ARCHIVE\n- '#!/bin/sh'\n", PartKind::script},  // exploded into its entry
        {"## template: jinja\n#cloud-config\n", PartKind::jinja_template},
        {"#part-handler\n", PartKind::part_handler},
        {"#cloud-config-jsonp\n[]\n", PartKind::cloud_config_jsonp},
        {"#include-once\n", PartKind::include_once},
        {"#include\n", PartKind::include},
        {"#!", PartKind::script},
        {"cloud-config\n", PartKind::unknown},
    };
    for (const auto& [raw, kind] : cases) {
        INFO(raw);
        const Decoded d = decoded(raw);
        REQUIRE(d.parts.size() == 1);
        CHECK(d.parts[0].kind == kind);
    }
}

TEST_CASE("a jinja template is kept and reported as not applied", "[userdata][decode]") {
    const Decoded d = decoded("## template: jinja\n#cloud-config\nhostname: {{ v1.local_hostname }}\n");
    CHECK(d.warnings == std::vector<std::string>{"user-data part 1: '## template: jinja' user data "
                                                 "is not supported; part not applied"});
}

TEST_CASE("a jsonp part is applied to the cloud-config merged before it, in part order", "[userdata][decode]") {
    const Decoded d = decoded(multipart({{"Content-Type: text/cloud-config", "#cloud-config\nruncmd: [a]\n"},
                                         {"Content-Type: text/x-shellscript",
                                          "#cloud-config-jsonp\n[{\"op\": \"add\", \"path\": \"/runcmd/-\", "
                                          "\"value\": \"b\"}]"},
                                         {"Content-Type: text/cloud-config",
                                          "#cloud-config\nmerge_how: dict(recurse_array)+list(append)\nruncmd: [c]\n"}}));
    REQUIRE(d.parts.size() == 3);
    CHECK(d.parts[1].kind == PartKind::cloud_config_jsonp);
    CHECK(d.warnings.empty());
    const Merged merged = merge_cloud_config_parts(d.parts);
    CHECK(merged.warnings == std::vector<std::string>{});
    CHECK(YAML::Dump(merged.config) == "runcmd:\n  - a\n  - b\n  - c");
}

TEST_CASE("a jsonp part that fails is not applied and says which operation failed", "[userdata][decode]") {
    const Decoded d = decoded(multipart({{"Content-Type: text/cloud-config", "#cloud-config\nruncmd: [a]\n"},
                                         {"Content-Type: text/cloud-config-jsonp",
                                          "[{\"op\": \"add\", \"path\": \"/packages\", \"value\": [\"x\"]},"
                                          " {\"op\": \"remove\", \"path\": \"/runcmd/3\"}]"},
                                         {"Content-Type: text/cloud-config-jsonp", "#cloud-config-jsonp\n{}"}}));
    const Merged merged = merge_cloud_config_parts(d.parts);
    CHECK(merged.warnings ==
          std::vector<std::string>{"user-data part 3: a JSON patch is a list of operations, got an object; part not "
                                   "applied",
                                   "user-data part 2: JSON patch operation 2 (remove '/runcmd/3'): no item 3 in the "
                                   "list at '/runcmd' (1 items); part not applied"});
    CHECK(YAML::Dump(merged.config) == "runcmd: [a]");  // as it was before the patch
}

TEST_CASE("MIME parts map to kinds by type, re-checking text/plain and text/x-shellscript",
          "[userdata][decode]") {
    const Decoded d = decoded(multipart({
        {"Content-Type: text/cloud-config; charset=\"us-ascii\"", "hostname: a"},
        {"Content-Type: text/x-shellscript-per-boot", "#!/bin/sh\necho boot"},
        {"Content-Type: text/x-shellscript-per-instance", "#!/bin/sh\necho instance"},
        {"Content-Type: text/x-shellscript-per-once", "#!/bin/sh\necho once"},
        {"Content-Type: text/x-shellscript", "#cloud-config\nruncmd: [ls]"},
        {"Content-Type: text/x-shellscript; name=\"noshebang.sh\"", "echo no shebang"},
        {"Content-Type: text/plain\nContent-Disposition: attachment; filename=\"setup.sh\"", "#!/bin/sh\n"},
        {"Content-Type: text/plain", "just words"},
        {"Content-Type: text/cloud-boothook", "#cloud-boothook\necho early"},
    }));
    CHECK(summary(d) == Summary{{PartKind::cloud_config, "part-001"},
                                {PartKind::script_per_boot, "part-002"},
                                {PartKind::script_per_instance, "part-003"},
                                {PartKind::script_per_once, "part-004"},
                                {PartKind::cloud_config, "part-005"},
                                {PartKind::script, "noshebang.sh"},
                                {PartKind::script, "setup.sh"},
                                {PartKind::unknown, "part-008"},
                                {PartKind::boothook, "part-009"}});
    CHECK(d.parts[0].body.reveal() == "hostname: a");
    CHECK(d.parts[1].body.reveal() == "#!/bin/sh\necho boot");
    CHECK(d.parts[8].body.reveal() == "echo early");
    CHECK(d.warnings == std::vector<std::string>{"user-data part 8: unrecognised user data "
                                                 "(text/plain, text without a '#' header (10 bytes)); part "
                                                 "not applied"});
}

TEST_CASE("nested multiparts are flattened in document order", "[userdata][decode]") {
    const std::string inner = multipart({{"Content-Type: text/x-shellscript", "#!/bin/sh\necho inner"}}, "INNER");
    const std::string inner_entity = inner.substr(0, inner.find("\n\n"));
    const std::string inner_body = inner.substr(inner.find("\n\n") + 2);
    const Decoded d = decoded(multipart({{"Content-Type: text/cloud-config", "a: 1"},
                                         {inner_entity, inner_body},
                                         {"Content-Type: text/cloud-config", "b: 2"}}));
    CHECK(summary(d) == Summary{{PartKind::cloud_config, "part-001"},
                                {PartKind::script, "part-002"},
                                {PartKind::cloud_config, "part-003"}});
}

TEST_CASE("Merge-Type and X-Merge-Type headers reach the parts and the merge", "[userdata][decode]") {
    const Decoded d = decoded(multipart({
        {"Content-Type: text/cloud-config", "runcmd: [a]"},
        {"Content-Type: text/cloud-config\nMerge-Type: list(append)+dict(recurse_array)+str()", "runcmd: [b]"},
        {"Content-Type: text/cloud-config\nX-Merge-Type: list(append)+dict(recurse_array)+str()", "runcmd: [c]"},
    }));
    CHECK(d.parts[1].merge_how == "list(append)+dict(recurse_array)+str()");
    CHECK(d.parts[2].merge_how == "list(append)+dict(recurse_array)+str()");
    const Merged merged = merge_cloud_config_parts(d.parts);
    CHECK(merged.warnings == std::vector<std::string>{});
    CHECK(yaml_equal(merged.config, YAML::Load("runcmd: [a, b, c]")));
}

TEST_CASE("base64 and quoted-printable MIME transfer encodings are undone", "[userdata][decode]") {
    const Decoded d = decoded(multipart({
        {"Content-Type: text/x-shellscript\nContent-Transfer-Encoding: base64", base64("#!/bin/sh\necho b64\n")},
        {"Content-Type: text/cloud-config\nContent-Transfer-Encoding: quoted-printable", "a: caf=C3=A9"},
    }));
    CHECK(d.parts[0].body.reveal() == "#!/bin/sh\necho b64\n");
    CHECK(d.parts[1].body.reveal() == "a: caf\xC3\xA9");
}

TEST_CASE("gzip inside MIME is inflated by type and by magic bytes", "[userdata][decode]") {
    const Decoded d = decoded(multipart({
        {"Content-Type: application/x-gzip\nContent-Transfer-Encoding: base64", base64(gzip("#cloud-config\na: 1\n"))},
        {"Content-Type: text/x-shellscript\nContent-Transfer-Encoding: base64", base64(gzip("#!/bin/sh\necho z\n"))},
        {"Content-Type: application/gzip; name=\"x.gz\"\nContent-Transfer-Encoding: base64",
         base64(gzip("plain words"))},
    }));
    CHECK(summary(d) == Summary{{PartKind::cloud_config, "part-001"},
                                {PartKind::script, "part-002"},
                                {PartKind::unknown, "x.gz"}});
    CHECK(d.parts[0].body.reveal() == "#cloud-config\na: 1\n");
    CHECK(d.parts[1].body.reveal() == "#!/bin/sh\necho z\n");
    CHECK(d.parts[2].content_type == "text/plain");
}

TEST_CASE("a gzip MIME type that is not gzip fails decoding with the part named", "[userdata][decode]") {
    CHECK(decode_error(multipart({{"Content-Type: application/gzip; name=\"x.gz\"", "not gzip"}})) ==
          "user data: 'x.gz': gzip: not gzip data (no 1f 8b magic bytes)");
}

TEST_CASE("truncated gzip fails decoding", "[userdata][decode][reliability]") {
    const std::string whole = gzip("#cloud-config\n" + std::string(4096, 'a'));
    CHECK_THAT(decode_error(whole.substr(0, whole.size() / 2)), Catch::StartsWith("user data: gzip: "));
}

TEST_CASE("gzip-compressed user data is detected by its magic bytes", "[userdata][decode]") {
    const Decoded d = decoded(gzip("#cloud-config\nhostname: z\n"));
    CHECK(summary(d) == Summary{{PartKind::cloud_config, "part-001"}});
    CHECK(d.parts[0].body.reveal() == "#cloud-config\nhostname: z\n");
    CHECK(d.notes == std::vector<std::string>{"user data: gzip-compressed, " +
                                              std::to_string(gzip("#cloud-config\nhostname: z\n").size()) +
                                              " -> 26 bytes"});
}

TEST_CASE("user data that is entirely base64 is decoded once", "[userdata][decode]") {
    CHECK(decoded(base64("#!/bin/sh\necho hi\n")).parts.at(0).body.reveal() == "#!/bin/sh\necho hi\n");
    CHECK(decoded(base64(gzip("#cloud-config\na: 1\n")) + "\n").parts.at(0).kind == PartKind::cloud_config);
    CHECK(decoded(base64(multipart({{"Content-Type: text/x-shellscript", "#!/bin/sh"}}))).parts.at(0).kind ==
          PartKind::script);
    // Only once: base64 of base64 stays as it was after one decoding.
    const Decoded twice = decoded(base64(base64("#!/bin/sh\n")));
    CHECK(twice.parts.at(0).kind == PartKind::unknown);
}

TEST_CASE("base64-looking text that does not decode to user data is left alone", "[userdata][decode]") {
    const Decoded d = decoded("abcd");
    CHECK(d.parts.at(0).body.reveal() == "abcd");
    CHECK(d.parts.at(0).kind == PartKind::unknown);
    CHECK(d.notes.empty());
}

TEST_CASE("CRLF scripts are normalised so the shebang works", "[userdata][decode]") {
    const Decoded d = decoded("#!/bin/bash\r\necho hi\r\n");
    CHECK(d.parts.at(0).body.reveal() == "#!/bin/bash\necho hi\n");
    CHECK(d.notes == std::vector<std::string>{"user-data part 1: CRLF line ends converted to LF"});
    // cloud-config keeps its bytes: YAML reads CRLF itself.
    CHECK(decoded("#cloud-config\r\na: 1\r\n").parts.at(0).body.reveal() == "#cloud-config\r\na: 1\r\n");
}

TEST_CASE("a leading UTF-8 BOM is stripped with a warning", "[userdata][decode]") {
    const Decoded d = decoded("\xEF\xBB\xBF#cloud-config\nhostname: caf\xC3\xA9\n");
    CHECK(summary(d) == Summary{{PartKind::cloud_config, "part-001"}});
    CHECK(d.parts[0].body.reveal() == "#cloud-config\nhostname: caf\xC3\xA9\n");
    CHECK(d.warnings == std::vector<std::string>{"user data: removed a UTF-8 byte order mark at the start"});
    const Decoded in_mime = decoded(multipart({{"Content-Type: text/x-shellscript", "\xEF\xBB\xBF#!/bin/sh"}}));
    CHECK(in_mime.parts.at(0).kind == PartKind::script);
    // Inside MIME, the part it belongs to is named.
    CHECK(in_mime.warnings == std::vector<std::string>{"user-data part 1: removed a UTF-8 byte order mark at the start"});
}

TEST_CASE("empty user data has no part; an empty MIME part is listed but not warned about", "[userdata][decode]") {
    for (const std::string& raw : {std::string(), std::string("\xEF\xBB\xBF")}) {
        const Decoded d = decoded(raw);
        CHECK(d.parts.empty());
        CHECK(d.notes == std::vector<std::string>{"user data: empty, nothing to apply"});
    }
    // cloud-init attaches an empty text/plain part and logs it at debug level only.
    const Decoded d = decoded(multipart({{"Content-Type: text/plain", ""}, {"Content-Type: text/plain", "x"}}));
    CHECK(summary(d) == Summary{{PartKind::unknown, "part-001"}, {PartKind::unknown, "part-002"}});
    CHECK(d.warnings == std::vector<std::string>{"user-data part 2: unrecognised user data (text/plain, text without "
                                                 "a '#' header (1 bytes)); part not applied"});
}

TEST_CASE("warnings describe unrecognised bytes without quoting them", "[userdata][decode]") {
    const Decoded d = decoded(std::string("secret\0password", 15));
    REQUIRE(d.warnings.size() == 1);
    CHECK(d.warnings[0] == "user-data part 1: unrecognised user data (text/x-not-multipart, binary "
                           "data (15 bytes)); part not applied");
}

// ---- guards -------------------------------------------------------------------

TEST_CASE("a gzip bomb stops at the decompressed-size limit", "[userdata][decode][reliability]") {
    const std::string bomb = gzip(std::string(limits::k_decompressed_bytes + 1, '\0'));
    REQUIRE(bomb.size() < limits::k_user_data_bytes);
    CHECK(decode_error(bomb) == "user data: gzip: decompressed size exceeds the limit of 16777216 bytes");
}

TEST_CASE("gzip layers share one decompressed-size budget", "[userdata][decode][reliability]") {
    const std::string half = base64(gzip("#!/bin/sh\n" + std::string(limits::k_decompressed_bytes / 2, '#')));
    CHECK_THAT(decode_error(multipart({{"Content-Type: application/gzip\nContent-Transfer-Encoding: base64", half},
                                       {"Content-Type: application/gzip\nContent-Transfer-Encoding: base64", half}})),
               Catch::Equals("user data: gzip: decompressed size exceeds the limit of 16777216 bytes"));
}

TEST_CASE("too many MIME parts fail with the limit named", "[userdata][decode][reliability]") {
    std::vector<std::pair<std::string, std::string>> parts(limits::k_mime_parts,
                                                           {"Content-Type: text/x-shellscript", "#!/bin/sh"});
    // The container counts as one part.
    CHECK(decode_error(multipart(parts)) == "user data: MIME: more than 256 parts");
    parts.pop_back();
    CHECK(decoded(multipart(parts)).parts.size() == limits::k_mime_parts - 1);
}

TEST_CASE("too many archive entries fail with the limit named", "[userdata][decode][reliability]") {
    std::string archive = "#cloud-config-archive\n";
    for (std::size_t i = 0; i <= limits::k_archive_entries; ++i) {
        archive += "- '#!/bin/sh'\n";
    }
    CHECK(decode_error(archive) == "user data: #cloud-config-archive has more than 256 entries");
}

TEST_CASE("multiparts nested too deep fail with the limit named", "[userdata][decode][reliability]") {
    auto nest = [](std::size_t levels) {
        std::string body = "#!/bin/sh\n";
        std::string headers = "Content-Type: text/x-shellscript";
        for (std::size_t i = 0; i < levels; ++i) {
            const std::string boundary = "B" + std::to_string(i);
            body = "--" + boundary + "\n" + headers + "\n\n" + body + "\n--" + boundary + "--\n";
            headers = "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"";
        }
        return "MIME-Version: 1.0\n" + headers + "\n\n" + body;
    };
    CHECK(decoded(nest(limits::k_mime_depth)).parts.size() == 1);
    CHECK(decode_error(nest(limits::k_mime_depth + 1)) ==
          "user data: MIME: multipart nested deeper than 8 levels");
}

TEST_CASE("an include that includes itself stops at the include depth limit", "[userdata][decode][reliability]") {
    FakeFetcher fetcher;
    fetcher.pages["http://127.0.0.1:1/loop"] = "#include http://127.0.0.1:1/loop\n";
    CHECK(decode_error("#include http://127.0.0.1:1/loop\n", {.fetcher = &fetcher}) ==
          "user data: #include 'http://127.0.0.1:1/loop': #include nested deeper than 4 levels");
    CHECK(fetcher.fetched.size() == limits::k_include_depth);
}

TEST_CASE("user data over the size limit is refused before decoding", "[userdata][decode][reliability]") {
    CHECK(decode_error(std::string(limits::k_user_data_bytes + 1, 'a')) ==
          "user data: 1048577 bytes, over the limit of 1048576");
}

TEST_CASE("broken MIME fails with a message naming MIME", "[userdata][decode][reliability]") {
    CHECK(decode_error("MIME-Version: 1.0\nContent-Type: multipart/mixed\n\nbody\n") ==
          "user data: MIME: multipart/mixed without a boundary");
}

TEST_CASE("MIME with CRLF line ends decodes like LF MIME", "[userdata][decode]") {
    std::string lf = multipart({{"Content-Type: text/x-shellscript", "#!/bin/sh\necho a"},
                                {"Content-Type: text/cloud-config", "a: 1"}});
    std::string crlf;
    for (char c : lf) {
        crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    }
    const Decoded d = decoded(crlf);
    CHECK(summary(d) == Summary{{PartKind::script, "part-001"}, {PartKind::cloud_config, "part-002"}});
    CHECK(d.parts[0].body.reveal() == "#!/bin/sh\necho a");
}

TEST_CASE("a script that only mentions MIME-Version is not read as MIME", "[userdata][decode]") {
    const Decoded d = decoded("#!/bin/sh\necho 'MIME-Version: 1.0'\n");
    CHECK(summary(d) == Summary{{PartKind::script, "part-001"}});
    CHECK(d.parts[0].content_type == "text/x-shellscript");
}
