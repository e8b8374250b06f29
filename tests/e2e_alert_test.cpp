// SPDX-License-Identifier: GPL-3.0-or-later
// The shipped alert inside a real Netdata (Debian's 1.37) with Netdata's real stock health
// directory in place: it is this project's template that is loaded, it fires on steady
// unsuccessful PUBACKs, its value is the chart's non-success sum at the point it read, and it
// clears when the traffic stops. Once with the health file exactly as installed, once with a
// fast copy at update intervals 1 and 5 side by side.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <optional>
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
using testing::SimStep;
using testing::VernemqSim;

constexpr const char* kChart = "vernemq_e2e.mqtt_puback_sent_reason";
constexpr const char* kAlert = "vernemq_mqtt_puback_sent_reason_unsuccessful";

// Steady traffic; from 10 s one refused publish a second for 12 s (12 in the last minute at the
// peak, over the threshold of 5 from the 6th second), then only successful ones. The first 10 s
// leave Netdata time to start and the plugin to take its baseline, even on a loaded machine.
constexpr int kBadFrom = 10;
constexpr int kBadUntil = 22;
std::vector<SimStep> bad_then_good() {
  return {testing::rate_at(0, {{"success", 10}}), testing::rate_at(kBadFrom, {{"success", 10}, {"not_authorized", 1}}),
          testing::rate_at(kBadUntil, {{"success", 10}})};
}

// The plugin must have taken its baseline before the refusals began, or the test measures
// nothing: say so plainly instead of failing on a missing WARNING.
void expect_started_before_the_refusals(const NetdataInstance& nd, double timeline_start) {
  const auto data = testing::chart_data(nd, kChart);
  ASSERT_TRUE(data.has_value());
  ASSERT_FALSE(data->times.empty());
  ASSERT_LT(static_cast<double>(data->times.front()) - timeline_start, kBadFrom)
      << "the chart's first point came after the refusals began: Netdata started too slowly";
}

// The same, with the broker restarting while its refusals are still in the minute, unreachable
// for 20 s: the alert must stay WARNING throughout (a failed scrape never clears it).
constexpr int kRestartAt = kBadUntil + 4;
constexpr int kOutage = 20;
std::vector<SimStep> bad_then_restart() {
  auto steps = bad_then_good();
  steps.push_back(testing::restart_with_outage_at(kRestartAt, kOutage));
  return steps;
}

NetdataOptions options_for(const VernemqSim& sim, int update_every) {
  NetdataOptions o;
  o.build_dir = testing::build_dir_of(VMQ_PLUGIN_PATH);
  o.update_every = update_every;
  o.vernemq_conf = "jobs:\n  - name: e2e\n    url: " + sim.url() + "\n";
  return o;
}

struct Evaluation {
  long long when = 0;  // last_updated
  long long db_after = 0;
  long long db_before = 0;
  std::optional<double> value;
  std::string status;
};

// Follows one instance's alert: every distinct evaluation, and when (seconds after the
// scenario's start) it was first seen WARNING and then CLEAR again.
struct AlertWatch {
  AlertWatch(const NetdataInstance* instance, double scenario_start) : nd(instance), start(scenario_start) {}
  const NetdataInstance* nd;
  double start;
  std::vector<Evaluation> evals;
  std::optional<double> warning_at;
  std::optional<double> clear_at;
  nlohmann::json last;

  void poll() {
    const auto a = testing::alarm_of(*nd, kChart, kAlert);
    if (!a) return;
    last = *a;
    Evaluation e;
    e.when = (*a)["last_updated"].get<long long>();
    e.db_after = (*a)["db_after"].get<long long>();
    e.db_before = (*a)["db_before"].get<long long>();
    if ((*a)["value"].is_number()) e.value = (*a)["value"].get<double>();
    e.status = (*a)["status"].get<std::string>();
    if (evals.empty() || evals.back().when != e.when) evals.push_back(e);
    const double now = testing::unix_now() - start;
    if (e.status == "WARNING" && !warning_at) warning_at = now;
    if (e.status == "CLEAR" && warning_at && !clear_at) clear_at = now;
  }
  [[nodiscard]] bool done() const { return clear_at.has_value(); }
};

