// SPDX-License-Identifier: GPL-3.0-or-later
// The loopback HTTP/1.1 server behind vernemq-sim and the HTTP tests.
//
// Threads: one accept thread, one thread per connection. Every socket is non-blocking and every
// wait is a poll() that also watches an eventfd which stop() makes readable once and for all, so
// no thread can block past stop(): a hung, trickling or endless connection notices within one
// poll. Each connection thread owns (and alone closes) its fd, so there is no fd-reuse race with
// stop().
#include "loopback_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <list>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace vmq::loopback {
namespace {

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kMaxConnections = 2048;
constexpr std::size_t kReadChunk = 16 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// RFC 9110 token characters: what a method or a header name may contain.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 32 || u >= 127) return false;
    if (std::strchr("\"(),/:;<=>?@[\\]{}", c) != nullptr) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

void close_fd(int fd) {
  if (fd >= 0) {
    // close() must not be retried on EINTR on Linux: the fd is released either way.
    (void)::close(fd);
  }
}

bool set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0) return false;
  return ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

}  // namespace

std::string Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

struct Server::Impl {
  struct Connection {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  // What a connection thread learns from waiting.
  enum class Wait { ready, stopped, timeout };

  Handler handler;
  int listen_fd = -1;
  int wake_fd = -1;  // eventfd; readable forever once stop() has begun
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> requests{0};
  std::atomic<std::size_t> accepted{0};
  std::thread accept_thread;
  std::mutex mutex;  // guards connections and stopped
  std::list<Connection> connections;
  bool stopped = false;

  ~Impl() {
    close_fd(listen_fd);
    close_fd(wake_fd);
  }

  // Waits until `fd` has `events` or stop() begins; timeout_ms < 0 waits without limit.
  Wait wait_for(int fd, short events, int timeout_ms) const {
    for (;;) {
      if (stopping.load(std::memory_order_acquire)) return Wait::stopped;
      pollfd fds[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
      const int n = ::poll(fds, 2, timeout_ms);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Wait::stopped;  // a poll failure on our own fds: nothing sane left to do
      }
      if (n == 0) return Wait::timeout;
      if (fds[1].revents != 0) return Wait::stopped;
      return Wait::ready;  // includes POLLHUP/POLLERR: the next read/send reports it
    }
  }

  // Sleeps `ms`, waking early when stop() begins. Returns false when stopping.
  bool sleep_ms(std::chrono::milliseconds ms) const {
    const auto deadline = std::chrono::steady_clock::now() + ms;
    for (;;) {
      if (stopping.load(std::memory_order_acquire)) return false;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return true;
      pollfd pfd{wake_fd, POLLIN, 0};
      const int n = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
      if (n > 0) return false;
      if (n < 0 && errno != EINTR) return false;
    }
  }

  // Sends everything, coping with partial writes, EINTR and a full socket buffer.
  // MSG_NOSIGNAL: a client that went away must give EPIPE, not kill the process with SIGPIPE.
  bool send_all(int fd, std::string_view data) const {
    while (!data.empty()) {
      const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (wait_for(fd, POLLOUT, -1) != Wait::ready) return false;
        continue;
      }
      return false;
    }
    return true;
  }

