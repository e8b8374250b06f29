// SPDX-License-Identifier: GPL-3.0-or-later
// End to end in a real Netdata v2.10.4 (../shared/tools/netdata-v2.10.4; skipped, and reported
// as skipped, when it is not there): the plugin and its health file laid out by a `v2-native`
// install, v2's stock health.d in place, one vernemq-sim scenario (refusals, then none). It checks
// the charts and their contexts, that the project's alert is the one on the plugin's chart (its
// source is the installed file, not the stock one), that it goes WARNING and CLEAR with the
// chart's value, that its text shows no raw variable, and that the plugin logs logfmt into
// collector.log. One Netdata instance, one scenario.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <regex>
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

const std::string kNetdataDir = std::string(VMQ_SOURCE_DIR) + "/../shared/tools/netdata-v2.10.4";
constexpr const char* kChart = "vernemq_e2e.mqtt_puback_sent_reason";
constexpr const char* kRateChart = "vernemq_e2e.mqtt_puback";
constexpr const char* kAlert = "vernemq_mqtt_puback_sent_reason_unsuccessful";
constexpr const char* kNode = "VerneMQ@127.0.0.1";  // vernemq-sim's node name (scenario_yaml)

// One refused publish a second for 12 s (12 in the last minute at the peak, over the threshold of
// 5), then only successful ones: the chart goes back to 0 a minute later.
constexpr int kBadUntil = 12;

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

