#include "agent/cli/logging.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <Poco/SplitterChannel.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <mutex>

#include "agent/core/fd.hpp"
#include "agent/core/log_context.hpp"

namespace kindling::cli {

namespace {

const char* level_name(Poco::Message::Priority p) {
    switch (p) {
        case Poco::Message::PRIO_FATAL:
        case Poco::Message::PRIO_CRITICAL:
        case Poco::Message::PRIO_ERROR:
            return "ERROR";
        case Poco::Message::PRIO_WARNING:
            return "WARN ";
        case Poco::Message::PRIO_NOTICE:
        case Poco::Message::PRIO_INFORMATION:
            return "INFO ";
        default:
            return "DEBUG";
    }
}

std::string timestamp() {
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    struct tm tm {};
    gmtime_r(&t, &tm);
    char buf[96];  // room for any int the compiler cannot rule out; the text is 24 bytes
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

// Writes one formatted line per message to a file descriptor it owns.
class FdChannel : public Poco::Channel {
public:
    FdChannel(core::Fd fd, Poco::Message::Priority min, bool with_time)
        : m_fd(std::move(fd)), m_min(min), m_with_time(with_time) {}

    void log(const Poco::Message& msg) override {
        if (msg.getPriority() > m_min) return;
        std::string line;
        if (m_with_time) line += timestamp() + " ";
        line += level_name(msg.getPriority());
        const std::string& stage = core::log_stage();
        line += " [" + (stage.empty() ? std::string("-") : stage) + "] ";
        std::string source = msg.getSource();
        if (source.rfind("kindling.", 0) == 0) source.erase(0, 9);
        line += source + ": " + msg.getText() + "\n";
        std::lock_guard<std::mutex> guard(m_mutex);
        const char* p = line.data();
        std::size_t left = line.size();
        while (left > 0) {
            ssize_t n = ::write(m_fd.get(), p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }

private:
    core::Fd m_fd;
    Poco::Message::Priority m_min;
    bool m_with_time;
    std::mutex m_mutex;
};

Poco::AutoPtr<Poco::SplitterChannel>& splitter() {
    static Poco::AutoPtr<Poco::SplitterChannel> s(new Poco::SplitterChannel);
    return s;
}

}  // namespace

void setup_console_logging(Verbosity verbosity) {
    auto min = verbosity == Verbosity::quiet   ? Poco::Message::PRIO_WARNING
               : verbosity == Verbosity::debug ? Poco::Message::PRIO_DEBUG
                                               : Poco::Message::PRIO_INFORMATION;
    int dup = ::fcntl(2, F_DUPFD_CLOEXEC, 3);
    Poco::AutoPtr<Poco::Channel> console(new FdChannel(core::Fd(dup), min, false));
    splitter()->addChannel(console);
    Poco::Logger& root = Poco::Logger::root();
    root.setChannel(splitter());
    root.setLevel(Poco::Message::PRIO_DEBUG);
    // Loggers created before this point keep their old channel; set ours on them too.
    Poco::Logger::setChannel("", splitter());
    Poco::Logger::setLevel("", Poco::Message::PRIO_DEBUG);
}

void add_file_logging(system::Root& root) {
    Poco::Logger& log = Poco::Logger::get("kindling.cli");
    if (auto r = root.make_dirs("/var/log", {0755, 0, 0}); !r) {
        log.warning("log file: " + r.error().message + ", logging to the console only");
        return;
    }
    auto dir = root.open_dir("/var/log");
    if (!dir) {
        log.warning("log file: " + dir.error().message + ", logging to the console only");
        return;
    }
    core::Fd fd(::openat(dir->get(), "kindling.log", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640));
    if (!fd.valid()) {
        log.warning(std::string("log file: '/var/log/kindling.log': open: ") + std::strerror(errno) +
                    ", logging to the console only");
        return;
    }
    if (::fchmod(fd.get(), 0640) != 0) {
        log.warning(std::string("log file: '/var/log/kindling.log': chmod: ") + std::strerror(errno));
    }
    Poco::AutoPtr<Poco::Channel> file(new FdChannel(std::move(fd), Poco::Message::PRIO_INFORMATION, true));
    splitter()->addChannel(file);
}

}  // namespace kindling::cli
