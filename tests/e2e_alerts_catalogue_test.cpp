// SPDX-License-Identifier: GPL-3.0-or-later
// Every alert the project ships, in one real Netdata (Debian's 1.37; then v2.10.4 from
// ../shared/tools, skipped when absent) with the stock health directory in place, on one
// vernemq-sim scenario, plus a second job on a second simulator in the same Netdata for the gauges
// and ratios: the health files load without an error; each alert on a chart the plugin draws is
// attached there from the installed file; every alert goes WARNING (or CRITICAL) and back to
// CLEAR; each evaluation's value is the chart's value where it read (the sum of the alert's
// dimensions at the newest point, or for the 10-minute alerts the min or average of the chart's
// points in the lookup's window); and each alert's peak is the number the scenario put in (the
// non-failure codes it also adds must not count; a ratio is 100 x failures / denominator over
// the scenario's last 5 minutes, computed here). The Erlang memory alert's thresholds are the
// job's own: 60 % / 80 % of a small `host_memory`, which the second simulator's VM crosses.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "netdata_instance.h"
#include "subprocess.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using testing::NetdataInstance;
using testing::NetdataOptions;
using testing::VernemqSim;

constexpr int kEventsAt = 12;    // every event of the scenario, at once
constexpr int kOutageFrom = 20;  // then the endpoint closes every connection...
constexpr int kOutage = 130;     // ...for longer than the unreachable alert's 120 s

// One add of every counter an alert reads, with the codes that must not count beside them.
const char* const kScenario = R"(prefix: vernemq_
nodes: [VerneMQ@127.0.0.1]
steps:
  - {at: 0, rate: {success: 10}}
  - at: 12
    add:
      not_authorized: 7
      no_matching_subscribers: 10
      received: {quota_exceeded: 6}
      metrics:
        socket_error: 6
        queue_message_drop: 6
        queue_message_expired: 6
        queue_message_unhandled: 21
        cluster_bytes_dropped: 1000
        netsplit_detected: 1
        "client_keepalive_expired{mqtt_version=4}": 11
        "mqtt_connack_sent{mqtt_version=5,reason_code=success}": 20
        "mqtt_connack_sent{mqtt_version=5,reason_code=not_authorized}": 6
        "mqtt_connack_sent{mqtt_version=4,return_code=success}": 20
        "mqtt_connack_sent{mqtt_version=4,return_code=bad_username_or_password}": 4
        "mqtt_connack_sent{mqtt_version=4,return_code=not_authorized}": 3
        "mqtt_disconnect_received{mqtt_version=5,reason_code=normal_disconnect}": 10
        "mqtt_disconnect_received{mqtt_version=5,reason_code=disconnect_with_will_msg}": 10
        "mqtt_disconnect_received{mqtt_version=5,reason_code=protocol_error}": 6
        "mqtt_disconnect_sent{mqtt_version=5,reason_code=session_taken_over}": 10
        "mqtt_disconnect_sent{mqtt_version=5,reason_code=keep_alive_timeout}": 10
        "mqtt_disconnect_sent{mqtt_version=5,reason_code=server_shutting_down}": 5
        "mqtt_disconnect_sent{mqtt_version=5,reason_code=not_authorized}": 6
        "mqtt_subscribe_error{mqtt_version=4}": 6
        "mqtt_subscribe_auth_error{mqtt_version=4}": 6
        "mqtt_unsubscribe_error{mqtt_version=4}": 6
        "mqtt_publish_error{mqtt_version=4}": 6
        "mqtt_publish_auth_error{mqtt_version=4}": 6
        "mqtt_puback_invalid_error{mqtt_version=4}": 6
        "mqtt_pubrec_invalid_error{mqtt_version=4}": 6
        "mqtt_pubcomp_invalid_error{mqtt_version=4}": 6
        "mqtt_pubrec_received{mqtt_version=5,reason_code=unspecified_error}": 6
        "mqtt_pubrec_sent{mqtt_version=5,reason_code=quota_exceeded}": 6
        "mqtt_pubrel_received{mqtt_version=5,reason_code=packet_id_not_found}": 6
        "mqtt_pubrel_sent{mqtt_version=5,reason_code=packet_id_not_found}": 6
        "mqtt_pubcomp_received{mqtt_version=5,reason_code=packet_id_not_found}": 6
        "mqtt_pubcomp_sent{mqtt_version=5,reason_code=packet_id_not_found}": 6
  - {at: 20, fault: close, for: 130}
)";

