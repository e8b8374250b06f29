// SPDX-License-Identifier: GPL-3.0-or-later
// The cluster sources' parsers: real VerneMQ 2.0.1 answers, hand-written clusters (a node down,
// a netsplit, a 1.x node), and every kind of bad body. Expectations are read off the bodies by
// hand.
#include "vmq/cluster_json.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_files.h"

namespace vmq {
namespace {

std::string listener_json(const std::string& type, int port) {
  return R"({"type":")" + type + R"(","status":"running","ip":"127.0.0.1","port":)" + std::to_string(port) +
         R"(,"mountpoint":[],"max_conns":10000})";
}

TEST(ClusterJson, RealStatusJsonOfAOneNodeCluster) {
  const auto body = testing::capture("live-2.0.1-status.json");
  if (!body) GTEST_SKIP() << "../shared/captures is not here";
  StatusView v;
  const ClusterParseResult r = parse_status_json(*body, v);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.notes.empty());
  ASSERT_TRUE(v.valid);
  ASSERT_EQ(v.nodes.size(), 1u);
  const NodeStatus& n = v.nodes[0];
  EXPECT_EQ(n.name, "VerneMQ@127.0.0.1");
  EXPECT_EQ(n.version, "2.0.1");
  EXPECT_EQ(n.num_online, 0u);
  EXPECT_EQ(n.num_offline, 0u);
  ASSERT_EQ(n.members.size(), 1u);
  EXPECT_EQ(n.members[0].name, "VerneMQ@127.0.0.1");
  EXPECT_TRUE(n.members[0].running);
  ASSERT_EQ(n.listeners.size(), 3u);
  const std::vector<std::pair<std::string, std::uint32_t>> expected = {{"mqtt", 1883}, {"http", 8888}, {"vmq", 44053}};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(n.listeners[i].type, expected[i].first);
    EXPECT_EQ(n.listeners[i].port, expected[i].second);
    EXPECT_EQ(n.listeners[i].status, "running");
    EXPECT_EQ(n.listeners[i].ip, "127.0.0.1");
    EXPECT_EQ(n.listeners[i].max_conns, 10000u);
    EXPECT_FALSE(n.listeners[i].active_conns.has_value());
  }
  const MemberSummary s = summarize_members(v, "VerneMQ@127.0.0.1");
  EXPECT_TRUE(s.known);
  EXPECT_EQ(s.running, 1u);
  EXPECT_EQ(s.not_running, 0u);
  EXPECT_EQ(s.disagreeing_nodes, 0u);
  EXPECT_FALSE(summarize_members(v, "VerneMQ@10.0.0.9").known);
}

TEST(ClusterJson, RealStatusJsonWithSessions) {
  const auto body = testing::capture("live-2.0.1-traffic-status.json");
  if (!body) GTEST_SKIP() << "../shared/captures is not here";
  ClusterView view;
  const ClusterParseResult r = parse_cluster_source(ClusterSource::status_json, 200, *body, view);
  ASSERT_TRUE(r.ok) << r.error;
  const NodeStatus* n = view.status.find("VerneMQ@127.0.0.1");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->num_online, 2u);   // the capture's README: 2 online
  EXPECT_EQ(n->num_offline, 1u);  // and one offline persistent session
}

TEST(ClusterJson, RealHealthAnswersAndTheApiWithoutAKey) {
  ClusterView view;
  // live-2.0.1-http-endpoints.txt: /health and /health/listeners_full_cluster 200 {"status":"OK"}.
  for (ClusterSource s : {ClusterSource::health, ClusterSource::health_listeners_full_cluster}) {
    const ClusterParseResult r = parse_cluster_source(s, 200, R"({"status":"OK"})", view);
    EXPECT_TRUE(r.ok) << r.error;
  }
  EXPECT_TRUE(view.health.valid && view.health.ok && view.health.reasons.empty());
  EXPECT_TRUE(view.health_full_cluster.valid && view.health_full_cluster.ok);
  // /api/v1/... without the key: 401 with an empty body.
  const ClusterParseResult r = parse_cluster_source(ClusterSource::api_cluster_show, 401, "", view);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "/api/v1/cluster/show: answer: HTTP 401; expected 200");
  EXPECT_FALSE(view.api_cluster.valid);
}

