// SPDX-License-Identifier: GPL-3.0-or-later
// ./demo.sh as a user runs it (less the build), and its dashboard as a browser renders it:
// headless Chromium loads Netdata's own dashboard from the demo's private Netdata and finds the
// VerneMQ section with the "Sent by Reason" chart drawing data, then the fired alert in the
// dashboard's alert list. Screenshots land in the build directory. Ctrl-C stops everything.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

#include "netdata_instance.h"
#include "subprocess.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;

constexpr const char* kChart = "vernemq_demo.mqtt_puback_sent_reason";
constexpr const char* kAlert = "vernemq_mqtt_puback_sent_reason_unsuccessful";

std::string line_after(const std::string& text, const std::string& label) {
  const std::regex re(label + R"( (\S+))");
  std::smatch m;
  return std::regex_search(text, m, re) ? m[1].str() : std::string();
}

TEST(E2eDemo, DashboardShowsTheChartAndTheFiredAlertAndCtrlCStopsEverything) {
  const std::string build = testing::build_dir_of(VMQ_PLUGIN_PATH);
  const int port = testing::free_loopback_port();
  ASSERT_NE(port, 0);
  testing::Subprocess demo({std::string(VMQ_SOURCE_DIR) + "/demo.sh", "--no-build", "--port", std::to_string(port)},
                           {{"BUILD_DIR", build}});
  ASSERT_TRUE(demo.wait_for_stdout("Ctrl-C stops everything.", 60s)) << demo.out() << demo.err();
  const std::string dashboard = line_after(demo.out(), "dashboard:");
  const std::string alert_list = line_after(demo.out(), "alert list:");
  const std::string error_log = line_after(demo.out(), "Netdata's log:");
  const std::string page = "http://127.0.0.1:" + std::to_string(port) + "/#menu_vernemq_demo";
  ASSERT_EQ(dashboard.rfind(page, 0), 0u) << demo.out();
  ASSERT_FALSE(alert_list.empty()) << demo.out();
  // The demo's temporary tree: .../var/log/error.log -> ...
  const std::string work = std::filesystem::path(error_log).parent_path().parent_path().parent_path().string();
  ASSERT_TRUE(std::filesystem::is_directory(work)) << error_log;

  // Wait for the alert through the API first: the page is then checked for what must be there.
  const std::string api = "http://127.0.0.1:" + std::to_string(port);
  std::string status;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (status != "WARNING" && std::chrono::steady_clock::now() < deadline) {
    long http = 0;
    if (const auto body = testing::http_get(api + "/api/v1/alarms?all", http); body && http == 200) {
      const auto j = nlohmann::json::parse(*body, nullptr, false);
      const std::string key = std::string(kChart) + "." + kAlert;
      if (!j.is_discarded() && j["alarms"].contains(key)) status = j["alarms"][key]["status"].get<std::string>();
    }
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_EQ(status, "WARNING") << "the demo's alert did not fire within a minute";
  const auto tree = testing::process_tree(demo.pid());  // the simulator, Netdata, the plugin
  EXPECT_GE(tree.size(), 3u);

  testing::TempDir profile;
  testing::HeadlessChromium browser(profile.path() + "/profile");
  ASSERT_TRUE(browser.ok()) << browser.failure();

  // The dashboard: the VerneMQ section, the chart, and its legend showing refused PUBACKs.
  // The printed URL with a one-minute window: the demo has only run for seconds.
  ASSERT_TRUE(browser.navigate(page + ";after=-60;before=0")) << browser.log();
  const std::string chart_state = R"JS((() => {
    const section = document.getElementById('menu_vernemq_demo');
    const chart = document.querySelector('[data-netdata="vernemq_demo.mqtt_puback_sent_reason"]');
    if (!section || !chart) return null;
    // The dashboard draws only the charts near the viewport; the job has dozens.
    chart.scrollIntoView({block: 'center'});
    const legend = {};
    for (const item of chart.querySelectorAll('[role=button]')) {
      const words = item.innerText.trim().split(/\s+/);
      if (words.length == 2) legend[words[0]] = words[1];
    }
    const n = parseFloat((legend['not_authorized'] || '').replace(/,/g, ''));
    if (!(n > 0)) return null;
    return {section: section.innerText.trim(), text: chart.innerText, legend: legend};
  })())JS";
  const auto chart = browser.wait_for(chart_state, 45s);
  ASSERT_TRUE(chart.has_value()) << "no VerneMQ chart with data in the page: "
                                 << browser.evaluate("document.body.innerText").value_or(nlohmann::json()).dump();
  EXPECT_NE((*chart)["section"].get<std::string>().find("VerneMQ"), std::string::npos) << chart->dump();
  EXPECT_NE((*chart)["text"].get<std::string>().find("MQTT 5 PUBACK QoS 1 Sent by Reason in the Last Minute"),
            std::string::npos)
      << chart->dump();
  // Give the chart a moment to draw more than its first points, then keep a picture.
  std::this_thread::sleep_for(3s);
  const std::string shot = build + "/e2e-demo-dashboard.png";
  ASSERT_TRUE(browser.screenshot(shot));
  EXPECT_GT(std::filesystem::file_size(shot), 20000u);
  std::printf("dashboard screenshot: %s\n", shot.c_str());

  // The dashboard's alert list (the bell at the top right) names the fired alert.
  ASSERT_TRUE(browser.navigate("about:blank"));
  ASSERT_TRUE(browser.navigate(alert_list)) << browser.log();
  const std::string active_alerts = R"JS((() => {
    const active = document.getElementById('alarms_active');
    if (!active) return null;
    const text = active.innerText;
    return text.includes('vernemq_demo.mqtt_puback_sent_reason') ? text : null;
  })())JS";
  const auto listed = browser.wait_for(active_alerts, 30s);
  ASSERT_TRUE(listed.has_value()) << "the alert list does not name the alert's chart";
  const std::string text = listed->get<std::string>();
  EXPECT_NE(text.find("number of unsuccessful MQTT 5 PUBACK packets sent (reason codes 0x80 and above) in the last "
                      "minute by VerneMQ@127.0.0.1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("health.d/vernemq_plugin.conf"), std::string::npos) << text;
  const std::string alerts_shot = build + "/e2e-demo-alerts.png";
  ASSERT_TRUE(browser.screenshot(alerts_shot));
  std::printf("alert list screenshot: %s\n", alerts_shot.c_str());

  // Nothing went wrong inside the demo's Netdata.
  const auto problems = testing::error_log_problems(testing::read_text(error_log),
                                                    work + "/dest/etc/netdata/health.d/vernemq_plugin.conf");
  EXPECT_TRUE(problems.empty()) << problems.front();

  // Ctrl-C: the demo stops Netdata (and with it the plugin) and the simulator, and cleans up.
  demo.signal(SIGINT);
  const auto code = demo.wait_exit(20s);
  ASSERT_TRUE(code.has_value()) << "demo.sh still runs 20 s after Ctrl-C";
  EXPECT_EQ(*code, 130);
  EXPECT_NE(demo.err().find("demo stopped"), std::string::npos) << demo.err();
  std::this_thread::sleep_for(200ms);
  for (const auto& [pid, start] : tree) {
    EXPECT_FALSE(testing::process_alive(pid, start)) << "still running after Ctrl-C: pid " << pid;
  }
  EXPECT_FALSE(std::filesystem::exists(work)) << work;
}

}  // namespace
}  // namespace vmq
