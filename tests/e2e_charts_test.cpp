// SPDX-License-Identifier: GPL-3.0-or-later
// Inside a real Netdata (Debian's 1.37, private and loopback-only), with vernemq.plugin installed
// by the project's own install rules and vernemq-sim as the broker: the charts as Netdata stores
// them, a broker restart, and how the plugin ends when Netdata stops.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "netdata_instance.h"
#include "subprocess.h"
#include "vmq/catalogue.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using testing::add_at;
using testing::NetdataInstance;
using testing::NetdataOptions;
using testing::rate_at;
using testing::restart_at;
using testing::SimStep;
using testing::VernemqSim;

constexpr const char* kReasonChart = "vernemq_e2e.mqtt_puback_sent_reason";
constexpr const char* kRateChart = "vernemq_e2e.mqtt_puback";
constexpr const char* kAlert = "vernemq_mqtt_puback_sent_reason_unsuccessful";

// The nine reasons the chart declares from the start, in design.md's order.
const std::vector<std::string> kKnownReasons = {"success",
                                                "no_matching_subscribers",
                                                "unspecified_error",
                                                "impl_specific_error",
                                                "not_authorized",
                                                "topic_name_invalid",
                                                "packet_id_in_use",
                                                "quota_exceeded",
                                                "payload_format_invalid"};

NetdataOptions options_for(const VernemqSim& sim, int update_every = 1) {
  NetdataOptions o;
  o.build_dir = testing::build_dir_of(VMQ_PLUGIN_PATH);
  o.update_every = update_every;
  o.vernemq_conf = "jobs:\n  - name: e2e\n    url: " + sim.url() + "\n";
  return o;
}

// A copy of the shipped health file that evaluates every second and notifies at once.
void fast_health(const testing::InstallLayout& l) {
  const auto fast = testing::fast_health_variant(testing::read_text(l.health_file));
  ASSERT_TRUE(fast.has_value()) << "the shipped health file has no every: or delay: line";
  ASSERT_TRUE(testing::write_text(l.health_file, *fast));
}

// Waits (polling) until the chart's newest point is at least `t`; returns its data.
std::optional<testing::ChartData> data_through(const NetdataInstance& nd, const std::string& chart, long long t,
                                               std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<testing::ChartData> d;
  while (std::chrono::steady_clock::now() < deadline) {
    d = testing::chart_data(nd, chart);
    if (d && !d->times.empty() && d->times.back() >= t) return d;
    std::this_thread::sleep_for(200ms);
  }
  return d;
}

