// AtomicWrite: the target changes only at commit(); an abandoned write leaves
// nothing behind.
#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "agent/system/atomic_write.hpp"
#include "tests/support/scratch_root.hpp"

using kindling::system::AtomicWrite;
using kindling::test::ScratchRoot;

namespace {

kindling::core::Fd open_host_dir(const std::filesystem::path& p) {
    kindling::core::Fd fd(::open(p.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(fd.valid());
    return fd;
}

std::size_t entry_count(const std::filesystem::path& dir) {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

}  // namespace

TEST_CASE("an atomic write that is not committed leaves the target and the directory as they were", "[system]") {
    ScratchRoot scratch;
    scratch.write("/srv/app.conf", "old\n", 0644);
    auto dir = open_host_dir(scratch.host("/srv"));
    {
        auto write = AtomicWrite::begin(dir, "app.conf", "/srv/app.conf");
        REQUIRE(write);
        REQUIRE(write->write("half a new fi"));
        CHECK(entry_count(scratch.host("/srv")) == 2);  // the temp file exists meanwhile
        CHECK(scratch.read("/srv/app.conf") == "old\n");
    }
    CHECK(entry_count(scratch.host("/srv")) == 1);
    CHECK(scratch.read("/srv/app.conf") == "old\n");
}

TEST_CASE("an atomic write replaces the target at commit with the given mode and owner", "[system]") {
    ScratchRoot scratch;
    scratch.write("/srv/app.conf", "old\n", 0644);
    auto dir = open_host_dir(scratch.host("/srv"));

    auto write = AtomicWrite::begin(dir, "app.conf", "/srv/app.conf");
    REQUIRE(write);
    REQUIRE(write->write("new "));
    REQUIRE(write->write("content\n"));
    REQUIRE(write->commit(0600, 1000, 1000));

    CHECK(scratch.read("/srv/app.conf") == "new content\n");
    struct stat st {};
    REQUIRE(::lstat(scratch.host("/srv/app.conf").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(st.st_uid == 1000);
    CHECK(entry_count(scratch.host("/srv")) == 1);
    CHECK(write->commit(0600, 0, 0).error().message == "'/srv/app.conf': write already finished");
}
