// SPDX-License-Identifier: GPL-3.0-or-later
// A job's body parsed as it arrives: HttpClient hands the decoded bytes to a BodyConsumer
// (VerneMQStream in the plugin) instead of keeping them. Real sockets, real loopback server.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "loopback_http.h"
#include "test_files.h"
#include "vmq/http_fetch.h"
#include "vmq/vernemq_metrics.h"

namespace vmq {
namespace {

using loopback::Request;
using loopback::Response;
using loopback::Server;

struct Recorded final : BodyConsumer {
  void body_begin() override {
    ++begins;
    body.clear();
  }
  void body_data(std::string_view data) override {
    ++pieces;
    body.append(data);
  }
  int begins = 0;
  int pieces = 0;
  std::string body;
};

struct Result {
  bool ok = false;
  long status = 0;
  std::string error;
  std::size_t body_size = 0;  // FetchResult::body: empty when a consumer took it
  std::size_t bytes = 0;
};

Result fetch(HttpClient& client, std::size_t idx) {
  client.start(idx, 3000);
  Result out;
  bool done = false;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  while (!done && std::chrono::steady_clock::now() < end) {
    client.poll(50, [&](std::size_t i, const FetchResult& r) {
      EXPECT_EQ(i, idx);
      out = Result{r.ok, r.http_status, r.error, r.body.size(), r.bytes};
      done = true;
    });
  }
  EXPECT_TRUE(done);
  return out;
}

JobConfig job_for(const std::string& url, std::size_t max_body = kDefaultMaxBodySize) {
  JobConfig j;
  j.name = std::string("t");  // (a move: assigning the literal trips a GCC 12 -O3 false -Wrestrict)
  j.url = url;
  j.max_body_size = max_body;
  return j;
}

std::string big_body() {
  // Several socket reads and libcurl callbacks' worth.
  std::string b = testing::fixture("vernemq-2x.txt");
  while (b.size() < 200 * 1024) {
    b.append("vernemq_filler{node=\"VerneMQ@192.0.2.10\",i=\"").append(std::to_string(b.size())).append("\"} 1\n");
  }
  return b;
}

TEST(BodyConsumer, GetsTheWholeBodyInPiecesAndTheResultKeepsNone) {
  const std::string body = big_body();
  Server server([&](const Request&) {
    Response r;
    r.body = body;
    return r;
  });
  HttpClient client;
  const std::size_t idx = client.add_job(job_for(server.url()));
  Recorded rec;
  client.set_body_consumer(idx, &rec);
  for (int round = 0; round < 3; ++round) {  // each transfer starts a fresh body
    const Result r = fetch(client, idx);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.body_size, 0u);
    EXPECT_EQ(r.bytes, body.size());
    EXPECT_EQ(rec.body, body);
    EXPECT_GT(rec.pieces, 1);
  }
  EXPECT_GE(rec.begins, 3);
}

TEST(BodyConsumer, ARedirectsBodyIsForgotten) {
  const std::string body = testing::fixture("vernemq-2x.txt");
  Server server([&](const Request& req) {
    Response r;
    if (req.target == "/old") {
      r.status = 302;
      r.headers = {{"Location", "/metrics"}};
      r.body = "moved: this text is not the body";
    } else {
      r.body = body;
    }
    return r;
  });
  HttpClient client;
  const std::size_t idx = client.add_job(job_for(server.url("/old")));
  Recorded rec;
  client.set_body_consumer(idx, &rec);
  const Result r = fetch(client, idx);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(rec.body, body);
}

TEST(BodyConsumer, TheSizeCapStillHolds) {
  const std::string body = big_body();
  Server server([&](const Request&) {
    Response r;
    r.mode = Response::Mode::endless;  // no Content-Length: only the running count can stop it
    r.body = body;
    return r;
  });
  HttpClient client;
  const std::size_t idx = client.add_job(job_for(server.url(), 100 * 1024));
  Recorded rec;
  client.set_body_consumer(idx, &rec);
  const Result r = fetch(client, idx);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("larger than"), std::string::npos) << r.error;
  EXPECT_LE(rec.body.size(), 100u * 1024);
}

TEST(BodyConsumer, VerneMQStreamOverTheWireEqualsTheWholeBody) {
  const std::string body = big_body();
  Server server([&](const Request&) {
    Response r;
    r.body = body;
    return r;
  });
  HttpClient client;
  const std::size_t idx = client.add_job(job_for(server.url()));
  VerneMQScrape streamed;
  VerneMQStream stream(streamed);
  struct Adapter final : BodyConsumer {
    explicit Adapter(VerneMQStream& s) : stream(s) {}
    void body_begin() override { stream.begin(prefix); }
    void body_data(std::string_view d) override { stream.feed(d); }
    VerneMQStream& stream;
    std::optional<std::string> prefix;  // the previous body's, as a job keeps it
  } adapter(stream);
  client.set_body_consumer(idx, &adapter);
  // Twice: the second body is read expecting the first one's prefix (vernemq_metrics.h).
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(fetch(client, idx).ok);
    stream.finish();
    if (streamed.is_vernemq) adapter.prefix = streamed.prefix;
  }

  VerneMQScrape whole;
  extract_vernemq(body, whole);
  ASSERT_TRUE(streamed.is_vernemq);
  EXPECT_EQ(streamed.lines, whole.lines);
  EXPECT_EQ(streamed.samples, whole.samples);
  EXPECT_EQ(streamed.problems_total, whole.problems_total);
  ASSERT_EQ(streamed.n_nodes, 1u);
  EXPECT_EQ(streamed.n_series, whole.n_series);
  EXPECT_EQ(sum_of(streamed, 0, "mqtt_puback_sent"), sum_of(whole, 0, "mqtt_puback_sent"));
  EXPECT_EQ(sum_of(streamed, 0, "mqtt_puback_received"), sum_of(whole, 0, "mqtt_puback_received"));
}

}  // namespace
}  // namespace vmq
