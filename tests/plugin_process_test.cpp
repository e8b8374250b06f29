// SPDX-License-Identifier: GPL-3.0-or-later
// The built vernemq.plugin as a process, against the built vernemq-sim on loopback: its stdout
// goes through the strict Netdata 1.37 validator and its per-minute values are checked against
// what the scenario implies.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "loopback_http.h"
#include "netdata_validator.h"
#include "sim_process.h"
#include "subprocess.h"
#include "test_files.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using testing::Subprocess;
using testing::TempDir;

using testing::distinct;
using testing::job_yaml;
using testing::series;

// The simulator built beside the plugin.
struct Sim : testing::Sim {
  Sim(const TempDir& dir, const std::string& scenario) : testing::Sim(VMQ_SIM_PATH, dir, scenario) {}
};

TEST(PluginProcess, ScenarioWithBurstsRestartAndOutage) {
  TempDir dir;
  // Events land on half seconds; the plugin scrapes just after whole seconds.
  Sim sim(dir, R"(
prefix: vernemq_
nodes: [VerneMQ@127.0.0.1]
steps:
  - {at: 0, rate: {success: 10}}
  - {at: 2, add: {not_authorized: 5}}
  - {at: 4, add: {not_authorized: 3}}
  - {at: 6, restart: true}
  - {at: 7, add: {not_authorized: 2}}
  - {at: 9, fault: http_503, for: 3}
  - {at: 13, add: {impl_specific_error: 4}}
)");
  ASSERT_EQ(sim.urls.size(), 1u);
  const std::string conf = dir.write("vernemq.conf", "jobs:\n" + job_yaml("local", sim.urls[0]));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  plugin.pump(17s);
  plugin.signal(SIGTERM);
  const auto code = plugin.wait_exit(2s);
  ASSERT_TRUE(code.has_value()) << "the plugin did not exit within 2 s of SIGTERM";
  EXPECT_EQ(*code, 0);

  testing::NetdataValidator v;
  v.feed(plugin.out());
  v.finish();
  ASSERT_TRUE(v.ok()) << v.error_report();
  const std::string chart = "vernemq_local.mqtt_puback_sent_reason";
  const auto* decl = v.chart(chart);
  ASSERT_NE(decl, nullptr);
  EXPECT_EQ(decl->context, "vernemq.mqtt_puback_sent_reason");
  EXPECT_EQ(decl->units, "packets");
  EXPECT_EQ(decl->chart_type, "stacked");
  EXPECT_EQ(decl->labels.at("node"), "VerneMQ@127.0.0.1");
  EXPECT_EQ(decl->labels.at("_collect_job"), "local");
  ASSERT_EQ(decl->dims.size(), 9u);
  EXPECT_EQ(decl->dims[0].id, "success");
  EXPECT_EQ(decl->dims[4].id, "not_authorized");

  const auto na = series(v, chart, "not_authorized");
  // One point per second (the first scrape defines the charts): no tick lost.
  EXPECT_GE(na.size(), 15u);
  // Scenario truth: 5, then 3 more, a restart that must not count anything or go negative,
  // then 2 more: 5, 8, 10 in the last minute.
  EXPECT_EQ(distinct(na), (std::vector<long long>{0, 5, 8, 10}));
  // The outage: the events known to lie in the window (10) carry on; never an empty value that
  // would clear an alert.
  int empty = 0;
  for (const auto& x : na) empty += x ? 0 : 1;
  EXPECT_EQ(empty, 0);
  const auto up = series(v, "vernemq_local.scrape_status", "up");
  EXPECT_EQ(std::count(up.begin(), up.end(), std::optional<long long>(0)), 3);
  EXPECT_EQ(distinct(series(v, chart, "impl_specific_error")), (std::vector<long long>{0, 4}));
  for (const auto& s : series(v, chart, "success")) {
    EXPECT_GE(s.value_or(0), 0);
  }
  // The rate chart exists and is fed.
  EXPECT_NE(v.chart("vernemq_local.mqtt_puback"), nullptr);
  // Logged once: the failure and the recovery.
  EXPECT_NE(plugin.err().find("scrape failed: HTTP 503"), std::string::npos) << plugin.err();
  EXPECT_NE(plugin.err().find("recovered after 3 failed scrape(s)"), std::string::npos) << plugin.err();
}

