// SPDX-License-Identifier: GPL-3.0-or-later
// The `vernemq` Function (netdata-v2.md §2): calls parsed as Netdata 1.37 and v2 send them,
// replies framed as v2 reads them (checked with the validator's v2 profile), the JSON table; and
// the plugin process answering a call on stdin while a scrape hangs, never on 1.37.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "netdata_validator.h"
#include "subprocess.h"
#include "vmq/functions.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::Subprocess;
using testing::TempDir;

const NetdataVersion kV2 = NetdataVersion::parse("v2.10.4");
constexpr const char* kTx = "5f0c2a9e61d84b0f9a3c1d2e3f405162";

std::vector<JobStatus> two_jobs() {
  JobStatus a;
  a.name = "broker-a";
  a.url = "http://10.0.0.1:8888/metrics";
  a.up = true;
  a.last_good_mono_us = 7'000'000;
  a.refused_last_minute = {{"not_authorized", 3}, {"quota_exceeded", 0}, {"impl_specific_error", 2}};
  JobStatus b;
  b.name = "broker-b";
  b.url = "http://10.0.0.2:8888/metrics";
  b.last_error = "timeout after 900 ms";
  return {a, b};
}

// Feeds `input` to a v2 server and answers: what goes to stdout.
std::string exchange(const std::string& input, const NetdataVersion& v = kV2) {
  FunctionServer f(v, -1);
  f.feed(input);
  std::string out;
  f.answer(two_jobs(), 10'400'000, 1764633600, out);
  return out;
}

TEST(Functions, OnlyFromV2) {
  for (const char* v : {static_cast<const char*>(nullptr), "v1.37.1", "v1.99.0"}) {
    FunctionServer f(NetdataVersion::parse(v), 0);
    EXPECT_FALSE(f.enabled()) << (v ? v : "unset");
    EXPECT_EQ(f.wait_fd(), -1);
    std::string out;
    f.register_functions(out);
    EXPECT_EQ(out, "");
  }
  std::string out;
  FunctionServer(kV2, -1).register_functions(out);
  const auto val = testing::validate_netdata_stream(out, kV2);
  ASSERT_TRUE(val.ok()) << val.error_report() << out;
  ASSERT_EQ(val.functions().size(), 1u);
  EXPECT_EQ(val.functions()[0].name, "vernemq");
  EXPECT_TRUE(val.functions()[0].global);
  EXPECT_EQ(val.functions()[0].access, "any");  // callable from the local API (§2.4)
  EXPECT_EQ(val.functions()[0].timeout, 10);
}

TEST(Functions, V2CallIsAnsweredWithAFramedTable) {
  const std::string out = exchange(std::string("FUNCTION ") + kTx +
                                   " 10 \"vernemq\" \"0x8\" \"method=none,role=any,permissions=0x8,ip=127.0.0.1\"\n");
  const auto v = testing::validate_netdata_stream(out, kV2);
  ASSERT_TRUE(v.ok()) << v.error_report();
  ASSERT_EQ(v.function_results().size(), 1u);
  const auto& r = v.function_results()[0];
  EXPECT_EQ(r.transaction, kTx);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  const json t = json::parse(r.body);
  EXPECT_EQ(t["status"], 200);
  EXPECT_EQ(t["type"], "table");
  EXPECT_EQ(t["has_history"], false);
  // Every column has index, name and type; the indexes are 0..n-1; exactly one unique key.
  const auto& cols = t["columns"];
  std::vector<bool> seen(cols.size(), false);
  int unique = 0;
  for (const auto& [id, c] : cols.items()) {
    ASSERT_TRUE(c.contains("name") && c.contains("type") && c.contains("index")) << id;
    const auto i = c["index"].get<std::size_t>();
    ASSERT_LT(i, seen.size());
    EXPECT_FALSE(seen[i]) << id;
    seen[i] = true;
    unique += c.value("unique_key", false) ? 1 : 0;
  }
  EXPECT_EQ(unique, 1);
  auto col = [&](const char* id) { return cols.at(id).at("index").get<std::size_t>(); };
  const auto& rows = t["data"];
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) EXPECT_EQ(row.size(), cols.size());
  // broker-a: up, scraped 3 s before the call (10.4 s - 7.0 s, whole seconds), 3 + 2 refused.
  EXPECT_EQ(rows[0][col("job")], "broker-a");
  EXPECT_EQ(rows[0][col("url")], "http://10.0.0.1:8888/metrics");
  EXPECT_EQ(rows[0][col("status")], "up");
  EXPECT_EQ(rows[0][col("last_good_s")], 3);
  EXPECT_EQ(rows[0][col("refused_1m")], 5);
  EXPECT_EQ(rows[0][col("refused_by_reason")], "impl_specific_error 2, not_authorized 3");
  EXPECT_TRUE(rows[0][col("uptime_s")].is_null());
  EXPECT_TRUE(rows[0][col("version")].is_null());
  EXPECT_TRUE(rows[0][col("connections")].is_null());
  // broker-b: never scraped well: its error, and nulls rather than zeros.
  EXPECT_EQ(rows[1][col("status")], "timeout after 900 ms");
  EXPECT_TRUE(rows[1][col("last_good_s")].is_null());
  EXPECT_TRUE(rows[1][col("refused_1m")].is_null());
}

