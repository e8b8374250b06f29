// SPDX-License-Identifier: GPL-3.0-or-later
// HttpClient against the real loopback HTTP server: every request crosses a real socket, and the
// server's misbehaviours (hang, trickle, wrong length, endless body) are real bytes on the wire.
#include "vmq/http_fetch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "loopback_http.h"
#include "subprocess.h"

// Counts C++ allocations made by the test thread while armed (server threads are not counted),
// to check that a scrape in steady state allocates nothing on our side.
namespace {
thread_local bool t_count_allocations = false;
thread_local std::size_t t_allocations = 0;
}  // namespace

// noinline: once inlined, g++ pairs the caller's `new` with free() and warns
// (-Wmismatched-new-delete) although both sides are these replacements.
[[gnu::noinline]] void* operator new(std::size_t n) {
  if (t_count_allocations) ++t_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace vmq {
namespace {

using namespace std::chrono_literals;
using loopback::Request;
using loopback::Response;
using loopback::Server;
using Clock = std::chrono::steady_clock;

// A finished transfer, with the body copied out (FetchResult::body is a view that the next
// start() of the same job invalidates).
struct Outcome {
  bool ok = false;
  long status = 0;
  std::string error;
  std::string body;
  std::size_t bytes = 0;
  double seconds = 0;
};

Outcome copy(const FetchResult& r) {
  return Outcome{r.ok, r.http_status, r.error, std::string(r.body), r.bytes, r.seconds};
}

// Polls until `want` results arrived or the deadline passed; results in arrival order.
std::vector<std::pair<std::size_t, Outcome>> collect(HttpClient& client, std::size_t want,
                                                     std::chrono::milliseconds deadline = 5000ms) {
  std::vector<std::pair<std::size_t, Outcome>> got;
  const auto end = Clock::now() + deadline;
  while (got.size() < want && Clock::now() < end) {
    client.poll(50, [&](std::size_t idx, const FetchResult& r) { got.emplace_back(idx, copy(r)); });
  }
  return got;
}

// One transfer of job `idx`, start to finish.
Outcome fetch(HttpClient& client, std::size_t idx, long timeout_ms = 2000) {
  client.start(idx, timeout_ms);
  auto got = collect(client, 1, std::chrono::milliseconds(timeout_ms + 3000));
  EXPECT_EQ(got.size(), 1u) << "no result for job " << idx;
  if (got.empty()) return {};
  EXPECT_EQ(got[0].first, idx);
  return got[0].second;
}

JobConfig job_for(const std::string& url) {
  JobConfig j;
  j.name = "test";
  j.url = url;
  return j;
}

Response body_response(std::string body, int status = 200) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// Records every request the server sees.
struct Recorder {
  std::mutex mutex;
  std::vector<Request> requests;
  void add(const Request& r) {
    std::lock_guard lock(mutex);
    requests.push_back(r);
  }
  std::vector<Request> all() {
    std::lock_guard lock(mutex);
    return requests;
  }
};

// A port on loopback where nothing listens: bound (so it was free), then closed.
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// ---- gzip built by hand (RFC 1951/1952), so the tests need no zlib -------------------------

std::uint32_t crc32_of(std::string_view data) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (char ch : data) c = table[(c ^ static_cast<unsigned char>(ch)) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void put_le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

std::string gzip_wrap(std::string_view deflate, std::string_view original) {
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);  // magic, deflate, no flags
  out.append(deflate);
  put_le32(out, crc32_of(original));
  put_le32(out, static_cast<std::uint32_t>(original.size()));
  return out;
}

// Stored (uncompressed) deflate blocks: valid gzip whose bytes differ from the text only by
// framing, so a body equal to `text` proves libcurl decoded it.
std::string gzip_stored(std::string_view text) {
  std::string deflate;
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min<std::size_t>(text.size() - pos, 65535);
    const bool last = pos + n == text.size();
    deflate.push_back(last ? '\x01' : '\x00');
    const auto len = static_cast<std::uint16_t>(n);
    const auto nlen = static_cast<std::uint16_t>(~len);
    deflate.push_back(static_cast<char>(len & 0xFF));
    deflate.push_back(static_cast<char>(len >> 8));
    deflate.push_back(static_cast<char>(nlen & 0xFF));
    deflate.push_back(static_cast<char>(nlen >> 8));
    deflate.append(text.substr(pos, n));
    pos += n;
  } while (pos < text.size());
  return gzip_wrap(deflate, text);
}

// A gzip bomb: one literal zero, then `repeats` matches of length 258 at distance 1, in one
// fixed-Huffman block: 13 bits on the wire per 258 decoded bytes.
std::string gzip_zeros(std::size_t repeats) {
  std::string deflate;
  std::uint32_t acc = 0;
  int nbits = 0;
  auto bits = [&](std::uint32_t value, int count) {  // deflate packs LSB first
    acc |= value << nbits;
    nbits += count;
    while (nbits >= 8) {
      deflate.push_back(static_cast<char>(acc & 0xFFu));
      acc >>= 8;
      nbits -= 8;
    }
  };
  auto huffman = [&](std::uint32_t code, int count) {  // Huffman codes go MSB first
    for (int i = count - 1; i >= 0; --i) bits((code >> i) & 1u, 1);
  };
  bits(1, 1);        // BFINAL
  bits(1, 2);        // BTYPE = 01, fixed Huffman
  huffman(0x30, 8);  // literal 0x00
  for (std::size_t i = 0; i < repeats; ++i) {
    huffman(0xC5, 8);  // length symbol 285 = 258
    huffman(0x00, 5);  // distance symbol 0 = 1
  }
  huffman(0x00, 7);  // end of block (256)
  if (nbits > 0) bits(0, 8 - nbits);
  const std::string original(1 + 258 * repeats, '\0');
  return gzip_wrap(deflate, original);
}

Response gzip_response(std::string gz) {
  Response r = body_response(std::move(gz));
  r.headers.emplace_back("Content-Encoding", "gzip");
  r.headers.emplace_back("Content-Type", "text/plain");
  return r;
}

// ---- tests ---------------------------------------------------------------------------------

TEST(HttpFetch, Status200DeliversTheBody) {
  const std::string text = "vernemq_mqtt_puback_sent{node=\"a\",mqtt_version=\"5\",reason_code=\"success\"} 42\n";
  Server server([&](const Request&) { return body_response(text); });
  HttpClient client;
  const auto idx = client.add_job(job_for(server.url()));
  const Outcome r = fetch(client, idx);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.body, text);
  EXPECT_EQ(r.bytes, text.size());
  EXPECT_GT(r.seconds, 0.0);
  EXPECT_FALSE(client.in_flight(idx));
  EXPECT_EQ(client.in_flight_count(), 0u);
}

TEST(HttpFetch, SteadyStateScrapeAllocatesNothing) {
  std::string text;
  for (int i = 0; i < 1000; ++i)
    text += "vernemq_mqtt_puback_sent{node=\"a\",reason_code=\"r" + std::to_string(i) + "\"} 1\n";
  Server server([&](const Request&) { return body_response(text); });
  HttpClient client;
  JobConfig j = job_for(server.url());
  j.api_key = "k";
  j.headers = {{"X-A", "b"}};
  const auto idx = client.add_job(j);
  ASSERT_TRUE(fetch(client, idx).ok);  // warm-up: connection, DNS cache, body capacity

  bool done = false;
  bool ok = false;
  std::size_t bytes = 0;
  const std::function<void(std::size_t, const FetchResult&)> on_done = [&](std::size_t, const FetchResult& r) {
    done = true;
    ok = r.ok;
    bytes = r.body.size();
  };
  const auto t0 = Clock::now();
  t_allocations = 0;
  t_count_allocations = true;
  client.start(idx, 2000);
  while (!done && Clock::now() - t0 < 3s) client.poll(100, on_done);
  t_count_allocations = false;
  EXPECT_TRUE(ok);
  EXPECT_EQ(bytes, text.size());
  EXPECT_EQ(t_allocations, 0u);
  EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST(HttpFetch, SendsAcceptUserAgentBasicAuthApiKeyAndCustomHeadersInOrder) {
  Recorder rec;
  Server server([&](const Request& q) {
    rec.add(q);
    return body_response("ok\n");
  });
  HttpClient client;
  JobConfig j = job_for(server.url());
  j.username = "Aladdin";  // RFC 7617's example: "Aladdin:open sesame"
  j.password = "open sesame";
  j.api_key = "key-123";
  j.headers = {{"X-First", "one"}, {"X-Second", "two"}, {"X-Empty", ""}};
  const auto idx = client.add_job(j);
  ASSERT_TRUE(fetch(client, idx).ok);

  const auto reqs = rec.all();
  ASSERT_EQ(reqs.size(), 1u);
  const Request& q = reqs[0];
  EXPECT_EQ(q.method, "GET");
  EXPECT_EQ(q.target, "/metrics");
  EXPECT_EQ(q.header("Accept"), "text/plain;version=0.0.4;q=1,*/*;q=0.1");
  EXPECT_EQ(q.header("User-Agent"), std::string("vernemq.plugin/") + VMQ_VERSION);
  EXPECT_EQ(q.header("Authorization"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(q.header("x-api-key"), "key-123");
  EXPECT_NE(q.header("Accept-Encoding").find("gzip"), std::string::npos) << q.header("Accept-Encoding");
  std::size_t first = 0, second = 0, empty = 0, accepts = 0;
  for (std::size_t i = 0; i < q.headers.size(); ++i) {
    if (q.headers[i].first == "X-First") first = i + 1;
    if (q.headers[i].first == "X-Second") second = i + 1;
    if (q.headers[i].first == "X-Empty") empty = i + 1;
    if (q.headers[i].first == "Accept") ++accepts;
  }
  EXPECT_EQ(q.header("X-First"), "one");
  EXPECT_EQ(q.header("X-Second"), "two");
  ASSERT_NE(first, 0u);
  ASSERT_NE(second, 0u);
  EXPECT_LT(first, second);
  EXPECT_NE(empty, 0u) << "a header with an empty value must still be sent";
  EXPECT_EQ(accepts, 1u);
  // The user name and password go in the header, never in the request line.
  EXPECT_EQ(q.target.find("Aladdin"), std::string::npos);
}

TEST(HttpFetch, UserAcceptHeaderReplacesOurs) {
  Recorder rec;
  Server server([&](const Request& q) {
    rec.add(q);
    return body_response("ok\n");
  });
  HttpClient client;
  JobConfig j = job_for(server.url());
  j.headers = {{"Accept", "text/plain"}};
  ASSERT_TRUE(fetch(client, client.add_job(j)).ok);
  const auto reqs = rec.all();
  ASSERT_EQ(reqs.size(), 1u);
  std::size_t accepts = 0;
  for (const auto& [k, v] : reqs[0].headers) accepts += (k == "Accept") ? 1 : 0;
  EXPECT_EQ(accepts, 1u);
  EXPECT_EQ(reqs[0].header("Accept"), "text/plain");
}

class TempFile {
 public:
  TempFile() {
    char tmpl[] = "/tmp/vmq_http_fetch_test_XXXXXX";
    const int fd = ::mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    if (fd >= 0) ::close(fd);
    path_ = tmpl;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  void write(const std::string& text) const { std::ofstream(path_, std::ios::trunc) << text; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(HttpFetch, BearerTokenIsReadAtEveryStartTrimmedAndItsLossIsAFailedResult) {
  Recorder rec;
  Server server([&](const Request& q) {
    rec.add(q);
    return body_response("ok\n");
  });
  TempFile token;
  token.write("  first-token\n\n");
  HttpClient client;
  JobConfig j = job_for(server.url());
  j.bearer_token_file = token.path();
  const auto idx = client.add_job(j);

  ASSERT_TRUE(fetch(client, idx).ok);
  token.write("second-token\n");  // rotated
  ASSERT_TRUE(fetch(client, idx).ok);
  auto reqs = rec.all();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].header("Authorization"), "Bearer first-token");
  EXPECT_EQ(reqs[1].header("Authorization"), "Bearer second-token");
  EXPECT_EQ(reqs[1].header("Accept"), "text/plain;version=0.0.4;q=1,*/*;q=0.1");

  std::remove(token.path().c_str());
  const Outcome gone = fetch(client, idx);
  EXPECT_FALSE(gone.ok);
  EXPECT_NE(gone.error.find(token.path()), std::string::npos) << gone.error;
  EXPECT_EQ(gone.error.find("second-token"), std::string::npos) << gone.error;
  EXPECT_EQ(rec.all().size(), 2u) << "no request without the token";

  token.write(" \n");
  const Outcome empty = fetch(client, idx);
  EXPECT_FALSE(empty.ok);
  EXPECT_NE(empty.error.find("empty"), std::string::npos) << empty.error;
}

TEST(HttpFetch, GzipBodyIsDecoded) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "vernemq_mqtt_publish_error{node=\"n" + std::to_string(i) + "\"} 0\n";
  ASSERT_GT(text.size(), 65535u) << "spans several stored blocks";
  const std::string gz = gzip_stored(text);
  Server server([&](const Request&) { return gzip_response(gz); });
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_for(server.url())));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.body, text);
  EXPECT_EQ(r.bytes, text.size());
}

TEST(HttpFetch, HandMadeCompressedGzipDecodesToItsZeros) {
  // Proves the bomb builder below emits valid deflate, so the bomb test is not vacuous.
  const std::string gz = gzip_zeros(100);
  Server server([&](const Request&) { return gzip_response(gz); });
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_for(server.url())));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.body, std::string(1 + 258 * 100, '\0'));
  EXPECT_LT(gz.size(), 300u);
}