TEST(PluginProcess, BadJobBesideAGoodOneDoesNotStopIt) {
  TempDir dir;
  Sim sim(dir, "steps:\n  - {at: 0, rate: {not_authorized: 1}}\n");
  ASSERT_EQ(sim.urls.size(), 1u);
  const std::string conf = dir.write("vernemq.conf", "jobs:\n" + job_yaml("good", sim.urls[0]) +
                                                         job_yaml("dead", "http://127.0.0.1:1/metrics") +
                                                         job_yaml("bad_scheme", "ftp://127.0.0.1/metrics"));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  plugin.pump(4500ms);
  plugin.signal(SIGTERM);
  ASSERT_EQ(plugin.wait_exit(2s), 0);
  testing::NetdataValidator v;
  v.feed(plugin.out());
  v.finish();
  ASSERT_TRUE(v.ok()) << v.error_report();
  EXPECT_GE(v.points_of("vernemq_good.mqtt_puback_sent_reason").size(), 3u);
  EXPECT_EQ(v.chart("vernemq_dead.mqtt_puback_sent_reason"), nullptr);  // never succeeded: no chart
  // The dead job's failure is logged once, not every second.
  const std::string& err = plugin.err();
  std::size_t n = 0;
  for (std::size_t p = err.find("dead : scrape failed"); p != std::string::npos;
       p = err.find("dead : scrape failed", p + 1))
    ++n;
  EXPECT_EQ(n, 1u) << err;
  EXPECT_NE(err.find("bad_scheme"), std::string::npos) << err;
  // Both jobs' brokers are on this host (loopback URLs): the memory alert is relative to it.
  EXPECT_NE(err.find(" every 1 s; Erlang memory alert thresholds"), std::string::npos) << err;
  EXPECT_NE(err.find("(60 % / 80 % of this host's MemTotal (the broker is local))"), std::string::npos) << err;
}

TEST(PluginProcess, NoUsableJobDisablesAndExits) {
  TempDir dir;
  const std::string conf = dir.write("vernemq.conf", "jobs:\n" + job_yaml("x", "gopher://nowhere/"));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  ASSERT_EQ(plugin.wait_exit(5s), 0);
  EXPECT_EQ(plugin.out(), "DISABLE\n");
}

TEST(PluginProcess, SigtermMidRequestExitsWithinASecond) {
  TempDir dir;
  Sim sim(dir, "steps:\n  - {at: 0, fault: hang}\n");
  ASSERT_EQ(sim.urls.size(), 1u);
  const std::string conf =
      dir.write("vernemq.conf", "jobs:\n" + job_yaml("hung", sim.urls[0], "    timeout: 30\n    update_every: 1\n"));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  // Ready signs, not a fixed sleep (valgrind's start-up outlasts any): the first request has
  // hung until its timeout (the handler is installed before the first request starts), and
  // the next one is in flight a tick later.
  ASSERT_TRUE(plugin.wait_for_stderr("scrape failed", 60s)) << plugin.err();
  plugin.pump(300ms);
  const auto t0 = std::chrono::steady_clock::now();
  plugin.signal(SIGTERM);
  const auto code = plugin.wait_exit(3s);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_LT(took, 1s);
}

TEST(PluginProcess, ClosedStdoutExitsZero) {
  TempDir dir;
  Sim sim(dir, "steps:\n  - {at: 0, rate: {success: 1}}\n");
  ASSERT_EQ(sim.urls.size(), 1u);
  const std::string conf = dir.write("vernemq.conf", "jobs:\n" + job_yaml("local", sim.urls[0]));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  plugin.wait_for_stdout("BEGIN", 5s);
  plugin.close_stdout_reader();
  const auto code = plugin.wait_exit(4s);
  ASSERT_TRUE(code.has_value()) << "still running after its reader went away";
  EXPECT_EQ(*code, 0);
  EXPECT_LT(plugin.err().size(), 2000u) << plugin.err();
}

