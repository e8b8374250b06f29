// SPDX-License-Identifier: GPL-3.0-or-later
// The plugin's cluster sources as a process: against vernemq-sim's cluster endpoints (a member
// going down, a source the node does not serve, /health DOWN with reasons), and against a
// recording loopback server that proves the plugin requests nothing outside the allow-list.
// Expected values come from the scenario texts.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "loopback_http.h"
#include "netdata_validator.h"
#include "sim_process.h"
#include "subprocess.h"
#include "test_files.h"
#include "vmq/cluster_sources.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using testing::NetdataValidator;
using testing::Subprocess;
using testing::TempDir;

struct Sim : testing::Sim {
  Sim(const TempDir& dir, const std::string& scenario) : testing::Sim(VMQ_SIM_PATH, dir, scenario) {}
};

NetdataValidator stop_and_validate(Subprocess& plugin) {
  plugin.signal(SIGTERM);
  const auto code = plugin.wait_exit(5s);
  EXPECT_TRUE(code.has_value()) << "the plugin did not exit within 5 s of SIGTERM";
  NetdataValidator v;
  v.feed(plugin.out());
  v.finish();
  return v;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

// Three nodes; C is cut off at 3 s. The job on A polls its cluster sources every second.
TEST(PluginCluster, AMemberGoingDownShowsOnTheMembersChart) {
  TempDir dir;
  Sim sim(dir, R"(
version: 2.1.0
nodes: [A@h, B@h, C@h]
steps:
  - {at: 0, rate: {success: 1}}
  - {at: 3, node: C@h, cluster: {member: down}}
)");
  ASSERT_EQ(sim.urls.size(), 3u);
  const std::string conf =
      dir.write("vernemq.conf", "jobs:\n" + testing::job_yaml("a", sim.urls[0], "    cluster_update_every: 1\n"));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  // The sign: the label naming the member down (the chart is redefined when it changes).
  ASSERT_TRUE(plugin.wait_for_stdout("CLABEL not_running 'C@h'", 30s)) << plugin.err();
  plugin.pump(1500ms);  // one more round after the change
  const NetdataValidator v = stop_and_validate(plugin);
  ASSERT_TRUE(v.ok()) << v.error_report();
  const auto running = testing::distinct(testing::series(v, "vernemq_a.cluster_members", "running"));
  const auto down = testing::distinct(testing::series(v, "vernemq_a.cluster_members", "not_running"));
  // Scenario truth: three running, then two running and one not.
  EXPECT_EQ(running, (std::vector<long long>{3, 2}));
  EXPECT_EQ(down, (std::vector<long long>{0, 1}));
  // B still sees C (it is C that is cut off from everyone, B sees it down too); C's own entry is
  // gone from A's status.json while C is unreachable: nobody disagrees with A.
  const auto* members = v.chart("vernemq_a.cluster_members");
  ASSERT_NE(members, nullptr);
  EXPECT_EQ(members->labels.at("not_running"), "C@h");
  EXPECT_EQ(members->labels.at("vernemq_version"), "2.1.0");
  // No API key: no /api/v1 charts.
  EXPECT_EQ(v.chart("vernemq_a.listener_mqtt_1883"), nullptr);
  // The metrics charts are still there, every second.
  EXPECT_NE(v.chart("vernemq_a.mqtt_puback_sent_reason"), nullptr);
}

// A 1.x node has no /health/listeners_full_cluster (404), and a wrong API key gets 401: only
// those sources' charts are missing, each logged once however many rounds pass.
TEST(PluginCluster, AMissingSourceDisablesOnlyItsChartsLoggedOnce) {
  TempDir dir;
  Sim sim(dir, R"(
version: 1.13.0
nodes: [A@h]
cluster: {api_v1_key: right}
steps:
  - {at: 0, rate: {success: 1}}
)");
  ASSERT_EQ(sim.urls.size(), 1u);
  const std::string conf =
      dir.write("vernemq.conf",
                "jobs:\n" + testing::job_yaml("a", sim.urls[0], "    cluster_update_every: 1\n    api_key: wrong\n"));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  ASSERT_TRUE(plugin.wait_for_stdout("BEGIN vernemq_a.node_health", 30s)) << plugin.err();
  plugin.pump(4s);  // four more rounds: the 404 and 401 are not logged again
  const NetdataValidator v = stop_and_validate(plugin);
  ASSERT_TRUE(v.ok()) << v.error_report();
  EXPECT_NE(v.chart("vernemq_a.node_health"), nullptr);
  EXPECT_NE(v.chart("vernemq_a.cluster_members"), nullptr);
  EXPECT_NE(v.chart("vernemq_a.listeners"), nullptr);
  EXPECT_EQ(v.chart("vernemq_a.cluster_health"), nullptr);
  for (const auto& [id, chart] : v.charts()) EXPECT_EQ(id.find("vernemq_a.listener_"), std::string::npos) << id;
  EXPECT_GE(v.points_of("vernemq_a.node_health").size(), 4u);
  const std::string& err = plugin.err();
  EXPECT_EQ(count(err, "health_listeners_full_cluster ("), 1u) << err;
  EXPECT_EQ(count(err, "HTTP 404: the node does not serve it"), 1u) << err;
  EXPECT_EQ(count(err, "api_cluster_show ("), 1u) << err;
  EXPECT_EQ(count(err, "api_listener_show ("), 1u) << err;
  EXPECT_EQ(count(err, "HTTP 401"), 2u) << err;
  // The key never reaches the log.
  EXPECT_EQ(err.find("wrong"), std::string::npos) << err;
}

// A stopped listener: /health answers 503 DOWN with VerneMQ's reason, which the chart carries.
TEST(PluginCluster, HealthDownWithReasonsFromA503) {
  TempDir dir;
  Sim sim(dir, R"(
version: 2.1.0
nodes: [A@h]
steps:
  - {at: 0, rate: {success: 1}}
  - {at: 2, node: A@h, cluster: {listener: stopped}}
)");
  ASSERT_EQ(sim.urls.size(), 1u);
  const std::string conf =
      dir.write("vernemq.conf", "jobs:\n" + testing::job_yaml("a", sim.urls[0], "    cluster_update_every: 1\n"));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  ASSERT_TRUE(plugin.wait_for_stdout("CLABEL reasons 'Listeners are not ready", 30s)) << plugin.err();
  plugin.pump(1500ms);
  const NetdataValidator v = stop_and_validate(plugin);
  ASSERT_TRUE(v.ok()) << v.error_report();
  EXPECT_EQ(testing::distinct(testing::series(v, "vernemq_a.node_health", "down")), (std::vector<long long>{0, 1}));
  EXPECT_EQ(testing::distinct(testing::series(v, "vernemq_a.node_health", "ok")), (std::vector<long long>{1, 0}));
  EXPECT_EQ(testing::distinct(testing::series(v, "vernemq_a.listeners", "stopped")), (std::vector<long long>{0, 1}));
  EXPECT_NE(v.chart("vernemq_a.node_health")->labels.at("reasons").find("Listeners are not ready"), std::string::npos);
  // A 503 from /health is an answer, not a failure: nothing logged as failing.
  EXPECT_EQ(plugin.err().find("cluster source health"), std::string::npos) << plugin.err();
}

// Every request the plugin makes, recorded by a real server on loopback that tries to lead it
// astray: /status.json redirects to a destructive /api/v1 command, /health to another path.
TEST(PluginCluster, NeverRequestsAPathOutsideTheAllowList) {
  const auto body = testing::fixture("vernemq-2x.txt");
  std::mutex mu;
  std::vector<std::string> targets;
  std::vector<std::string> keys;
  loopback::Server server([&](const loopback::Request& req) {
    {
      std::lock_guard lock(mu);
      targets.push_back(req.target);
      keys.push_back(req.header("x-api-key"));
    }
    loopback::Response r;
    if (req.target == "/metrics") {
      r.body = body;
    } else if (req.target == "/status.json") {
      r.status = 302;
      r.headers = {{"Location", "/api/v1/cluster/leave?node=VerneMQ@127.0.0.1"}};
    } else if (req.target == "/health") {
      r.status = 307;
      r.headers = {{"Location", "/api/v1/session/disconnect"}};
    } else if (req.target == "/api/v1/cluster/show") {
      r.body = R"({"type":"table","table":[{"Node":"VerneMQ@127.0.0.1","Running":true}]})";
    } else {
      r.status = 404;
      r.body = "{}";
    }
    return r;
  });
  TempDir dir;
  const std::string conf =
      dir.write("vernemq.conf",
                "jobs:\n" + testing::job_yaml("a", server.url(), "    cluster_update_every: 1\n    api_key: k3y\n"));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  // Three rounds at least: each asks for cluster/show, the one source that answers 200 (the
  // others are failures or 404s, which are not asked again for 5 minutes).
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    std::size_t rounds = 0;
    {
      std::lock_guard lock(mu);
      rounds = static_cast<std::size_t>(std::count(targets.begin(), targets.end(), "/api/v1/cluster/show"));
    }
    if (rounds >= 3 || std::chrono::steady_clock::now() > deadline) break;
    plugin.pump(200ms);
  }
  const NetdataValidator v = stop_and_validate(plugin);
  ASSERT_TRUE(v.ok()) << v.error_report();
  std::lock_guard lock(mu);
  ASSERT_GE(std::count(targets.begin(), targets.end(), "/api/v1/cluster/show"), 3);
  std::vector<std::string> allowed{"/metrics"};
  for (const ClusterSourceSpec& s : kClusterSources) allowed.emplace_back(s.path);
  for (const std::string& t : targets) {
    EXPECT_NE(std::find(allowed.begin(), allowed.end(), t), allowed.end()) << "requested " << t;
  }
  // Every source was asked for, the key went with each request (same host), and the redirects
  // were failures, logged, not followed.
  for (const ClusterSourceSpec& s : kClusterSources) {
    EXPECT_NE(std::find(targets.begin(), targets.end(), std::string(s.path)), targets.end()) << s.path;
  }
  for (const std::string& k : keys) EXPECT_EQ(k, "k3y");
  EXPECT_NE(plugin.err().find("cluster source status_json"), std::string::npos) << plugin.err();
  EXPECT_NE(plugin.err().find("HTTP 302"), std::string::npos) << plugin.err();
}

