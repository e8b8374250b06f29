// SPDX-License-Identifier: GPL-3.0-or-later
// The cluster charts over views parsed from hand-written bodies, through the strict Netdata 1.37
// validator. Expected values are counted by hand from the bodies.
#include "vmq/cluster_charts.h"

#include <gtest/gtest.h>

#include <string>

#include "netdata_validator.h"
#include "vmq/cluster_json.h"

namespace vmq {
namespace {

using testing::NetdataValidator;

constexpr const char* kThree = R"([
 {"A@h":{"num_online":7,"num_offline":2,"version":"2.1.0",
   "mystatus":[{"A@h":true},{"B@h":true},{"C@h":false}],
   "listeners":[{"type":"mqtt","status":"running","ip":"0.0.0.0","port":1883,"max_conns":10000},
                {"type":"mqttws","status":"stopped","ip":"0.0.0.0","port":8080,"max_conns":10000},
                {"type":"http","status":"running","ip":"0.0.0.0","port":8888,"max_conns":"infinity"}]}},
 {"B@h":{"num_online":1,"num_offline":0,"version":"2.1.0",
   "mystatus":[{"A@h":true},{"B@h":true},{"C@h":true}],"listeners":[]}}
])";

struct Fixture {
  ClusterView view;
  ClusterRound round;
  ClusterCharts charts{"j", "vernemq_j", 10};
  std::string out;
  Fixture() {
    round.view = &view;
    round.local_node = "A@h";
    round.state.fill(SourceState::off);
  }
  void parse(ClusterSource s, long status, std::string_view body) {
    const ClusterParseResult r = parse_cluster_source(s, status, body, view);
    ASSERT_TRUE(r.ok) << r.error;
    round.state[static_cast<std::size_t>(s)] = SourceState::fresh;
  }
  NetdataValidator render(int rounds = 1) {
    for (int i = 0; i < rounds; ++i) {
      round.mono_us += 10'000'000;
      charts.render(round, out);
    }
    NetdataValidator v;
    v.feed(out);
    v.finish();
    return v;
  }
};

std::optional<long long> last(const NetdataValidator& v, const std::string& chart, const std::string& dim) {
  const auto points = v.points_of(chart);
  if (points.empty()) return std::nullopt;
  const auto it = points.back().values.find(dim);
  return it == points.back().values.end() ? std::nullopt : it->second;
}

TEST(ClusterCharts, ThreeNodesOneDownAsTheLocalNodeSeesIt) {
  Fixture f;
  f.parse(ClusterSource::status_json, 200, kThree);
  const NetdataValidator v = f.render(2);
  ASSERT_TRUE(v.ok()) << v.error_report();
  const auto* members = v.chart("vernemq_j.cluster_members");
  ASSERT_NE(members, nullptr);
  EXPECT_EQ(members->context, "vernemq.cluster_members");
  EXPECT_EQ(members->family, "cluster");
  EXPECT_EQ(members->priority, 70900);
  EXPECT_EQ(members->update_every, 10);
  EXPECT_EQ(members->labels.at("not_running"), "C@h");
  EXPECT_EQ(members->labels.at("vernemq_version"), "2.1.0");
  EXPECT_EQ(members->labels.at("_collect_job"), "j");
  EXPECT_EQ(last(v, "vernemq_j.cluster_members", "running"), 2);
  EXPECT_EQ(last(v, "vernemq_j.cluster_members", "not_running"), 1);
  // B sees C running, A does not: one entry disagrees.
  EXPECT_EQ(last(v, "vernemq_j.cluster_views", "disagreeing"), 1);
  EXPECT_EQ(last(v, "vernemq_j.listeners", "running"), 2);
  EXPECT_EQ(last(v, "vernemq_j.listeners", "stopped"), 1);
  EXPECT_EQ(last(v, "vernemq_j.listeners", "other"), 0);
  EXPECT_EQ(last(v, "vernemq_j.sessions", "online"), 7);
  EXPECT_EQ(last(v, "vernemq_j.sessions", "offline"), 2);
  // Health sources are off: no chart, not even an empty one.
  EXPECT_EQ(v.chart("vernemq_j.node_health"), nullptr);
  EXPECT_EQ(v.chart("vernemq_j.cluster_health"), nullptr);
  // Two rounds, one definition each: labels unchanged do not redefine.
  EXPECT_EQ(members->times_defined, 1);
  EXPECT_EQ(v.points_of("vernemq_j.cluster_members").size(), 2u);
}

TEST(ClusterCharts, AFailedSourceIsAGapNotAZeroAndOffMeansNoChart) {
  Fixture f;
  f.parse(ClusterSource::status_json, 200, kThree);
  f.render();
  f.round.state[static_cast<std::size_t>(ClusterSource::status_json)] = SourceState::failed;
  const NetdataValidator v = f.render();
  ASSERT_TRUE(v.ok()) << v.error_report();
  const auto pts = v.points_of("vernemq_j.cluster_members");
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[1].values.at("running"), std::nullopt);
  EXPECT_EQ(pts[1].values.at("not_running"), std::nullopt);
  // The label survives the gap.
  EXPECT_EQ(v.chart("vernemq_j.cluster_members")->labels.at("not_running"), "C@h");

  Fixture g;
  g.round.state[static_cast<std::size_t>(ClusterSource::status_json)] = SourceState::failed;
  const NetdataValidator w = g.render();
  ASSERT_TRUE(w.ok()) << w.error_report();
  EXPECT_TRUE(w.charts().empty()) << "no chart before the first usable answer";
}

