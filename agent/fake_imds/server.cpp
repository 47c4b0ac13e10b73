#include "agent/fake_imds/server.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timestamp.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

namespace kindling::fake_imds {

using SteadyClock = std::chrono::steady_clock;

namespace {
const std::string k_token_header = "X-aws-ec2-metadata-token";
const std::string k_ttl_header = "X-aws-ec2-metadata-token-ttl-seconds";
const std::string k_token_path = "/latest/api/token";
const std::string k_html_404 =
    "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n"
    "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n"
    "\t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
    "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n"
    " <head>\n  <title>404 - Not Found</title>\n </head>\n <body>\n  <h1>404 - Not Found</h1>\n </body>\n</html>\n";
}  // namespace

struct Server::State : std::enable_shared_from_this<Server::State> {
    // Lock order: lifecycle, then mutex.
    std::mutex lifecycle;
    mutable std::mutex mutex;
    std::condition_variable cv;
    Options options;
    std::vector<RecordedRequest> requests;
    std::map<std::string, SteadyClock::time_point> tokens;
    int served = 0;
    bool stopping = false;
    std::mt19937_64 rng{std::random_device{}()};

    Poco::Net::SocketAddress address;
    Poco::Net::ServerSocket socket;
    std::unique_ptr<Poco::ThreadPool> pool;
    std::unique_ptr<Poco::Net::HTTPServer> http;
    std::thread relisten;
    bool relisten_pending = false;
    SteadyClock::time_point listen_at;

    // Waits while `still(faults)` holds; false when the server is stopping.
    template <class Pred>
    bool wait_while(Pred still) {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return stopping || !still(options.faults); });
        return !stopping;
    }
    bool sleep_for(Millis d) {
        std::unique_lock lock(mutex);
        return !cv.wait_for(lock, d, [&] { return stopping; });
    }
    void set_status(std::size_t index, int status) {
        std::lock_guard lock(mutex);
        if (index < requests.size()) requests[index].status = status;
    }
    std::string new_token(int ttl_seconds) {
        static const char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        std::lock_guard lock(mutex);
        std::string token = options.token_prefix;
        for (int i = 0; i < 56; ++i) token += k_alphabet[rng() % (sizeof k_alphabet - 1)];
        auto life = std::chrono::duration_cast<Millis>(std::chrono::seconds(ttl_seconds));
        if (options.faults.token_lifetime && *options.faults.token_lifetime < life) life = *options.faults.token_lifetime;
        tokens[token] = SteadyClock::now() + life;
        return token;
    }
    bool token_valid(const std::string& token) const {
        std::lock_guard lock(mutex);
        auto it = tokens.find(token);
        return it != tokens.end() && SteadyClock::now() < it->second;
    }

    void open_http();   // with `lifecycle` held
    void close_http();  // with `lifecycle` held
    void relisten_loop();
};

namespace {

class Handler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(std::shared_ptr<Server::State> state) : m_state(std::move(state)) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        const std::string method = request.getMethod();
        std::string path = request.getURI();
        if (auto q = path.find('?'); q != std::string::npos) path.erase(q);
        RecordedRequest record{method, path, request.has(k_token_header), std::nullopt, 0};
        if (request.has(k_ttl_header)) record.ttl_header = request.get(k_ttl_header);

        Faults faults;
        {
            std::lock_guard lock(m_state->mutex);
            m_index = m_state->requests.size();
            m_state->requests.push_back(record);
            ++m_state->served;
            auto& live = m_state->options.faults;
            if (live.revoke_tokens_after >= 0 && m_state->served > live.revoke_tokens_after) {
                m_state->tokens.clear();
                live.revoke_tokens_after = -1;
            }
            faults = live;
        }
        if (faults.latency.count() > 0 && !m_state->sleep_for(faults.latency)) return abort(request);
        if (faults.hang && !m_state->wait_while([](const Faults& f) { return f.hang; })) return abort(request);
        if (injected_error(path, request, response)) return;

        if (method == "PUT") return put(path, request, response, faults);
        if (method != "GET" && method != "HEAD") return reply(request, response, 405, "Method Not Allowed", faults);
        if (!authorized(request)) return reply(request, response, 401, "", faults);
        std::optional<std::string> body;
        bool user_data = path == "/latest/user-data" || path == "/latest/user-data/";
        {
            std::lock_guard lock(m_state->mutex);
            body = user_data ? m_state->options.user_data : m_state->options.tree.lookup(path);
        }
        if (!body) {
            return reply(request, response, 404, user_data && faults.user_data_html_404 ? k_html_404 : "", faults);
        }
        reply(request, response, 200, *body, faults);
    }

