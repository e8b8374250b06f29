// SPDX-License-Identifier: GPL-3.0-or-later
// Every alert the project ships, in one real Netdata (Debian's 1.37; then v2.10.4 from
// ../shared/tools, skipped when absent) with the stock health directory in place, on one
// vernemq-sim scenario: the health files load without an error; each
// alert on a chart the plugin draws is attached there from the installed file; each count alert
// and the broker-unreachable alert go WARNING (or CRITICAL) and back to CLEAR; each evaluation's
// value is the chart's sum of the alert's dimensions at the point it read; and each alert's peak
// is the number the scenario put in (the non-failure codes it also adds must not count).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
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

// What each alert must peak at, from the scenario above (by hand), and the status it reaches.
struct Expectation {
  const char* alert;
  const char* chart;  // chart id
  double peak;        // the minute's count; 0 = not checked (the unreachable alert's seconds)
  const char* status;
};
constexpr Expectation warns(const char* alert, const char* chart, double peak) {
  return Expectation{alert, chart, peak, "WARNING"};
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
    Expectation{"vernemq_broker_unreachable", "scrape_age", 0, "CRITICAL"},
};

// The installed health files' templates: name -> (context, selected dimensions).
struct Shipped {
  std::string file;
  std::string context;
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
  NetdataOptions o;
  o.build_dir = testing::build_dir_of(VMQ_PLUGIN_PATH);
  o.update_every = 1;
  o.vernemq_conf = "jobs:\n  - name: e2e\n    url: " + sim.url() + "\n";
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
  auto all_done = [&] {
    for (const Expectation& e : kExpected) {
      if (!watches[e.alert].clear_at) return false;
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + 230s;
  while (!all_done() && std::chrono::steady_clock::now() < deadline) {
    const auto j = nd.get_json("/api/v1/alarms?all");
    const double now = testing::unix_now() - start;
    if (j && j->contains("alarms")) {
      for (const Expectation& e : kExpected) {
        const auto it = (*j)["alarms"].find(std::string("vernemq_e2e.") + e.chart + "." + e.alert);
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
    ASSERT_FALSE(w.evals.empty()) << "never attached to vernemq_e2e." << e.chart;
    ASSERT_TRUE(shipped.contains(e.alert));
    const Shipped& s = shipped.at(e.alert);
    EXPECT_EQ(s.context, std::string("vernemq.") + e.chart);
    EXPECT_NE(w.last["source"].get<std::string>().find(s.file), std::string::npos) << w.last["source"];
    ASSERT_TRUE(w.raised_at.has_value()) << "never " << e.status << "; last: " << w.last.dump();
    ASSERT_TRUE(w.clear_at.has_value()) << "never CLEAR again; last: " << w.last.dump();
    const double from = e.peak > 0 ? kEventsAt : kOutageFrom;
    std::printf("  %-52s %-8s %5.1f s after the first event, CLEAR %5.1f s after it\n", e.alert, e.status,
                *w.raised_at - from, *w.clear_at - from);
    // The events stay in the minute for 60 s (count alerts); the outage lasts 130 s.
    if (e.peak > 0) {
      EXPECT_GT(*w.clear_at, kEventsAt + 60);
    } else {
      EXPECT_GT(*w.raised_at, kOutageFrom + 120);
      EXPECT_GT(*w.clear_at, kOutageFrom + kOutage);
    }
    const auto data = testing::chart_data(nd, std::string("vernemq_e2e.") + e.chart);
    ASSERT_TRUE(data.has_value());
    double peak = 0;
    int compared = 0;
    for (const auto& ev : w.evals) {
      if (!ev["value"].is_number()) continue;
      const auto db_after = ev["db_after"].get<long long>();
      const auto db_before = ev["db_before"].get<long long>();
      const auto when = ev["last_updated"].get<long long>();
      if (db_before <= 0) continue;
      SCOPED_TRACE("evaluation at " + std::to_string(when) + " reading " + std::to_string(db_before));
      EXPECT_EQ(db_after, db_before) << "the lookup read more than one point";
      EXPECT_LE(when - db_before, 1) << "the lookup did not read the newest point";
      const auto chart = data->sum_at(db_before, s.dims);
      ASSERT_TRUE(chart.has_value()) << "no stored point at " << db_before;
      const double value = ev["value"].get<double>();
      EXPECT_EQ(value, *chart);
      peak = std::max(peak, value);
      ++compared;
    }
    EXPECT_GE(compared, 3) << "too few evaluations with a value";
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