TEST(HttpFetch, GzipBombStopsAtTheDecodedCap) {
  const std::string gz = gzip_zeros(32 * 1024);  // ~53 KB on the wire, ~8.5 MB decoded
  Server server([&](const Request&) { return gzip_response(gz); });
  HttpClient client;
  JobConfig j = job_for(server.url());
  j.max_body_size = 256 * 1024;
  ASSERT_LT(gz.size(), j.max_body_size) << "the wire size alone must be under the cap";
  const Outcome r = fetch(client, client.add_job(j));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "body larger than the 262144-byte limit");
  EXPECT_LE(r.bytes, j.max_body_size);
  EXPECT_GT(r.bytes, 0u);
}

TEST(HttpFetch, KeepAliveReusesOneConnection) {
  Server server([&](const Request&) { return body_response("a 1\n"); });
  HttpClient client;
  const auto idx = client.add_job(job_for(server.url()));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(fetch(client, idx).ok);
  EXPECT_EQ(server.requests_served(), 4u);
  EXPECT_EQ(server.connections_accepted(), 1u);
}

// A released handle is made again at the next start, with every option: the same request goes
// out (headers, credentials) over the connection the multi handle kept. Released while in
// flight, nothing happens to the transfer.
TEST(HttpFetch, AReleasedHandleIsMadeAgainAndKeepsTheConnection) {
  std::vector<Request> seen;
  std::mutex mu;
  Server server([&](const Request& q) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(q);
    return body_response("a 1\n");
  });
  HttpClient client;
  JobConfig j = job_for(server.url());
  j.username = "u";
  j.password = "p";
  j.headers = {{"X-Custom", "v"}};
  const auto idx = client.add_job(j);
  ASSERT_TRUE(fetch(client, idx).ok);
  client.release_handle(idx);
  ASSERT_TRUE(fetch(client, idx).ok);
  client.start(idx, 2000);
  client.release_handle(idx);  // in flight: kept
  const auto got = collect(client, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got.begin()->second.ok);
  EXPECT_EQ(server.connections_accepted(), 1u);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(seen.size(), 3u);
  for (const Request& q : seen) {
    EXPECT_EQ(q.header("authorization"), "Basic dTpw");  // base64("u:p")
    EXPECT_EQ(q.header("x-custom"), "v");
    EXPECT_EQ(q.header("user-agent"), seen.front().header("user-agent"));
  }
}