// The second job ("gauges"), on its own simulator: the Erlang VM's gauges high from the start
// until the broker restarts (every gauge back to 0); and the two ratios' events, then enough of
// their denominators to bring them under the thresholds.
//
// A 10-minute lookup is not evaluated before its chart holds 10 minutes of points: Netdata 1.37
// and v2.10.4 alike leave such an alert UNINITIALIZED (never evaluated, `last_updated` 0) while
// `now - 10 min` is before the chart's first point (seen in this test: 230 s of gauges over the
// thresholds and no evaluation, on both). So the gauges stay high until past the first evaluation
// (about 600 s after the chart's first point), the next one (60 s later) sees the restart's 0 in
// its window and the `min` alerts clear; the average clears once enough zeros are in its window
// (more than 17 % of it, below 75 %): two evaluations later at most. This makes the test about
// 13 minutes long; it is the 10 minutes an operator waits too.

constexpr int kUtilization = 92;  // over 90 (high) and 85 (average), not over 95 (critical)
constexpr int kRunQueue = 60;     // over 50
constexpr long long kHostMemory = 100'000'000;
constexpr long long kVmMemory = 70'000'000;  // over 60 % of kHostMemory, not over 80 %
// The restart: every gauge goes to 0, 25 s after the first evaluation is due when the chart's
// first point comes 0-20 s after the timeline starts.
constexpr int kGaugesDropAt = 625;
constexpr int kRatioWindow = 300;  // seconds, as the ratio charts
// A ratio's events: failures and denominators added at `at`.
struct RatioEvent {
  int at;
  long long failures;
  long long per;
};
constexpr RatioEvent kSocketRatio[] = {{12, 6, 200}, {40, 0, 800}};   // 3 %, then 0.6 %
constexpr RatioEvent kPublishRatio[] = {{12, 7, 100}, {40, 0, 900}};  // 7 %, then 0.7 %

std::string gauges_scenario() {
  std::string y = "prefix: vernemq_\nnodes: [VerneMQ@127.0.0.1]\nsteps:\n";
  y += "  - at: 0\n    add:\n      metrics:\n";
  y += "        system_utilization: " + std::to_string(kUtilization) + "\n";
  y += "        system_run_queue: " + std::to_string(kRunQueue) + "\n";
  y += "        vm_memory_total: " + std::to_string(kVmMemory) + "\n";
  for (std::size_t i = 0; i < std::size(kSocketRatio); ++i) {
    y += "  - at: " + std::to_string(kSocketRatio[i].at) + "\n    add:\n      metrics:\n";
    y += "        socket_error: " + std::to_string(kSocketRatio[i].failures) + "\n";
    y += "        socket_open: " + std::to_string(kSocketRatio[i].per) + "\n";
    y += "        \"mqtt_publish_error{mqtt_version=4}\": " + std::to_string(kPublishRatio[i].failures) + "\n";
    y += "        \"mqtt_publish_received{mqtt_version=4}\": " + std::to_string(kPublishRatio[i].per) + "\n";
  }
  y += "  - {at: " + std::to_string(kGaugesDropAt) + ", restart: true}\n";
  return y;
}

// The independent model of a ratio chart: 100 x the failures over the denominators added in the
// last 5 minutes before `t` (seconds after the timeline start); nullopt within 2 s of an event,
// where the scrape and the event may fall either side of the point.
std::optional<double> ratio_model(std::span<const RatioEvent> events, double t) {
  long long failures = 0;
  long long per = 0;
  for (const RatioEvent& e : events) {
    if (std::abs(t - e.at) < 2 || std::abs(t - (e.at + kRatioWindow)) < 2) return std::nullopt;
    if (e.at < t && e.at > t - kRatioWindow) failures += e.failures, per += e.per;
  }
  return 100.0 * static_cast<double>(failures) / static_cast<double>(std::max(per, 1LL));
}

// How an alert's value is made, so how the test checks it.
enum class Kind : std::uint8_t {
  count,        // sum -1s: the newest point, the minute's count
  unreachable,  // sum -1s of the scrape age; the outage
  ratio,        // sum -1s of a ratio chart; checked against ratio_model()
  window,       // min or average over 10 minutes: the chart's points in the lookup's window
};

