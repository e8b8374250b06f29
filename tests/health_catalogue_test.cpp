// SPDX-License-Identifier: GPL-3.0-or-later
// Every alert the project ships (health.d/*.conf.in) against the chart catalogue: its `on:`
// context is a chart this plugin draws, its `lookup` names dimensions that chart has, each
// "unsuccessful"/"not normal" selection is exactly the chart's `failures` list, and the text
// says what the value is. The source files are read as text, the catalogue through its header:
// neither is derived from the other.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "vmq/catalogue.h"
#include "vmq/cluster_charts.h"
#include "vmq/host_memory.h"
#include "vmq/job_charts.h"

namespace vmq {
namespace {

namespace fs = std::filesystem;

struct Alert {
  std::string file;
  int line = 0;
  std::map<std::string, std::string> keys;  // key -> value, trimmed
  [[nodiscard]] std::string get(const std::string& k) const {
    const auto it = keys.find(k);
    return it == keys.end() ? "" : it->second;
  }
  [[nodiscard]] std::string where() const { return file + ":" + std::to_string(line) + " " + get("template"); }
};

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  const auto b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

std::vector<Alert> shipped_alerts() {
  std::vector<Alert> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(std::string(VMQ_SOURCE_DIR) + "/health.d")) {
    if (e.path().string().ends_with(".conf.in")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    std::ifstream in(p);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      const std::string t = trim(line);
      if (t.empty() || t[0] == '#') continue;
      const auto colon = t.find(':');
      if (colon == std::string::npos) continue;
      const std::string key = trim(t.substr(0, colon));
      const std::string value = trim(t.substr(colon + 1));
      if (key == "template" || key == "alarm") out.push_back(Alert{p.filename().string(), n, {}});
      if (!out.empty()) out.back().keys[key] = value;
    }
  }
  return out;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(trim(item));
  return out;
}

// The lookup's dimension selection (after `of`), or empty when it selects the whole chart.
std::vector<std::string> selected_dims(const std::string& lookup) {
  const auto of = lookup.find(" of ");
  if (of == std::string::npos) return {};
  return split_list(lookup.substr(of + 4));
}

// The charts an alert may be on: the catalogue's, the cluster charts and the job's own scrape charts.
struct Target {
  std::vector<std::string> dims;
  std::vector<std::string> failures;
  bool count = false;  // events in the last minute
};
std::map<std::string, Target> targets() {
  std::map<std::string, Target> out;
  for (const catalogue::Chart& c : catalogue::charts()) {
    Target t;
    t.count = c.algo == catalogue::Algo::count;
    if (c.split.empty()) {
      for (const catalogue::Dim& d : c.dims) {
        if (std::find(t.dims.begin(), t.dims.end(), d.id) == t.dims.end()) t.dims.emplace_back(d.id);
      }
    } else {
      for (std::string_view k : c.known) t.dims.emplace_back(k);
    }
    for (std::string_view f : c.failures) t.failures.emplace_back(f);
    out[catalogue::context_of(c)] = t;
  }
  for (const ClusterChartShape& c : cluster_chart_shapes()) {
    out[std::string(c.context)] = Target{std::vector<std::string>(c.dims.begin(), c.dims.end()), {}, false};
  }
  out[std::string(kScrapeStatusChart.context)] = Target{{std::string(kDimUp)}, {}, false};
  out[std::string(kScrapeAgeChart.context)] = Target{{std::string(kDimLastSuccess)}, {}, false};
  return out;
}

TEST(HealthCatalogue, EveryAlertIsOnAChartThisPluginDrawsAndSelectsItsDimensions) {
  const auto alerts = shipped_alerts();
  const auto charts = targets();
  ASSERT_GE(alerts.size(), 36u) << "26 stock names and the new ones";
  std::set<std::string> names;
  for (const Alert& a : alerts) {
    SCOPED_TRACE(a.where());
    EXPECT_TRUE(names.insert(a.get("template")).second) << "a name shipped twice";
    EXPECT_EQ(a.get("plugin"), "vernemq.plugin");
    const std::string on = a.get("on");
    const auto it = charts.find(on);
    ASSERT_NE(it, charts.end()) << "no chart has the context " << on;
    const std::vector<std::string> dims = selected_dims(a.get("lookup"));
    for (const std::string& d : dims) {
      EXPECT_NE(std::find(it->second.dims.begin(), it->second.dims.end(), d), it->second.dims.end())
          << on << " has no dimension " << d;
    }
    // A selection by name must say so: an id and a name could differ on another version.
    if (!dims.empty()) {
      EXPECT_NE(a.get("lookup").find("match-names of"), std::string::npos);
    }
    if (it->second.count) {
      // A count chart's point is the minute's count: the alert reads that point, and says so.
      EXPECT_TRUE(a.get("lookup").starts_with("sum -1s unaligned ")) << a.get("lookup");
      EXPECT_NE(a.get("info").find("in the last minute"), std::string::npos) << a.get("info");
    } else {
      EXPECT_EQ(a.get("info").find("in the last minute"), std::string::npos) << a.get("info");
    }
    // A reason chart: the alert's set is the catalogue's refusals, in the catalogue's order.
    if (!it->second.failures.empty()) {
      EXPECT_EQ(dims, it->second.failures);
    }
  }
}

TEST(HealthCatalogue, TheStockNamesAreAllShippedAndNothingCountsNoMatchingSubscribers) {
  // Netdata's stock health.d/vernemq.conf (1.37.1 and v2 alike): 26 templates.
  const std::vector<std::string> stock = {"vernemq_socket_errors",
                                          "vernemq_queue_message_drop",
                                          "vernemq_queue_message_expired",
                                          "vernemq_queue_message_unhandled",
                                          "vernemq_average_scheduler_utilization",
                                          "vernemq_cluster_dropped",
                                          "vernemq_netsplits",
                                          "vernemq_mqtt_connack_sent_reason_unsuccessful",
                                          "vernemq_mqtt_disconnect_received_reason_not_normal",
                                          "vernemq_mqtt_disconnect_sent_reason_not_normal",
                                          "vernemq_mqtt_subscribe_error",
                                          "vernemq_mqtt_subscribe_auth_error",
                                          "vernemq_mqtt_unsubscribe_error",
                                          "vernemq_mqtt_publish_errors",
                                          "vernemq_mqtt_publish_auth_errors",
                                          "vernemq_mqtt_puback_received_reason_unsuccessful",
                                          "vernemq_mqtt_puback_sent_reason_unsuccessful",
                                          "vernemq_mqtt_puback_unexpected",
                                          "vernemq_mqtt_pubrec_received_reason_unsuccessful",
                                          "vernemq_mqtt_pubrec_sent_reason_unsuccessful",
                                          "vernemq_mqtt_pubrec_invalid_error",
                                          "vernemq_mqtt_pubrel_received_reason_unsuccessful",
                                          "vernemq_mqtt_pubrel_sent_reason_unsuccessful",
                                          "vernemq_mqtt_pubcomp_received_reason_unsuccessful",
                                          "vernemq_mqtt_pubcomp_sent_reason_unsuccessful",
                                          "vernemq_mqtt_pubcomp_unexpected"};
  std::map<std::string, Alert> by_name;
  for (const Alert& a : shipped_alerts()) by_name[a.get("template")] = a;
  for (const std::string& n : stock) EXPECT_TRUE(by_name.contains(n)) << n;
  for (const auto& [name, a] : by_name) {
    SCOPED_TRACE(a.where());
    const auto dims = selected_dims(a.get("lookup"));
    EXPECT_EQ(std::find(dims.begin(), dims.end(), "no_matching_subscribers"), dims.end());
    EXPECT_EQ(std::find(dims.begin(), dims.end(), "success"), dims.end());
    // No negative pattern: a selection is an explicit list (a new code is not a failure by default).
    for (const std::string& d : dims) EXPECT_EQ(d.find_first_of("!*"), std::string::npos) << d;
  }
  // The one stock alert whose unit was wrong.
  EXPECT_EQ(by_name["vernemq_cluster_dropped"].get("units"), "bytes");
  // The MQTT 3.1.1 CONNACK refusals Netdata never alerted on: every return code but success.
  const auto& v4 = by_name["vernemq_mqtt_connack_sent_return_code_unsuccessful"];
  const auto codes = catalogue::reason_codes("mqtt_connack_sent", 4);
  std::vector<std::string> want(codes.begin() + 1, codes.end());
  ASSERT_EQ(codes.front(), "success");
  EXPECT_EQ(selected_dims(v4.get("lookup")), want);
}

// The memory alert compares against the chart variables the plugin sets on vm_memory (names from
// host_memory.h), and no expression reads a variable that neither Netdata nor the plugin defines
// (Netdata would evaluate it as an error, and the alert would never fire).
TEST(HealthCatalogue, ExpressionsReadOnlyNetdatasVariablesAndThePluginsMemoryThresholds) {
  std::map<std::string, Alert> by_name;
  for (const Alert& a : shipped_alerts()) by_name[a.get("template")] = a;
  const Alert& memory = by_name["vernemq_erlang_memory_high"];
  EXPECT_EQ(memory.get("on"), "vernemq." + std::string(kMemoryChartId));
  EXPECT_EQ(memory.get("warn"), "$this > $" + std::string(kMemoryWarnVariable));
  EXPECT_EQ(memory.get("crit"), "$this > $" + std::string(kMemoryCritVariable));
  const std::set<std::string> known = {
      "this", "status", "WARNING", "CRITICAL", std::string(kMemoryWarnVariable), std::string(kMemoryCritVariable)};
  for (const auto& [name, a] : by_name) {
    for (const char* key : {"warn", "crit", "calc"}) {
      const std::string e = a.get(key);
      for (std::size_t at = e.find('$'); at != std::string::npos; at = e.find('$', at + 1)) {
        std::size_t end = at + 1;
        while (end < e.size() && (std::isalnum(static_cast<unsigned char>(e[end])) || e[end] == '_')) ++end;
        EXPECT_TRUE(known.contains(e.substr(at + 1, end - at - 1))) << name << " " << key << ": " << e;
      }
    }
  }
}

}  // namespace
}  // namespace vmq