private:
    std::shared_ptr<Server::State> m_state;
    std::size_t m_index = 0;

    void abort(Poco::Net::HTTPServerRequest& request) {
        try {
            auto& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket();
            socket.setLinger(true, 0);
            socket.close();
        } catch (const Poco::Exception&) {
            // already gone: nothing left to abort
        }
    }

    bool authorized(Poco::Net::HTTPServerRequest& request) {
        if (request.has(k_token_header)) return m_state->token_valid(request.get(k_token_header));
        std::lock_guard lock(m_state->mutex);
        return m_state->options.allow_imdsv1;
    }

    bool injected_error(const std::string& path, Poco::Net::HTTPServerRequest& request,
                        Poco::Net::HTTPServerResponse& response) {
        Faults faults;
        {
            std::lock_guard lock(m_state->mutex);
            auto& live = m_state->options.faults;
            if (live.error_status == 0 || live.error_count == 0 || !path.starts_with(live.error_path_prefix)) return false;
            if (live.error_count > 0) --live.error_count;
            faults = live;
        }
        if (faults.retry_after_seconds) {
            if (faults.retry_after_as_date) {
                Poco::Timestamp at;
                at += Poco::Timestamp::TimeDiff(*faults.retry_after_seconds) * Poco::Timestamp::resolution();
                response.set("Retry-After", Poco::DateTimeFormatter::format(at, Poco::DateTimeFormat::HTTP_FORMAT));
            } else {
                response.set("Retry-After", std::to_string(*faults.retry_after_seconds));
            }
        }
        Faults plain;  // the injected error itself is sent whole
        reply(request, response, faults.error_status, "", plain);
        return true;
    }

    void put(const std::string& path, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
             const Faults& faults) {
        if (path != k_token_path) return reply(request, response, 405, "Method Not Allowed", faults);
        if (faults.forbid_token_put) return reply(request, response, 403, "Forbidden", faults);
        if (faults.token_put_black_hole &&
            !m_state->wait_while([](const Faults& f) { return f.token_put_black_hole; })) {
            return abort(request);
        }
        int ttl = 0;
        try {
            std::size_t used = 0;
            std::string text = request.get(k_ttl_header, "");
            ttl = std::stoi(text, &used);
            if (used != text.size()) ttl = 0;
        } catch (const std::exception&) {
            ttl = 0;
        }
        if (ttl < 1 || ttl > 21600) return reply(request, response, 400, "Bad Request", faults);
        response.set(k_ttl_header, std::to_string(ttl));
        reply(request, response, 200, m_state->new_token(ttl), faults);
    }

    void reply(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, int status,
               const std::string& body, const Faults& faults) {
        m_state->set_status(m_index, status);
        response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
        response.setContentType(status == 404 && body.starts_with("<?xml") ? "text/html" : "text/plain");
        response.set("Server", "kindling-imds");
        const bool head = request.getMethod() == "HEAD";
        if (faults.reset) {
            response.setContentLength(static_cast<std::streamsize>(body.size()));
            std::ostream& out = response.send();
            out.write(body.data(), static_cast<std::streamsize>(body.size() / 2));
            out.flush();
            return abort(request);
        }
        if (faults.truncate) {
            response.setKeepAlive(false);
            response.setContentLength(static_cast<std::streamsize>(body.size() + 64));
            std::ostream& out = response.send();
            out.write(body.data(), static_cast<std::streamsize>(body.size()));
            out.flush();
            return;
        }
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        std::ostream& out = response.send();
        if (!head) out.write(body.data(), static_cast<std::streamsize>(body.size()));
    }
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(std::shared_ptr<Server::State> state) : m_state(std::move(state)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new Handler(m_state);  // Poco takes ownership
    }

private:
    std::shared_ptr<Server::State> m_state;
};

}  // namespace

void Server::State::open_http() {
    socket.listen(64);
    auto params = new Poco::Net::HTTPServerParams;  // Poco::AutoPtr takes ownership
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(2, 0));
    params->setTimeout(Poco::Timespan(10, 0));
    params->setMaxThreads(64);
    params->setMaxQueued(128);
    // Factory holds a shared_ptr to this State; it is released when the server is.
    http = std::make_unique<Poco::Net::HTTPServer>(new Factory(shared_from_this()), *pool, socket, params);
    http->start();
}

void Server::State::close_http() {
    if (http) {
        // Wakes the acceptor's poll at once (it otherwise polls in 250 ms steps).
        try {
            socket.impl()->shutdown();
        } catch (const Poco::Exception&) {
            // not connected-style shutdown on some kernels: the poll step still ends it
        }
        http->stopAll(true);
        http.reset();
    }
    socket.close();
}