// Every evaluation that had a value read exactly one stored point, the newest one when it ran,
// and its value is that point's sum of non-success dimensions.
void expect_value_is_the_charts(const AlertWatch& w, int update_every) {
  const auto data = testing::chart_data(*w.nd, kChart);
  ASSERT_TRUE(data.has_value());
  int compared = 0;
  for (const auto& e : w.evals) {
    if (!e.value) continue;
    SCOPED_TRACE("evaluation at " + std::to_string(e.when) + " reading " + std::to_string(e.db_before));
    EXPECT_EQ(e.db_after, e.db_before) << "the lookup read more than one point";
    EXPECT_LE(e.when - e.db_before, update_every) << "the lookup did not read the newest point";
    const auto chart = data->unsuccessful_at(e.db_before);
    ASSERT_TRUE(chart.has_value()) << "no stored point at " << e.db_before;
    EXPECT_EQ(*e.value, *chart);
    ++compared;
  }
  EXPECT_GE(compared, 3) << "too few evaluations with a value";
}

// The evaluations as "seconds after the start:status(value@point read)", for failure messages.
std::string history(const AlertWatch& w) {
  std::string h;
  auto rel = [&w](long long t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(t) - w.start);
    return std::string(buf);
  };
  for (const auto& e : w.evals) {
    if (e.db_before <= 0) continue;
    h += " " + rel(e.when) + ":" + e.status + "(" + (e.value ? std::to_string(static_cast<long long>(*e.value)) : "-") +
         "@" + rel(e.db_before) + ")";
  }
  return "evaluations, seconds after the start: status(value@point read):" + h;
}

// When the alert changed, against when the chart first showed the reason: WARNING no sooner than
// the first point over the threshold (5) and at most one evaluation interval after it (Netdata
// evaluates on the whole second, just before that second's scrape lands; plus 3 s for polling on
// a busy machine); CLEAR likewise after the first point back at 0.
void expect_reaction_follows_the_chart(const AlertWatch& w, int every) {
  const auto data = testing::chart_data(*w.nd, kChart);
  ASSERT_TRUE(data.has_value());
  std::optional<double> over;
  std::optional<double> zero;
  for (long long t : data->times) {
    const auto v = data->unsuccessful_at(t);
    if (!v) continue;
    if (!over && *v > 5) over = static_cast<double>(t) - w.start;
    if (over && !zero && *v == 0) zero = static_cast<double>(t) - w.start;
  }
  ASSERT_TRUE(over.has_value()) << "the chart never went over 5";
  ASSERT_TRUE(zero.has_value()) << "the chart never went back to 0";
  ASSERT_TRUE(w.warning_at.has_value()) << "never WARNING; last state: " << w.last.dump();
  EXPECT_GE(*w.warning_at, *over);
  EXPECT_LE(*w.warning_at, *over + every + 3) << "first point over 5 at " << *over;
  ASSERT_TRUE(w.clear_at.has_value()) << "never CLEAR again; last state: " << w.last.dump();
  EXPECT_GE(*w.clear_at, *zero);
  EXPECT_LE(*w.clear_at, *zero + every + 3) << "first point back at 0 at " << *zero;
  std::printf(
      "  the chart: over 5 at %.1f s, back to 0 at %.1f s; the alert: WARNING seen at %.1f s, CLEAR at %.1f s\n", *over,
      *zero, *w.warning_at, *w.clear_at);
}

// A probe plugin that sends charts in two of go.d's VerneMQ contexts, as go.d would (plugin
// go.d, module vernemq): one that only a stock template watches, and one in the context of this
// project's alert. It waits on a FIFO rather than running `sleep`, so it has no child process
// that could outlive it.
void add_god_probe(const testing::InstallLayout& l) {
  const std::string fifo = l.destdir + "/probe.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string script =
      "#!/bin/bash\n"
      "exec 3<>'" +
      fifo +
      "'\n"
      "echo \"CHART vernemq_probe.socket_errors '' 'Socket Errors' 'errors' 'sockets' 'vernemq.socket_errors' "
      "'line' 70001 1 '' 'go.d' 'vernemq'\"\n"
      "echo \"DIMENSION socket_error socket_error absolute 1 1\"\n"
      "echo \"CHART vernemq_probe.mqtt_puback_sent_reason '' 'Sent by Reason' 'packets/s' 'mqtt publish' "
      "'vernemq.mqtt_puback_sent_reason' 'stacked' 70002 1 '' 'go.d' 'vernemq'\"\n"
      "echo \"DIMENSION success success absolute 1 1\"\n"
      "echo \"DIMENSION not_authorized not_authorized absolute 1 1\"\n"
      "while true; do\n"
      "  printf 'BEGIN vernemq_probe.socket_errors\\nSET socket_error = 0\\nEND\\n'\n"
      "  printf 'BEGIN vernemq_probe.mqtt_puback_sent_reason\\nSET success = 0\\nSET not_authorized = 9\\nEND\\n'\n"
      "  read -r -t 1 -u 3 _\n"
      "done\n";
  const std::string path = l.plugins_dir + "/vmqprobe.plugin";
  ASSERT_TRUE(testing::write_text(path, script));
  ASSERT_EQ(chmod(path.c_str(), 0755), 0);
}