// What each alert must peak at, from the scenarios above (by hand), and the status it reaches.
struct Expectation {
  const char* alert;
  const char* chart;  // chart id
  double peak;        // the highest value; 0 = not checked (the unreachable alert's seconds)
  const char* status;
  Kind kind = Kind::count;
  const char* job = "e2e";
};
constexpr Expectation warns(const char* alert, const char* chart, double peak) {
  return Expectation{alert, chart, peak, "WARNING"};
}
constexpr Expectation gauge_warns(const char* alert, const char* chart, double peak, Kind kind) {
  return Expectation{alert, chart, peak, "WARNING", kind, "gauges"};
}
const Expectation kExpected[] = {
    warns("vernemq_socket_errors", "socket_errors", 6),
    warns("vernemq_queue_message_drop", "queue_undelivered_messages", 6),
    warns("vernemq_queue_messages_dropped", "queue_undelivered_messages", 6),
    warns("vernemq_queue_message_expired", "queue_undelivered_messages", 6),
    warns("vernemq_queue_message_unhandled", "queue_undelivered_messages", 21),
    warns("vernemq_queue_unhandled_high", "queue_undelivered_messages", 21),
    warns("vernemq_cluster_dropped", "cluster_dropped", 1000),
    warns("vernemq_netsplits", "netsplits", 1),
    warns("vernemq_keepalive_expired_high", "client_keepalive_expired", 11),
    warns("vernemq_mqtt_connack_sent_reason_unsuccessful", "mqtt_connack_sent_reason", 6),
    warns("vernemq_mqtt_connack_sent_return_code_unsuccessful", "mqtt_connack_sent_return_code", 7),
    warns("vernemq_mqtt_disconnect_received_reason_not_normal", "mqtt_disconnect_received_reason", 6),
    warns("vernemq_mqtt_disconnect_sent_reason_not_normal", "mqtt_disconnect_sent_reason", 6),
    warns("vernemq_mqtt_subscribe_error", "mqtt_subscribe_error", 6),
    warns("vernemq_mqtt_subscribe_auth_error", "mqtt_subscribe_auth_error", 6),
    warns("vernemq_mqtt_unsubscribe_error", "mqtt_unsubscribe_error", 6),
    warns("vernemq_mqtt_publish_errors", "mqtt_publish_errors", 6),
    // v4's 6, and MQTT 5's: the simulator counts each PUBACK not_authorized there too.
    warns("vernemq_mqtt_publish_auth_errors", "mqtt_publish_auth_errors", 13),
    // not_authorized only: no_matching_subscribers (0x10) is a success.
    warns("vernemq_mqtt_puback_sent_reason_unsuccessful", "mqtt_puback_sent_reason", 7),
    warns("vernemq_mqtt_puback_received_reason_unsuccessful", "mqtt_puback_received_reason", 6),
    warns("vernemq_mqtt_puback_unexpected", "mqtt_puback_invalid_error", 6),
    warns("vernemq_mqtt_pubrec_received_reason_unsuccessful", "mqtt_pubrec_received_reason", 6),
    warns("vernemq_mqtt_pubrec_sent_reason_unsuccessful", "mqtt_pubrec_sent_reason", 6),
    warns("vernemq_mqtt_pubrec_invalid_error", "mqtt_pubrec_invalid_error", 6),
    warns("vernemq_mqtt_pubrel_received_reason_unsuccessful", "mqtt_pubrel_received_reason", 6),
    warns("vernemq_mqtt_pubrel_sent_reason_unsuccessful", "mqtt_pubrel_sent_reason", 6),
    warns("vernemq_mqtt_pubcomp_received_reason_unsuccessful", "mqtt_pubcomp_received_reason", 6),
    warns("vernemq_mqtt_pubcomp_sent_reason_unsuccessful", "mqtt_pubcomp_sent_reason", 6),
    warns("vernemq_mqtt_pubcomp_unexpected", "mqtt_pubcomp_invalid_error", 6),
    Expectation{"vernemq_broker_unreachable", "scrape_age", 0, "CRITICAL", Kind::unreachable},
    gauge_warns("vernemq_socket_error_ratio", "socket_error_ratio", 3, Kind::ratio),
    gauge_warns("vernemq_mqtt_publish_error_ratio", "mqtt_publish_error_ratio", 7, Kind::ratio),
    gauge_warns("vernemq_average_scheduler_utilization", "average_scheduler_utilization", kUtilization, Kind::window),
    gauge_warns("vernemq_scheduler_utilization_high", "average_scheduler_utilization", kUtilization, Kind::window),
    gauge_warns("vernemq_run_queue_high", "system_run_queue", kRunQueue, Kind::window),
    gauge_warns("vernemq_erlang_memory_high", "vm_memory", kVmMemory, Kind::window),
};

