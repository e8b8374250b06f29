// SPDX-License-Identifier: GPL-3.0-or-later
// A small real HTTP/1.1 server on loopback (port 0 by default), used by vernemq-sim and by the
// tests. It can also misbehave on purpose, so the tests drive real sockets, not mocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vmq::loopback {

struct Request {
  std::string method;
  std::string target;  // e.g. "/metrics"
  std::vector<std::pair<std::string, std::string>> headers;
  // Value of the first header named `name` (case-insensitive), or "" when absent.
  [[nodiscard]] std::string header(std::string_view name) const;
};

struct Response {
  enum class Mode {
    normal,        // status line, headers, Content-Length, body
    hang,          // read the request, never answer (until the server stops)
    close,         // close the connection without answering
    trickle,       // headers (with the true Content-Length), then the body slowly
    wrong_length,  // Content-Length says more than the body; send the body, then close
    raw,           // `body` is the whole response, bytes on the wire, sent verbatim; then close
    endless,       // 200, no Content-Length, body repeated forever (until client closes)
  };
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
  Mode mode = Mode::normal;
  std::chrono::milliseconds delay{0};               // wait before answering
  std::chrono::milliseconds trickle_interval{200};  // trickle: one byte per interval
};

class Server {
 public:
  using Handler = std::function<Response(const Request&)>;
  // Binds 127.0.0.1:`port` (0 = any free port) and starts serving on background threads.
  // Throws std::runtime_error when it cannot bind.
  explicit Server(Handler handler, std::uint16_t port = 0);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] std::string url(std::string_view path = "/metrics") const;  // http://127.0.0.1:PORT/metrics
  [[nodiscard]] std::size_t requests_served() const;
  // TCP connections accepted so far (lets client tests prove keep-alive reuse).
  [[nodiscard]] std::size_t connections_accepted() const;
  void stop();  // closes the listener and every connection, joins all threads; idempotent

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decodes standard base64 (as in an HTTP Basic `Authorization` header); "" on malformed input.
std::string base64_decode(std::string_view in);

}  // namespace vmq::loopback