TEST(ClusterCharts, LocalNodeUnknownGivesNoMemberValues) {
  Fixture f;
  f.round.local_node = "Z@h";
  f.parse(ClusterSource::status_json, 200, kThree);
  const NetdataValidator v = f.render();
  ASSERT_TRUE(v.ok()) << v.error_report();
  EXPECT_EQ(v.chart("vernemq_j.cluster_members"), nullptr);
}

TEST(ClusterCharts, HealthDownWithReasonsAndTheApiFallbacks) {
  Fixture f;
  f.parse(ClusterSource::health, 503,
          R"({"status":"DOWN","reasons":["Node has not joined cluster","Listeners are not ready: [mqtt]"]})");
  f.parse(ClusterSource::api_cluster_show, 200,
          R"({"type":"table","table":[{"Node":"A@h","Running":true},{"Node":"B@h","Running":false}]})");
  const NetdataValidator v = f.render();
  ASSERT_TRUE(v.ok()) << v.error_report();
  EXPECT_EQ(last(v, "vernemq_j.node_health", "ok"), 0);
  EXPECT_EQ(last(v, "vernemq_j.node_health", "down"), 1);
  EXPECT_EQ(v.chart("vernemq_j.node_health")->labels.at("reasons"),
            "Node has not joined cluster / Listeners are not ready: _mqtt_");
  // /status.json off: members from cluster show.
  EXPECT_EQ(last(v, "vernemq_j.cluster_members", "running"), 1);
  EXPECT_EQ(last(v, "vernemq_j.cluster_members", "not_running"), 1);
  EXPECT_EQ(v.chart("vernemq_j.cluster_members")->labels.at("not_running"), "B@h");
  EXPECT_EQ(v.chart("vernemq_j.cluster_views"), nullptr);
}

TEST(ClusterCharts, PerListenerConnectionsAndUtilisation) {
  Fixture f;
  f.parse(ClusterSource::api_listener_show, 200,
          R"({"type":"table","table":[
  {"type":"mqtt","status":"running","ip":"0.0.0.0","port":"1883","max_conns":100,"active_conns":95,"all_conns":95},
  {"type":"http","status":"running","ip":"0.0.0.0","port":"8888","max_conns":"infinity","active_conns":2,"all_conns":2}]})");
  const NetdataValidator v = f.render();
  ASSERT_TRUE(v.ok()) << v.error_report();
  EXPECT_EQ(last(v, "vernemq_j.listener_mqtt_1883", "active"), 95);
  EXPECT_EQ(last(v, "vernemq_j.listener_mqtt_1883", "max"), 100);
  // 95 of 100: 95 %, sent in thousandths (divisor 1000).
  EXPECT_EQ(last(v, "vernemq_j.listener_mqtt_1883_utilization", "used"), 95000);
  EXPECT_EQ(v.chart("vernemq_j.listener_mqtt_1883_utilization")->dims.at(0).divisor, 1000);
  EXPECT_EQ(v.chart("vernemq_j.listener_mqtt_1883_utilization")->context, "vernemq.listener_utilization");
  // Infinite max_conns: no max dimension, no utilisation chart.
  const auto* http = v.chart("vernemq_j.listener_http_8888");
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->dims.size(), 1u);
  EXPECT_EQ(v.chart("vernemq_j.listener_http_8888_utilization"), nullptr);
  // /status.json off: the listeners chart counts the API's listeners.
  EXPECT_EQ(last(v, "vernemq_j.listeners", "running"), 2);
}

TEST(ClusterCharts, HostileNamesNeverBreakTheProtocol) {
  Fixture f;
  const std::string evil = "A\\\"@h x=1\\nCHART evil.x '' 'x'";  // JSON escapes: quote, newline
  f.round.local_node = "ok@h";
  const std::string body =
      R"([{"ok@h":{"version":"2' \"x\nBEGIN","mystatus":[{"ok@h":true},{")" + evil + R"(":false}],"listeners":[]}}])";
  f.parse(ClusterSource::status_json, 200, body);
  f.parse(ClusterSource::health, 503, R"({"status":"DOWN","reasons":["a\nCHART x.y '' 'z'","b=c 'd'"]})");
  const NetdataValidator v = f.render(2);
  ASSERT_TRUE(v.ok()) << v.error_report();
  EXPECT_EQ(v.charts().count("evil.x"), 0u);
  EXPECT_EQ(v.charts().count("x.y"), 0u);
  EXPECT_EQ(last(v, "vernemq_j.cluster_members", "not_running"), 1);
  const std::string label = v.chart("vernemq_j.cluster_members")->labels.at("not_running");
  EXPECT_EQ(label.find('\n'), std::string::npos);
  EXPECT_EQ(label.find('\''), std::string::npos);
  EXPECT_EQ(last(v, "vernemq_j.node_health", "down"), 1);
}

}  // namespace
}  // namespace vmq