TEST(E2eV2, NativeInstallRunsAlertsReadTrueAndLogsAreV2s) {
  if (!std::filesystem::exists(kNetdataDir + "/netdata")) {
    GTEST_SKIP() << "no Netdata v2.10.4 at " << kNetdataDir << " (a user's clone has no ../shared): skipped";
  }
  const auto t0 = std::chrono::steady_clock::now();
  // The v2-native build tree first (built once, a no-op later): the scenario's clock starts with
  // the simulator, and a build must not eat its refusals.
  std::string why;
  ASSERT_TRUE(testing::layout_build_tree(testing::build_dir_of(VMQ_PLUGIN_PATH), "v2-native", why)) << why;
  testing::TempDir dir;
  const std::vector<testing::SimStep> steps = {testing::rate_at(0, {{"success", 10}, {"not_authorized", 1}}),
                                               testing::rate_at(kBadUntil, {{"success", 10}})};
  VernemqSim sim(VMQ_SIM_PATH, dir.path(), steps);
  ASSERT_TRUE(sim.ok()) << sim.log();
  NetdataOptions o;
  o.build_dir = testing::build_dir_of(VMQ_PLUGIN_PATH);
  o.layout = "v2-native";
  o.netdata = kNetdataDir + "/netdata";
  o.stock_health_dir = kNetdataDir + "/stock-health.d";
  o.vernemq_conf = "jobs:\n  - name: e2e\n    url: " + sim.url() + "\n";
  NetdataInstance nd(o);
  ASSERT_TRUE(nd.ok()) << nd.failure();

  // Laid out as v2's native packages run plugins (netdata-v2.md §5), health rendered for v2.
  const auto& l = nd.layout();
  EXPECT_EQ(l.plugin, l.destdir + "/usr/libexec/netdata/plugins.d/vernemq.plugin");
  EXPECT_EQ(l.health_file, l.destdir + "/etc/netdata/health.d/vernemq_plugin.conf");
  const std::string health = testing::read_text(l.health_file);
  EXPECT_TRUE(contains(health, "${label:node}")) << health;
  EXPECT_FALSE(contains(health, "$label:")) << health;

  // The charts, with their contexts.
  std::optional<nlohmann::json> charts;
  for (const auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(250ms)) {
    charts = nd.get_json("/api/v1/charts");
    if (charts && (*charts)["charts"].contains(kChart) && (*charts)["charts"].contains(kRateChart)) break;
  }
  ASSERT_TRUE(charts && (*charts)["charts"].contains(kChart)) << (charts ? charts->dump() : "no /api/v1/charts");
  EXPECT_EQ((*charts)["charts"][kChart]["context"], "vernemq.mqtt_puback_sent_reason");
  ASSERT_TRUE((*charts)["charts"].contains(kRateChart));
  EXPECT_EQ((*charts)["charts"][kRateChart]["context"], "vernemq.mqtt_puback");

  // The alert: WARNING while the refusals are in the last minute, CLEAR after.
  std::optional<double> warning_at, clear_at;
  nlohmann::json at_warning, last;
  int compared = 0;
  for (const auto deadline = std::chrono::steady_clock::now() + 150s;
       !clear_at && std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(500ms)) {
    const auto a = testing::alarm_of(nd, kChart, kAlert);
    if (!a) continue;
    last = *a;
    const std::string status = (*a)["status"].get<std::string>();
    const double now = testing::unix_now() - sim.timeline_start();
    if (status == "WARNING" && !warning_at) {
      warning_at = now;
      at_warning = *a;
    }
    if (status == "CLEAR" && warning_at) clear_at = now;
  }
  ASSERT_TRUE(warning_at) << "never WARNING; last: " << last.dump();
  ASSERT_TRUE(clear_at) << "never CLEAR again; last: " << last.dump();
  std::printf("v2: WARNING %.1f s after the refusals began, CLEAR %.1f s after they stopped\n", *warning_at,
              *clear_at - kBadUntil);

  // Its value is what the chart showed at the point it read (design decision 1, as on 1.37).
  const auto data = testing::chart_data(nd, kChart);
  ASSERT_TRUE(data);
  if (at_warning.contains("db_before") && at_warning["value"].is_number()) {
    const auto chart = data->unsuccessful_at(at_warning["db_before"].get<long long>());
    ASSERT_TRUE(chart) << at_warning.dump();
    EXPECT_EQ(at_warning["value"].get<double>(), *chart) << at_warning.dump();
    EXPECT_GT(*chart, 5);
    ++compared;
  }
  EXPECT_EQ(compared, 1) << "no value/db_before in v2's alarm: " << at_warning.dump();

  // The project's template, from the installed file, not the stock one of the same name.
  const std::string source = at_warning.value("source", "");
  EXPECT_TRUE(contains(source, l.health_file)) << source;
  EXPECT_FALSE(contains(source, "stock-health.d")) << source;
  // Its text: the node's name filled in, no raw variable.
  for (const char* key : {"info", "summary"}) {
    ASSERT_TRUE(at_warning.contains(key)) << at_warning.dump();
    const std::string text = at_warning[key].get<std::string>();
    EXPECT_FALSE(contains(text, "$")) << key << ": " << text;
    EXPECT_TRUE(contains(text, kNode)) << key << ": " << text;
  }

  // The Function: listed, and answering a table with a row per job.
  const auto listed = nd.get_json("/api/v1/functions");
  ASSERT_TRUE(listed) << "no /api/v1/functions";
  EXPECT_TRUE(contains(listed->dump(), "\"vernemq\"")) << listed->dump();
  const auto table = nd.get_json("/api/v1/function?function=vernemq&timeout=10");
  ASSERT_TRUE(table) << "no answer from /api/v1/function?function=vernemq";
  EXPECT_EQ((*table)["type"], "table") << table->dump();
  ASSERT_TRUE((*table)["data"].is_array()) << table->dump();
  ASSERT_EQ((*table)["data"].size(), 1u) << table->dump();
  const auto& cols = (*table)["columns"];
  const auto& row = (*table)["data"][0];
  EXPECT_EQ(row[cols["job"]["index"].get<std::size_t>()], "e2e");
  EXPECT_EQ(row[cols["url"]["index"].get<std::size_t>()], sim.url());
  EXPECT_EQ(row[cols["status"]["index"].get<std::size_t>()], "up");
  // The refusals are over a minute old by now: 0 in the last minute, as the chart shows.
  EXPECT_EQ(row[cols["refused_1m"]["index"].get<std::size_t>()], 0) << table->dump();

  // collector.log: the plugin's lines are logfmt, Netdata's fields first.
  const std::string log = testing::read_text(nd.error_log_path());
  std::istringstream in(log);
  int plugin_lines = 0;
  static const std::regex logfmt(
      R"(^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d comm=vernemq\.plugin source=collector level=(info|warning|error|debug)( job=\S+)? msg=.+$)");
  for (std::string line; std::getline(in, line);) {
    if (contains(line, "vernemq.plugin INFO :") || contains(line, "vernemq.plugin ERROR :")) {
      ADD_FAILURE() << "a 1.37-format line: " << line;
    }
    if (!contains(line, "comm=vernemq.plugin")) continue;
    ++plugin_lines;
    EXPECT_TRUE(std::regex_match(line, logfmt)) << line;
    EXPECT_FALSE(contains(line, "level=error")) << line;
  }
  EXPECT_GE(plugin_lines, 2) << log;
  EXPECT_TRUE(contains(log, "job=e2e msg=\"collecting ")) << log;

  const auto stop = nd.stop();
  EXPECT_EQ(stop.netdata_exit, 0);
  // Seen with v2.10.4: on its own shutdown Netdata cancels the plugin's parser thread ("PARSER:
  // thread cancelled while waiting for data.") and the plugin ends by SIGKILL (137) without a
  // QUIT, an EOF on stdin or a SIGTERM first, so it cannot exit 0 by itself; v2 wins. Anything
  // else (a crash, another signal, a non-zero exit) fails.
  ASSERT_TRUE(stop.plugin_exit.has_value()) << stop.plugin_exit_unknown;
  EXPECT_TRUE(*stop.plugin_exit == 0 || *stop.plugin_exit == 128 + 9) << *stop.plugin_exit;
  std::printf("v2: the plugin ended with %d when Netdata stopped\n", *stop.plugin_exit);
  EXPECT_TRUE(stop.leftovers.empty()) << ::testing::PrintToString(stop.leftovers);
  // Netdata's own complaints about the plugin or its health file.
  const std::string daemon = testing::read_text(nd.daemon_log_path());
  std::istringstream din(daemon + log);
  for (std::string line; std::getline(din, line);) {
    const bool about_us = contains(line, "vernemq_plugin.conf") || contains(line, "PLUGINSD[vernemq]") ||
                          contains(line, "vernemq.plugin");
    if (contains(line, "PARSER: thread cancelled while waiting for data.")) continue;  // the shutdown, above
    if (about_us && (contains(line, "level=error") || contains(line, "level=critical"))) {
      ADD_FAILURE() << "Netdata logged: " << line;
    }
  }
  std::printf("v2 e2e wall time: %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace
}  // namespace vmq