TEST(Functions, CallsAsEachNetdataSendsThem) {
  struct Case {
    std::string input;
    std::vector<int> statuses;  // of the replies, in order
  };
  const std::vector<Case> cases = {
      // 1.37's three words, a dashed UUID.
      {"FUNCTION 4b3c2d1e-0000-4000-8000-000000000001 10 \"vernemq\"\n", {200}},
      // Parameters after the name are ignored: the full table.
      {std::string("FUNCTION ") + kTx + " 10 \"vernemq info after:1\" \"0x8\" \"s\"\n", {200}},
      {std::string("FUNCTION ") + kTx + " 10 \"other\" \"0x8\" \"s\"\n", {404}},
      // Cancelled before it was answered: still answered, with 499 (README :602-606).
      {std::string("FUNCTION ") + kTx + " 10 \"vernemq\" \"0x8\" \"s\"\nFUNCTION_CANCEL " + kTx + "\n", {499}},
      // A payload is skipped whole, even a line that looks like a call.
      {std::string("FUNCTION_PAYLOAD ") + kTx +
           " 10 \"vernemq\" \"0x8\" \"s\" \"application/json\"\n"
           "FUNCTION x 10 \"vernemq\"\n{}\nFUNCTION_PAYLOAD_END\n",
       {200}},
      {"FUNCTION_PROGRESS abc\n\n   \n", {}},
      // A transaction that would not stay one word is never echoed onto the protocol.
      {"FUNCTION \"a b\" 10 \"vernemq\"\nFUNCTION a\\\"b 10 \"vernemq\"\n", {}},
      {"FUNCTION " + std::string(70000, 'x') + "\nFUNCTION t1 10 \"vernemq\"\n", {200}},
  };
  for (const Case& c : cases) {
    const std::string out = exchange(c.input);
    const auto v = testing::validate_netdata_stream(out, kV2);
    EXPECT_TRUE(v.ok()) << c.input << v.error_report();
    std::vector<int> got;
    for (const auto& r : v.function_results()) {
      got.push_back(r.status);
      const json body = json::parse(r.body);
      EXPECT_EQ(body["status"], r.status);
      if (r.status != 200) {
        EXPECT_TRUE(body.contains("errorMessage") && body.contains("error_message"));
      }
    }
    EXPECT_EQ(got, c.statuses) << c.input;
  }
}

TEST(Functions, QuitAndChunking) {
  FunctionServer f(kV2, -1);
  f.feed("FUNCTION t1 10 \"vern");
  EXPECT_EQ(f.pending(), 0u);
  f.feed("emq\"\nQU");
  EXPECT_EQ(f.pending(), 1u);
  EXPECT_FALSE(f.quit());
  f.feed("IT\n");
  EXPECT_TRUE(f.quit());
}

TEST(Functions, NamesAndErrorsCannotBreakTheJsonLine) {
  auto jobs = two_jobs();
  jobs[1].last_error = "bad\nFUNCTION_RESULT_END\n\"quoted\" \xff";
  jobs[1].name = "j\"ob";
  const std::string body = FunctionServer::table_json(jobs, 10'000'000);
  EXPECT_EQ(body.find('\n'), std::string::npos);
  const json t = json::parse(body);
  EXPECT_EQ(t["data"][1][0], "j\"ob");
}

// A loopback listener that never accepts: a scrape of it connects and then hangs.
struct HungServer {
  HungServer() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      port = 0;
      return;
    }
    port = ntohs(a.sin_port);
  }
  ~HungServer() { ::close(fd); }
  int fd = -1;
  int port = 0;
};