std::span<const RatioEvent> ratio_events(const std::string& alert) {
  if (alert == "vernemq_socket_error_ratio") return kSocketRatio;
  return kPublishRatio;
}

// The installed health files' templates: name -> (context, selected dimensions).
struct Shipped {
  std::string file;
  std::string context;
  std::string method;  // the lookup's: sum, min, average
  std::vector<std::string> dims;
};
std::map<std::string, Shipped> installed_alerts(const std::string& health_dir) {
  std::map<std::string, Shipped> out;
  for (const char* f : {"vernemq_plugin.conf", "vernemq_alerts.conf"}) {
    const std::string path = health_dir + "/" + f;
    std::ifstream in(path);
    std::string name;
    for (std::string line; std::getline(in, line);) {
      const auto colon = line.find(':');
      if (line.find_first_not_of(" \t") == std::string::npos || line[line.find_first_not_of(" \t")] == '#' ||
          colon == std::string::npos)
        continue;
      const std::string key = line.substr(line.find_first_not_of(" \t"), colon - line.find_first_not_of(" \t"));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      if (key == "template") {
        name = value;
        out[name].file = path;
      }
      if (key == "on") out[name].context = value;
      if (key == "lookup") out[name].method = value.substr(0, value.find(' '));
      if (key == "lookup" && value.find(" of ") != std::string::npos) {
        std::stringstream list(value.substr(value.find(" of ") + 4));
        for (std::string d; std::getline(list, d, ',');) out[name].dims.push_back(d);
      }
    }
  }
  return out;
}

struct Watch {
  std::vector<nlohmann::json> evals;  // distinct evaluations (by last_updated)
  std::optional<double> raised_at;    // seconds after the timeline start
  std::optional<double> clear_at;
  nlohmann::json last;
};

const std::string kV2Dir = std::string(VMQ_SOURCE_DIR) + "/../shared/tools/netdata-v2.10.4";

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