  // Reads what is available into `buf`. Returns false on EOF, error or stop.
  bool read_more(int fd, std::string& buf) const {
    char chunk[kReadChunk];
    for (;;) {
      if (wait_for(fd, POLLIN, -1) != Wait::ready) return false;
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        buf.append(chunk, static_cast<std::size_t>(n));
        return true;
      }
      if (n == 0) return false;
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return false;
    }
  }

  void send_simple_error(int fd, int status) const {
    std::string msg = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
                      "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)send_all(fd, msg);
  }

  enum class Parse { ok, incomplete, bad, too_large };

  // Parses one request head at the start of `buf`. On ok, `head_len` is its size with the blank line.
  static Parse parse_head(const std::string& buf, Request& req, std::size_t& head_len, bool& http10) {
    std::size_t end = buf.find("\r\n\r\n");
    std::size_t sep = 4;
    if (const std::size_t lf = buf.find("\n\n"); lf != std::string::npos && (end == std::string::npos || lf < end)) {
      end = lf;
      sep = 2;
    }
    if (end == std::string::npos) return buf.size() > kMaxHeaderBytes ? Parse::too_large : Parse::incomplete;
    if (end + sep > kMaxHeaderBytes) return Parse::too_large;
    head_len = end + sep;
    std::string_view head(buf.data(), end);

    auto next_line = [&head]() {
      const std::size_t nl = head.find('\n');
      std::string_view line = head.substr(0, nl);
      head = nl == std::string_view::npos ? std::string_view{} : head.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return line;
    };

    // Request line: METHOD SP TARGET SP HTTP/1.x
    std::string_view line = next_line();
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return Parse::bad;
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (!is_token(method) || target.empty() || target.find(' ') != std::string_view::npos) return Parse::bad;
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return Parse::bad;
    for (char c : target) {
      if (static_cast<unsigned char>(c) <= 32 || static_cast<unsigned char>(c) >= 127) return Parse::bad;
    }
    http10 = version == "HTTP/1.0";
    req.method.assign(method);
    req.target.assign(target);
    req.headers.clear();

    while (!head.empty()) {
      line = next_line();
      if (line.empty()) continue;
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return Parse::bad;
      req.headers.emplace_back(std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
    }
    return Parse::ok;
  }

  std::string head_of(const Response& resp, std::string_view content_length, bool close_after) const {
    std::string out;
    out.reserve(256);
    out += "HTTP/1.1 ";
    out += std::to_string(resp.status);
    out += ' ';
    out += reason_phrase(resp.status);
    out += "\r\n";
    for (const auto& [key, value] : resp.headers) {
      out += key;
      out += ": ";
      out += value;
      out += "\r\n";
    }
    if (!content_length.empty()) {
      out += "Content-Length: ";
      out += content_length;
      out += "\r\n";
    }
    if (close_after) out += "Connection: close\r\n";
    out += "\r\n";
    return out;
  }

  // Answers one request; returns false when the connection must end.
  bool respond(int fd, const Request& req, const Response& resp, bool keep_alive) const {
    if (resp.delay.count() > 0 && !sleep_ms(resp.delay)) return false;
    const bool head_only = req.method == "HEAD";
    switch (resp.mode) {
      case Response::Mode::normal: {
        std::string out = head_of(resp, std::to_string(resp.body.size()), !keep_alive);
        if (!head_only) out += resp.body;
        return send_all(fd, out) && keep_alive;
      }
      case Response::Mode::hang: {
        // Keep reading (and discarding) so a client that gives up is noticed and the thread ends.
        std::string sink;
        while (read_more(fd, sink)) sink.clear();
        return false;
      }
      case Response::Mode::close: return false;
      case Response::Mode::trickle: {
        if (!send_all(fd, head_of(resp, std::to_string(resp.body.size()), !keep_alive))) return false;
        if (head_only) return keep_alive;
        for (char c : resp.body) {
          if (!sleep_ms(resp.trickle_interval)) return false;
          if (!send_all(fd, std::string_view(&c, 1))) return false;
        }
        return keep_alive;
      }
      case Response::Mode::wrong_length: {
        std::string out = head_of(resp, std::to_string(resp.body.size() + 100), true);
        out += resp.body;
        (void)send_all(fd, out);
        return false;
      }
      case Response::Mode::raw: (void)send_all(fd, resp.body); return false;
      case Response::Mode::endless: {
        if (!send_all(fd, head_of(resp, {}, true))) return false;
        // Repeat the body into one large chunk so the stream is fast enough to hit any size cap.
        std::string filler;
        const std::string unit = resp.body.empty() ? std::string("x") : resp.body;
        while (filler.size() < 64 * 1024) filler += unit;
        while (send_all(fd, filler)) {
        }
        return false;
      }
    }
    return false;
  }

  void serve(int fd) {
    std::string buf;
    Request req;
    for (;;) {
      std::size_t head_len = 0;
      bool http10 = false;
      Parse p = parse_head(buf, req, head_len, http10);
      while (p == Parse::incomplete) {
        if (!read_more(fd, buf)) return;
        p = parse_head(buf, req, head_len, http10);
      }
      if (p == Parse::too_large) {
        send_simple_error(fd, 400);
        return;
      }
      if (p == Parse::bad) {
        send_simple_error(fd, 400);
        return;
      }
      buf.erase(0, head_len);

      // We do not implement chunked request bodies; the clients we serve never send them.
      if (!req.header("Transfer-Encoding").empty()) {
        send_simple_error(fd, 501);
        return;
      }
      if (const std::string cl = req.header("Content-Length"); !cl.empty()) {
        std::size_t len = 0;
        for (char c : cl) {
          if (c < '0' || c > '9' || len > (std::size_t{1} << 40)) {
            send_simple_error(fd, 400);
            return;
          }
          len = len * 10 + static_cast<std::size_t>(c - '0');
        }
        // Drain the body without keeping it: handlers here only look at method, target, headers.
        while (buf.size() < len) {
          len -= buf.size();
          buf.clear();
          if (!read_more(fd, buf)) return;
        }
        buf.erase(0, len);
      }

      const std::string conn = req.header("Connection");
      const bool keep_alive = http10 ? iequals(conn, "keep-alive") : !iequals(conn, "close");

      Response resp;
      try {
        resp = handler(req);
      } catch (const std::exception&) {
        resp = Response{};
        resp.status = 500;
      }
      requests.fetch_add(1, std::memory_order_relaxed);
      if (!respond(fd, req, resp, keep_alive)) return;
    }
  }

  // Joins the threads of finished connections (called by the accept thread only).
  void reap() {
    std::list<Connection> finished;
    {
      std::lock_guard lock(mutex);
      for (auto it = connections.begin(); it != connections.end();) {
        auto next = std::next(it);
        if (it->done.load(std::memory_order_acquire)) finished.splice(finished.end(), connections, it);
        it = next;
      }
    }
    for (auto& c : finished) {
      if (c.thread.joinable()) c.thread.join();
    }
  }

  void accept_loop() {
    for (;;) {
      // The 1 s timeout only bounds how long finished connection threads wait to be joined.
      const Wait w = wait_for(listen_fd, POLLIN, 1000);
      if (w == Wait::stopped) return;
      reap();
      if (w == Wait::timeout) continue;
      const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) continue;
        // EMFILE and friends: back off briefly rather than spin on a readable listener.
        if (!sleep_ms(std::chrono::milliseconds(50))) return;
        continue;
      }
      const int one = 1;
      (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

      std::lock_guard lock(mutex);
      if (stopped || connections.size() >= kMaxConnections) {
        close_fd(fd);
        continue;
      }
      accepted.fetch_add(1, std::memory_order_relaxed);
      Connection& c = connections.emplace_back();
      c.fd = fd;
      try {
        c.thread = std::thread([this, &c] {
          serve(c.fd);
          close_fd(c.fd);
          c.done.store(true, std::memory_order_release);
        });
      } catch (const std::system_error&) {
        close_fd(fd);
        connections.pop_back();
      }
    }
  }
};

