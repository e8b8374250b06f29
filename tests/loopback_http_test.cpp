// SPDX-License-Identifier: GPL-3.0-or-later
// The loopback server, driven by a raw TCP client so every byte on the wire is visible.
#include "loopback_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace vmq::loopback {
namespace {

using namespace std::chrono_literals;

// A blocking TCP client with a receive deadline, so a broken server fails the test, not hangs it.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads until `want` bytes are buffered, EOF, or the deadline. Returns what was read.
  std::string recv_until_size(std::size_t want, std::chrono::milliseconds deadline = 3000ms) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (buf_.size() < want && !eof_) {
      if (!wait_readable(end)) break;
    }
    const std::size_t n = std::min(want, buf_.size());
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }

  // Reads one whole response (head + Content-Length body).
  std::string recv_response(std::chrono::milliseconds deadline = 3000ms) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    std::size_t head_end = std::string::npos;
    while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos && !eof_) {
      if (!wait_readable(end)) return {};
    }
    if (head_end == std::string::npos) return {};
    const std::string head = buf_.substr(0, head_end + 4);
    std::size_t body_len = 0;
    if (const std::size_t cl = head.find("Content-Length: "); cl != std::string::npos) {
      body_len = std::stoul(head.substr(cl + 16));
    }
    while (buf_.size() < head.size() + body_len && !eof_) {
      if (!wait_readable(end)) break;
    }
    const std::size_t n = std::min(buf_.size(), head.size() + body_len);
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }

  // Reads until the peer closes (or the deadline). Returns everything read.
  std::string recv_all(std::chrono::milliseconds deadline = 3000ms) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!eof_) {
      if (!wait_readable(end)) break;
    }
    std::string out;
    out.swap(buf_);
    return out;
  }

  [[nodiscard]] bool eof() const { return eof_; }

 private:
  bool wait_readable(std::chrono::steady_clock::time_point end) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[8192];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
};

Response text(std::string body) {
  Response r;
  r.headers.emplace_back("Content-Type", "text/plain");
  r.body = std::move(body);
  return r;
}

TEST(LoopbackHttp, BindsAnEphemeralPortAndBuildsTheUrl) {
  Server server([](const Request&) { return text("x"); });
  EXPECT_NE(server.port(), 0);
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics");
  EXPECT_EQ(server.url("/health"), "http://127.0.0.1:" + std::to_string(server.port()) + "/health");
}

TEST(LoopbackHttp, AnswersWithStatusHeadersAndBody) {
  std::string seen_target;
  std::string seen_accept;
  Server server([&](const Request& req) {
    seen_target = req.target;
    seen_accept = req.header("accept");  // case-insensitive lookup
    Response r = text("hello body");
    r.status = 201;
    r.headers.emplace_back("X-Test", "yes");
    return r;
  });
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: text/plain\r\n\r\n"));
  const std::string resp = client.recv_response();
  EXPECT_EQ(resp.rfind("HTTP/1.1 201 ", 0), 0u) << resp;
  EXPECT_NE(resp.find("\r\nX-Test: yes\r\n"), std::string::npos);
  EXPECT_NE(resp.find("\r\nContent-Length: 10\r\n"), std::string::npos);
  EXPECT_EQ(resp.substr(resp.size() - 10), "hello body");
  EXPECT_EQ(seen_target, "/metrics?x=1");
  EXPECT_EQ(seen_accept, "text/plain");
  EXPECT_EQ(server.requests_served(), 1u);
}