// Three nodes; C has crashed. A answers: A and B see C as not running; C is not reachable, so
// it has no entry of its own.
TEST(ClusterJson, ANodeDown) {
  const std::string body =
      R"([{"A@10.0.0.1":{"num_online":5,"num_offline":2,"version":"2.1.2","mystatus":[{"A@10.0.0.1":true},{"B@10.0.0.2":true},{"C@10.0.0.3":false}],"listeners":[)" +
      listener_json("mqtt", 1883) +
      R"(]}},{"B@10.0.0.2":{"num_online":7,"num_offline":0,"version":"2.1.2","mystatus":[{"A@10.0.0.1":true},{"B@10.0.0.2":true},{"C@10.0.0.3":false}],"listeners":[]}}])";
  StatusView v;
  const ClusterParseResult r = parse_status_json(body, v);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(v.nodes.size(), 2u);
  const MemberSummary a = summarize_members(v, "A@10.0.0.1");
  EXPECT_TRUE(a.known);
  EXPECT_EQ(a.running, 2u);
  EXPECT_EQ(a.not_running, 1u);
  EXPECT_EQ(a.down, (std::vector<std::string>{"C@10.0.0.3"}));
  EXPECT_EQ(a.disagreeing_nodes, 0u);
  EXPECT_EQ(v.find("B@10.0.0.2")->num_online, 7u);
  EXPECT_EQ(v.find("C@10.0.0.3"), nullptr);
}

// A netsplit between A and B: each sees itself up and the other down.
TEST(ClusterJson, ANetsplitWhereTwoNodesDisagree) {
  const std::string body =
      R"([{"A":{"mystatus":[{"A":true},{"B":false}],"listeners":[]}},{"B":{"mystatus":[{"A":false},{"B":true}],"listeners":[]}}])";
  StatusView v;
  ASSERT_TRUE(parse_status_json(body, v).ok);
  for (const auto& [self, other] : {std::pair{"A", "B"}, std::pair{"B", "A"}}) {
    const MemberSummary s = summarize_members(v, self);
    EXPECT_EQ(s.running, 1u) << self;
    EXPECT_EQ(s.not_running, 1u) << self;
    EXPECT_EQ(s.down, (std::vector<std::string>{other})) << self;
    EXPECT_EQ(s.disagreeing_nodes, 1u) << self;
  }
}

// A 1.x node: the same status.json (mountpoint as a string, max_conns "infinity"), and no
// /health/listeners_full_cluster (404).
TEST(ClusterJson, AVersionOneNodeWithoutTheTwoXHealthPaths) {
  const std::string body =
      R"([{"VerneMQ@172.17.0.2":{"num_online":1,"num_offline":0,"version":"1.13.0","mystatus":[{"VerneMQ@172.17.0.2":true}],)"
      R"("listeners":[{"type":"mqtt","status":"running","ip":"0.0.0.0","port":1883,"mountpoint":"","max_conns":"infinity"}]}}])";
  ClusterView view;
  ASSERT_TRUE(parse_cluster_source(ClusterSource::status_json, 200, body, view).ok);
  const NodeStatus& n = view.status.nodes.at(0);
  EXPECT_EQ(n.version, "1.13.0");
  ASSERT_EQ(n.listeners.size(), 1u);
  EXPECT_TRUE(n.listeners[0].max_conns_infinite);
  EXPECT_FALSE(n.listeners[0].max_conns.has_value());
  const ClusterParseResult r = parse_cluster_source(ClusterSource::health_listeners_full_cluster, 404, "", view);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "/health/listeners_full_cluster: answer: HTTP 404; expected 200 (OK) or 503 (DOWN)");
  EXPECT_FALSE(view.health_full_cluster.valid);
  EXPECT_TRUE(view.status.valid) << "another source's failure leaves this one alone";
}

TEST(ClusterJson, HealthDownWithReasons) {
  HealthView h;
  const ClusterParseResult r = parse_health(
      503, R"({"status":"DOWN","reasons":["Node has not joined cluster","Listeners are not ready: [mqtt]"]})", h);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(h.valid);
  EXPECT_FALSE(h.ok);
  EXPECT_EQ(h.reasons, (std::vector<std::string>{"Node has not joined cluster", "Listeners are not ready: [mqtt]"}));
  // DOWN with 200, or OK with 503, contradicts itself.
  EXPECT_FALSE(parse_health(200, R"({"status":"DOWN"})", h).ok);
  EXPECT_FALSE(h.valid);
  EXPECT_FALSE(parse_health(503, R"({"status":"OK"})", h).ok);
  EXPECT_EQ(parse_health(200, R"({"status":"MAYBE"})", h).error,
            R"(/health: status: "MAYBE"; expected "OK" or "DOWN")");
}