Server::Server(Handler handler, std::uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl_->wake_fd < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));

  impl_->listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (impl_->listen_fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  // A fixed port (vernemq-sim --port) must be reusable right after a previous run's TIME_WAIT.
  if (::setsockopt(impl_->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    throw std::runtime_error(std::string("setsockopt(SO_REUSEADDR): ") + std::strerror(errno));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(impl_->listen_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("bind 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
  }
  if (::listen(impl_->listen_fd, 512) != 0) throw std::runtime_error(std::string("listen: ") + std::strerror(errno));
  if (!set_nonblocking(impl_->listen_fd)) throw std::runtime_error(std::string("fcntl: ") + std::strerror(errno));
  socklen_t len = sizeof addr;
  if (::getsockname(impl_->listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error(std::string("getsockname: ") + std::strerror(errno));
  }
  impl_->port = ntohs(addr.sin_port);
  impl_->accept_thread = std::thread([impl = impl_.get()] { impl->accept_loop(); });
}

Server::~Server() { stop(); }

std::uint16_t Server::port() const { return impl_->port; }

std::string Server::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + std::string(path);
}

std::size_t Server::requests_served() const { return impl_->requests.load(std::memory_order_relaxed); }

std::size_t Server::connections_accepted() const { return impl_->accepted.load(std::memory_order_relaxed); }

void Server::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  impl_->stopping.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  // The eventfd stays readable from now on: every poll() in every thread returns at once.
  ssize_t n = 0;
  do {
    n = ::write(impl_->wake_fd, &one, sizeof one);
  } while (n < 0 && errno == EINTR);
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  close_fd(impl_->listen_fd);
  impl_->listen_fd = -1;
  std::list<Impl::Connection> all;
  {
    std::lock_guard lock(impl_->mutex);
    all.splice(all.end(), impl_->connections);
  }
  for (auto& c : all) {
    if (c.thread.joinable()) c.thread.join();
  }
}

std::string base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned bits = 0;
  int nbits = 0;
  for (char c : in) {
    if (c == '=') break;
    const int v = value(c);
    if (v < 0) return {};
    bits = (bits << 6) | static_cast<unsigned>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out += static_cast<char>((bits >> nbits) & 0xFFu);
    }
  }
  return out;
}

}  // namespace vmq::loopback