TEST(E2eAlert, ShippedHealthFileWarnsStaysWarningThroughARestartClearsAndIsTheOneLoaded) {
  testing::TempDir dir;
  const auto steps = bad_then_restart();
  VernemqSim sim(VMQ_SIM_PATH, dir.path(), steps);
  ASSERT_TRUE(sim.ok()) << sim.log();
  auto opts = options_for(sim, 1);
  opts.after_install = add_god_probe;
  opts.enable_plugins = {"vmqprobe"};
  NetdataInstance nd(opts);
  ASSERT_TRUE(nd.ok()) << nd.failure();
  // The installed file is the shipped one as rendered for this build's layout, byte for byte.
  ASSERT_EQ(testing::read_text(nd.layout().health_file),
            testing::read_text(testing::build_dir_of(VMQ_PLUGIN_PATH) + "/health.d/vernemq_plugin.conf"));

  AlertWatch w(&nd, sim.timeline_start());
  const auto deadline = std::chrono::steady_clock::now() + 190s;
  while (!w.done() && std::chrono::steady_clock::now() < deadline) {
    w.poll();
    std::this_thread::sleep_for(250ms);
  }
  std::printf(
      "shipped file: netdata answered after %.3f s; WARNING %.1f s after the refusals began; "
      "CLEAR %.1f s after they stopped\n",
      nd.startup_seconds(), w.warning_at.value_or(-1) - kBadFrom, w.clear_at.value_or(-1) - kBadUntil);
  expect_started_before_the_refusals(nd, sim.timeline_start());
  SCOPED_TRACE(history(w));
  ASSERT_TRUE(w.warning_at.has_value()) << "never WARNING; last state: " << w.last.dump();
  EXPECT_LT(*w.warning_at - kBadFrom, 120) << "WARNING took more than two minutes";
  ASSERT_TRUE(w.clear_at.has_value()) << "never CLEAR again; last state: " << w.last.dump();
  // The chart holds the last refusal for a minute: CLEAR can come no sooner.
  EXPECT_GT(*w.clear_at, kBadUntil + 60);
  // Evaluated every 10 s, as shipped.
  EXPECT_EQ(w.last["update_every"], 10);
  expect_reaction_follows_the_chart(w, 10);
  expect_value_is_the_charts(w, 1);
  // From the first WARNING to the CLEAR, every evaluation — those during the restart's 20 s
  // outage included — is WARNING with a value: the restart never flaps the alert.
  bool warned = false;
  int during_outage = 0;
  for (const auto& e : w.evals) {
    if (e.status == "WARNING") warned = true;
    if (!warned || e.status == "CLEAR") continue;
    EXPECT_EQ(e.status, "WARNING") << "evaluation at " << e.when;
    EXPECT_TRUE(e.value.has_value()) << "evaluation at " << e.when;
    const double rel = static_cast<double>(e.when) - w.start;
    if (rel > kRestartAt + 1 && rel < kRestartAt + kOutage) ++during_outage;
  }
  EXPECT_GE(during_outage, 1) << "no evaluation fell inside the outage";
  // The plugin saw the outage: its scrape-status chart says so.
  const auto up = testing::chart_data(nd, "vernemq_e2e.scrape_status");
  ASSERT_TRUE(up.has_value());
  int down_points = 0;
  for (long long t : up->times) down_points += up->value(t, "up") == 0.0 ? 1 : 0;
  EXPECT_GE(down_points, kOutage - 2);
  EXPECT_LE(down_points, kOutage + 1);

  // Ours is the template that was loaded: its source is the installed file; its text is ours,
  // with the node label filled in; the stock one of the same name was turned away.
  const std::string source = w.last["source"].get<std::string>();
  EXPECT_NE(source.find(nd.layout().health_file), std::string::npos) << source;
  EXPECT_EQ(w.last["info"],
            "number of unsuccessful MQTT 5 PUBACK packets sent (reason codes 0x80 and above) in the last minute by "
            "VerneMQ@127.0.0.1 (runbook: docs/alerts.md#vernemq_mqtt_puback_sent_reason_unsuccessful)");
  EXPECT_EQ(w.last["units"], "packets");
  const std::string log = nd.error_log();
  EXPECT_NE(log.find("Health configuration template '" + std::string(kAlert) + "' already exists"), std::string::npos);

  // The stock file is still read: each of its templates is turned away by name, because the
  // project ships a template of every stock name (health.d/vernemq_alerts.conf.in). On 1.37 a
  // name is loaded once, so go.d's chart gets none of them (README, "Alerts"); on v2 it keeps
  // the stock ones.
  EXPECT_NE(log.find("Health configuration template 'vernemq_socket_errors' already exists"), std::string::npos);
  EXPECT_FALSE(testing::alarm_of(nd, "vernemq_probe.socket_errors", "vernemq_socket_errors").has_value());
  // This project's alert stays off go.d's chart of the same context (a rate there, not a count).
  EXPECT_FALSE(testing::alarm_of(nd, "vernemq_probe.mqtt_puback_sent_reason", kAlert).has_value());

  // The outage is logged once, and the recovery; nothing else.
  testing::expect_clean_stop(nd, {"e2e : scrape failed: the server closed the connection"});
}