// A job's sources go one after another over one connection (the node sees one more connection
// per plugin at most, not one per source), and each round asks for every enabled source.
TEST(PluginCluster, ARoundsSourcesShareOneConnection) {
  const auto body = testing::fixture("vernemq-2x.txt");
  std::mutex mu;
  std::vector<std::string> targets;
  loopback::Server server([&](const loopback::Request& req) {
    {
      std::lock_guard lock(mu);
      targets.push_back(req.target);
    }
    loopback::Response r;
    if (req.target == "/metrics") {
      r.body = body;
    } else if (req.target == "/status.json") {
      r.body = "[]";
    } else {
      r.body = R"({"status":"OK"})";
    }
    return r;
  });
  TempDir dir;
  const std::string conf =
      dir.write("vernemq.conf", "jobs:\n" + testing::job_yaml("a", server.url(), "    cluster_update_every: 1\n"));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  const auto asked = [&](const char* path) {
    std::lock_guard lock(mu);
    return static_cast<std::size_t>(std::count(targets.begin(), targets.end(), path));
  };
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (asked("/status.json") < 4 && std::chrono::steady_clock::now() < deadline) plugin.pump(200ms);
  const NetdataValidator v = stop_and_validate(plugin);
  ASSERT_TRUE(v.ok()) << v.error_report();
  ASSERT_GE(asked("/status.json"), 4u) << plugin.err();
  // Every round asked for all three default sources (a round starts only when the last is done).
  EXPECT_GE(asked("/health"), asked("/status.json"));
  EXPECT_GE(asked("/health/listeners_full_cluster"), asked("/status.json"));
  // /metrics' connection, and one for the cluster sources when a round overlaps a scrape: three
  // sources started together would need three.
  EXPECT_LE(server.connections_accepted(), 2u);
}

}  // namespace
}  // namespace vmq