TEST(ClusterJson, TheApiTables) {
  ClusterView view;
  ClusterParseResult r = parse_cluster_source(
      ClusterSource::api_cluster_show, 200,
      R"({"table":[{"Node":"A@h","Running":true},{"Node":"B@h","Running":false}],"type":"table"})", view);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(view.api_cluster.members.size(), 2u);
  EXPECT_EQ(view.api_cluster.members[1].name, "B@h");
  EXPECT_FALSE(view.api_cluster.members[1].running);
  // The writer may wrap the table in a list; the port may be a string; max_conns may be infinity.
  r = parse_cluster_source(
      ClusterSource::api_listener_show, 200,
      R"([{"type":"table","table":[{"type":"mqtt","status":"running","address":"0.0.0.0","port":"1883","mountpoint":"","max_conns":10000,"active_conns":9200,"all_conns":9300},)"
      R"({"type":"mqttws","status":"stopped","address":"0.0.0.0","port":8080,"mountpoint":"","max_conns":"infinity","active_conns":0,"all_conns":0}]}])",
      view);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(view.api_listeners.listeners.size(), 2u);
  const ClusterListener& mqtt = view.api_listeners.listeners[0];
  EXPECT_EQ(mqtt.ip, "0.0.0.0");
  EXPECT_EQ(mqtt.port, 1883u);
  EXPECT_EQ(mqtt.max_conns, 10000u);
  EXPECT_EQ(mqtt.active_conns, 9200u);
  EXPECT_EQ(mqtt.all_conns, 9300u);
  EXPECT_EQ(view.api_listeners.listeners[1].status, "stopped");
  EXPECT_TRUE(view.api_listeners.listeners[1].max_conns_infinite);
}

TEST(ClusterJson, HostileNodeNamesAreKeptVerbatim) {
  const std::string name = "a \"b\" c=d\ne\\f";
  const std::string body = R"([{"a \"b\" c=d\ne\\f":{"mystatus":[{"a \"b\" c=d\ne\\f":true},{"x y":false}]}}])";
  StatusView v;
  ASSERT_TRUE(parse_status_json(body, v).ok);
  ASSERT_EQ(v.nodes.size(), 1u);
  EXPECT_EQ(v.nodes[0].name, name);
  EXPECT_EQ(v.nodes[0].members[0].name, name);
  EXPECT_EQ(v.nodes[0].members[1].name, "x y");
  EXPECT_EQ(summarize_members(v, name).down, (std::vector<std::string>{"x y"}));
}

TEST(ClusterJson, ThousandsOfListenersKeepTheFirstAndCountTheRest) {
  std::string body = R"([{"A":{"listeners":[)";
  for (int i = 0; i < 5000; ++i) body += (i ? "," : "") + listener_json("mqtt", 10000 + i);
  body += "]}}]";
  StatusView v;
  const ClusterParseResult r = parse_status_json(body, v);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(v.nodes[0].listeners.size(), 64u);
  EXPECT_EQ(v.nodes[0].listeners_dropped, 5000u - 64u);
  EXPECT_EQ(v.nodes[0].listeners[63].port, 10063u);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("4936 listeners beyond the first 64"), std::string::npos) << r.notes[0];
}

TEST(ClusterJson, LongStringsAreCutOnACharacterBoundary) {
  std::string euro;
  for (int i = 0; i < 100; ++i) euro += "\xE2\x82\xAC";  // 300 bytes of 3-byte characters
  StatusView v;
  const ClusterParseResult r = parse_status_json(R"([{")" + euro + R"(":{}}])", v);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(v.nodes[0].name, euro.substr(0, 255));  // 85 whole characters; byte 256 is mid-character
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("300-byte string cut to 255 bytes"), std::string::npos) << r.notes[0];
}

struct Bad {
  const char* name;
  std::string body;
  const char* error;  // a fragment of the message
};