TEST(E2eCharts, ChartsAndTheirMinuteValuesInNetdata) {
  testing::TempDir dir;
  // Bursts on whole seconds, a steady rate, a reason no list knows (a dimension added at run
  // time), and a rate that stops.
  const std::vector<SimStep> steps = {
      rate_at(0, {{"success", 10}}),
      add_at(3, {{"not_authorized", 7}}),
      add_at(5, {{"impl_specific_error", 4}, {"quota_exceeded", 1}}),
      add_at(7, {{"server_busy", 3}}),
      rate_at(9, {{"success", 10}, {"not_authorized", 1}}),
      rate_at(12, {{"success", 10}}),
  };
  VernemqSim sim(VMQ_SIM_PATH, dir.path(), steps);
  ASSERT_TRUE(sim.ok()) << sim.log();
  NetdataInstance nd(options_for(sim));
  ASSERT_TRUE(nd.ok()) << nd.failure();
  std::printf("netdata answered %.3f s after it was started\n", nd.startup_seconds());

  // Everything the scenario does has happened 14 s after its start; two more points to be safe.
  const auto last = static_cast<long long>(std::ceil(sim.timeline_start())) + 16;
  const auto data = data_through(nd, kReasonChart, last, 40s);
  ASSERT_TRUE(data.has_value()) << nd.error_log();
  ASSERT_GE(data->times.back(), last) << "the chart stopped being fed";

  // The charts, as Netdata holds them.
  const auto charts = nd.get_json("/api/v1/charts");
  ASSERT_TRUE(charts.has_value());
  ASSERT_TRUE((*charts)["charts"].contains(kReasonChart)) << charts->dump();
  const auto& c = (*charts)["charts"][kReasonChart];
  EXPECT_EQ(c["context"], "vernemq.mqtt_puback_sent_reason");
  EXPECT_EQ(c["units"], "packets");
  EXPECT_EQ(c["chart_type"], "stacked");
  EXPECT_EQ(c["family"], "mqtt publish");
  // 1.37 appends " (TYPE.ID)" to a title.
  EXPECT_EQ(c["title"].get<std::string>().rfind("MQTT 5 PUBACK QoS 1 Sent by Reason in the Last Minute", 0), 0u)
      << c["title"];
  EXPECT_EQ(c["priority"], 70100);
  EXPECT_EQ(c["update_every"], 1);
  EXPECT_EQ(c["plugin"], "vernemq.plugin");
  EXPECT_EQ(c["chart_labels"]["node"], "VerneMQ@127.0.0.1") << c["chart_labels"].dump();
  EXPECT_EQ(c["chart_labels"]["_collect_job"], "e2e") << c["chart_labels"].dump();
  std::set<std::string> want_dims(kKnownReasons.begin(), kKnownReasons.end());
  want_dims.insert("server_busy");
  std::set<std::string> dims;
  for (const auto& [id, d] : c["dimensions"].items()) {
    dims.insert(id);
    EXPECT_EQ(d["name"], id) << "a reason dimension's name must equal its id";
  }
  EXPECT_EQ(dims, want_dims);

  ASSERT_TRUE((*charts)["charts"].contains(kRateChart));
  const auto& r = (*charts)["charts"][kRateChart];
  EXPECT_EQ(r["context"], "vernemq.mqtt_puback");
  EXPECT_EQ(r["units"], "packets/s");
  EXPECT_EQ(r["chart_type"], "line");
  EXPECT_EQ(r["chart_labels"]["node"], "VerneMQ@127.0.0.1");
  std::set<std::string> rate_dims;
  for (const auto& [id, d] : r["dimensions"].items()) rate_dims.insert(id);
  EXPECT_EQ(rate_dims, (std::set<std::string>{"received", "sent"}));

  // Every catalogue chart whose families the simulator serves (all but the plugins' families)
  // is there as the catalogue says: context, units, type, family, dimensions.
  std::size_t catalogue_charts = 0;
  for (const catalogue::Chart& spec : catalogue::charts()) {
    SCOPED_TRACE(std::string(spec.id));
    const std::string id = "vernemq_e2e." + std::string(spec.id);
    if (catalogue::from_a_plugin(spec.dims[0].family)) {
      EXPECT_FALSE((*charts)["charts"].contains(id)) << "a family the broker does not export makes no chart";
      continue;
    }
    ASSERT_TRUE((*charts)["charts"].contains(id));
    const auto& ch = (*charts)["charts"][id];
    EXPECT_EQ(ch["context"], catalogue::context_of(spec));
    EXPECT_EQ(ch["units"], std::string(spec.units));
    EXPECT_EQ(ch["chart_type"], std::string(spec.type));
    EXPECT_EQ(ch["family"], std::string(spec.family));
    EXPECT_EQ(ch["priority"], spec.priority);
    EXPECT_EQ(ch["chart_labels"]["node"], "VerneMQ@127.0.0.1");
    std::set<std::string> have, want;
    for (const auto& [dim_id, d] : ch["dimensions"].items()) have.insert(dim_id);
    if (spec.split.empty()) {
      for (const catalogue::Dim& d : spec.dims) want.insert(std::string(d.id));
    } else {
      for (std::string_view k : spec.known) want.insert(std::string(k));
    }
    if (spec.id == "mqtt_puback_sent_reason") want.insert("server_busy");  // the scenario's new reason
    if (spec.split == "group") {
      EXPECT_FALSE(have.empty());  // the broker's SWC groups
    } else {
      EXPECT_EQ(have, want);
    }
    ++catalogue_charts;
  }
  EXPECT_GE(catalogue_charts, 70u);
  const std::vector<std::string> problems = testing::error_log_problems(nd.error_log(), nd.layout().health_file);
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);

  // The stored points: one a second, and per reason exactly what the scenario implies for a
  // trailing minute, counted from the plugin's first scrape (a second before the first point).
  ASSERT_GE(data->times.size(), 10u);
  std::string table;
  for (const auto& d : data->dims) table += d + " ";
  table += "\n";
  for (std::size_t i = 0; i < data->times.size(); ++i) {
    table += std::to_string(static_cast<double>(data->times[i]) - sim.timeline_start()) + ":";
    for (const auto& v : data->rows[i])
      table += " " + (v ? std::to_string(static_cast<long long>(*v)) : std::string("-"));
    table += "\n";
  }
  SCOPED_TRACE("the stored points (seconds after the scenario start: values):\n" + table);
  for (std::size_t i = 1; i < data->times.size(); ++i) {
    ASSERT_EQ(data->times[i] - data->times[i - 1], 1) << "a point is missing at " << data->times[i - 1] + 1;
  }
  for (const auto& reason : want_dims) {
    const auto want =
        testing::expected_minute_values(steps, reason, sim.timeline_start(), data->times[0] - 1, data->times);
    for (std::size_t i = 0; i < data->times.size(); ++i) {
      const auto got = data->value(data->times[i], reason);
      // A dimension added at run time has no values before it existed.
      if (reason == "server_busy" && !got && want[i] == 0) continue;
      ASSERT_TRUE(got.has_value()) << reason << " has no value at " << data->times[i];
      EXPECT_EQ(*got, static_cast<double>(want[i]))
          << reason << " at " << data->times[i] << " (" << static_cast<double>(data->times[i]) - sim.timeline_start()
          << " s after the scenario start)";
    }
  }
  // The burst is in the window as a whole, not as a rate.
  EXPECT_EQ(data->value(data->times.back(), "not_authorized"), 7 + 3);

  const auto rates = testing::chart_data(nd, kRateChart);
  ASSERT_TRUE(rates.has_value());
  ASSERT_FALSE(rates->times.empty());
  // In steady state only success flows: 10/s sent (drawn negative), nothing received. Netdata
  // interpolates a rate onto its own second boundaries, hence "near".
  const auto sent = rates->value(rates->times.back(), "sent");
  ASSERT_TRUE(sent.has_value());
  EXPECT_NEAR(*sent, -10, 0.1);
  EXPECT_EQ(rates->value(rates->times.back(), "received"), 0);

  testing::expect_clean_stop(nd);
}

