// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/job_charts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "netdata_validator.h"
#include "vmq/catalogue.h"
#include "vmq/vernemq_metrics.h"

namespace vmq {
namespace {

// A VerneMQ 2.x body with the given MQTT 5 reason counters for one node.
std::string body(std::uint64_t success, std::uint64_t not_authorized, const std::string& extra = "",
                 const std::string& node = "VerneMQ@127.0.0.1") {
  std::string b = "vernemq_mqtt_puback_sent{node=\"" + node + "\",mqtt_version=\"4\"} 10\n";
  b += "vernemq_mqtt_puback_received{node=\"" + node + "\",mqtt_version=\"4\"} 20\n";
  for (std::string_view r : catalogue::reason_codes("mqtt_puback_sent")) {
    std::uint64_t v = 0;
    if (r == "success") v = success;
    if (r == "not_authorized") v = not_authorized;
    b += "vernemq_mqtt_puback_sent{node=\"" + node + "\",mqtt_version=\"5\",reason_code=\"" + std::string(r) + "\"} " +
         std::to_string(v) + "\n";
  }
  return b + extra;
}

struct Harness {
  JobCharts charts{"local", 1};
  VerneMQScrape scrape;
  std::string out;
  std::int64_t tick = 0;

  std::string ok(const std::string& b) {
    out.clear();
    extract_vernemq(b, scrape);
    charts.on_success(scrape, tick, tick * 1000000, out);
    ++tick;
    return out;
  }
  std::string fail() {
    out.clear();
    charts.on_failure(tick, tick * 1000000, out);
    ++tick;
    return out;
  }
  std::uint64_t value(std::string_view reason) const {
    const auto v = charts.per_minute(tick - 1);
    for (std::size_t i = 0; i < charts.reasons().size(); ++i) {
      if (charts.reasons()[i] == reason) return v[i];
    }
    return UINT64_MAX;
  }
};

TEST(JobCharts, FirstTickGolden) {
  Harness h;
  const std::string out = h.ok(body(100, 7));
  const std::string labels =
      "CLABEL node 'VerneMQ@127.0.0.1' 1\n"
      "CLABEL _collect_job 'local' 1\n"
      "CLABEL_COMMIT\n";
  std::string expected =
      "CHART vernemq_local.scrape_status '' 'Scrape of the VerneMQ Node' 'status' 'scrape' 'vernemq.scrape_status' "
      "'line' 70000 1 '' 'vernemq.plugin' 'vernemq'\n"
      "DIMENSION up up absolute 1 1 ''\n" +
      labels +
      "CHART vernemq_local.scrape_age '' 'Time Since the Last Successful Scrape' 'seconds' 'scrape' "
      "'vernemq.scrape_age' 'line' 70001 1 '' 'vernemq.plugin' 'vernemq'\n"
      "DIMENSION last_success last_success absolute 1 1 ''\n" +
      labels +
      "CHART vernemq_local.mqtt_puback_sent_reason '' 'MQTT 5 PUBACK QoS 1 Sent by Reason in the Last Minute' "
      "'packets' 'mqtt publish' 'vernemq.mqtt_puback_sent_reason' 'stacked' 70100 1 '' 'vernemq.plugin' "
      "'vernemq'\n";
  for (const char* r :
       {"success", "no_matching_subscribers", "unspecified_error", "impl_specific_error", "not_authorized",
        "topic_name_invalid", "packet_id_in_use", "quota_exceeded", "payload_format_invalid"}) {
    expected += std::string("DIMENSION ") + r + " " + r + " absolute 1 1 ''\n";
  }
  expected += labels;
  expected +=
      "CHART vernemq_local.mqtt_puback '' 'MQTT 3.1.1 and 5 QoS 1 PUBACK' 'packets/s' 'mqtt publish' "
      "'vernemq.mqtt_puback' 'line' 70101 1 '' 'vernemq.plugin' 'vernemq'\n"
      "DIMENSION received received absolute 1 1000 ''\n"
      "DIMENSION sent sent absolute -1 1000 ''\n";
  expected += labels;
  // The body has mqtt_puback_sent's MQTT 5 series: the refusal ratio reads them (and nothing else
  // of the catalogue is in it, so no other chart exists).
  expected +=
      "CHART vernemq_local.mqtt_puback_refused_ratio '' 'MQTT 5 PUBACK Refusals per 100 PUBACK Sent in the Last 5 "
      "Minutes' 'percentage' 'mqtt publish' 'vernemq.mqtt_puback_refused_ratio' 'line' 71005 1 '' 'vernemq.plugin' "
      "'vernemq'\n"
      "DIMENSION refused refused absolute 1 1000 ''\n";
  expected += labels;
  expected +=
      "BEGIN vernemq_local.scrape_status\n"
      "SET up = 1\n"
      "END\n"
      "BEGIN vernemq_local.scrape_age\n"
      "SET last_success = 0\n"
      "END\n"
      "BEGIN vernemq_local.mqtt_puback_sent_reason\n";
  for (const char* r :
       {"success", "no_matching_subscribers", "unspecified_error", "impl_specific_error", "not_authorized",
        "topic_name_invalid", "packet_id_in_use", "quota_exceeded", "payload_format_invalid"}) {
    expected += std::string("SET ") + r + " = 0\n";  // first scrape: a baseline, not lifetime totals
  }
  expected +=
      "END\n"
      "BEGIN vernemq_local.mqtt_puback\n"
      "SET received = \n"  // a rate needs two scrapes
      "SET sent = \n"
      "END\n"
      "BEGIN vernemq_local.mqtt_puback_refused_ratio\n"
      "SET refused = 0\n"  // nothing in the window yet
      "END\n";
  EXPECT_EQ(out, expected);
}

TEST(JobCharts, LaterTicksSendOnlyDataWithMicroseconds) {
  Harness h;
  h.ok(body(100, 7));
  const std::string out = h.ok(body(110, 9));
  EXPECT_EQ(out.find("CHART"), std::string::npos);
  EXPECT_NE(out.find("BEGIN vernemq_local.mqtt_puback_sent_reason 1000000\n"), std::string::npos);
  EXPECT_NE(out.find("SET success = 10\n"), std::string::npos);
  EXPECT_NE(out.find("SET not_authorized = 2\n"), std::string::npos);
  EXPECT_NE(out.find("SET sent = 12000\n"), std::string::npos);  // (129 - 117) / 1 s, 3 decimals
  EXPECT_NE(out.find("SET received = 0\n"), std::string::npos);
}

TEST(JobCharts, StreamPassesTheStrictValidatorWithEveryDimensionSet) {
  Harness h;
  std::string all;
  all += h.ok(body(0, 0));
  all += h.ok(body(5, 1));
  all += h.fail();
  all += h.ok(body(
      9, 4, "vernemq_mqtt_puback_sent{node=\"VerneMQ@127.0.0.1\",mqtt_version=\"5\",reason_code=\"brand_new\"} 3\n"));
  all += h.ok(body(1, 0));  // restart
  testing::NetdataValidator v;
  v.feed(all);
  v.finish();
  EXPECT_TRUE(v.ok()) << (v.errors().empty() ? "" : v.errors()[0]);
  const auto points = v.points_of("vernemq_local.mqtt_puback_sent_reason");
  ASSERT_EQ(points.size(), 5u);
  EXPECT_EQ(points[1].values.at("not_authorized"), 1);
  EXPECT_EQ(points[2].values.at("not_authorized"), 1);  // failed tick: what is known, never empty
  EXPECT_EQ(points[3].values.at("not_authorized"), 4);  // gap covered: 1 + 3
  EXPECT_EQ(points[3].values.at("brand_new"), 0);       // first seen on a known node: a baseline
  EXPECT_EQ(points[4].values.at("success"), 10);        // 5 + 4 + 1 after the restart
  EXPECT_EQ(v.charts().at("vernemq_local.mqtt_puback_sent_reason").dims.size(), 10u);
  EXPECT_EQ(v.charts().at("vernemq_local.mqtt_puback_sent_reason").labels.at("node"), "VerneMQ@127.0.0.1");
  EXPECT_EQ(v.charts().at("vernemq_local.mqtt_puback_sent_reason").labels.at("_collect_job"), "local");
}

TEST(JobCharts, NewReasonResendsChartAndEveryDimension) {
  Harness h;
  h.ok(body(0, 0));
  const std::string out = h.ok(
      body(0, 0, "vernemq_mqtt_puback_sent{node=\"VerneMQ@127.0.0.1\",mqtt_version=\"5\",reason_code=\"x y\"} 2\n"));
  EXPECT_NE(out.find("CHART vernemq_local.mqtt_puback_sent_reason "), std::string::npos);
  EXPECT_NE(out.find("DIMENSION success success"), std::string::npos);
  EXPECT_NE(out.find("DIMENSION x_y x_y absolute"), std::string::npos);
  EXPECT_NE(out.find("SET x_y = 0\n"), std::string::npos);  // a baseline, not its lifetime 2
  ASSERT_EQ(h.charts.reasons().size(), 10u);
  const auto msgs = h.charts.take_messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find("x_y"), std::string::npos);
}

TEST(JobCharts, BeforeAnySuccessOnlyTheScrapeChartsExistAndSayDown) {
  Harness h;
  const std::string first = h.fail();
  EXPECT_NE(first.find("CHART vernemq_local.scrape_status "), std::string::npos);
  EXPECT_NE(first.find("SET up = 0\n"), std::string::npos);
  EXPECT_NE(first.find("SET last_success = 0\n"), std::string::npos);
  EXPECT_EQ(first.find("mqtt_puback"), std::string::npos);
  h.fail();
  h.fail();
  const std::string fourth = h.fail();
  EXPECT_EQ(fourth.find("CHART"), std::string::npos);                   // defined once
  EXPECT_NE(fourth.find("SET last_success = 3\n"), std::string::npos);  // 3 s since the first tick
  const std::string ok = h.ok(body(0, 0));
  EXPECT_NE(ok.find("CHART vernemq_local.mqtt_puback_sent_reason "), std::string::npos);
  EXPECT_NE(ok.find("SET up = 1\n"), std::string::npos);
  EXPECT_NE(ok.find("SET last_success = 0\n"), std::string::npos);
  const std::string later = h.fail();
  EXPECT_NE(later.find("SET last_success = 1\n"), std::string::npos);
}

TEST(JobCharts, FailedTickCarriesCountsAndEmptiesRates) {
  Harness h;
  h.ok(body(0, 0));
  h.ok(body(4, 2));
  const std::string out = h.fail();
  EXPECT_NE(out.find("SET success = 4\n"), std::string::npos);  // a failed scrape never clears an alert
  EXPECT_NE(out.find("SET not_authorized = 2\n"), std::string::npos);
  EXPECT_NE(out.find("SET payload_format_invalid = 0\n"), std::string::npos);
  EXPECT_NE(out.find("SET up = 0\n"), std::string::npos);
  EXPECT_NE(out.find("SET received = \n"), std::string::npos);
  EXPECT_NE(out.find("SET sent = \n"), std::string::npos);
}

TEST(JobCharts, HostileNodeNameAndJobNameAreSanitised) {
  JobCharts charts("my job.1 'x'", 1);
  VerneMQScrape s;
  extract_vernemq(body(1, 1, "", "evil\\\" 1\\nDISABLE"), s);
  ASSERT_EQ(s.n_nodes, 1u);
  std::string out;
  charts.on_success(s, 0, 0, out);
  testing::NetdataValidator v;
  v.feed(out);
  v.finish();
  EXPECT_TRUE(v.ok()) << (v.errors().empty() ? "" : v.errors()[0]);
  EXPECT_EQ(charts.type(), "vernemq_my_job_1__x_");
  EXPECT_EQ(out.find("\nDISABLE"), std::string::npos);
}

TEST(JobCharts, NodesAreSummedPerReasonAndEachNodeHasItsOwnRestart) {
  Harness h;
  auto two = [](std::uint64_t a, std::uint64_t b) { return body(0, a, "", "n1") + body(0, b, "", "n2"); };
  h.ok(two(100, 50));
  h.ok(two(103, 52));
  EXPECT_EQ(h.value("not_authorized"), 5u);
  h.ok(two(104, 1));  // n2 restarted: +1 on n1, +1 since the restart on n2
  EXPECT_EQ(h.value("not_authorized"), 7u);
}

TEST(JobCharts, UpdateEveryIsTheJobsAndWindowFollowsIt) {
  JobCharts charts("j", 10);
  VerneMQScrape s;
  std::string out;
  extract_vernemq(body(0, 0), s);
  charts.on_success(s, 0, 0, out);
  EXPECT_NE(out.find("'stacked' 70100 10 "), std::string::npos);
  extract_vernemq(body(0, 6), s);
  charts.on_success(s, 1, 10000000, out);
  for (std::int64_t t = 2; t <= 6; ++t) {
    charts.on_success(s, t, t * 10000000, out);
    EXPECT_EQ(charts.per_minute(t)[4], 6u) << t;  // 4 = not_authorized
  }
  charts.on_success(s, 7, 70000000, out);
  EXPECT_EQ(charts.per_minute(7)[4], 0u);
}

}  // namespace
}  // namespace vmq

