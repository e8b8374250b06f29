// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/job_charts.h"

#include <gtest/gtest.h>

#include <string>

#include "netdata_validator.h"
#include "vmq/vernemq_metrics.h"

namespace vmq {
namespace {

// A VerneMQ 2.x body with the given MQTT 5 reason counters for one node.
std::string body(std::uint64_t success, std::uint64_t not_authorized, const std::string& extra = "",
                 const std::string& node = "VerneMQ@127.0.0.1") {
  std::string b = "vernemq_mqtt_puback_sent{node=\"" + node + "\",mqtt_version=\"4\"} 10\n";
  b += "vernemq_mqtt_puback_received{node=\"" + node + "\",mqtt_version=\"4\"} 20\n";
  for (std::string_view r : kKnownReasons) {
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
      "CHART vernemq_local.mqtt_puback_sent_reason '' 'MQTT 5 PUBACK QoS 1 Sent by Reason in the Last Minute' "
      "'packets' 'mqtt publish' 'vernemq.mqtt_puback_sent_reason' 'stacked' 70100 1 '' 'vernemq.plugin' "
      "'vernemq'\n";
  for (const char* r : {"success", "no_matching_subscribers", "unspecified_error", "impl_specific_error",
                        "not_authorized", "topic_name_invalid", "packet_id_in_use", "quota_exceeded",
                        "payload_format_invalid"}) {
    expected += std::string("DIMENSION ") + r + " " + r + " absolute 1 1 ''\n";
  }
  expected += labels;
  expected +=
      "CHART vernemq_local.mqtt_puback '' 'MQTT 3.1.1 and 5 QoS 1 PUBACK' 'packets/s' 'mqtt publish' "
      "'vernemq.mqtt_puback' 'line' 70101 1 '' 'vernemq.plugin' 'vernemq'\n"
      "DIMENSION received received incremental 1 1 ''\n"
      "DIMENSION sent sent incremental -1 1 ''\n";
  expected += labels;
  expected += "BEGIN vernemq_local.mqtt_puback_sent_reason\n";
  for (const char* r : {"success", "no_matching_subscribers", "unspecified_error", "impl_specific_error",
                        "not_authorized", "topic_name_invalid", "packet_id_in_use", "quota_exceeded",
                        "payload_format_invalid"}) {
    expected += std::string("SET ") + r + " = 0\n";  // first scrape: a baseline, not lifetime totals
  }
  expected +=
      "END\n"
      "BEGIN vernemq_local.mqtt_puback\n"
      "SET received = 20\n"
      "SET sent = 117\n"
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
  EXPECT_NE(out.find("SET sent = 129\n"), std::string::npos);
}

TEST(JobCharts, StreamPassesTheStrictValidatorWithEveryDimensionSet) {
  Harness h;
  std::string all;
  all += h.ok(body(0, 0));
  all += h.ok(body(5, 1));
  all += h.fail();
  all += h.ok(body(9, 4, "vernemq_mqtt_puback_sent{node=\"VerneMQ@127.0.0.1\",mqtt_version=\"5\",reason_code=\"brand_new\"} 3\n"));
  all += h.ok(body(1, 0));  // restart
  testing::NetdataValidator v;
  v.feed(all);
  v.finish();
  EXPECT_TRUE(v.ok()) << (v.errors().empty() ? "" : v.errors()[0]);
  const auto points = v.points_of("vernemq_local.mqtt_puback_sent_reason");
  ASSERT_EQ(points.size(), 5u);
  EXPECT_EQ(points[1].values.at("not_authorized"), 1);
  EXPECT_FALSE(points[2].values.at("not_authorized").has_value());  // failed tick: empty
  EXPECT_EQ(points[3].values.at("not_authorized"), 4);              // gap covered: 1 + 3
  EXPECT_EQ(points[3].values.at("brand_new"), 3);                   // appeared after the first scrape
  EXPECT_EQ(points[4].values.at("success"), 10);                    // 5 + 4 + 1 after the restart
  EXPECT_EQ(v.charts().at("vernemq_local.mqtt_puback_sent_reason").dims.size(), 10u);
  EXPECT_EQ(v.charts().at("vernemq_local.mqtt_puback_sent_reason").labels.at("node"), "VerneMQ@127.0.0.1");
  EXPECT_EQ(v.charts().at("vernemq_local.mqtt_puback_sent_reason").labels.at("_collect_job"), "local");
}

TEST(JobCharts, NewReasonResendsChartAndEveryDimension) {
  Harness h;
  h.ok(body(0, 0));
  const std::string out =
      h.ok(body(0, 0, "vernemq_mqtt_puback_sent{node=\"VerneMQ@127.0.0.1\",mqtt_version=\"5\",reason_code=\"x y\"} 2\n"));
  EXPECT_NE(out.find("CHART vernemq_local.mqtt_puback_sent_reason "), std::string::npos);
  EXPECT_NE(out.find("DIMENSION success success"), std::string::npos);
  EXPECT_NE(out.find("DIMENSION x_y x_y absolute"), std::string::npos);
  EXPECT_NE(out.find("SET x_y = 2\n"), std::string::npos);
  ASSERT_EQ(h.charts.reasons().size(), 10u);
  const auto msgs = h.charts.take_messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find("x_y"), std::string::npos);
}

TEST(JobCharts, FailureBeforeAnySuccessRendersNothing) {
  Harness h;
  EXPECT_EQ(h.fail(), "");
  EXPECT_NE(h.ok(body(0, 0)).find("CHART"), std::string::npos);
}

TEST(JobCharts, FailedTickSendsEmptyValuesForEveryDimension) {
  Harness h;
  h.ok(body(0, 0));
  const std::string out = h.fail();
  EXPECT_NE(out.find("SET success = \n"), std::string::npos);
  EXPECT_NE(out.find("SET payload_format_invalid = \n"), std::string::npos);
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
  auto two = [](std::uint64_t a, std::uint64_t b) {
    return body(0, a, "", "n1") + body(0, b, "", "n2");
  };
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