TEST(ClusterJson, BadBodiesAreAClearErrorForThatSourceOnly) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  std::string truncated = R"([{"A":{"num_online":1,"mystatus":[{"A":tr)";
  const std::vector<Bad> cases = {
      {"empty", "", "empty body"},
      {"malformed", "[{]", "malformed JSON: parse error at line 1, column 3: syntax error"},
      {"truncated", truncated, "malformed JSON"},
      {"not JSON", "<html>502</html>", "malformed JSON"},
      {"trailing", R"([] [])", "malformed JSON"},
      {"bad UTF-8", "[{\"A\xff\":{}}]", "malformed JSON"},
      {"deeply nested", deep, "nested deeper than 16 levels"},
      {"object at top", R"({"A":{}})", "body: expected a list of {node: status}, found object"},
      {"entry not object", R"([1])", "[0]: expected {node: status}, found number"},
      {"info not object", R"([{"A":[]}])", R"([0]."A": expected the node's status object, found array)"},
      {"count as string", R"([{"A":{"num_online":"many"}}])",
       R"([0]."A".num_online: expected a non-negative integer, found string "many")"},
      {"negative count", R"([{"A":{"num_offline":-1}}])", "num_offline: expected a non-negative integer, found number"},
      {"float count", R"([{"A":{"num_online":1e30}}])", "num_online: expected a non-negative integer, found number"},
      {"mystatus object", R"([{"A":{"mystatus":{"A":true}}}])",
       "mystatus: expected a list of {node: true|false}, found object"},
      {"mystatus string", R"([{"A":{"mystatus":[{"A":"yes"}]}}])",
       R"(mystatus[0]."A": expected true or false, found string)"},
      {"listener no type", R"([{"A":{"listeners":[{"status":"running"}]}}])",
       R"(listeners[0]: listener without "type")"},
      {"bad port", R"([{"A":{"listeners":[{"type":"mqtt","status":"running","port":70000}]}}])", "70000 is not a port"},
      {"version number", R"([{"A":{"version":2}}])", "version: expected a string, found number"},
  };
  for (const Bad& c : cases) {
    ClusterView view;
    ASSERT_TRUE(parse_cluster_source(ClusterSource::health, 200, R"({"status":"OK"})", view).ok);
    ASSERT_TRUE(parse_cluster_source(ClusterSource::status_json, 200, R"([{"Z":{}}])", view).ok);
    const ClusterParseResult r = parse_cluster_source(ClusterSource::status_json, 200, c.body, view);
    EXPECT_FALSE(r.ok) << c.name;
    EXPECT_TRUE(r.error.starts_with("/status.json: ")) << c.name << ": " << r.error;
    EXPECT_NE(r.error.find(c.error), std::string::npos) << c.name << ": " << r.error;
    EXPECT_EQ(r.error.find('\n'), std::string::npos) << c.name << ": one line";
    EXPECT_FALSE(view.status.valid) << c.name;
    EXPECT_TRUE(view.status.nodes.empty()) << c.name << ": the last good view is not kept as if current";
    EXPECT_TRUE(view.health.valid && view.health.ok) << c.name << ": other sources unaffected";
  }
}

TEST(ClusterJson, BodyAndValueLimits) {
  ClusterLimits small;
  small.max_body_bytes = 100;
  StatusView v;
  ClusterParseResult r = parse_status_json(std::string(101, ' '), v, small);
  EXPECT_EQ(r.error, "/status.json: body: body of 101 bytes; expected at most 100");
  ClusterLimits few;
  few.max_values = 10;
  r = parse_status_json(R"([{"A":{"num_online":1}}])", v, few);
  EXPECT_TRUE(r.ok) << "four values: " << r.error;
  std::string many = "[0";
  for (int i = 0; i < 20; ++i) many += ",0";
  many += "]";
  r = parse_status_json(many, v, few);
  EXPECT_NE(r.error.find("more than 10 JSON values"), std::string::npos) << r.error;
}

TEST(ClusterJson, WrongTypedApiAndHealthBodies) {
  ClusterView view;
  const std::vector<std::tuple<ClusterSource, long, std::string, std::string>> cases = {
      {ClusterSource::api_cluster_show, 200, R"({"type":"text","text":"nope"})", "without a table"},
      {ClusterSource::api_cluster_show, 200, R"({"table":{}})", "table: expected a list of rows, found object"},
      {ClusterSource::api_cluster_show, 200, R"({"table":[{"Node":"A"}]})",
       R"(table[0]: expected {"Node": name, "Running": true|false})"},
      {ClusterSource::api_cluster_show, 200, R"({"table":[{"Node":1,"Running":true}]})",
       "table[0].Node: expected a string, found number"},
      {ClusterSource::api_listener_show, 200, R"({"table":[{"type":"mqtt","status":"running","active_conns":"x"}]})",
       R"(table[0].active_conns: expected a non-negative integer, found string "x")"},
      {ClusterSource::health, 200, R"(["OK"])", "without \"status\""},
      {ClusterSource::health, 503, R"({"status":"DOWN","reasons":"all bad"})",
       "reasons: expected a list of strings, found string"},
      {ClusterSource::health, 503, R"({"status":"DOWN","reasons":[1]})", "reasons[0]: expected a string, found number"},
      {ClusterSource::health, 500, "", "HTTP 500"},
  };
  for (const auto& [source, status, body, fragment] : cases) {
    const ClusterParseResult r = parse_cluster_source(source, status, body, view);
    EXPECT_FALSE(r.ok) << body;
    EXPECT_TRUE(r.error.starts_with(std::string(cluster_source_spec(source).path) + ": ")) << r.error;
    EXPECT_NE(r.error.find(fragment), std::string::npos) << body << ": " << r.error;
  }
  EXPECT_FALSE(view.api_cluster.valid || view.api_listeners.valid || view.health.valid);
}

}  // namespace
}  // namespace vmq