namespace vmq {
namespace {

TEST(JobCharts, ReasonsBeyondTheCapAreCountedInOtherNeverDropped) {
  Harness h;
  // 70 reasons: 9 known + 61 new; the chart keeps 63 named ones and `other`.
  auto with_extra = [](std::uint64_t v) {
    std::string extra;
    for (int i = 0; i < 61; ++i) {
      extra += "vernemq_mqtt_puback_sent{node=\"VerneMQ@127.0.0.1\",mqtt_version=\"5\",reason_code=\"r" +
               std::to_string(i) + "\"} " + std::to_string(v) + "\n";
    }
    return body(0, 0, extra);
  };
  h.ok(with_extra(10));
  const std::string out = h.ok(with_extra(12));  // +2 on each of the 61
  ASSERT_EQ(h.charts.reasons().size(), kMaxReasonDimensions);
  EXPECT_EQ(h.charts.reasons().back(), "other");
  // r0..r53 have their own dimension (9 + 54 = 63); r54..r60 (7 reasons) go to other: 7 * 2.
  EXPECT_NE(out.find("SET r53 = 2\n"), std::string::npos);
  EXPECT_EQ(out.find("r54"), std::string::npos);
  EXPECT_NE(out.find("SET other = 14\n"), std::string::npos);
  const auto msgs = h.charts.take_messages();
  EXPECT_EQ(std::count_if(msgs.begin(), msgs.end(),
                          [](const std::string& m) { return m.find("other") != std::string::npos; }),
            1);
}

TEST(JobCharts, WallclockFromTheBodyTellsARestartWhoseCounterClimbed) {
  Harness h;
  const auto with_clock = [](std::uint64_t not_authorized, std::uint64_t wallclock_ms) {
    return body(0, not_authorized,
                "vernemq_system_wallclock{node=\"VerneMQ@127.0.0.1\"} " + std::to_string(wallclock_ms) + "\n");
  };
  h.ok(with_clock(0, 3'600'000));
  h.ok(with_clock(5, 3'601'000));
  h.ok(with_clock(12, 600));  // restarted 0.6 s ago, and 12 refusals since
  EXPECT_EQ(h.value("not_authorized"), 17u);
}

}  // namespace
}  // namespace vmq