TEST(HttpFetch, HttpErrorsAreNamedWithHints) {
  const std::map<int, std::string> expected = {
      {401, "HTTP 401 Unauthorized (check username/password or api_key)"},
      {403, "HTTP 403 Forbidden"},
      {404, "HTTP 404 Not Found"},
      {406, "HTTP 406 Not Acceptable (the server refused the Accept header)"},
      {500, "HTTP 500 Internal Server Error"},
      {503, "HTTP 503 Service Unavailable"},
  };
  Server server([&](const Request& q) {
    return body_response("nope", std::stoi(q.target.substr(1)));  // "/503" → 503
  });
  HttpClient client;
  std::map<std::size_t, int> status_of;
  for (const auto& [status, text] : expected) {
    JobConfig j = job_for(server.url("/" + std::to_string(status)));
    j.api_key = "sekrit-key";
    status_of[client.add_job(j)] = status;
  }
  for (const auto& [idx, status] : status_of) client.start(idx, 2000);
  const auto got = collect(client, expected.size());
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [idx, r] : got) {
    const int status = status_of.at(idx);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.error, expected.at(status));
  }
}

TEST(HttpFetch, ReasonPhraseComesFromTheStatusLine) {
  Server server([&](const Request&) {
    Response r;
    r.mode = Response::Mode::raw;
    r.body = "HTTP/1.1 503 Node Draining\r\nContent-Length: 0\r\n\r\n";
    return r;
  });
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_for(server.url())));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.error, "HTTP 503 Node Draining");
}

