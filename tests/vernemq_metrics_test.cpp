// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/vernemq_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "test_files.h"

namespace vmq {
namespace {

using testing::fixture;

std::map<std::string, std::uint64_t> reasons_of(const NodeMetrics& n) {
  std::map<std::string, std::uint64_t> m;
  for (std::size_t i = 0; i < n.n_reasons; ++i) m[n.puback_sent_v5[i].reason] = n.puback_sent_v5[i].value;
  return m;
}

TEST(VerneMQMetrics, Version2WithDefaultPrefix) {
  VerneMQScrape s;
  extract_vernemq(fixture("vernemq-2x.txt"), s);
  ASSERT_TRUE(s.is_vernemq);
  EXPECT_EQ(s.prefix, "vernemq_");
  EXPECT_EQ(s.problems_total, 0u);
  ASSERT_EQ(s.n_nodes, 1u);
  const NodeMetrics& n = s.nodes[0];
  EXPECT_EQ(n.node, "VerneMQ@192.0.2.10");
  const std::map<std::string, std::uint64_t> expected = {
      {"success", 1000},           {"no_matching_subscribers", 2}, {"unspecified_error", 3},
      {"impl_specific_error", 4},  {"not_authorized", 5},          {"topic_name_invalid", 6},
      {"packet_id_in_use", 7},     {"quota_exceeded", 8},          {"payload_format_invalid", 9}};
  EXPECT_EQ(reasons_of(n), expected);
  // Reasons keep the body's order.
  EXPECT_EQ(n.puback_sent_v5[0].reason, "success");
  EXPECT_EQ(n.puback_sent_v5[8].reason, "payload_format_invalid");
  // Totals: MQTT 3.1.1 series plus every MQTT 5 reason.
  EXPECT_EQ(n.puback_sent_total, 100u + 1000 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9);
  EXPECT_EQ(n.puback_received_total, 11u + 20 + 1);
}

TEST(VerneMQMetrics, Version1NoPrefixMqtt5BlockAfterAnotherTypeNoFinalNewline) {
  VerneMQScrape s;
  const std::string body = fixture("vernemq-1x.txt");
  ASSERT_NE(body.back(), '\n');
  extract_vernemq(body, s);
  ASSERT_TRUE(s.is_vernemq);
  EXPECT_EQ(s.prefix, "");
  EXPECT_EQ(s.problems_total, 0u);
  ASSERT_EQ(s.n_nodes, 1u);
  const auto r = reasons_of(s.nodes[0]);
  EXPECT_EQ(r.size(), 9u);
  EXPECT_EQ(r.at("success"), 70u);
  EXPECT_EQ(r.at("not_authorized"), 12u);
  EXPECT_EQ(r.at("payload_format_invalid"), 0u);  // the last line, with no newline after it
  EXPECT_EQ(s.nodes[0].puback_sent_total, 4000000000u + 70 + 12);
}

TEST(VerneMQMetrics, CustomPrefixTwoNodesEscapesUnknownReason) {
  VerneMQScrape s;
  extract_vernemq(fixture("custom-prefix-two-nodes.txt"), s);
  ASSERT_TRUE(s.is_vernemq);
  EXPECT_EQ(s.prefix, "acme_");
  EXPECT_EQ(s.problems_total, 0u) << (s.problems.empty() ? "" : s.problems[0]);
  ASSERT_EQ(s.n_nodes, 2u);
  EXPECT_EQ(s.nodes[0].node, "a@h1");
  EXPECT_EQ(s.nodes[1].node, "b \"quoted\" @h2");
  EXPECT_EQ(reasons_of(s.nodes[0]), (std::map<std::string, std::uint64_t>{{"success", 5}, {"not_authorized", 2}}));
  EXPECT_EQ(reasons_of(s.nodes[1]),
            (std::map<std::string, std::uint64_t>{{"not_authorized", 3}, {"some_future_reason", 4}}));
  EXPECT_EQ(s.nodes[1].puback_sent_total, 3u + 4 + 10);  // "1e1" is an integral counter
  EXPECT_EQ(s.nodes[0].puback_received_total, 6u);
  EXPECT_FALSE(s.nodes[1].has_received_total);
}

TEST(VerneMQMetrics, NotVerneMQSaysWhatWasFound) {
  VerneMQScrape s;
  extract_vernemq(fixture("not-vernemq.txt"), s);
  EXPECT_FALSE(s.is_vernemq);
  const std::string m = not_vernemq_message(s);
  EXPECT_NE(m.find("not VerneMQ metrics"), std::string::npos);
  EXPECT_NE(m.find("go_gc_duration_seconds"), std::string::npos) << m;
  EXPECT_NE(m.find("process_start_time_seconds"), std::string::npos) << m;
}

TEST(VerneMQMetrics, EmptyBodyIsNotVerneMQ) {
  VerneMQScrape s;
  extract_vernemq("", s);
  EXPECT_FALSE(s.is_vernemq);
  EXPECT_NE(not_vernemq_message(s).find("empty"), std::string::npos);
}

TEST(VerneMQMetrics, PublishErrorAloneIdentifiesVerneMQ) {
  VerneMQScrape s;
  extract_vernemq("mqtt_publish_error{node=\"n\"} 0\n", s);
  EXPECT_TRUE(s.is_vernemq);
  EXPECT_EQ(s.prefix, "");
  EXPECT_EQ(s.n_nodes, 0u);
}

TEST(VerneMQMetrics, BadCounterValuesRejectTheScrape) {
  for (const char* v : {"-1", "1.5", "NaN", "+Inf", "-Inf", "18446744073709551616"}) {
    VerneMQScrape s;
    extract_vernemq(std::string("mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"success\"} 1\n"
                                "mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"not_authorized\"} ") +
                        v + "\n",
                    s);
    EXPECT_TRUE(s.is_vernemq) << v;
    EXPECT_FALSE(s.rejected.empty()) << v;
    EXPECT_NE(s.rejected.find("line 2"), std::string::npos) << s.rejected;
  }
}

TEST(VerneMQMetrics, DuplicateSeriesKeepsTheFirstAndSaysSo) {
  VerneMQScrape s;
  extract_vernemq(
      "mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"success\"} 1\n"
      "mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"success\"} 9\n",
      s);
  ASSERT_EQ(s.n_nodes, 1u);
  EXPECT_EQ(reasons_of(s.nodes[0]).at("success"), 1u);
  EXPECT_EQ(s.problems_total, 1u);
  EXPECT_NE(s.problems[0].find("line 2"), std::string::npos);
}

TEST(VerneMQMetrics, MalformedLinesAreCountedAndTheRestCounts) {
  VerneMQScrape s;
  extract_vernemq(
      "mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"success\"} 1\n"
      "mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"not_au\n"
      "mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"quota_exceeded\"} 4\n",
      s);
  EXPECT_EQ(s.problems_total, 1u);
  EXPECT_NE(s.problems[0].find("line 2"), std::string::npos);
  EXPECT_EQ(reasons_of(s.nodes[0]).size(), 2u);
  EXPECT_TRUE(s.rejected.empty());
}

TEST(VerneMQMetrics, CardinalityIsCapped) {
  std::string body;
  for (int i = 0; i < 200; ++i) {
    body += "mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"r" + std::to_string(i) + "\"} 1\n";
  }
  for (int i = 0; i < 40; ++i) body += "mqtt_puback_received{node=\"n" + std::to_string(i) + "\"} 1\n";
  VerneMQScrape s;
  extract_vernemq(body, s);
  EXPECT_EQ(s.nodes[0].n_reasons, kMaxReasonsPerNode);
  EXPECT_EQ(s.n_nodes, kMaxNodesPerJob);
  EXPECT_EQ(s.problems.size(), kMaxProblemsKept);
  EXPECT_EQ(s.problems_total, (200 - kMaxReasonsPerNode) + (40 - (kMaxNodesPerJob - 1)));
}

TEST(VerneMQMetrics, StorageIsReusedAcrossScrapes) {
  VerneMQScrape s;
  const std::string body = fixture("vernemq-2x.txt");
  extract_vernemq(body, s);
  const auto* nodes_data = s.nodes.data();
  const auto* reasons_data = s.nodes[0].puback_sent_v5.data();
  extract_vernemq(body, s);
  EXPECT_EQ(s.nodes.data(), nodes_data);
  EXPECT_EQ(s.nodes[0].puback_sent_v5.data(), reasons_data);
  EXPECT_EQ(s.nodes[0].n_reasons, 9u);
}

// Conformance with real VerneMQ scrapes, when ../shared/captures is present (it is in CI).
// Expected counts are the ones written in that folder's README.
TEST(VerneMQCaptures, EveryCaptureParsesWithoutError) {
  int seen = 0;
  for (const char* name : {"vernemq-1.10.1.txt", "vernemq-2.0.1.txt", "live-2.0.1-idle.txt",
                           "live-2.0.1-all-reason-codes.txt", "live-2.0.1-no-namespace.txt"}) {
    const auto body = testing::capture(name);
    if (!body) continue;
    ++seen;
    VerneMQScrape s;
    extract_vernemq(*body, s);
    EXPECT_TRUE(s.is_vernemq) << name;
    EXPECT_EQ(s.problems_total, 0u) << name << ": " << (s.problems.empty() ? "" : s.problems[0]);
    ASSERT_EQ(s.n_nodes, 1u) << name;
    EXPECT_EQ(s.nodes[0].n_reasons, 9u) << name;
  }
  if (seen == 0) GTEST_SKIP() << "../shared/captures is not here";
}

TEST(VerneMQCaptures, AllReasonCodesMatchTheReadme) {
  const auto body = testing::capture("live-2.0.1-all-reason-codes.txt");
  if (!body) GTEST_SKIP() << "../shared/captures is not here";
  VerneMQScrape s;
  extract_vernemq(*body, s);
  ASSERT_EQ(s.n_nodes, 1u);
  EXPECT_EQ(s.prefix, "vernemq_");
  EXPECT_EQ(s.nodes[0].node, "VerneMQ@127.0.0.1");
  const std::map<std::string, std::uint64_t> expected = {
      {"success", 4},           {"no_matching_subscribers", 1}, {"unspecified_error", 1},
      {"impl_specific_error", 2}, {"not_authorized", 4},        {"topic_name_invalid", 3},
      {"packet_id_in_use", 1},  {"quota_exceeded", 1},          {"payload_format_invalid", 1}};
  EXPECT_EQ(reasons_of(s.nodes[0]), expected);
}

TEST(VerneMQCaptures, PrefixesAndNodes) {
  struct Case {
    const char* file;
    const char* prefix;
    const char* node;
  };
  for (const Case& c : {Case{"vernemq-1.10.1.txt", "", "VerneMQ@172.17.0.2"},
                        Case{"live-2.0.1-idle.txt", "vernemq_", "VerneMQ@127.0.0.1"},
                        Case{"live-2.0.1-no-namespace.txt", "", "VerneMQ@127.0.0.1"}}) {
    const auto body = testing::capture(c.file);
    if (!body) GTEST_SKIP() << "../shared/captures is not here";
    VerneMQScrape s;
    extract_vernemq(*body, s);
    EXPECT_EQ(s.prefix, c.prefix) << c.file;
    ASSERT_EQ(s.n_nodes, 1u) << c.file;
    EXPECT_EQ(s.nodes[0].node, c.node) << c.file;
  }
}

TEST(VerneMQCaptures, IdleCaptureIsAllZero) {
  const auto body = testing::capture("live-2.0.1-idle.txt");
  if (!body) GTEST_SKIP() << "../shared/captures is not here";
  VerneMQScrape s;
  extract_vernemq(*body, s);
  ASSERT_EQ(s.n_nodes, 1u);
  for (const auto& [reason, v] : reasons_of(s.nodes[0])) EXPECT_EQ(v, 0u) << reason;
}

TEST(VerneMQCaptures, NotVerneMQIsRejected) {
  const auto body = testing::capture("not-vernemq.txt");
  if (!body) GTEST_SKIP() << "../shared/captures is not here";
  VerneMQScrape s;
  extract_vernemq(*body, s);
  EXPECT_FALSE(s.is_vernemq);
  EXPECT_NE(not_vernemq_message(s).find("not VerneMQ metrics"), std::string::npos);
}

}  // namespace
}  // namespace vmq