void Server::State::relisten_loop() {
    for (;;) {
        {
            std::unique_lock lock(mutex);
            cv.wait_until(lock, listen_at, [&] { return stopping || SteadyClock::now() >= listen_at; });
            if (stopping) return;
            if (SteadyClock::now() < listen_at) continue;
        }
        std::lock_guard life(lifecycle);
        std::lock_guard lock(mutex);
        if (stopping) return;
        if (SteadyClock::now() < listen_at) continue;  // pushed back meanwhile
        open_http();
        relisten_pending = false;
        return;
    }
}

namespace {
Poco::Net::SocketAddress parse_listen(const std::string& listen) {
    try {
        return Poco::Net::SocketAddress(listen);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("listen address '" + listen + "': " + e.displayText());
    }
}
}  // namespace

Server::Server(Options options) : m_state(std::make_shared<State>()) { m_state->options = std::move(options); }

Server::~Server() { stop(); }

void Server::start() {
    auto& s = *m_state;
    std::lock_guard life(s.lifecycle);
    if (s.pool) throw std::runtime_error("fake imds: already started");
    Poco::Net::SocketAddress wanted = parse_listen(s.options.listen);
    try {
        s.socket = Poco::Net::ServerSocket();
        s.socket.bind(wanted, true);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("listen on '" + s.options.listen + "': " + e.displayText());
    }
    s.address = s.socket.address();
    s.pool = std::make_unique<Poco::ThreadPool>(2, 64, 60);
    if (s.options.refuse_for.count() > 0) {
        std::lock_guard lock(s.mutex);
        s.listen_at = SteadyClock::now() + s.options.refuse_for;
        s.relisten_pending = true;
        s.relisten = std::thread([&s] { s.relisten_loop(); });
        return;
    }
    std::lock_guard lock(s.mutex);
    s.open_http();
}

void Server::stop() {
    auto& s = *m_state;
    {
        std::lock_guard life(s.lifecycle);
        if (!s.pool) return;
        {
            std::lock_guard lock(s.mutex);
            s.stopping = true;
        }
        s.cv.notify_all();
        s.close_http();
    }
    if (s.relisten.joinable()) s.relisten.join();
    s.pool->joinAll();
    std::lock_guard life(s.lifecycle);
    s.pool.reset();
}

void Server::refuse_connections_for(Millis d) {
    auto& s = *m_state;
    std::lock_guard life(s.lifecycle);
    if (!s.pool) throw std::runtime_error("fake imds: not started");
    s.close_http();
    try {
        s.socket = Poco::Net::ServerSocket();
        s.socket.bind(s.address, true);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("rebind '" + s.address.toString() + "': " + e.displayText());
    }
    std::lock_guard lock(s.mutex);
    s.listen_at = SteadyClock::now() + d;
    if (!s.relisten_pending) {
        if (s.relisten.joinable()) s.relisten.join();  // finished: it cleared relisten_pending under lifecycle
        s.relisten_pending = true;
        s.relisten = std::thread([&s] { s.relisten_loop(); });
    }
    s.cv.notify_all();
}

std::uint16_t Server::port() const { return m_state->address.port(); }

std::string Server::url() const {
    const auto& address = m_state->address;
    std::string host = address.host().toString();
    if (address.family() == Poco::Net::SocketAddress::IPv6) host = "[" + host + "]";
    return "http://" + host + ":" + std::to_string(address.port());
}

std::vector<RecordedRequest> Server::requests() const {
    std::lock_guard lock(m_state->mutex);
    return m_state->requests;
}

void Server::clear_requests() {
    std::lock_guard lock(m_state->mutex);
    m_state->requests.clear();
}

Faults Server::faults() const {
    std::lock_guard lock(m_state->mutex);
    return m_state->options.faults;
}

void Server::set_faults(const Faults& faults) {
    update_faults([&](Faults& f) { f = faults; });
}

void Server::update_faults(const std::function<void(Faults&)>& change) {
    {
        std::lock_guard lock(m_state->mutex);
        change(m_state->options.faults);
    }
    m_state->cv.notify_all();
}

void Server::revoke_tokens() {
    std::lock_guard lock(m_state->mutex);
    m_state->tokens.clear();
}

void Server::set_user_data(std::optional<std::string> user_data) {
    std::lock_guard lock(m_state->mutex);
    m_state->options.user_data = std::move(user_data);
}

void Server::set_allow_imdsv1(bool allow) {
    std::lock_guard lock(m_state->mutex);
    m_state->options.allow_imdsv1 = allow;
}

void Server::set_value(const std::string& path, std::string value) {
    std::lock_guard lock(m_state->mutex);
    m_state->options.tree.set(path, std::move(value));
}

}  // namespace kindling::fake_imds