namespace vmq {
namespace {

// The value SET for `dim` of `chart` in `out` (the last one), or nullopt when empty or absent.
std::optional<long long> set_value(const std::string& out, const std::string& chart, const std::string& dim) {
  const std::size_t at = out.rfind("BEGIN vernemq_local." + chart + " ");
  if (at == std::string::npos) return std::nullopt;
  const std::string key = "SET " + dim + " = ";
  const std::size_t v = out.find(key, at);
  if (v == std::string::npos || v > out.find("END", at)) return std::nullopt;
  const std::string num = out.substr(v + key.size(), out.find('\n', v) - v - key.size());
  if (num.empty()) return std::nullopt;
  return std::stoll(num);
}

// vmq_webhooks' counters (exported only when the plugin is loaded; no capture has them): a hook's
// requests and bytes as rates, its errors and the auth hooks' cancelled/timed-out requests as
// counts in the last minute, the time spent in auth hooks as milliseconds per second. Values by
// hand from two bodies a second apart.
TEST(JobCharts, WebhookCountersByHook) {
  const auto hooks = [](std::uint64_t req, std::uint64_t err, std::uint64_t bytes, std::uint64_t cancelled,
                        std::uint64_t timeouts, std::uint64_t elapsed) {
    const std::string n = "{node=\"n\"} ";
    return "vernemq_webhooks_auth_on_publish_requests" + n + std::to_string(req) +
           "\nvernemq_webhooks_auth_on_publish_errors" + n + std::to_string(err) +
           "\nvernemq_webhooks_auth_on_publish_bytes_sent" + n + std::to_string(bytes) +
           "\nvernemq_webhooks_on_deliver_m5_requests" + n + "7" + "\nvernemq_webhooks_auth_on_register_cancelled" + n +
           std::to_string(cancelled) + "\nvernemq_webhooks_auth_on_register_m5_cancelled" + n +
           std::to_string(cancelled) + "\nvernemq_webhooks_auth_on_register_m5_timeouts" + n +
           std::to_string(timeouts) + "\nvernemq_webhooks_auth_on_register_elapsed_ms" + n + std::to_string(elapsed) +
           "\n" + body(0, 0, "", "n");
  };
  Harness h;
  std::string out = h.ok(hooks(1000, 4, 50000, 1, 0, 9000));  // a baseline
  // Families the body does not hold make no dimension value; charts of families it holds exist.
  EXPECT_NE(out.find("CHART vernemq_local.webhooks_requests "), std::string::npos);
  EXPECT_NE(out.find("CHART vernemq_local.webhooks_auth_time "), std::string::npos);
  out = h.ok(hooks(1150, 7, 80000, 3, 5, 9450));
  EXPECT_EQ(set_value(out, "webhooks_requests", "auth_on_publish"), 150 * kRateScale);
  EXPECT_EQ(set_value(out, "webhooks_requests", "on_deliver_m5"), 0);  // 7 then 7
  EXPECT_EQ(set_value(out, "webhooks_errors", "auth_on_publish"), 3);
  EXPECT_EQ(set_value(out, "webhooks_bytes_sent", "auth_on_publish"), 30000 * kRateScale);
  EXPECT_EQ(set_value(out, "webhooks_auth_aborted", "cancelled"), 2 + 2);  // both auth hooks, summed
  EXPECT_EQ(set_value(out, "webhooks_auth_aborted", "timeouts"), 5);
  EXPECT_EQ(set_value(out, "webhooks_auth_time", "auth_on_register"), 450 * kRateScale);
  // A minute later without new errors the counts are 0 again; the rate of a flat counter too.
  for (int i = 0; i < 60; ++i) out = h.ok(hooks(1150, 7, 80000, 3, 5, 9450));
  EXPECT_EQ(set_value(out, "webhooks_errors", "auth_on_publish"), 0);
  EXPECT_EQ(set_value(out, "webhooks_auth_aborted", "timeouts"), 0);
  EXPECT_EQ(set_value(out, "webhooks_requests", "auth_on_publish"), 0);
  // A broker without the plugin makes none of these charts.
  Harness plain;
  plain.ok(body(1, 0, "", "n"));
  EXPECT_EQ(plain.ok(body(2, 0, "", "n")).find("webhooks_"), std::string::npos);
}

// vmq_bridge names its counters after the bridge (`<bridge>_vmq_bridge_publish_out_<QoS>`): one
// dimension per bridge, its three QoS summed; the drops (no bridge label) are counted.
TEST(JobCharts, BridgeCountersByBridgeNamedInTheMetricName) {
  const auto bridges = [](std::uint64_t br0_out, std::uint64_t br0_in, std::uint64_t edge_out, std::uint64_t dropped) {
    const std::string n = "{node=\"n\"} ";
    // br0: QoS 0 and 1 move (out: br0_out and 2 x br0_out), QoS 2 stays 5; edge_1: only QoS 2.
    return "# TYPE vernemq_br0_vmq_bridge_publish_out_0 counter\nvernemq_br0_vmq_bridge_publish_out_0" + n +
           std::to_string(br0_out) + "\nvernemq_br0_vmq_bridge_publish_out_1" + n + std::to_string(2 * br0_out) +
           "\nvernemq_br0_vmq_bridge_publish_out_2" + n + "5" + "\nvernemq_br0_vmq_bridge_publish_in_0" + n +
           std::to_string(br0_in) + "\nvernemq_br0_vmq_bridge_publish_in_1" + n + "0" +
           "\nvernemq_br0_vmq_bridge_publish_in_2" + n + "0" + "\nvernemq_edge_1_vmq_bridge_publish_out_2" + n +
           std::to_string(edge_out) + "\nvernemq_vmq_bridge_dropped_msgs" + n + std::to_string(dropped) +
           // Not a bridge's: no instance before the family's name.
           "\nvernemq_vmq_bridge_publish_out_0" + n + "999999" + "\n" + body(0, 0, "", "n");
  };
  Harness h;
  std::string out = h.ok(bridges(100, 40, 7, 2));  // a baseline
  EXPECT_NE(out.find("CHART vernemq_local.bridge_published "), std::string::npos);
  EXPECT_NE(out.find("DIMENSION br0 "), std::string::npos);
  EXPECT_NE(out.find("DIMENSION edge_1 "), std::string::npos);
  out = h.ok(bridges(130, 45, 10, 6));
  EXPECT_EQ(set_value(out, "bridge_published", "br0"), (30 + 60 + 0) * kRateScale);
  EXPECT_EQ(set_value(out, "bridge_published", "edge_1"), 3 * kRateScale);
  EXPECT_EQ(set_value(out, "bridge_consumed", "br0"), 5 * kRateScale);
  EXPECT_EQ(set_value(out, "bridge_dropped", "dropped"), 4);
  // A minute later, nothing more dropped: the count is 0 again.
  for (int i = 0; i < 60; ++i) out = h.ok(bridges(130, 45, 10, 6));
  EXPECT_EQ(set_value(out, "bridge_dropped", "dropped"), 0);
  EXPECT_EQ(set_value(out, "bridge_published", "br0"), 0);
}

TEST(JobCharts, RatioIsPer100OverFiveMinutesAndCountsTheDenominatorAsAtLeastOne) {
  const auto sockets = [](std::uint64_t opened, std::uint64_t errors) {
    return "vernemq_socket_open{node=\"n\"} " + std::to_string(opened) + "\nvernemq_socket_error{node=\"n\"} " +
           std::to_string(errors) + "\n" + body(0, 0, "", "n");
  };
  Harness h;
  h.ok(sockets(100, 0));  // tick 0: a baseline
  std::string out = h.ok(sockets(140, 10));
  // 10 errors per 40 opened: 25 %, sent x1000.
  EXPECT_EQ(set_value(out, "socket_error_ratio", "errors"), 25000);
  EXPECT_EQ(set_value(out, "socket_errors", "errors"), 10);
  // Nothing more for four minutes: the count chart forgets after a minute, the ratio still holds
  // both deltas for five.
  for (int i = 0; i < 240; ++i) out = h.ok(sockets(140, 10));
  EXPECT_EQ(set_value(out, "socket_errors", "errors"), 0);
  EXPECT_EQ(set_value(out, "socket_error_ratio", "errors"), 25000);
  // Three errors and no socket opened in the window: 3 per max(0, 1) = 300 %.
  for (int i = 0; i < 60; ++i) out = h.ok(sockets(140, 10));
  out = h.ok(sockets(140, 13));
  EXPECT_EQ(set_value(out, "socket_error_ratio", "errors"), 300000);
  // A failed scrape carries what is known, as a count does.
  out.clear();
  h.charts.on_failure(h.tick, h.tick * 1000000, out);
  EXPECT_EQ(set_value(out, "socket_error_ratio", "errors"), 300000);
}

}  // namespace
}  // namespace vmq