TEST(E2eCharts, BrokerRestartRaisesNoFalseAlertAndNoNegativeValue) {
  testing::TempDir dir;
  // Large counters before the plugin's first scrape; the broker restarts (every counter back
  // to 0) while traffic goes on; then a few refusals, fewer than the alert's threshold.
  const std::vector<SimStep> steps = {
      add_at(0, {{"not_authorized", 500}, {"impl_specific_error", 300}}),
      rate_at(0, {{"success", 50}}),
      restart_at(10),
      add_at(13, {{"not_authorized", 2}}),
      add_at(15, {{"impl_specific_error", 1}}),
  };
  VernemqSim sim(VMQ_SIM_PATH, dir.path(), steps);
  ASSERT_TRUE(sim.ok()) << sim.log();
  sim.wait_until(0.2);  // the big counters exist before Netdata starts the plugin
  auto opts = options_for(sim);
  opts.after_install = fast_health;
  NetdataInstance nd(opts);
  ASSERT_TRUE(nd.ok()) << nd.failure();

  // Watch the alert at every evaluation until well after the restart.
  const double watch_until = sim.timeline_start() + 22;
  std::set<std::string> statuses;
  int evaluations_with_value = 0;
  while (testing::unix_now() < watch_until) {
    if (const auto a = testing::alarm_of(nd, kReasonChart, kAlert)) {
      statuses.insert((*a)["status"].get<std::string>());
      if ((*a)["value"].is_number()) {
        ++evaluations_with_value;
        EXPECT_GE((*a)["value"].get<double>(), 0);
        EXPECT_LE((*a)["value"].get<double>(), 3) << a->dump();
      }
    }
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_GT(evaluations_with_value, 10) << "the alert was hardly ever evaluated";
  EXPECT_EQ(statuses.count("WARNING"), 0u);
  EXPECT_EQ(statuses.count("CRITICAL"), 0u);
  EXPECT_EQ(statuses.count("CLEAR"), 1u);

  const auto data = testing::chart_data(nd, kReasonChart);
  ASSERT_TRUE(data.has_value());
  ASSERT_GE(data->times.back(), static_cast<long long>(sim.timeline_start()) + 20);
  for (std::size_t i = 0; i < data->times.size(); ++i) {
    for (std::size_t d = 0; d < data->dims.size(); ++d) {
      if (data->rows[i][d]) {
        EXPECT_GE(*data->rows[i][d], 0) << data->dims[d] << " at " << data->times[i];
      }
    }
  }
  for (const std::string reason : {"success", "not_authorized", "impl_specific_error"}) {
    const auto want =
        testing::expected_minute_values(steps, reason, sim.timeline_start(), data->times[0] - 1, data->times);
    for (std::size_t i = 0; i < data->times.size(); ++i) {
      EXPECT_EQ(data->value(data->times[i], reason), static_cast<double>(want[i]))
          << reason << " at " << static_cast<double>(data->times[i]) - sim.timeline_start() << " s";
    }
  }
  // The refusals after the restart are all that counts: 2 + 1.
  EXPECT_EQ(data->unsuccessful_at(data->times.back()), 3);
  // No notification was sent: nothing went beyond CLEAR.
  EXPECT_EQ(testing::read_text(nd.notify_log_path()).find("WARNING"), std::string::npos);
  testing::expect_clean_stop(nd);
}

TEST(E2eCharts, StoppingNetdataEndsThePluginWithExitZero) {
  testing::TempDir dir;
  VernemqSim sim(VMQ_SIM_PATH, dir.path(), {rate_at(0, {{"success", 5}})});
  ASSERT_TRUE(sim.ok()) << sim.log();
  NetdataInstance nd(options_for(sim));
  ASSERT_TRUE(nd.ok()) << nd.failure();
  // Running and feeding its chart.
  const auto data = data_through(nd, kReasonChart, static_cast<long long>(testing::unix_now()) + 2, 20s);
  ASSERT_TRUE(data.has_value());
  const auto plugin = nd.plugin_pid();
  ASSERT_TRUE(plugin.has_value()) << "no vernemq.plugin process under Netdata";
  const auto report = testing::expect_clean_stop(nd);
  std::printf("netdata stopped in %lld ms\n", static_cast<long long>(report.took.count()));
  EXPECT_LT(report.took, 10s);
  EXPECT_NE(kill(*plugin, 0), 0) << "the plugin's pid still exists";
  // The plugin logged its own orderly exit into Netdata's log.
  EXPECT_NE(nd.error_log().find("vernemq.plugin INFO : main : stop requested; exiting"), std::string::npos);
}

// The negative control of the error.log check every other test relies on: the same real
// Netdata, with a health file that has a key 1.37 does not know and a plugin that breaks the
// protocol, and the check must name both.
TEST(E2eCharts, TheLogCheckSeesABrokenHealthFileAndABrokenPlugin) {
  NetdataOptions o;
  o.build_dir = testing::build_dir_of(VMQ_PLUGIN_PATH);
  o.after_install = [](const testing::InstallLayout& l) {
    std::string text = testing::read_text(l.health_file);
    const auto on = text.find("       on: ");
    ASSERT_NE(on, std::string::npos);
    text.insert(on, "  summary: v2 only\n");
    ASSERT_TRUE(testing::write_text(l.health_file, text));
    // A SET of a dimension it never declared: 1.37 disables such a plugin.
    ASSERT_TRUE(testing::write_text(l.plugin,
                                    "#!/bin/sh\n"
                                    "echo \"CHART vernemq_x.y '' 't' 'u' f vernemq.x line 1 1\"\n"
                                    "echo \"DIMENSION a a absolute 1 1\"\n"
                                    "printf 'BEGIN vernemq_x.y\\nSET b = 1\\nEND\\n'\n"
                                    "exec sleep 30\n"));
  };
  NetdataInstance nd(o);
  ASSERT_TRUE(nd.ok()) << nd.failure();
  auto found = [](const std::vector<std::string>& lines, const std::string& what) {
    for (const auto& l : lines) {
      if (l.find(what) != std::string::npos) return true;
    }
    return false;
  };
  std::vector<std::string> problems;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    problems = testing::error_log_problems(nd.error_log(), nd.layout().health_file);
    if (found(problems, "unknown key 'summary'") && found(problems, "PLUGINSD[vernemq]") &&
        found(problems, "disabled")) {
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  std::string listed;
  for (const auto& p : problems) listed += p + "\n";
  EXPECT_TRUE(found(problems, "Health configuration at line")) << listed;
  EXPECT_TRUE(found(problems, "unknown key 'summary'")) << listed;
  EXPECT_TRUE(found(problems, "PLUGINSD[vernemq]")) << listed;
  EXPECT_TRUE(found(problems, "disabled")) << listed;
  nd.stop();
}

}  // namespace
}  // namespace vmq
