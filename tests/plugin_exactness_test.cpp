// SPDX-License-Identifier: GPL-3.0-or-later
// The four ways the first version's count went wrong (issue "Exact under every fault"), each
// played by vernemq-sim against the built plugin: the values the plugin writes must be the
// scenario's truth — the number of events in the last minute — or, through a gap, the events
// already known to lie in it (never more, never an empty value).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "netdata_validator.h"
#include "sim_process.h"
#include "subprocess.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using testing::distinct;
using testing::job_yaml;
using testing::series;
using testing::Subprocess;
using testing::TempDir;

constexpr char kChart[] = "vernemq_local.mqtt_puback_sent_reason";

// Runs the plugin on the simulator's first URL for `run`, then returns its validated output.
// `after_start`: the plugin starts once the scenario's timeline has begun (before it, the
// simulator serves every node with zero counters and no fault).
testing::NetdataValidator run_plugin(const std::string& scenario, std::chrono::milliseconds run,
                                     bool after_start = false) {
  TempDir dir;
  testing::Sim sim(VMQ_SIM_PATH, dir, scenario);
  testing::NetdataValidator v;
  if (sim.urls.empty()) return v;
  if (after_start) {
    EXPECT_TRUE(sim.proc.wait_for_stderr("vernemq-sim: t=0 s", 5s)) << sim.proc.err();
  }
  const std::string conf = dir.write("vernemq.conf", "jobs:\n" + job_yaml("local", sim.urls[0]));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  plugin.pump(run);
  plugin.signal(SIGTERM);
  EXPECT_EQ(plugin.wait_exit(5s), 0) << plugin.err();
  v.feed(plugin.out());
  v.finish();
  EXPECT_TRUE(v.ok()) << v.error_report();
  return v;
}

long long max_of(const std::vector<std::optional<long long>>& s) {
  long long m = 0;
  for (const auto& x : s) m = std::max(m, x.value_or(0));
  return m;
}

bool none_empty(const std::vector<std::optional<long long>>& s) {
  return std::all_of(s.begin(), s.end(), [](const auto& x) { return x.has_value(); });
}

TEST(PluginExactness, ASeriesMissingFromTwoScrapesIsAGapNotARestart) {
  // 1000 refusals, then the series is left out of two bodies (a proxy dropped it), then 7 more.
  // The first version charted 2000, then 3000.
  const auto v = run_plugin(R"(
steps:
  - {at: 2, add: {not_authorized: 1000}}
  - {at: 4, fault: hide, series: [not_authorized], for: 2}
  - {at: 8, add: {not_authorized: 7}}
)",
                            11s);
  const auto na = series(v, kChart, "not_authorized");
  ASSERT_GE(na.size(), 9u);
  EXPECT_EQ(distinct(na), (std::vector<long long>{0, 1000, 1007}));
  EXPECT_TRUE(none_empty(na));
}

TEST(PluginExactness, ACorruptLineIsAGapNotARestart) {
  const auto v = run_plugin(R"(
steps:
  - {at: 2, add: {not_authorized: 1000}}
  - {at: 4, fault: corrupt, series: [not_authorized], for: 1}
  - {at: 7, add: {not_authorized: 7}}
)",
                            10s);
  const auto na = series(v, kChart, "not_authorized");
  ASSERT_GE(na.size(), 8u);
  EXPECT_EQ(distinct(na), (std::vector<long long>{0, 1000, 1007}));
  EXPECT_TRUE(none_empty(na));
}

TEST(PluginExactness, ANodeAppearingInTheBodyIsABaseline) {
  // An aggregating proxy: one body, and a second node with lifetime counters of 777 777 joins
  // it at 5 s. The first version charted 780 777, and 777 777 for success.
  const auto v = run_plugin(R"(
nodes: [VerneMQ@10.0.0.1, VerneMQ@10.0.0.2]
merge: true
steps:
  - {at: 0, node: VerneMQ@10.0.0.2, add: {success: 777777, not_authorized: 777777, quota_exceeded: 777777}, fault: absent, for: 5}
  - {at: 2, node: VerneMQ@10.0.0.1, add: {not_authorized: 1000}}
  - {at: 7, node: VerneMQ@10.0.0.2, add: {not_authorized: 3}}
)",
                            10s, true);
  const auto na = series(v, kChart, "not_authorized");
  ASSERT_GE(na.size(), 8u);
  EXPECT_EQ(distinct(na), (std::vector<long long>{0, 1000, 1003}));
  EXPECT_EQ(max_of(series(v, kChart, "success")), 0);
  EXPECT_EQ(max_of(series(v, kChart, "quota_exceeded")), 0);
  EXPECT_EQ(v.chart(kChart)->labels.at("node"), "VerneMQ@10.0.0.1 VerneMQ@10.0.0.2");
}

TEST(PluginExactness, ARestartWhoseCounterClimbsPastItsOldValueCountsEverything) {
  // 5 refusals; the broker restarts at 4 s and is unreachable for 3 s, during which it refuses
  // 12 more: its counter is back at 12, above the old 5. The first version charted 12, then 7.
  const auto v = run_plugin(R"(
steps:
  - {at: 2, add: {not_authorized: 5}}
  - {at: 4, restart: true, fault: close, for: 3}
  - {at: 5, add: {not_authorized: 12}}
)",
                            10s);
  const auto na = series(v, kChart, "not_authorized");
  ASSERT_GE(na.size(), 8u);
  EXPECT_EQ(distinct(na), (std::vector<long long>{0, 5, 17}));
  EXPECT_TRUE(none_empty(na));  // the outage carries 5: an alert raised stays raised
  const auto up = series(v, "vernemq_local.scrape_status", "up");
  EXPECT_EQ(std::count(up.begin(), up.end(), std::optional<long long>(0)), 3);
}

TEST(PluginExactness, AnOutageLongerThanAMinuteReportsOnlyTheLastMinutesShare) {
  // One refusal a second; the endpoint is down for 70 s. The first version reported the whole
  // gap's 70+ events as "the last minute" when it came back, a false alert after every outage.
  const auto v = run_plugin(R"(
steps:
  - {at: 0, rate: {not_authorized: 1}}
  - {at: 4, fault: close, for: 70}
)",
                            80s);
  const auto na = series(v, kChart, "not_authorized");
  const auto up = series(v, "vernemq_local.scrape_status", "up");
  ASSERT_EQ(na.size(), up.size());
  ASSERT_GE(na.size(), 76u);
  // Find the outage: the last point before it, and the first after.
  std::size_t first_down = 0;
  while (first_down < up.size() && up[first_down] != 0) ++first_down;
  std::size_t back = first_down;
  while (back < up.size() && up[back] == 0) ++back;
  ASSERT_LT(back, up.size());
  EXPECT_EQ(back - first_down, 70u);
  ASSERT_GE(first_down, 1u);
  const long long before = *na[first_down - 1];
  // Through the outage: what was known, decaying as it ages out, never more, never empty.
  for (std::size_t i = first_down; i < back; ++i) {
    ASSERT_TRUE(na[i].has_value()) << i;
    EXPECT_LE(*na[i], before) << i;
    if (i > first_down) {
      EXPECT_LE(*na[i], *na[i - 1]) << i;
    }
  }
  // Back: one a second is 60 in the last minute (the spread gap's share), not 70+.
  for (std::size_t i = back; i < na.size(); ++i) {
    ASSERT_TRUE(na[i].has_value());
    EXPECT_GE(*na[i], 59) << i;
    EXPECT_LE(*na[i], 61) << i;
  }
}

}  // namespace
}  // namespace vmq