TEST(HttpFetch, ConnectionRefused) {
  HttpClient client;
  const std::uint16_t port = closed_port();
  const Outcome r = fetch(client, client.add_job(job_for("http://127.0.0.1:" + std::to_string(port) + "/metrics")));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error.rfind("connection refused (", 0), 0u) << r.error;
  EXPECT_NE(r.error.find(std::to_string(port)), std::string::npos) << r.error;
}

TEST(HttpFetch, SecretsNeverAppearInErrors) {
  // The password equals the host, so curl's own message ("Failed to connect to 127.0.0.1 …")
  // contains it; userinfo in the URL must not leak either.
  HttpClient client;
  const std::uint16_t port = closed_port();
  JobConfig j = job_for("http://urluser:urlpass@127.0.0.1:" + std::to_string(port) + "/metrics");
  j.username = "u";
  j.password = "127.0.0.1";
  const Outcome r = fetch(client, client.add_job(j));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.find("127.0.0.1"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("urlpass"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("***"), std::string::npos) << r.error;
}

TEST(HttpFetch, HangTimesOutNearTheTimeout) {
  Server server([&](const Request&) {
    Response r;
    r.mode = Response::Mode::hang;
    return r;
  });
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_for(server.url())), 300);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("timed out after 300 ms", 0), 0u) << r.error;
  EXPECT_GE(r.seconds, 0.29);
  EXPECT_LT(r.seconds, 1.5);
}

TEST(HttpFetch, TrickleSlowerThanTheTimeoutTimesOut) {
  Server server([&](const Request&) {
    Response r = body_response(std::string(100, 'x'));
    r.mode = Response::Mode::trickle;
    r.trickle_interval = 50ms;  // 5 s for the whole body
    return r;
  });
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_for(server.url())), 300);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 200) << "the headers did arrive";
  EXPECT_EQ(r.error.rfind("timed out after 300 ms", 0), 0u) << r.error;
  EXPECT_LT(r.seconds, 1.5);
}

TEST(HttpFetch, BodyOverTheCapIsRefusedFromItsContentLength) {
  Server server([&](const Request&) { return body_response(std::string(2000, 'y')); });
  HttpClient client;
  JobConfig j = job_for(server.url());
  j.max_body_size = 1000;
  const Outcome r = fetch(client, client.add_job(j));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "body larger than the 1000-byte limit (Content-Length: 2000)");
  EXPECT_EQ(r.bytes, 0u) << "refused before any body byte";
}

TEST(HttpFetch, AnnouncedHugeBodyIsRefusedBeforeReadingIt) {
  // Only a few bytes follow: without the early check this would be a short-body error.
  Server server([&](const Request&) {
    Response r;
    r.mode = Response::Mode::raw;
    r.body = "HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\nabc";
    return r;
  });
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_for(server.url())));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "body larger than the " + std::to_string(kDefaultMaxBodySize) +
                         "-byte limit (Content-Length: 1000000000000)");
}

TEST(HttpFetch, EndlessBodyStopsAtTheCap) {
  Server server([&](const Request&) {
    Response r = body_response("vernemq_x 1\n");
    r.mode = Response::Mode::endless;
    return r;
  });
  HttpClient client;
  JobConfig j = job_for(server.url());
  j.max_body_size = 100000;
  const Outcome r = fetch(client, client.add_job(j), 3000);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "body larger than the 100000-byte limit");
  EXPECT_LE(r.bytes, 100000u);
  EXPECT_GT(r.bytes, 0u);
}

TEST(HttpFetch, ShortBodyForItsContentLengthIsAnError) {
  Server server([&](const Request&) {
    Response r = body_response("short body\n");
    r.mode = Response::Mode::wrong_length;
    return r;
  });
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_for(server.url())));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("the body ended before its Content-Length", 0), 0u) << r.error;
}

TEST(HttpFetch, ServerClosingWithoutAnswerIsAnError) {
  Server server([&](const Request&) {
    Response r;
    r.mode = Response::Mode::close;
    return r;
  });
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_for(server.url())));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("the server closed the connection without answering", 0), 0u) << r.error;
}

Response redirect_to(const std::string& where) {
  Response r = body_response("moved", 302);
  r.headers.emplace_back("Location", where);
  return r;
}

TEST(HttpFetch, RedirectIsFollowed) {
  Server server([&](const Request& q) {
    if (q.target == "/old") return redirect_to("/metrics");
    return body_response("final 1\n");
  });
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_for(server.url("/old"))));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "final 1\n");
  EXPECT_EQ(server.requests_served(), 2u);
}

TEST(HttpFetch, RedirectLoopIsAnError) {
  Server server([&](const Request&) { return redirect_to("/loop"); });
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_for(server.url("/loop"))));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("too many redirects", 0), 0u) << r.error;
  EXPECT_EQ(server.requests_served(), 11u) << "the first request and 10 redirects";
}