TEST(FunctionsProcess, AnswersWhileAScrapeHangsAndNeverOn137) {
  ::signal(SIGPIPE, SIG_IGN);
  TempDir dir;
  Subprocess sim({VMQ_SIM_PATH, "--scenario", dir.write("s.yaml", R"(
prefix: vernemq_
nodes: [VerneMQ@127.0.0.1]
steps:
  - {at: 0, rate: {success: 10}}
  - {at: 2, add: {not_authorized: 3, no_matching_subscribers: 4}}
)")});
  ASSERT_TRUE(sim.wait_for_stdout("ready\n", 10s)) << sim.err();
  std::smatch m;
  const std::string sim_out = sim.out();
  ASSERT_TRUE(std::regex_search(sim_out, m, std::regex(R"(http://(127\.0\.0\.1:\d+/\S*))")));
  HungServer hung;
  ASSERT_GT(hung.port, 0);
  // The good job's URL carries credentials: the table must show it without them.
  const std::string conf = dir.write("vernemq.conf",
                                     "jobs:\n"
                                     "  - name: good\n    url: http://user:s3cret@" +
                                         m[1].str() +
                                         "\n"
                                         "  - name: hung\n    url: http://127.0.0.1:" +
                                         std::to_string(hung.port) + "/metrics\n    update_every: 5\n    timeout: 5\n");
  for (const char* version : {"v2.10.4", "v1.37.1"}) {
    SCOPED_TRACE(version);
    Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf}, {{"NETDATA_VERSION", version}}, true);
    // v2 (the first run): the refusals counted (the scenario's 3 not_authorized at second 2)
    // before asking. 1.37 (later: its first scrape, the baseline, already holds them): a tick.
    const bool v2 = std::string(version) == "v2.10.4";
    ASSERT_TRUE(plugin.wait_for_stdout(v2 ? "SET not_authorized = 3\n" : "SET not_authorized = 0\n", 20s))
        << plugin.out() << plugin.err();
    if (v2) {
      // The hung job's scrape has connected (the listener never accepts, so it stays readable):
      // from now on one of its scrapes is always in flight.
      pollfd p{hung.fd, POLLIN, 0};
      ASSERT_EQ(::poll(&p, 1, 10000), 1) << "the hung job never connected";
    }
    const std::size_t before = plugin.out().size();
    ASSERT_TRUE(plugin.write_stdin(std::string("FUNCTION ") + kTx + " 10 \"vernemq\" \"0x8\" \"method=none\"\n"));
    const auto t0 = std::chrono::steady_clock::now();
    const bool answered = plugin.wait_for_stdout("FUNCTION_RESULT_END\n", v2 ? 10s : 3s);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // v2: Netdata's QUIT on stdin ends it; 1.37 never reads stdin (it sends no calls): SIGTERM.
    if (v2) {
      plugin.write_stdin("QUIT\n");
    } else {
      plugin.signal(SIGTERM);
    }
    const auto code = plugin.wait_exit(10s);
    EXPECT_EQ(code, 0) << plugin.err();
    const auto v = testing::validate_netdata_stream(plugin.out(), NetdataVersion::parse(version));
    EXPECT_TRUE(v.ok()) << v.error_report();
    if (std::string(version) == "v1.37.1") {
      EXPECT_FALSE(answered) << "a reply on 1.37";
      EXPECT_TRUE(v.functions().empty());
      EXPECT_TRUE(v.function_results().empty());
      continue;
    }
    ASSERT_TRUE(answered) << plugin.out().substr(before) << plugin.err();
    // Within the function's 10 s timeout while the other job's scrape hangs (it is cut at its
    // 5 s interval); in practice at once: the call wakes the loop.
    EXPECT_LT(took, 10.0);
    std::printf("answered in %.3f s with a scrape hanging\n", took);
    ASSERT_EQ(v.function_results().size(), 1u);
    const json t = json::parse(v.function_results()[0].body);
    const auto& cols = t["columns"];
    auto col = [&](const char* id) { return cols.at(id).at("index").get<std::size_t>(); };
    ASSERT_EQ(t["data"].size(), 2u);
    const auto& good = t["data"][0];
    const auto& h = t["data"][1];
    EXPECT_EQ(good[col("job")], "good");
    EXPECT_EQ(good[col("url")], "http://" + m[1].str());
    EXPECT_EQ(good[col("status")], "up");
    EXPECT_LE(good[col("last_good_s")].get<int>(), 1);
    // no_matching_subscribers (0x10) is a success code: not a refusal.
    EXPECT_EQ(good[col("refused_1m")], 3);
    EXPECT_EQ(good[col("refused_by_reason")], "not_authorized 3");
    // The node as the simulator serves it: 3 connections (total_active_connections) and its
    // uptime (system_wallclock, since the timeline start: a few seconds by now).
    EXPECT_EQ(good[col("connections")], 3);
    ASSERT_TRUE(good[col("uptime_s")].is_number()) << good.dump();
    EXPECT_GE(good[col("uptime_s")].get<long long>(), 1);
    EXPECT_LE(good[col("uptime_s")].get<long long>(), 60);
    // From /status.json's entry of the node (the cluster sources' first round runs at the start;
    // the simulator's default version).
    EXPECT_EQ(good[col("version")], "2.0.1");
    EXPECT_TRUE(h[col("connections")].is_null());
    EXPECT_TRUE(h[col("uptime_s")].is_null());
    EXPECT_EQ(h[col("job")], "hung");
    EXPECT_NE(h[col("status")], "up");  // hanging, or timed out by now
    EXPECT_TRUE(h[col("last_good_s")].is_null());
    EXPECT_EQ(plugin.out().find("s3cret"), std::string::npos);
  }
}

}  // namespace
}  // namespace vmq
