// SPDX-License-Identifier: GPL-3.0-or-later
// vernemq-sim's cluster endpoints: the scenario keys, the answers as a pure function of time
// (no clock), and a running simulator fetched over real HTTP at the allow-listed URLs, whose
// answers the plugin's parsers must accept. Expectations come from the scenario text.
#include <curl/curl.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cluster_http.h"
#include "scenario.h"
#include "sim_server.h"
#include "vernemq_body.h"
#include "vmq/cluster_json.h"
#include "vmq/cluster_sources.h"

namespace vmq::sim {
namespace {

using namespace std::chrono_literals;

loopback::Request get(std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
  loopback::Request r;
  r.method = "GET";
  r.target = std::move(target);
  r.headers = std::move(headers);
  return r;
}

// Three nodes; C is cut off at 2 s and back at 6 s; B's MQTT listener stops at 4 s (with 95 of
// its 100 connections in use); A leaves the cluster at 8 s.
constexpr const char* kThreeNodes =
    "version: 2.1.0\n"
    "nodes: [A@h, B@h, C@h]\n"
    "cluster: {api_v1_key: k3y, max_conns: 100}\n"
    "steps:\n"
    "  - {at: 0, rate: {success: 1}}\n"
    "  - {at: 2, node: C@h, cluster: {member: down}}\n"
    "  - {at: 4, node: B@h, cluster: {listener: stopped, conns: 95}}\n"
    "  - {at: 6, node: C@h, cluster: {member: up}}\n"
    "  - {at: 8, node: A@h, cluster: {member: left}}\n";

class ThreeNodes : public ::testing::Test {
 protected:
  ThreeNodes() : tl_(parse_scenario(kThreeNodes, "three.yaml")) {
    for (std::size_t i = 0; i < 3; ++i) bodies_.push_back(std::make_unique<VernemqBody>(tl_.scenario(), i));
  }
  loopback::Response at(std::size_t node, std::int64_t ms, const loopback::Request& req) {
    return respond(tl_, *bodies_[node], node, req, ms, static_cast<std::uint16_t>(9000 + node));
  }
  StatusView status(std::size_t node, std::int64_t ms) {
    const loopback::Response r = at(node, ms, get("/status.json"));
    EXPECT_EQ(r.status, 200);
    StatusView v;
    const ClusterParseResult p = parse_status_json(r.body, v);
    EXPECT_TRUE(p.ok) << p.error;
    return v;
  }
  HealthView health(std::size_t node, std::int64_t ms, const std::string& path, long expected_status) {
    const loopback::Response r = at(node, ms, get(path));
    EXPECT_EQ(r.status, expected_status) << path << " at " << ms;
    HealthView h;
    const ClusterParseResult p = parse_health(r.status, r.body, h);
    EXPECT_TRUE(p.ok) << p.error;
    return h;
  }
  std::vector<std::string> names(const StatusView& v) {
    std::vector<std::string> out;
    for (const NodeStatus& n : v.nodes) out.push_back(n.name);
    return out;
  }