// A job with every kind of credential: basic auth (or a bearer token file when `token_file` is
// set: both are an Authorization header), api_key, user headers.
JobConfig job_with_every_credential(const std::string& url, const std::string& token_file) {
  JobConfig j = job_for(url);
  if (token_file.empty()) {
    j.username = "scraper";
    j.password = "pw-basic-7";
  }
  j.api_key = "key-api-7";
  j.bearer_token_file = token_file;
  j.headers = {{"X-Custom-Auth", "custom-secret-7"}, {"Cookie", "session=cookie-7"}};
  return j;
}

// Every header a request carried that holds one of the job's credentials.
std::vector<std::string> credentials_in(const Request& q) {
  std::vector<std::string> found;
  for (const auto& [name, value] : q.headers) {
    for (const char* secret : {"pw-basic", "key-api", "token-bearer", "custom-secret", "cookie-7",
                               "c2NyYXBlcjpwdy1iYXNpYy03" /* base64 scraper:pw-basic-7 */}) {
      if (value.find(secret) != std::string::npos) found.push_back(name + ": " + value);
    }
  }
  return found;
}

std::string token_file_with(const std::string& token) {
  char path[] = "/tmp/vmq_token_XXXXXX";
  const int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, token.data(), token.size()), static_cast<ssize_t>(token.size()));
  ::close(fd);
  return path;
}

// The origin got the job's four credential headers.
void expect_all_credentials(const Request& q, const std::string& authorization) {
  EXPECT_EQ(q.header("authorization"), authorization);
  EXPECT_EQ(q.header("x-api-key"), "key-api-7");
  EXPECT_EQ(q.header("x-custom-auth"), "custom-secret-7");
  EXPECT_EQ(q.header("cookie"), "session=cookie-7");
}

TEST(HttpFetch, RedactTreatsEveryUserHeaderAndShortSecretsAsWholeTokens) {
  HttpClient client;
  JobConfig j = job_for("http://127.0.0.1:9/metrics");
  j.password = "a";
  j.username = "u";
  j.headers = {{"X-Tenant-Token", "hv1"}};
  const std::size_t idx = client.add_job(j);
  std::string text = "failed: a server echoed hv1 and a (not hv12, not data)";
  client.redact(idx, text);
  EXPECT_EQ(text, "failed: *** server echoed *** and *** (not hv12, not data)");
}

// A job without any credential has nothing to mask: the plugin then skips redaction; any
// credential, in any form, makes it needed.
TEST(HttpFetch, HasSecretsOnlyWhenTheJobHasSomeCredential) {
  HttpClient client;
  EXPECT_FALSE(client.has_secrets(client.add_job(job_for("http://127.0.0.1:9/metrics"))));
  JobConfig basic = job_for("http://127.0.0.1:9/metrics");
  basic.username = "u";
  basic.password = "p4ss";
  EXPECT_TRUE(client.has_secrets(client.add_job(basic)));
  EXPECT_TRUE(client.has_secrets(client.add_job(job_for("http://u:p4ss@127.0.0.1:9/metrics"))));
  JobConfig key = job_for("http://127.0.0.1:9/metrics");
  key.api_key = "k3y";
  EXPECT_TRUE(client.has_secrets(client.add_job(key)));
  JobConfig header = job_for("http://127.0.0.1:9/metrics");
  header.headers = {{"X-Tenant", "t0k"}};
  EXPECT_TRUE(client.has_secrets(client.add_job(header)));
  JobConfig bearer = job_for("http://127.0.0.1:9/metrics");
  bearer.bearer_token_file = "/nonexistent/token";  // read at each start; known only then
  EXPECT_TRUE(client.has_secrets(client.add_job(bearer)));
  EXPECT_FALSE(client.has_secrets(99));
}

TEST(HttpFetch, RedirectToAnotherHostCarriesNoCredential) {
  for (const std::string mode : {"basic auth", "url userinfo", "bearer token"}) {
    SCOPED_TRACE(mode);
    const bool bearer = mode == "bearer token";
    // Two servers on loopback: another port is another origin, and "localhost" another host name.
    Recorder other_seen;
    Server other([&](const Request& q) {
      other_seen.add(q);
      return body_response("elsewhere 1\n");
    });
    Recorder origin_seen;
    const std::string target = "http://localhost:" + std::to_string(other.port()) + "/metrics";
    Server origin([&](const Request& q) {
      origin_seen.add(q);
      return redirect_to(target);
    });
    const std::string token = bearer ? token_file_with("token-bearer-7") : std::string();
    HttpClient client;
    JobConfig j = job_with_every_credential(origin.url(), token);
    if (mode == "url userinfo") {
      j.url.insert(std::string("http://").size(), j.username + ":" + j.password + "@");
      j.username.clear();
      j.password.clear();
    }
    const std::size_t idx = client.add_job(j);
    for (int scrape = 0; scrape < 2; ++scrape) {  // the second scrape starts at the origin again
      const Outcome r = fetch(client, idx);
      EXPECT_TRUE(r.ok) << r.error;
      EXPECT_EQ(r.body, "elsewhere 1\n");
    }
    if (bearer) ::unlink(token.c_str());
    const auto at_origin = origin_seen.all();
    const auto elsewhere = other_seen.all();
    ASSERT_EQ(at_origin.size(), 2u);
    ASSERT_EQ(elsewhere.size(), 2u);
    for (const Request& q : at_origin) {
      expect_all_credentials(q, bearer ? "Bearer token-bearer-7" : "Basic c2NyYXBlcjpwdy1iYXNpYy03");
    }
    for (const Request& q : elsewhere) {
      EXPECT_TRUE(credentials_in(q).empty()) << ::testing::PrintToString(credentials_in(q));
      EXPECT_EQ(q.header("authorization"), "");
      EXPECT_EQ(q.header("x-api-key"), "");
      EXPECT_EQ(q.header("x-custom-auth"), "");
      EXPECT_EQ(q.header("cookie"), "");
      EXPECT_NE(q.header("accept").find("text/plain"), std::string::npos);  // still a scrape
    }
  }
}