TEST(PluginProcess, CheckReportsJobsAsJsonWithoutSecrets) {
  TempDir dir;
  Sim sim(dir, "steps:\n  - {at: 0, add: {not_authorized: 3}}\n");
  ASSERT_EQ(sim.urls.size(), 1u);
  std::string url_with_user = sim.urls[0];
  url_with_user.insert(std::string("http://").size(), "alice:url-s3cret@");
  const std::string conf =
      dir.write("vernemq.conf",
                "jobs:\n" + job_yaml("ok", url_with_user, "    password: hunter2-pass\n    api_key: key-0123456789\n") +
                    job_yaml("down", "http://127.0.0.1:1/metrics", "    password: hunter2-pass\n"));
  // Give the timeline time to start so the add is visible.
  std::this_thread::sleep_for(1600ms);
  Subprocess check({VMQ_PLUGIN_PATH, "--check", "--config", conf});
  const auto code = check.wait_exit(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);  // one job is down
  const auto report = nlohmann::json::parse(check.out());
  ASSERT_EQ(report["jobs"].size(), 2u);
  const auto& ok = report["jobs"][0];
  EXPECT_EQ(ok["ok"], true) << ok.dump();
  EXPECT_EQ(ok["http_status"], 200);
  EXPECT_EQ(ok["prefix"], "vernemq_");
  EXPECT_EQ(ok["nodes"][0]["node"], "VerneMQ@127.0.0.1");
  EXPECT_EQ(ok["nodes"][0]["mqtt5_puback_sent_by_reason"]["not_authorized"], 3);
  EXPECT_GT(ok["bytes"].get<long>(), 1000);
  const auto& down = report["jobs"][1];
  EXPECT_EQ(down["ok"], false);
  EXPECT_NE(down["error"].get<std::string>().find("refused"), std::string::npos) << down.dump();
  for (const char* secret : {"url-s3cret", "hunter2-pass", "key-0123456789"}) {
    EXPECT_EQ(check.out().find(secret), std::string::npos) << secret;
    EXPECT_EQ(check.err().find(secret), std::string::npos) << secret;
  }
}

TEST(PluginProcess, BodyWithoutFinalNewlineAsVerneMQ110WritesItIsAccepted) {
  // VerneMQ 1.10 ends its body without a final newline; that is not a cut-short body.
  const std::string body = testing::fixture("vernemq-1x.txt");
  ASSERT_NE(body.back(), '\n');
  loopback::Server server([&](const loopback::Request&) {
    loopback::Response r;
    r.body = body;
    return r;
  });
  TempDir dir;
  const std::string conf = dir.write("vernemq.conf", "jobs:\n" + job_yaml("v110", server.url()));
  Subprocess check({VMQ_PLUGIN_PATH, "--check", "--config", conf});
  ASSERT_EQ(check.wait_exit(10s), 0) << check.out() << check.err();
  const auto report = nlohmann::json::parse(check.out());
  EXPECT_EQ(report["jobs"][0]["ok"], true) << report.dump();
  EXPECT_EQ(report["jobs"][0]["nodes"][0]["mqtt5_puback_sent_by_reason"]["not_authorized"], 12);
}

TEST(PluginProcess, HelpAndVersion) {
  Subprocess help({VMQ_PLUGIN_PATH, "--help"});
  ASSERT_EQ(help.wait_exit(5s), 0);
  EXPECT_NE(help.out().find("--config FILE"), std::string::npos);
  Subprocess version({VMQ_PLUGIN_PATH, "--version"});
  ASSERT_EQ(version.wait_exit(5s), 0);
  EXPECT_EQ(version.out().rfind("vernemq.plugin ", 0), 0u);
  Subprocess bad({VMQ_PLUGIN_PATH, "--frobnicate"});
  EXPECT_EQ(bad.wait_exit(5s), 2);
  EXPECT_NE(bad.err().find("--frobnicate"), std::string::npos);
}

}  // namespace
}  // namespace vmq
