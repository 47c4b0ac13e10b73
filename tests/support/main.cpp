// The test binary's entry point. Before any test runs it moves itself into
// private mount, UTS and network namespaces (only `lo` exists, brought up here),
// so nothing a test does -- a hostname, a bind mount, an HTTP request -- can
// reach this machine or the network. If that fails, no test runs.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace {

bool bring_up_loopback() {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    struct ifreq ifr {};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    bool ok = ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
    if (ok) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        ok = ::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
    }
    ::close(fd);
    return ok;
}

}  // namespace

int main(int argc, char* argv[]) {
    if (::unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWNET) != 0) {
        std::fprintf(stderr, "kindling_tests: cannot enter private namespaces (%s); run as root\n", std::strerror(errno));
        return 2;
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        std::fprintf(stderr, "kindling_tests: cannot make mounts private (%s)\n", std::strerror(errno));
        return 2;
    }
    if (!bring_up_loopback()) {
        std::fprintf(stderr, "kindling_tests: cannot bring up lo in the private network namespace\n");
        return 2;
    }
    ::sethostname("kindling-test", 13);
    return Catch::Session().run(argc, argv);
}