TEST(HttpFetch, RedirectWithinTheOriginKeepsTheCredentials) {
  Recorder seen;
  Server server([&](const Request& q) {
    seen.add(q);
    if (q.target == "/old") return redirect_to("/metrics");
    return body_response("final 1\n");
  });
  const std::string token = token_file_with("token-bearer-7");
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_with_every_credential(server.url("/old"), token)));
  ::unlink(token.c_str());
  EXPECT_TRUE(r.ok) << r.error;
  const auto all = seen.all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].target, "/metrics");
  expect_all_credentials(all[1], "Bearer token-bearer-7");
}

TEST(HttpFetch, RedirectAwayAndBackSendsNoCredentialBackEither) {
  // Once a transfer left the origin, what comes back through another host is not trusted.
  Recorder origin_seen;
  std::uint16_t origin_port = 0;
  Server other(
      [&](const Request&) { return redirect_to("http://127.0.0.1:" + std::to_string(origin_port) + "/metrics"); });
  Server origin([&](const Request& q) {
    origin_seen.add(q);
    if (q.target == "/start") return redirect_to("http://localhost:" + std::to_string(other.port()) + "/bounce");
    return body_response("final 1\n");
  });
  origin_port = origin.port();
  HttpClient client;
  JobConfig j = job_for(origin.url("/start"));
  j.api_key = "key-api-7";
  const Outcome r = fetch(client, client.add_job(j));
  EXPECT_TRUE(r.ok) << r.error;
  const auto all = origin_seen.all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].header("x-api-key"), "key-api-7");
  EXPECT_EQ(all[1].header("x-api-key"), "");
}

TEST(HttpFetch, RedirectFromHttpsToHttpCarriesNoCredential) {
  // A real TLS origin: `openssl s_server -HTTP` answers GET /metrics with the file "metrics",
  // a complete HTTP response: a redirect to a plain-HTTP loopback server.
  Recorder plain_seen;
  Server plain([&](const Request& q) {
    plain_seen.add(q);
    return body_response("in clear 1\n");
  });
  testing::TempDir dir;
  dir.write("metrics", "HTTP/1.0 302 Found\r\nLocation: " + plain.url() + "\r\nContent-Length: 0\r\n\r\n");
  const std::string cert = dir.path() + "/cert.pem";
  const std::string key = dir.path() + "/key.pem";
  testing::Subprocess gen({"/bin/sh", "-c",
                           "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                           "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
                               key + "' -out '" + cert + "' 2>&1"});
  ASSERT_EQ(gen.wait_exit(30s), 0) << gen.out();
  testing::Subprocess tls({"/bin/sh", "-c",
                           "cd '" + dir.path() + "' && exec openssl s_server -accept 127.0.0.1:0 -HTTP -cert '" + cert +
                               "' -key '" + key + "'"});
  ASSERT_TRUE(tls.wait_for_stdout("ACCEPT", 10s)) << tls.out() << tls.err();
  const auto at = tls.out().find("ACCEPT 127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << tls.out();
  const std::string port = tls.out().substr(at + 17, tls.out().find_first_not_of("0123456789", at + 17) - at - 17);

  HttpClient client;
  JobConfig j = job_with_every_credential("https://127.0.0.1:" + port + "/metrics", "");
  j.tls_ca = cert;
  const Outcome r = fetch(client, client.add_job(j), 5000);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.body, "in clear 1\n");
  const auto seen = plain_seen.all();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(credentials_in(seen[0]).empty()) << ::testing::PrintToString(credentials_in(seen[0]));
  EXPECT_EQ(seen[0].header("authorization"), "");
  EXPECT_EQ(seen[0].header("x-api-key"), "");
}

TEST(HttpFetch, NotFollowRedirectsStopsACrossHostRedirectToo) {
  Recorder other_seen;
  Server other([&](const Request& q) {
    other_seen.add(q);
    return body_response("elsewhere 1\n");
  });
  Server origin([&](const Request&) { return redirect_to(other.url()); });
  HttpClient client;
  JobConfig j = job_for(origin.url());
  j.api_key = "key-api-7";
  j.not_follow_redirects = true;
  const Outcome r = fetch(client, client.add_job(j));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 302);
  EXPECT_TRUE(other_seen.all().empty());
}

TEST(HttpFetch, RedirectWithoutLocationIsTheStatus) {
  Server server([&](const Request&) { return body_response("moved, but where?", 302); });
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_for(server.url())));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.error, "HTTP 302 Found");
  EXPECT_EQ(server.requests_served(), 1u);
}

TEST(HttpFetch, NotFollowRedirectsNamesThe3xx) {
  Server server([&](const Request& q) {
    if (q.target == "/old") return redirect_to("/metrics");
    return body_response("final 1\n");
  });
  HttpClient client;
  JobConfig j = job_for(server.url("/old"));
  j.not_follow_redirects = true;
  const Outcome r = fetch(client, client.add_job(j));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.error, "HTTP 302 Found (redirects are not followed: not_follow_redirects is set)");
  EXPECT_EQ(server.requests_served(), 1u);
}