namespace vmq {
namespace {

TEST(JobCharts, LongJobNamesKeepEveryChartIdUnder137sLimitAndApart) {
  const std::string a(300, 'a');
  const std::string b = a + "b";
  EXPECT_LE(JobCharts::type_for(a).size(), JobCharts::kMaxTypeLength);
  EXPECT_NE(JobCharts::type_for(a), JobCharts::type_for(b));
  EXPECT_EQ(JobCharts::type_for("local"), "vernemq_local");  // a short name is kept whole
  JobCharts charts(b, 1);
  VerneMQScrape s;
  std::string out;
  extract_vernemq(body(1, 2, "vernemq_socket_open{node=\"VerneMQ@127.0.0.1\"} 3\n"), s);
  charts.on_success(s, 0, 0, out);
  testing::NetdataValidator v;  // refuses "type.id" of 200 characters or more
  v.feed(out);
  v.finish();
  EXPECT_TRUE(v.ok()) << v.error_report();
}

// The memory alert's thresholds (host_memory.h) go to Netdata as variables of the vm_memory chart,
// once with its definition (no cost per tick), in a place both 1.37 and v2 accept.
TEST(JobCharts, ChartVariablesAreSentWithTheChartsDefinitionOnly) {
  Harness h;
  h.charts.set_chart_variable("vm_memory", "vernemq_memory_warn", 60'000'000);
  h.charts.set_chart_variable("vm_memory", "vernemq_memory_crit", 80'000'000);
  h.charts.set_chart_variable("no_such_chart", "ignored", 1);
  const std::string vm = "vernemq_vm_memory_total{node=\"VerneMQ@127.0.0.1\"} 70000000\n";
  const std::string first = h.ok(body(0, 0, vm));
  const std::string later = h.ok(body(1, 0, vm)) + h.fail() + h.ok(body(2, 0, vm));
  // Right after the chart's definition (its CLABEL_COMMIT), before the next chart's CHART line.
  const auto chart = first.find("CHART vernemq_local.vm_memory ");
  ASSERT_NE(chart, std::string::npos) << first;
  const auto commit = first.find("CLABEL_COMMIT\n", chart);
  const std::string expected =
      "CLABEL_COMMIT\nVARIABLE CHART vernemq_memory_warn = 60000000\nVARIABLE CHART vernemq_memory_crit = 80000000\n";
  EXPECT_EQ(first.substr(commit, expected.size()), expected) << first.substr(chart, 2000);
  EXPECT_EQ(first.find("VARIABLE", commit + expected.size()), std::string::npos);
  EXPECT_EQ(first.find("ignored"), std::string::npos);
  EXPECT_EQ(later.find("VARIABLE"), std::string::npos) << "sent again without a new definition";
  for (const NetdataVersion& version : {NetdataVersion::v1_37(), NetdataVersion::parse("v2.10.4")}) {
    const auto v = testing::validate_netdata_stream(first + later, version);
    EXPECT_TRUE(v.ok()) << v.error_report();
  }
}

}  // namespace
}  // namespace vmq

// A series' routes are packed into its 64-bit tag (job_charts.cpp): at most kMaxFeeds dimensions
// per series and 126 charts. A row that would break either fails here, not silently in a chart.
TEST(JobChartsRoutes, EveryFamilyFitsThePackedRoutes) {
  const auto charts = vmq::catalogue::charts();
  EXPECT_LE(charts.size(), 126u);
  for (const vmq::catalogue::Family& family : vmq::catalogue::families()) {
    std::size_t rows = 0;
    for (const vmq::catalogue::Chart& chart : charts) {
      for (std::size_t d = 0; d < chart.dims.size(); ++d) {
        // A quantile chart's bucket series feed it once, whichever quantile rows read them.
        if (chart.dims[d].family == family.name && (chart.algo != vmq::catalogue::Algo::quantile || d == 0)) ++rows;
      }
    }
    EXPECT_LE(rows, vmq::kMaxFeeds) << family.name << " is read by " << rows << " rows";
  }
}