  Timeline tl_;
  std::vector<std::unique_ptr<VernemqBody>> bodies_;
};

TEST_F(ThreeNodes, AFormedClusterSeenFromEveryNode) {
  for (std::size_t n = 0; n < 3; ++n) {
    const StatusView v = status(n, 1500);
    EXPECT_EQ(names(v), (std::vector<std::string>{std::string(1, static_cast<char>('A' + n)) + "@h",
                                                  n == 0 ? "B@h" : "A@h", n == 2 ? "B@h" : "C@h"}));
    const MemberSummary s = summarize_members(v, v.nodes[0].name);
    EXPECT_EQ(s.running, 3u);
    EXPECT_EQ(s.not_running, 0u);
    EXPECT_EQ(s.disagreeing_nodes, 0u);
    EXPECT_EQ(v.nodes[0].version, "2.1.0");
    EXPECT_EQ(v.nodes[0].num_online, 3u);
    ASSERT_EQ(v.nodes[0].listeners.size(), 2u);
    EXPECT_EQ(v.nodes[0].listeners[0].max_conns, 100u);
    EXPECT_EQ(v.nodes[0].listeners[1].port, 9000u + n);  // its own HTTP listener
    EXPECT_TRUE(health(n, 1500, "/health", 200).ok);
    EXPECT_TRUE(health(n, 1500, "/health/listeners_full_cluster", 200).ok);
  }
  // msg_in follows the counters: success at 1/s, so 1 at elapsed second 1.
  const loopback::Response r = at(0, 1500, get("/status.json"));
  EXPECT_EQ(nlohmann::json::parse(r.body).at(0).at("A@h").at("msg_in"), 1);
}

TEST_F(ThreeNodes, ANodeCutOffAndBack) {
  // At 2 s C is cut off: A and B reach each other and see C not running; C sees only itself.
  StatusView a = status(0, 2500);
  EXPECT_EQ(names(a), (std::vector<std::string>{"A@h", "B@h"}));
  MemberSummary s = summarize_members(a, "A@h");
  EXPECT_EQ(s.running, 2u);
  EXPECT_EQ(s.down, (std::vector<std::string>{"C@h"}));
  EXPECT_EQ(s.disagreeing_nodes, 0u);
  const StatusView c = status(2, 2500);
  EXPECT_EQ(names(c), (std::vector<std::string>{"C@h"}));
  s = summarize_members(c, "C@h");
  EXPECT_EQ(s.running, 1u);
  EXPECT_EQ(s.down, (std::vector<std::string>{"A@h", "B@h"}));
  EXPECT_TRUE(health(0, 2500, "/health", 200).ok) << "the node itself is fine";
  const HealthView full = health(0, 2500, "/health/listeners_full_cluster", 503);
  EXPECT_EQ(full.reasons, (std::vector<std::string>{"Cluster nodes not running: C@h"}));
  // Not before 2 s, and back at 6 s.
  EXPECT_EQ(summarize_members(status(0, 1999), "A@h").not_running, 0u);
  EXPECT_EQ(summarize_members(status(0, 6000), "A@h").not_running, 0u);
  EXPECT_EQ(names(status(0, 6000)), (std::vector<std::string>{"A@h", "B@h", "C@h"}));
}

TEST_F(ThreeNodes, AListenerStopped) {
  const HealthView b = health(1, 4500, "/health", 503);
  EXPECT_EQ(b.reasons, (std::vector<std::string>{"Listeners are not ready: [mqtt]"}));
  health(1, 4500, "/health/listeners", 503);
  // A sees B's listener from B's entry, and the cluster-wide check names it.
  const StatusView a = status(0, 4500);
  const NodeStatus* bs = a.find("B@h");
  ASSERT_NE(bs, nullptr);
  EXPECT_EQ(bs->listeners[0].status, "stopped");
  EXPECT_EQ(bs->num_online, 95u);
  const HealthView full = health(0, 4500, "/health/listeners_full_cluster", 503);
  EXPECT_EQ(full.reasons,
            (std::vector<std::string>{"Cluster nodes not running: C@h", "Listeners are not ready on B@h: [mqtt]"}));
  // The API: 95 of 100 connections on the stopped listener.
  const loopback::Response r = at(1, 4500, get("/api/v1/listener/show", {{"x-api-key", "k3y"}}));
  ASSERT_EQ(r.status, 200);
  ApiListenerView l;
  const ClusterParseResult p = parse_api_listener_show(r.body, l);
  ASSERT_TRUE(p.ok) << p.error;
  ASSERT_EQ(l.listeners.size(), 2u);
  EXPECT_EQ(l.listeners[0].type, "mqtt");
  EXPECT_EQ(l.listeners[0].status, "stopped");
  EXPECT_EQ(l.listeners[0].port, 1883u);
  EXPECT_EQ(l.listeners[0].active_conns, 95u);
  EXPECT_EQ(l.listeners[0].max_conns, 100u);
}

TEST_F(ThreeNodes, ANodeThatLeft) {
  const StatusView a = status(0, 8500);
  EXPECT_EQ(names(a), (std::vector<std::string>{"A@h"}));
  const MemberSummary s = summarize_members(a, "A@h");
  EXPECT_EQ(s.running, 0u);
  EXPECT_EQ(s.down, (std::vector<std::string>{"A@h"}));
  EXPECT_EQ(health(0, 8500, "/health", 503).reasons, (std::vector<std::string>{"Node has not joined cluster"}));
  // B no longer lists A at all.
  const loopback::Response r = at(1, 8500, get("/api/v1/cluster/show", {{"x-api-key", "k3y"}}));
  ASSERT_EQ(r.status, 200);
  ApiClusterView c;
  ASSERT_TRUE(parse_api_cluster_show(r.body, c).ok);
  ASSERT_EQ(c.members.size(), 2u);
  EXPECT_EQ(c.members[0].name, "B@h");
  EXPECT_EQ(c.members[1].name, "C@h");
  EXPECT_TRUE(c.members[0].running && c.members[1].running);
}

TEST_F(ThreeNodes, TheApiWantsItsKeyAndRunsNothingElse) {
  EXPECT_EQ(at(0, 1500, get("/api/v1/cluster/show")).status, 401);
  EXPECT_EQ(at(0, 1500, get("/api/v1/cluster/show", {{"x-api-key", "wrong"}})).status, 401);
  // Basic auth with the key as user name ("k3y:" in base64).
  EXPECT_EQ(at(0, 1500, get("/api/v1/cluster/show", {{"Authorization", "Basic azN5Og=="}})).status, 200);
  EXPECT_EQ(at(0, 1500, get("/api/v1/cluster/leave", {{"x-api-key", "k3y"}})).status, 404);
  EXPECT_EQ(at(0, 1500, get("/api/v1/session/disconnect?client-id=x", {{"x-api-key", "k3y"}})).status, 404);
  // The /metrics key is a different one: none is set here, so /metrics is open.
  EXPECT_EQ(at(0, 1500, get("/metrics")).status, 200);
}

TEST(SimCluster, WithoutAnApiKeyEveryApiRequestIs401) {
  const Timeline tl(parse_scenario("steps: []\n", "t"));
  const VernemqBody body(tl.scenario(), 0);
  EXPECT_EQ(respond(tl, body, 0, get("/api/v1/cluster/show"), 1000, 8888).status, 401);
  EXPECT_EQ(respond(tl, body, 0, get("/api/v1/cluster/show", {{"x-api-key", ""}}), 1000, 8888).status, 401);
}

TEST(SimCluster, VersionOneHasNoTwoXHealthPaths) {
  const Timeline tl(parse_scenario("version: 1.13.0\nprefix: \"\"\nsteps: []\n", "t"));
  const VernemqBody body(tl.scenario(), 0);
  auto status_of = [&](const char* path) { return respond(tl, body, 0, get(path), 1000, 8888).status; };
  EXPECT_EQ(status_of("/health"), 200);
  EXPECT_EQ(status_of("/health/listeners_full_cluster"), 404);
  EXPECT_EQ(status_of("/health/listeners"), 404);
  EXPECT_EQ(status_of("/health/ping"), 404);
  EXPECT_EQ(status_of("/status.json"), 200);
  EXPECT_EQ(major_version(tl.scenario()), 1);
  // And 2.x serves them.
  const Timeline tl2(parse_scenario("version: 2.0.1\nsteps: []\n", "t"));
  const VernemqBody body2(tl2.scenario(), 0);
  EXPECT_EQ(respond(tl2, body2, 0, get("/health/ping"), 1000, 8888).body, R"({"status":"OK"})");
}

TEST(SimCluster, StateIsSetNotCountedAndReplaysWithRepeat) {
  const Scenario sc = parse_scenario(
      "nodes: [A@h, B@h]\nrepeat: 10\nsteps:\n"
      "  - {at: 3, node: B@h, cluster: {member: down, conns: 7}}\n"
      "  - {at: 7, node: B@h, cluster: {member: up}}\n",
      "t");
  ASSERT_EQ(sc.cluster.steps.size(), 2u);
  EXPECT_TRUE(sc.steps.empty()) << "cluster-only steps do not reach the counter timeline";
  auto b_at = [&](std::int64_t s) { return cluster_states(sc.cluster, 2, sc.repeat, s * 1000)[1]; };
  EXPECT_EQ(b_at(2).member, Membership::up);
  EXPECT_EQ(b_at(2).conns, 3u);
  EXPECT_EQ(b_at(3).member, Membership::down);
  EXPECT_EQ(b_at(7).member, Membership::up);
  EXPECT_EQ(b_at(7).conns, 7u) << "conns stays as last set";
  EXPECT_EQ(b_at(12).member, Membership::up);  // next cycle, before its 3 s step
  EXPECT_EQ(b_at(13).member, Membership::down);
  EXPECT_EQ(b_at(1003).member, Membership::down);
  EXPECT_EQ(b_at(1008).member, Membership::up);
  EXPECT_EQ(cluster_states(sc.cluster, 2, sc.repeat, -500)[1].member, Membership::up);
}

TEST(SimCluster, AStepMayCarryCountersAndClusterTogether) {
  const Scenario sc = parse_scenario("steps:\n  - {at: 1, add: {success: 2}, cluster: {listener: stopped}}\n", "t");
  EXPECT_EQ(sc.steps.size(), 1u);
  ASSERT_EQ(sc.cluster.steps.size(), 1u);
  EXPECT_EQ(sc.cluster.steps[0].listener, "stopped");
}

struct BadYaml {
  const char* yaml;
  const char* message;  // "t:LINE:COL: ..." fragment
};

TEST(SimCluster, BadClusterKeysAreLocatedErrors) {
  const BadYaml cases[] = {
      {"cluster: {api_key: x}\n", "t:1:11: unknown key 'api_key'; expected one of: api_v1_key, max_conns"},
      {"cluster: {max_conns: lots}\n", "t:1:22: expected max_conns as a whole number of connections, got 'lots'"},
      {"cluster: [1]\n", "t:1:10: expected a map such as {api_v1_key: KEY, max_conns: 10000}, got a list"},
      {"steps:\n  - {at: 1, cluster: {member: gone}}\n",
       "t:2:31: unknown membership 'gone'; expected one of: up, down, left"},
      {"steps:\n  - {at: 1, cluster: {listener: \"Stopped!\"}}\n",
       "t:2:33: expected a listener status such as running or stopped"},
      {"steps:\n  - {at: 1, cluster: {}}\n", "t:2:22: cluster step does nothing"},
      {"steps:\n  - {at: 1, cluster: {conns: -1}}\n",
       "t:2:30: expected conns as a whole number of connections, got '-1'"},
      {"steps:\n  - {at: 1, cluster: {leave: true}}\n",
       "t:2:23: unknown key 'leave'; expected one of: member, listener, conns"},
  };
  for (const BadYaml& c : cases) {
    try {
      (void)parse_scenario(c.yaml, "t");
      ADD_FAILURE() << "accepted: " << c.yaml;
    } catch (const ScenarioError& e) {
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << c.yaml << "\n→ " << e.what();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A running simulator over real HTTP, at the URLs the plugin derives.

struct HttpResult {
  long status = 0;
  std::string body;
};

std::size_t append_to(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

HttpResult http_get(const std::string& url, const std::string& api_key = "") {
  HttpResult r;
  CURL* h = curl_easy_init();
  if (h == nullptr) return r;
  curl_slist* headers = nullptr;
  const std::string key_header = "x-api-key: " + api_key;
  if (!api_key.empty()) headers = curl_slist_append(headers, key_header.c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 3000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_to);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  return r;
}

TEST(SimClusterHttp, EveryAllowListedSourceParsesAndFollowsTheScenario) {
  std::ostringstream log;
  SimServer sim(parse_scenario("nodes: [A@h, B@h]\ncluster: {api_v1_key: k3y}\nsteps:\n"
                               "  - {at: 1, node: B@h, cluster: {member: down}}\n",
                               "t"),
                0, log);
  const std::vector<SimServer::Endpoint> eps = sim.endpoints();
  ASSERT_EQ(eps.size(), 2u);
  const std::string& metrics_url = eps[0].url;

  ClusterView view;
  for (const ClusterSourceSpec& spec : kClusterSources) {
    const ClusterSourceUrl u = cluster_source_url(spec.id, metrics_url);
    ASSERT_TRUE(u.error.empty()) << u.error;
    EXPECT_EQ(u.url, "http://127.0.0.1:" + std::to_string(eps[0].port) + std::string(spec.path));
    const HttpResult r = http_get(u.url, spec.needs_api_key ? "k3y" : "");
    const ClusterParseResult p = parse_cluster_source(spec.id, r.status, r.body, view);
    EXPECT_TRUE(p.ok) << spec.path << ": " << p.error;
  }
  EXPECT_TRUE(view.status.valid && view.health.valid && view.health_full_cluster.valid && view.api_cluster.valid &&
              view.api_listeners.valid);
  EXPECT_TRUE(view.health.ok);
  ASSERT_EQ(view.api_cluster.members.size(), 2u);
  EXPECT_EQ(view.api_listeners.listeners.size(), 2u);
  EXPECT_EQ(view.api_listeners.listeners[1].port, eps[0].port);
  // Without the key the API is 401, which the parser reports as that source's error.
  const HttpResult no_key = http_get(cluster_source_url(ClusterSource::api_cluster_show, metrics_url).url);
  EXPECT_EQ(no_key.status, 401);
  EXPECT_FALSE(parse_cluster_source(ClusterSource::api_cluster_show, no_key.status, no_key.body, view).ok);

  // At 1 s B is cut off: wait for A to report it (the sign), with a generous deadline.
  const std::string status_url = cluster_source_url(ClusterSource::status_json, metrics_url).url;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  MemberSummary s;
  while (std::chrono::steady_clock::now() < deadline) {
    const HttpResult r = http_get(status_url);
    StatusView v;
    if (r.status == 200 && parse_status_json(r.body, v).ok) s = summarize_members(v, "A@h");
    if (s.not_running > 0) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(s.running, 1u);
  EXPECT_EQ(s.down, (std::vector<std::string>{"B@h"}));
  const HttpResult full = http_get(cluster_source_url(ClusterSource::health_listeners_full_cluster, metrics_url).url);
  EXPECT_EQ(full.status, 503);
  HealthView h;
  ASSERT_TRUE(parse_health(full.status, full.body, h).ok);
  EXPECT_EQ(h.reasons, (std::vector<std::string>{"Cluster nodes not running: B@h"}));
  sim.stop();
}

TEST(SimCluster, ClusterStepsAreLogged) {
  const Scenario sc = parse_scenario(
      "nodes: [A@h, B@h]\nrepeat: 10\nsteps:\n"
      "  - {at: 3, node: B@h, cluster: {member: down, listener: stopped, conns: 7}}\n"
      "  - {at: 3, cluster: {member: up}}\n",
      "t");
  EXPECT_EQ(describe_cluster_steps_at(sc, 13),
            (std::vector<std::string>{"line 4, node B@h: cluster member down listener stopped conns 7",
                                      "line 5, all nodes: cluster member up"}));
  EXPECT_TRUE(describe_cluster_steps_at(sc, 4).empty());
}

}  // namespace
}  // namespace vmq::sim