TEST(HttpFetch, SlowJobDoesNotDelayAFastOne) {
  Server slow([&](const Request&) {
    Response r;
    r.mode = Response::Mode::hang;
    return r;
  });
  Server fast([&](const Request&) { return body_response("fast 1\n"); });
  HttpClient client;
  const auto slow_idx = client.add_job(job_for(slow.url()));
  const auto fast_idx = client.add_job(job_for(fast.url()));
  client.start(slow_idx, 4000);
  client.start(fast_idx, 4000);
  const auto t0 = Clock::now();
  bool fast_done = false;
  bool slow_in_flight_then = false;
  while (!fast_done && Clock::now() - t0 < 3s) {
    client.poll(1000, [&](std::size_t idx, const FetchResult& r) {
      if (idx == fast_idx) {
        fast_done = r.ok;
        slow_in_flight_then = client.in_flight(slow_idx);
      }
    });
  }
  EXPECT_TRUE(fast_done);
  EXPECT_TRUE(slow_in_flight_then) << "the fast job was reported while the slow one still ran";
  EXPECT_LT(Clock::now() - t0, 2s) << "long before the slow job's 4 s timeout";
  EXPECT_EQ(client.in_flight_count(), 1u);
}

TEST(HttpFetch, WakeupFromAnotherThreadEndsABlockedPoll) {
  HttpClient client;
  const auto t0 = Clock::now();
  std::thread waker([&] {
    std::this_thread::sleep_for(100ms);
    client.wakeup();
  });
  client.poll(5000, [](std::size_t, const FetchResult&) {});
  const auto waited = Clock::now() - t0;
  waker.join();
  EXPECT_LT(waited, 2500ms);
}

TEST(HttpFetch, WakeupBeforePollMakesTheNextPollReturnAtOnce) {
  HttpClient client;
  client.wakeup();
  const auto t0 = Clock::now();
  client.poll(5000, [](std::size_t, const FetchResult&) {});
  EXPECT_LT(Clock::now() - t0, 2500ms);
}

std::atomic<HttpClient*> g_signal_client{nullptr};
extern "C" void wake_on_signal(int) {
  if (HttpClient* c = g_signal_client.load()) c->wakeup();
}

TEST(HttpFetch, WakeupFromASignalHandlerEndsABlockedPoll) {
  // The handler runs on the sender thread: SIGUSR1 is blocked in this (polling) thread, because
  // a signal landing here would end poll() through EINTR alone and prove nothing about wakeup().
  HttpClient client;
  g_signal_client = &client;
  struct sigaction sa {};
  sa.sa_handler = wake_on_signal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigset_t old_mask;
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &usr1, &old_mask), 0);
  std::atomic<bool> handled_elsewhere{false};
  const auto t0 = Clock::now();
  std::thread sender([&] {
    sigset_t mine;
    sigemptyset(&mine);
    sigaddset(&mine, SIGUSR1);
    ::pthread_sigmask(SIG_UNBLOCK, &mine, nullptr);
    std::this_thread::sleep_for(100ms);
    handled_elsewhere = ::pthread_kill(::pthread_self(), SIGUSR1) == 0;  // handler runs here
  });
  client.poll(5000, [](std::size_t, const FetchResult&) {});
  const auto waited = Clock::now() - t0;
  sender.join();
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGUSR1, &old, nullptr);
  g_signal_client = nullptr;
  EXPECT_TRUE(handled_elsewhere);
  EXPECT_LT(waited, 2500ms);
}

TEST(HttpFetch, StartWhileInFlightAbortsTheOldTransferAndReportsItOnce) {
  std::atomic<int> calls{0};
  Server server([&](const Request&) {
    if (calls.fetch_add(1) == 0) {
      Response r;
      r.mode = Response::Mode::hang;
      return r;
    }
    return body_response("second 1\n");
  });
  HttpClient client;
  const auto idx = client.add_job(job_for(server.url()));
  client.start(idx, 5000);
  // Drive until the server has the first request, so the abort hits a transfer on the wire.
  const auto t0 = Clock::now();
  while (calls.load() == 0 && Clock::now() - t0 < 2s) {
    client.poll(20, [](std::size_t, const FetchResult&) { ADD_FAILURE() << "nothing should finish yet"; });
  }
  ASSERT_EQ(calls.load(), 1);
  ASSERT_TRUE(client.in_flight(idx));

  client.start(idx, 2000);
  EXPECT_TRUE(client.in_flight(idx));
  EXPECT_EQ(client.in_flight_count(), 1u);
  const auto got = collect(client, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, idx);
  EXPECT_FALSE(got[0].second.ok);
  EXPECT_EQ(got[0].second.error, "aborted: a new scrape started before this one finished");
  EXPECT_EQ(got[1].first, idx);
  EXPECT_TRUE(got[1].second.ok) << got[1].second.error;
  EXPECT_EQ(got[1].second.body, "second 1\n");
  // Nothing else is reported later.
  std::size_t extra = client.poll(100, [](std::size_t, const FetchResult&) {});
  EXPECT_EQ(extra, 0u);
  EXPECT_EQ(client.in_flight_count(), 0u);
}