TEST(LoopbackHttp, KeepAliveServesManyRequestsOnOneConnection) {
  int n = 0;
  Server server([&](const Request& req) { return text(req.target + "#" + std::to_string(++n)); });
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  // Also a POST with a body that must be drained, not read as the next request.
  ASSERT_TRUE(client.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n"));
  const std::string r1 = client.recv_response();
  ASSERT_TRUE(client.send("POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabcde"));
  const std::string r2 = client.recv_response();
  ASSERT_TRUE(client.send("GET /c HTTP/1.1\r\nHost: a\r\n\r\n"));
  const std::string r3 = client.recv_response();
  EXPECT_EQ(r1.substr(r1.find("\r\n\r\n") + 4), "/a#1");
  EXPECT_EQ(r2.substr(r2.find("\r\n\r\n") + 4), "/b#2");
  EXPECT_EQ(r3.substr(r3.find("\r\n\r\n") + 4), "/c#3");
  EXPECT_FALSE(client.eof());
  EXPECT_EQ(server.connections_accepted(), 1u);
  EXPECT_EQ(server.requests_served(), 3u);
}

TEST(LoopbackHttp, ConnectionCloseIsHonoured) {
  Server server([](const Request&) { return text("bye"); });
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  const std::string all = client.recv_all();
  EXPECT_TRUE(client.eof());
  EXPECT_NE(all.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_EQ(all.substr(all.size() - 3), "bye");
}

TEST(LoopbackHttp, GarbageRequestGets400) {
  Server server([](const Request&) { return text("never"); });
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("\x01\x02 not http at all\r\n\r\n"));
  const std::string all = client.recv_all();
  EXPECT_EQ(all.rfind("HTTP/1.1 400 ", 0), 0u) << all;
  EXPECT_EQ(server.requests_served(), 0u);
}

TEST(LoopbackHttp, OversizedHeadGets400) {
  Server server([](const Request&) { return text("never"); });
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  std::string req = "GET / HTTP/1.1\r\nX-Big: " + std::string(70 * 1024, 'a');
  (void)client.send(req);  // the server may answer and close before all of it is sent
  const std::string all = client.recv_all();
  EXPECT_EQ(all.rfind("HTTP/1.1 400 ", 0), 0u) << all.substr(0, 100);
}

TEST(LoopbackHttp, RawModeSendsBytesVerbatimThenCloses) {
  const std::string wire = "HTTP/1.1 200 OK\r\nX-Raw: 1\r\n\r\nnot counted";
  Server server([&](const Request&) {
    Response r;
    r.mode = Response::Mode::raw;
    r.body = wire;
    return r;
  });
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_EQ(client.recv_all(), wire);
  EXPECT_TRUE(client.eof());
}

TEST(LoopbackHttp, CloseModeClosesWithoutAnswer) {
  Server server([](const Request&) {
    Response r;
    r.mode = Response::Mode::close;
    return r;
  });
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_EQ(client.recv_all(), "");
  EXPECT_TRUE(client.eof());
}

TEST(LoopbackHttp, WrongLengthPromisesMoreThanItSends) {
  Server server([](const Request&) {
    Response r = text("short");
    r.mode = Response::Mode::wrong_length;
    return r;
  });
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  const std::string all = client.recv_all();
  EXPECT_TRUE(client.eof());
  const std::size_t cl = all.find("Content-Length: ");
  ASSERT_NE(cl, std::string::npos);
  const std::size_t promised = std::stoul(all.substr(cl + 16));
  const std::size_t got = all.size() - (all.find("\r\n\r\n") + 4);
  EXPECT_EQ(got, 5u);
  EXPECT_GT(promised, got);
}

TEST(LoopbackHttp, TrickleSendsTheHeadThenTheBodyByteByByte) {
  Server server([](const Request&) {
    Response r = text("abcdef");
    r.mode = Response::Mode::trickle;
    r.trickle_interval = 300ms;
    return r;
  });
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  // The head arrives at once; the body cannot all be there a moment later (6 bytes x 300 ms).
  std::string got = client.recv_until_size(std::string("HTTP/1.1 200 OK\r\n").size());
  EXPECT_EQ(got, "HTTP/1.1 200 OK\r\n");
  const std::string rest = client.recv_all(200ms);
  EXPECT_FALSE(client.eof());
  EXPECT_EQ(rest.find("abcdef"), std::string::npos);
  EXPECT_NE(rest.find("Content-Length: 6\r\n"), std::string::npos);
}

TEST(LoopbackHttp, EndlessKeepsSendingPastAnyCap) {
  Server server([](const Request&) {
    Response r = text("0123456789");
    r.mode = Response::Mode::endless;
    return r;
  });
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  const std::string got = client.recv_until_size(1 << 20);
  EXPECT_EQ(got.size(), std::size_t{1} << 20);
  EXPECT_EQ(got.find("Content-Length"), std::string::npos);
}

TEST(LoopbackHttp, StopReturnsPromptlyWithHungAndTricklingClients) {
  std::atomic<int> n{0};
  Server server([&](const Request&) {
    Response r = text(std::string(1000, 'z'));
    r.mode = n++ % 2 == 0 ? Response::Mode::hang : Response::Mode::trickle;
    r.trickle_interval = 10s;
    return r;
  });
  RawClient hung(server.port());
  RawClient slow(server.port());
  RawClient idle(server.port());  // a keep-alive connection waiting for its next request
  ASSERT_TRUE(hung.connected());
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(idle.connected());
  ASSERT_TRUE(hung.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_EQ(hung.recv_all(300ms), "");  // hang: nothing at all
  ASSERT_TRUE(slow.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_NE(slow.recv_until_size(10), "");
  ASSERT_EQ(server.requests_served(), 2u);

  // "Promptly" here means: far less than the 10 s a trickled byte waits. Not a speed benchmark,
  // just proof that no thread sits in a blocking call stop() cannot interrupt.
  const auto t0 = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  (void)hung.recv_all(2s);
  EXPECT_TRUE(hung.eof());
  server.stop();  // idempotent
}

TEST(LoopbackHttp, DelayedResponseStillArrives) {
  Server server([](const Request&) {
    Response r = text("late");
    r.delay = 50ms;
    return r;
  });
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  const std::string resp = client.recv_response();
  EXPECT_EQ(resp.substr(resp.size() - 4), "late");
}

}  // namespace
}  // namespace vmq::loopback