void every_alert_fires_true_and_clears(bool v2) {
  if (v2) {
    // The v2-native build tree first (built once): the scenario's clock starts with the simulator.
    std::string why;
    ASSERT_TRUE(testing::layout_build_tree(testing::build_dir_of(VMQ_PLUGIN_PATH), "v2-native", why)) << why;
  }
  testing::TempDir dir;
  const std::string scenario_file = dir.path() + "/alerts.yaml";
  ASSERT_TRUE(testing::write_text(scenario_file, kScenario));
  VernemqSim sim(VMQ_SIM_PATH, scenario_file);
  ASSERT_TRUE(sim.ok()) << sim.log();
  const std::string gauges_file = dir.path() + "/gauges.yaml";
  ASSERT_TRUE(testing::write_text(gauges_file, gauges_scenario()));
  VernemqSim gauges(VMQ_SIM_PATH, gauges_file);
  ASSERT_TRUE(gauges.ok()) << gauges.log();
  NetdataOptions o;
  o.build_dir = testing::build_dir_of(VMQ_PLUGIN_PATH);
  o.update_every = 1;
  o.vernemq_conf = "jobs:\n  - name: e2e\n    url: " + sim.url() + "\n  - name: gauges\n    url: " + gauges.url() +
                   "\n    host_memory: " + std::to_string(kHostMemory) + "\n";
  if (v2) {
    o.layout = "v2-native";
    o.netdata = kV2Dir + "/netdata";
    o.stock_health_dir = kV2Dir + "/stock-health.d";
  }
  NetdataInstance nd(o);
  ASSERT_TRUE(nd.ok()) << nd.failure();
  const std::string health_dir = nd.layout().user_config_dir + "/health.d";
  const auto shipped = installed_alerts(health_dir);
  ASSERT_GE(shipped.size(), 36u);

  std::map<std::string, Watch> watches;
  const double start = sim.timeline_start();
  const auto start_of = [&](const Expectation& e) {
    return std::string(e.job) == "e2e" ? start : gauges.timeline_start();
  };
  const auto chart_of = [](const Expectation& e) { return std::string("vernemq_") + e.job + "." + e.chart; };
  auto all_done = [&] {
    for (const Expectation& e : kExpected) {
      if (!watches[e.alert].clear_at) return false;
    }
    return true;
  };
  // The count alerts are done in 230 s; the 10-minute ones within 3 evaluations of the restart.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kGaugesDropAt + 240);
  while (!all_done() && std::chrono::steady_clock::now() < deadline) {
    const auto j = nd.get_json("/api/v1/alarms?all");
    const double unix_now = testing::unix_now();
    if (j && j->contains("alarms")) {
      for (const Expectation& e : kExpected) {
        const double now = unix_now - start_of(e);
        const auto it = (*j)["alarms"].find(chart_of(e) + "." + e.alert);
        if (it == (*j)["alarms"].end()) continue;
        Watch& w = watches[e.alert];
        w.last = *it;
        const auto when = (*it)["last_updated"].get<long long>();
        if (w.evals.empty() || w.evals.back()["last_updated"].get<long long>() != when) w.evals.push_back(*it);
        const std::string status = (*it)["status"].get<std::string>();
        if (status == e.status && !w.raised_at) w.raised_at = now;
        if (status == "CLEAR" && w.raised_at && !w.clear_at) w.clear_at = now;
      }
    }
    std::this_thread::sleep_for(500ms);
  }
  std::printf("Netdata %s answered after %.3f s; the run took %.0f s after the timeline start\n", v2 ? "v2" : "1.37",
              nd.startup_seconds(), testing::unix_now() - start);

  // Each alert: raised and cleared; every evaluation with a value read the chart's newest point
  // and equals the chart's sum of its dimensions there; the peak is the scenario's number.
  for (const Expectation& e : kExpected) {
    SCOPED_TRACE(e.alert);
    const Watch& w = watches[e.alert];
    ASSERT_FALSE(w.evals.empty()) << "never attached to " << chart_of(e);
    ASSERT_TRUE(shipped.contains(e.alert));
    const Shipped& s = shipped.at(e.alert);
    EXPECT_EQ(s.context, std::string("vernemq.") + e.chart);
    EXPECT_NE(w.last["source"].get<std::string>().find(s.file), std::string::npos) << w.last["source"];
    ASSERT_TRUE(w.raised_at.has_value()) << "never " << e.status << "; last: " << w.last.dump();
    ASSERT_TRUE(w.clear_at.has_value()) << "never CLEAR again; last: " << w.last.dump();
    // The first event: the count events, the outage, the ratios' events, the gauges from the start.
    const double from = e.kind == Kind::count         ? kEventsAt
                        : e.kind == Kind::unreachable ? kOutageFrom
                        : e.kind == Kind::ratio       ? ratio_events(e.alert).front().at
                                                      : 0;
    std::printf("  %-52s %-8s %5.1f s after the first event, CLEAR %5.1f s after it\n", e.alert, e.status,
                *w.raised_at - from, *w.clear_at - from);
    switch (e.kind) {
      case Kind::count:  // the events stay in the minute for 60 s
        EXPECT_GT(*w.clear_at, kEventsAt + 60);
        break;
      case Kind::unreachable:  // the outage lasts 130 s
        EXPECT_GT(*w.raised_at, kOutageFrom + 120);
        EXPECT_GT(*w.clear_at, kOutageFrom + kOutage);
        break;
      case Kind::ratio:  // over the threshold from the failures to the denominators that dilute them
        EXPECT_GT(*w.raised_at, ratio_events(e.alert)[0].at);
        EXPECT_GT(*w.clear_at, ratio_events(e.alert)[1].at);
        break;
      case Kind::window:  // over it until the restart
        EXPECT_GT(*w.clear_at, kGaugesDropAt);
        break;
    }
    // Every point since the start (the run is longer than the API's default 10 minutes).
    const auto data = testing::chart_data(nd, chart_of(e), -1200);
    ASSERT_TRUE(data.has_value());
    double peak = 0;
    int compared = 0;
    for (const auto& ev : w.evals) {
      if (!ev["value"].is_number()) continue;
      const auto db_after = ev["db_after"].get<long long>();
      const auto db_before = ev["db_before"].get<long long>();
      const auto when = ev["last_updated"].get<long long>();
      if (db_before <= 0) continue;
      SCOPED_TRACE("evaluation at " + std::to_string(when) + " reading " + std::to_string(db_after) + ".." +
                   std::to_string(db_before));
      EXPECT_LE(when - db_before, 1) << "the lookup did not read the newest point";
      const double value = ev["value"].get<double>();
      if (e.kind == Kind::window) {
        // min or average of the chart's stored points in the window: Netdata's lookup reads the
        // points from db_after to db_before, both included (as `sum -1s` reads the one point at
        // db_after == db_before): 600 points for 10 minutes.
        ASSERT_EQ(s.dims.size(), 1u);
        double lo = HUGE_VAL, sum = 0;
        int n = 0;
        for (std::size_t i = 0; i < data->times.size(); ++i) {
          if (data->times[i] < db_after || data->times[i] > db_before) continue;
          const auto v = data->value(data->times[i], s.dims[0]);
          if (!v) continue;
          lo = std::min(lo, *v);
          sum += *v;
          ++n;
        }
        ASSERT_GT(n, 0) << "no stored point in the window";
        if (compared == 0) {
          std::printf(
              "    first evaluation: %lld points' window, the chart's first point %+lld s from its start, %d "
              "points in it\n",
              db_before - db_after + 1, data->times.front() - db_after, n);
        }
        if (s.method == "min") {
          EXPECT_EQ(value, lo);
        } else {
          ASSERT_EQ(s.method, "average");
          EXPECT_NEAR(value, sum / n, 1e-9 * std::abs(sum / n)) << n << " points";
        }
      } else {
        EXPECT_EQ(db_after, db_before) << "the lookup read more than one point";
        const auto chart = data->sum_at(db_before, s.dims);
        ASSERT_TRUE(chart.has_value()) << "no stored point at " << db_before;
        EXPECT_EQ(value, *chart);
      }
      if (e.kind == Kind::ratio) {
        // The scenario's truth, where the point is not next to an event.
        if (const auto truth = ratio_model(ratio_events(e.alert), static_cast<double>(db_before) - start_of(e))) {
          EXPECT_NEAR(value, *truth, 0.0005) << "the model says " << *truth;
        }
      }
      peak = std::max(peak, value);
      ++compared;
    }
    // Every 10 s (1 minute for the 10-minute alerts) over the run.
    EXPECT_GE(compared, e.kind == Kind::window ? 2 : 3) << "too few evaluations with a value";
    if (e.peak > 0) {
      EXPECT_EQ(peak, e.peak);
    }
    // The text: true units, the node filled in, no raw variable.
    const std::string info = w.last["info"].get<std::string>();
    EXPECT_EQ(info.find('$'), std::string::npos) << info;
    EXPECT_NE(info.find(e.peak > 0 ? "VerneMQ@127.0.0.1" : "job e2e"), std::string::npos) << info;
    EXPECT_NE(info.find(std::string("docs/alerts.md#") + e.alert), std::string::npos) << info;
    if (v2) {
      const std::string summary = w.last.value("summary", "");
      EXPECT_FALSE(summary.empty()) << w.last.dump();
      EXPECT_EQ(summary.find('$'), std::string::npos) << summary;
    }
  }

  // The memory thresholds each job handed Netdata, as its health engine sees them: the gauges
  // job's from host_memory, e2e's (a loopback URL) from this machine's MemTotal, read here.
  {
    std::istringstream meminfo(testing::read_text("/proc/meminfo"));
    long long mem_kib = 0;
    for (std::string line; std::getline(meminfo, line);) {
      if (line.rfind("MemTotal:", 0) == 0) mem_kib = std::stoll(line.substr(9));
    }
    ASSERT_GT(mem_kib, 0);
    const std::pair<const char*, long long> jobs[] = {{"gauges", kHostMemory}, {"e2e", mem_kib * 1024}};
    for (const auto& [job, memory] : jobs) {
      SCOPED_TRACE(job);
      const auto vars = nd.get_json(std::string("/api/v1/alarm_variables?chart=vernemq_") + job + ".vm_memory");
      ASSERT_TRUE(vars.has_value()) << "no /api/v1/alarm_variables answer";
      const nlohmann::json* found = nullptr;
      for (const char* key : {"chart_variables", "variables"}) {
        if (vars->contains(key)) found = &(*vars)[key];
      }
      ASSERT_NE(found, nullptr) << vars->dump();
      ASSERT_TRUE(found->contains("vernemq_memory_warn") && found->contains("vernemq_memory_crit")) << vars->dump();
      EXPECT_EQ((*found)["vernemq_memory_warn"].get<double>(), static_cast<double>(memory * 60 / 100));
      EXPECT_EQ((*found)["vernemq_memory_crit"].get<double>(), static_cast<double>(memory * 80 / 100));
    }
  }

  // Every other shipped alert whose chart the plugin draws here is attached, from its file.
  const auto alarms = nd.get_json("/api/v1/alarms?all");
  const auto charts = nd.get_json("/api/v1/charts");
  ASSERT_TRUE(alarms && charts);
  int attached = 0;
  for (const auto& [name, s] : shipped) {
    const std::string chart = "vernemq_e2e." + s.context.substr(std::string("vernemq.").size());
    if (!(*charts)["charts"].contains(chart)) {
      std::printf("  %s: chart %s not drawn by this build (not checked)\n", name.c_str(), chart.c_str());
      continue;
    }
    const auto it = (*alarms)["alarms"].find(chart + "." + name);
    ASSERT_NE(it, (*alarms)["alarms"].end()) << name << " is not attached to " << chart;
    EXPECT_NE((*it)["source"].get<std::string>().find(s.file), std::string::npos) << (*it)["source"];
    ++attached;
  }
  EXPECT_GE(attached, 34);

  if (v2) {
    const std::string log = testing::read_text(nd.error_log_path());
    const auto stop = nd.stop();
    EXPECT_EQ(stop.netdata_exit, 0);
    // v2.10.4 ends the plugin by SIGKILL on its own shutdown (tests/e2e_v2_test.cpp).
    ASSERT_TRUE(stop.plugin_exit.has_value()) << stop.plugin_exit_unknown;
    EXPECT_TRUE(*stop.plugin_exit == 0 || *stop.plugin_exit == 128 + 9) << *stop.plugin_exit;
    EXPECT_TRUE(stop.leftovers.empty()) << ::testing::PrintToString(stop.leftovers);
    // Netdata's complaints about the health files (the plugin's outage errors are expected).
    std::istringstream in(testing::read_text(nd.daemon_log_path()) + log);
    for (std::string line; std::getline(in, line);) {
      const bool about_health = contains(line, "vernemq_plugin.conf") || contains(line, "vernemq_alerts.conf");
      if (about_health &&
          (contains(line, "level=error") || contains(line, "level=critical") || contains(line, "level=warning"))) {
        ADD_FAILURE() << "Netdata logged: " << line;
      }
    }
    return;
  }
  // The health files loaded cleanly: no error names either of them.
  const std::string log = nd.error_log();
  for (const char* f : {"vernemq_plugin.conf", "vernemq_alerts.conf"}) {
    std::string all;
    for (const auto& p : testing::error_log_problems(log, health_dir + "/" + f)) {
      if (p.find(f) != std::string::npos) all += p + "\n";
    }
    EXPECT_TRUE(all.empty()) << f << ":\n" << all;
  }
  // The outage is logged, then summarised once a minute; nothing else.
  testing::expect_clean_stop(nd, {"e2e : scrape failed: the server closed the connection", "e2e : still failing: "});
}

TEST(E2eAlertsCatalogue, EveryShippedAlertLoadsAttachesFiresWithTheChartsValueAndClears) {
  every_alert_fires_true_and_clears(false);
}

TEST(E2eAlertsCatalogue, TheSameOnNetdataV2) {
  if (!std::filesystem::exists(kV2Dir + "/netdata")) {
    GTEST_SKIP() << "no Netdata v2.10.4 at " << kV2Dir << " (a user's clone has no ../shared): skipped";
  }
  every_alert_fires_true_and_clears(true);
}

}  // namespace
}  // namespace vmq