TEST(E2eAlert, FastCopyAtUpdateEvery1And5) {
  testing::TempDir dir;
  const auto steps = bad_then_good();
  VernemqSim sim(VMQ_SIM_PATH, dir.path(), steps);
  ASSERT_TRUE(sim.ok()) << sim.log();
  auto fast = [](const testing::InstallLayout& l) {
    const auto text = testing::fast_health_variant(testing::read_text(l.health_file));
    ASSERT_TRUE(text.has_value()) << "the shipped health file has no every: or delay: line";
    ASSERT_TRUE(testing::write_text(l.health_file, *text));
  };
  // Two Netdatas side by side, one per update interval, on the same broker.
  std::vector<int> intervals = {1, 5};
  std::vector<std::unique_ptr<NetdataInstance>> nds;
  std::vector<AlertWatch> watches;
  for (int ue : intervals) {
    auto opts = options_for(sim, ue);
    opts.after_install = fast;
    nds.push_back(std::make_unique<NetdataInstance>(opts));
    ASSERT_TRUE(nds.back()->ok()) << nds.back()->failure();
  }
  for (auto& nd : nds) watches.emplace_back(nd.get(), sim.timeline_start());
  const auto deadline = std::chrono::steady_clock::now() + 160s;
  auto all_done = [&] {
    for (const auto& w : watches) {
      if (!w.done()) return false;
    }
    return true;
  };
  while (!all_done() && std::chrono::steady_clock::now() < deadline) {
    for (auto& w : watches) w.poll();
    std::this_thread::sleep_for(200ms);
  }
  for (std::size_t i = 0; i < intervals.size(); ++i) {
    const int ue = intervals[i];
    const auto& w = watches[i];
    SCOPED_TRACE("update every " + std::to_string(ue));
    std::printf(
        "fast copy, update every %d s: WARNING %.1f s after the refusals began; CLEAR %.1f s after they stopped\n", ue,
        w.warning_at.value_or(-1) - kBadFrom, w.clear_at.value_or(-1) - kBadUntil);
    expect_started_before_the_refusals(*nds[i], sim.timeline_start());
    SCOPED_TRACE(history(w));
    ASSERT_TRUE(w.warning_at.has_value()) << w.last.dump();
    ASSERT_TRUE(w.clear_at.has_value()) << w.last.dump();
    // The last refusal (at kBadUntil) stays in the minute until kBadUntil + 60.5.
    EXPECT_GT(*w.clear_at, kBadUntil + 60);
    expect_reaction_follows_the_chart(w, ue);
    // `every: 1s`, raised by Netdata to the chart's interval: an alert never runs faster.
    EXPECT_EQ(w.last["update_every"], ue);
    expect_value_is_the_charts(w, ue);
    // The chart really ran at that interval.
    const auto charts = nds[i]->get_json("/api/v1/charts");
    ASSERT_TRUE(charts.has_value());
    EXPECT_EQ((*charts)["charts"][kChart]["update_every"], ue);
    // And its points are what the scenario implies.
    const auto data = testing::chart_data(*nds[i], kChart);
    ASSERT_TRUE(data.has_value());
    ASSERT_FALSE(data->times.empty());
    const auto want = testing::expected_minute_values(steps, "not_authorized", sim.timeline_start(),
                                                      data->times[0] - ue, data->times);
    for (std::size_t k = 0; k < data->times.size(); ++k) {
      EXPECT_EQ(data->value(data->times[k], "not_authorized"), static_cast<double>(want[k])) << "at " << data->times[k];
    }
  }
  for (auto& nd : nds) testing::expect_clean_stop(*nd);
}

}  // namespace
}  // namespace vmq