TEST(HttpFetch, HundredJobsAtOnceAllComplete) {
  Server server([&](const Request& q) { return body_response("job " + q.target.substr(1) + "\n"); });
  HttpClient client;
  constexpr std::size_t kJobs = 100;
  for (std::size_t i = 0; i < kJobs; ++i) {
    ASSERT_EQ(client.add_job(job_for(server.url("/" + std::to_string(i)))), i);
  }
  for (std::size_t round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < kJobs; ++i) client.start(i, 3000);
    EXPECT_EQ(client.in_flight_count(), kJobs);
    const auto got = collect(client, kJobs);
    ASSERT_EQ(got.size(), kJobs);
    std::vector<bool> seen(kJobs, false);
    for (const auto& [idx, r] : got) {
      ASSERT_LT(idx, kJobs);
      EXPECT_FALSE(seen[idx]) << "job " << idx << " reported twice";
      seen[idx] = true;
      EXPECT_TRUE(r.ok) << r.error;
      EXPECT_EQ(r.body, "job " + std::to_string(idx) + "\n");
    }
    EXPECT_EQ(client.in_flight_count(), 0u);
  }
  EXPECT_EQ(server.connections_accepted(), kJobs) << "the second round reused every connection";
}

TEST(HttpFetch, ProxyGetsTheAbsoluteUrlAndItsOwnCredentials) {
  // The loopback server plays the proxy: a proxied plain-HTTP request carries the full URL.
  Recorder rec;
  Server proxy([&](const Request& q) {
    rec.add(q);
    return body_response("via proxy\n");
  });
  HttpClient client;
  JobConfig j = job_for("http://vernemq.invalid:8888/metrics");
  j.proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
  j.proxy_username = "Aladdin";
  j.proxy_password = "open sesame";
  const Outcome r = fetch(client, client.add_job(j));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.body, "via proxy\n");
  const auto reqs = rec.all();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "http://vernemq.invalid:8888/metrics");
  EXPECT_EQ(reqs[0].header("Proxy-Authorization"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

// Sets environment variables for one scope and restores them (the proxy tests change the
// process environment libcurl reads at each transfer).
class ScopedEnv {
 public:
  explicit ScopedEnv(std::vector<std::pair<std::string, std::string>> vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name.c_str());
      saved_.emplace_back(name, old != nullptr ? std::optional<std::string>(old) : std::nullopt);
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, old] : saved_) {
      if (old)
        ::setenv(name.c_str(), old->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(HttpFetch, ProxyFromTheEnvironmentWithoutProxyUrlAsGoD) {
  Recorder rec;
  Server proxy([&](const Request& q) {
    rec.add(q);
    return body_response("via env proxy\n");
  });
  const ScopedEnv env({{"http_proxy", "http://127.0.0.1:" + std::to_string(proxy.port())}, {"no_proxy", ""}});
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_for("http://vernemq.invalid:8888/metrics")));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.body, "via env proxy\n");
  const auto reqs = rec.all();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "http://vernemq.invalid:8888/metrics");
}

TEST(HttpFetch, NoProxyFromTheEnvironmentGoesDirect) {
  Server server([&](const Request&) { return body_response("direct\n"); });
  const std::string dead = "http://127.0.0.1:" + std::to_string(closed_port());
  const ScopedEnv env({{"http_proxy", dead}, {"no_proxy", "127.0.0.1"}});
  HttpClient client;
  const Outcome r = fetch(client, client.add_job(job_for(server.url())));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.body, "direct\n");
}

TEST(HttpFetch, ProxyUrlWinsOverTheEnvironment) {
  Recorder rec;
  Server proxy([&](const Request& q) {
    rec.add(q);
    return body_response("via proxy_url\n");
  });
  const std::string dead = "http://127.0.0.1:" + std::to_string(closed_port());
  const ScopedEnv env({{"http_proxy", dead}, {"no_proxy", ""}});
  HttpClient client;
  JobConfig j = job_for("http://vernemq.invalid:8888/metrics");
  j.proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
  const Outcome r = fetch(client, client.add_job(j));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.body, "via proxy_url\n");
  EXPECT_EQ(rec.all().size(), 1u);
}

TEST(HttpFetch, TlsFilesAreHandedToLibcurl) {
  // Any listener will do: libcurl loads the files before its first TLS byte.
  Server server([&](const Request&) { return body_response("x"); });
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/metrics";
  HttpClient client;
  JobConfig ca = job_for(url);
  ca.tls_ca = "/nonexistent/vmq-ca.pem";
  JobConfig cert = job_for(url);
  cert.tls_cert = "/nonexistent/vmq-cert.pem";
  cert.tls_key = "/nonexistent/vmq-key.pem";
  const auto ca_idx = client.add_job(ca);
  const auto cert_idx = client.add_job(cert);
  const Outcome r_ca = fetch(client, ca_idx, 1000);
  EXPECT_FALSE(r_ca.ok);
  EXPECT_EQ(r_ca.error.rfind("cannot use tls_ca", 0), 0u) << r_ca.error;
  const Outcome r_cert = fetch(client, cert_idx, 1000);
  EXPECT_FALSE(r_cert.ok);
  EXPECT_EQ(r_cert.error.rfind("cannot use tls_cert/tls_key", 0), 0u) << r_cert.error;
}

TEST(HttpFetch, AddJobRefusesWhatCannotWork) {
  HttpClient client;
  EXPECT_THROW(client.add_job(job_for("ftp://127.0.0.1/metrics")), ConfigError);
  EXPECT_THROW(client.add_job(job_for("not a url")), ConfigError);
  JobConfig bad_header = job_for("http://127.0.0.1:1/metrics");
  bad_header.headers = {{"X-Evil", "a\r\nInjected: yes"}};
  EXPECT_THROW(client.add_job(bad_header), ConfigError);
  try {
    client.add_job(job_for("ftp://user:hidden@127.0.0.1/metrics"));
    ADD_FAILURE() << "ftp accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("ftp"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("hidden"), std::string::npos) << e.what();
  }
  // A refused job takes no index: the next good one is still 0.
  EXPECT_EQ(client.add_job(job_for("http://127.0.0.1:1/metrics")), 0u);
}

}  // namespace
}  // namespace vmq
