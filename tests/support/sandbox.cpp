#include "tests/support/sandbox.hpp"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kindling::test {

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

std::string enter_private_namespaces() {
    if (::unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWNET) != 0) {
        return std::string("cannot enter private namespaces (") + std::strerror(errno) + "); run as root";
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        return std::string("cannot make mounts private (") + std::strerror(errno) + ")";
    }
    if (!bring_up_loopback()) {
        return "cannot bring up lo in the private network namespace";
    }
    ::sethostname("kindling-test", 13);
    return {};
}

}  // namespace kindling::test
