// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/vernemq_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "test_files.h"
#include "vmq/catalogue.h"

namespace vmq {
namespace {

using testing::fixture;

// The MQTT 5 mqtt_puback_sent series of node `n` by reason, read back from the scrape.
std::map<std::string, std::uint64_t> reasons_of(const VerneMQScrape& s, std::size_t n = 0) {
  std::map<std::string, std::uint64_t> m;
  for (std::size_t i = 0; i < s.n_series; ++i) {
    const ScrapedSeries& x = s.series[i];
    if (x.node != n || catalogue::families()[x.family].name != "mqtt_puback_sent") continue;
    const auto reason = catalogue::label_value(s.labels(x), "reason_code");
    if (reason && catalogue::labels_match(s.labels(x), "mqtt_version=5")) m[std::string(*reason)] = x.u64;
  }
  return m;
}

// The reasons of node `n` in body order.
std::vector<std::string> reason_order(const VerneMQScrape& s, std::size_t n = 0) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < s.n_series; ++i) {
    const ScrapedSeries& x = s.series[i];
    if (x.node != n || catalogue::families()[x.family].name != "mqtt_puback_sent") continue;
    if (const auto reason = catalogue::label_value(s.labels(x), "reason_code")) v.emplace_back(*reason);
  }
  return v;
}

std::uint64_t total(const VerneMQScrape& s, std::string_view family, std::size_t n = 0) {
  return sum_of(s, n, family).value_or(0);
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
      {"success", 1000},          {"no_matching_subscribers", 2}, {"unspecified_error", 3},
      {"impl_specific_error", 4}, {"not_authorized", 5},          {"topic_name_invalid", 6},
      {"packet_id_in_use", 7},    {"quota_exceeded", 8},          {"payload_format_invalid", 9}};
  EXPECT_EQ(reasons_of(s), expected);
  // Reasons keep the body's order.
  ASSERT_EQ(reason_order(s).size(), 9u);
  EXPECT_EQ(reason_order(s)[0], "success");
  EXPECT_EQ(reason_order(s)[8], "payload_format_invalid");
  // Totals: MQTT 3.1.1 series plus every MQTT 5 reason.
  EXPECT_EQ(total(s, "mqtt_puback_sent"), 100u + 1000 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9);
  EXPECT_EQ(total(s, "mqtt_puback_received"), 11u + 20 + 1);
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
  const auto r = reasons_of(s);
  EXPECT_EQ(r.size(), 9u);
  EXPECT_EQ(r.at("success"), 70u);
  EXPECT_EQ(r.at("not_authorized"), 12u);
  EXPECT_EQ(r.at("payload_format_invalid"), 0u);  // the last line, with no newline after it
  EXPECT_EQ(total(s, "mqtt_puback_sent", 0), 4000000000u + 70 + 12);
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
  EXPECT_EQ(reasons_of(s), (std::map<std::string, std::uint64_t>{{"success", 5}, {"not_authorized", 2}}));
  EXPECT_EQ(reasons_of(s, 1), (std::map<std::string, std::uint64_t>{{"not_authorized", 3}, {"some_future_reason", 4}}));
  EXPECT_EQ(total(s, "mqtt_puback_sent", 1), 3u + 4 + 10);  // "1e1" is an integral counter
  EXPECT_EQ(total(s, "mqtt_puback_received", 0), 6u);
  EXPECT_FALSE(sum_of(s, 1, "mqtt_puback_received").has_value());
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
  EXPECT_EQ(s.n_nodes, 1u);  // and it is a family of the catalogue
  EXPECT_EQ(sum_of(s, 0, "mqtt_publish_error"), std::optional<std::uint64_t>(0));
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
  EXPECT_EQ(reasons_of(s).at("success"), 1u);
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
  EXPECT_EQ(reasons_of(s).size(), 2u);
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
  EXPECT_EQ(reasons_of(s).size(), kMaxSeriesPerFamily);
  EXPECT_EQ(s.n_nodes, kMaxNodesPerJob);
  EXPECT_EQ(s.problems.size(), kMaxProblemsKept);
  EXPECT_EQ(s.problems_total, (200 - kMaxSeriesPerFamily) + (40 - (kMaxNodesPerJob - 1)));
}

TEST(VerneMQMetrics, StorageIsReusedAcrossScrapes) {
  VerneMQScrape s;
  const std::string body = fixture("vernemq-2x.txt");
  extract_vernemq(body, s);
  const auto* nodes_data = s.nodes.data();
  const auto* series_data = s.series.data();
  const std::size_t n_series = s.n_series;
  extract_vernemq(body, s);
  EXPECT_EQ(s.nodes.data(), nodes_data);
  EXPECT_EQ(s.series.data(), series_data);
  EXPECT_EQ(s.n_series, n_series);
  EXPECT_EQ(reasons_of(s).size(), 9u);
}

// Once the prefix is known only lines holding PREFIX + "mqtt_puback_" are parsed (the rest of a
// 40 KB body is skipped at memory speed). Every charted line still is, and a malformed one is
// reported wherever it sits in the body.
TEST(VerneMQMetrics, MalformedChartedLinesAfterDetectionAreReportedWithTheirLine) {
  const std::string good = fixture("vernemq-2x.txt");
  const std::string line20 =
      "vernemq_mqtt_puback_sent{node=\"VerneMQ@192.0.2.10\",mqtt_version=\"5\",reason_code=\"impl_specific_error\"} 4";
  ASSERT_NE(good.find(line20 + "\n"), std::string::npos);
  for (const std::string& bad :
       {std::string("vernemq_mqtt_puback_sent{node=\"VerneMQ@192.0.2.10\",mqtt_version=\"5\",reason_code=\"impl_"),
        std::string("vernemq_mqtt_puback_sent{node=\"VerneMQ@192.0.2.10\",mqtt_version=\"5\",reason_code=\"x\"} four"),
        std::string("vernemq_mqtt_puback_sent-x{node=\"VerneMQ@192.0.2.10\"} 4"),
        std::string("vernemq_mqtt_puback_sent{node=\"VerneMQ@192.0.2.10\",node=\"b\"} 4"),
        std::string("vernemq_mqtt_puback_sent{node=\"VerneMQ@192.0.2.10\"} 4 5 6"),
        std::string("# TYPE vernemq_mqtt_puback_sent countr")}) {
    std::string body = good;
    body.replace(body.find(line20), line20.size(), bad);
    VerneMQScrape s;
    extract_vernemq(body, s);
    ASSERT_TRUE(s.is_vernemq) << bad;
    EXPECT_EQ(s.problems_total, 1u) << bad;
    ASSERT_EQ(s.problems.size(), 1u) << bad;
    EXPECT_EQ(s.problems[0].rfind("line 20, column ", 0), 0u) << s.problems[0];
    ASSERT_EQ(s.n_nodes, 1u);
    EXPECT_EQ(reasons_of(s).size(), 8u) << bad;  // the other eight reasons still count
  }
}

TEST(VerneMQMetrics, ChartedLinesWithLeadingBlanksOrCrlfStillCount) {
  std::string body = fixture("vernemq-2x.txt");
  const std::string line21 =
      "vernemq_mqtt_puback_sent{node=\"VerneMQ@192.0.2.10\",mqtt_version=\"5\",reason_code=\"not_authorized\"} 5\n";
  body.replace(body.find(line21), line21.size(), " \t" + line21.substr(0, line21.size() - 1) + "\r\n");
  VerneMQScrape s;
  extract_vernemq(body, s);
  EXPECT_EQ(s.problems_total, 0u) << (s.problems.empty() ? "" : s.problems[0]);
  ASSERT_EQ(s.n_nodes, 1u);
  EXPECT_EQ(reasons_of(s).at("not_authorized"), 5u);
  EXPECT_EQ(s.lines, 27u);
}

TEST(VerneMQMetrics, AChartedNameInsideAnotherFamilysLineIsNotASample) {
  const std::string body =
      "vernemq_mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"success\"} 1\n"
      "vernemq_log_line{text=\"vernemq_mqtt_puback_sent{node=\\\"n\\\",mqtt_version=\\\"5\\\",reason_code=\\\"quota_"
      "exceeded\\\"} 9\"} 1\n"
      "# HELP vernemq_other vernemq_mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"not_authorized\"} 7\n";
  VerneMQScrape s;
  extract_vernemq(body, s);
  EXPECT_EQ(s.problems_total, 0u) << (s.problems.empty() ? "" : s.problems[0]);
  ASSERT_EQ(s.n_nodes, 1u);
  EXPECT_EQ(reasons_of(s), (std::map<std::string, std::uint64_t>{{"success", 1}}));
  EXPECT_EQ(total(s, "mqtt_puback_sent", 0), 1u);
}

TEST(VerneMQMetrics, OtherFamiliesAfterDetectionAreSkippedNotChecked) {
  // What the speed costs: a malformed line of a family the catalogue does not hold, after the
  // prefix is known, is not reported (it cannot change a charted number).
  VerneMQScrape s;
  extract_vernemq(
      "vernemq_mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"success\"} 1\n"
      "vernemq_system_exact_reductions{node=\"n\" 3\n"
      "vernemq_mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"not_authorized\"} 2\n",
      s);
  EXPECT_EQ(s.problems_total, 0u);
  EXPECT_EQ(s.lines, 3u);
  ASSERT_EQ(s.n_nodes, 1u);
  EXPECT_EQ(reasons_of(s).size(), 2u);
}

TEST(VerneMQMetrics, LongCustomPrefixIsFoundAndFiltered) {
  const std::string prefix(120, 'p');
  VerneMQScrape s;
  extract_vernemq("other 1\n" + prefix +
                      "_mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"success\"} 3\n" + "x" + prefix +
                      "_mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"quota_exceeded\"} 4\n" + prefix +
                      "_mqtt_puback_sent{node=\"n\",mqtt_version=\"5\",reason_code=\"not_authorized\"} 5\n",
                  s);
  EXPECT_EQ(s.prefix, prefix + "_");
  ASSERT_EQ(s.n_nodes, 1u);
  EXPECT_EQ(reasons_of(s), (std::map<std::string, std::uint64_t>{{"success", 3}, {"not_authorized", 5}}));
}

TEST(VerneMQMetrics, NotVerneMQFoundNamesSurviveTheFilter) {
  std::string body;
  for (int i = 0; i < 200; ++i) body += "exporter_metric_" + std::to_string(i) + " 1\n";
  VerneMQScrape s;
  extract_vernemq(body, s);
  EXPECT_FALSE(s.is_vernemq);
  EXPECT_EQ(s.lines, 200u);
  EXPECT_EQ(s.found_names,
            "exporter_metric_0, exporter_metric_1, exporter_metric_2, exporter_metric_3, exporter_metric_4");
}

// ---- VerneMQStream: the body in pieces gives the same scrape ----------------------------------

std::string describe(const VerneMQScrape& s) {
  std::string d = std::string(s.is_vernemq ? "vernemq" : "not") + " prefix=" + s.prefix +
                  " lines=" + std::to_string(s.lines) + " samples=" + std::to_string(s.samples) +
                  " problems=" + std::to_string(s.problems_total) + " unterminated=" + std::to_string(s.unterminated) +
                  " found=" + s.found_names + " rejected=" + s.rejected + "\n";
  for (const std::string& p : s.problems) d += "  problem " + p + "\n";
  for (std::size_t n = 0; n < s.n_nodes; ++n) d += "  node " + s.nodes[n].node + "\n";
  for (std::size_t i = 0; i < s.n_series; ++i) {
    const ScrapedSeries& x = s.series[i];
    d += "    " + std::to_string(x.node) + " " + std::string(catalogue::families()[x.family].name) + " " +
         std::string(s.labels(x)) + " = " + std::to_string(x.value) + "/" + std::to_string(x.u64) + "\n";
  }
  return d;
}

TEST(VerneMQStream, PiecesGiveTheSameScrapeAsTheWholeBody) {
  std::vector<std::string> bodies = {fixture("vernemq-2x.txt"), fixture("vernemq-1x.txt"),
                                     fixture("custom-prefix-two-nodes.txt"), fixture("not-vernemq.txt"), ""};
  for (const char* name : {"vernemq-1.10.1.txt", "vernemq-2.0.1.txt", "live-2.0.1-all-reason-codes.txt"}) {
    if (auto body = testing::capture(name)) bodies.push_back(*body);
  }
  // Problems, a rejected counter and a cut-off last line, in one body.
  bodies.push_back(fixture("vernemq-2x.txt") +
                   "vernemq_mqtt_puback_sent{node=\"VerneMQ@192.0.2.10\",mqtt_version=\"5\",reason_code=\"x\"} -1\n"
                   "vernemq_mqtt_puback_sent{node=\"VerneMQ@192.0.2.10\",mqtt_version=\"5\",reason_code=\"y\n"
                   "vernemq_mqtt_puback_received{node=\"VerneMQ@192.0.2.11\"} 12");
  std::uint64_t rng = 99;
  const auto next = [&rng](std::size_t bound) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>((rng >> 33) % bound);
  };
  VerneMQScrape streamed;
  VerneMQStream stream(streamed);     // one stream for every body
  std::optional<std::string> prefix;  // the previous VerneMQ body's, as a job keeps it
  for (const std::string& body : bodies) {
    VerneMQScrape whole;
    extract_vernemq(body, whole);
    const std::string expected = describe(whole);
    for (int split = 0; split < 60; ++split) {
      stream.begin(prefix);
      const std::size_t max_piece = split < 20 ? 3 : (split < 40 ? 200 : 20000);
      for (std::size_t at = 0; at < body.size();) {
        const std::size_t n = 1 + next(std::min(max_piece, body.size() - at));
        stream.feed(std::string_view(body).substr(at, n));
        at += n;
      }
      stream.finish();
      if (streamed.is_vernemq) prefix = streamed.prefix;
      // A body whose prefix differs from the previous body's loses the families before its
      // first identifying line (the stream keeps no body to read again); the next one has them.
      if (split > 0) {
        ASSERT_EQ(describe(streamed), expected) << "split " << split;
      }
    }
  }
}

TEST(VerneMQMetrics, FamiliesBeforeTheIdentifyingLineAreKept) {
  // VerneMQ writes socket_open and bytes_received before any name that identifies it.
  VerneMQScrape s;
  extract_vernemq(
      "vernemq_socket_open{node=\"n\"} 39\n"
      "vernemq_active_mqtt_connections{node=\"n\"} 2\n"
      "vernemq_mqtt_publish_error{node=\"n\",mqtt_version=\"4\"} 0\n",
      s);
  ASSERT_TRUE(s.is_vernemq);
  EXPECT_EQ(sum_of(s, 0, "socket_open"), std::optional<std::uint64_t>(39));
  ASSERT_EQ(s.n_series, 3u);
  EXPECT_EQ(s.series[1].value, 2.0);
  EXPECT_FALSE(sum_of(s, 0, "socket_close").has_value());

  // A stream reads the lines before the identifying one only with the prefix it is told to
  // expect (the job's previous body's): the second body, told it, keeps the first lines.
  VerneMQScrape streamed;
  VerneMQStream stream(streamed);
  std::optional<std::string> prefix;
  for (int i = 0; i < 2; ++i) {
    stream.begin(prefix);
    stream.feed("vernemq_socket_open{node=\"n\"} 39\nvernemq_mqtt_publish_error{node=\"n\"} 0\n");
    stream.finish();
    EXPECT_EQ(sum_of(streamed, 0, "socket_open").has_value(), i == 1) << i;
    ASSERT_TRUE(streamed.is_vernemq);
    prefix = streamed.prefix;
  }
}

TEST(VerneMQStream, UnterminatedLastLineIsSaid) {
  VerneMQScrape s;
  extract_vernemq("mqtt_publish_error{node=\"n\"} 0", s);
  EXPECT_TRUE(s.unterminated);
  extract_vernemq("mqtt_publish_error{node=\"n\"} 0\n", s);
  EXPECT_FALSE(s.unterminated);
  VerneMQStream stream(s);
  stream.begin(std::nullopt);
  stream.feed("mqtt_publish_error{node=\"n\"} 0\nmqtt_pu");
  stream.finish();
  EXPECT_TRUE(s.unterminated);
  EXPECT_EQ(s.lines, 2u);
}

TEST(VerneMQStream, RetainedBytesFollowTheLargestBodyRead) {
  VerneMQScrape s;
  VerneMQStream stream(s);
  const std::string body = fixture("vernemq-2x.txt");
  stream.begin(std::nullopt);
  stream.feed(body);
  stream.finish();
  const std::size_t normal = stream.retained_bytes();
  EXPECT_GT(normal, body.size() / 100);  // series, labels, nodes are kept
  EXPECT_LT(normal, 64u * 1024u);
  // A 1 MiB label value stays in the stream's buffers (the line, the labels) after the body.
  stream.begin(std::string_view("vernemq_"));
  stream.feed("vernemq_mqtt_publish_error{node=\"n\",x=\"" + std::string(1 << 20, 'a') + "\"} 1\n");
  stream.finish();
  EXPECT_GT(stream.retained_bytes(), std::size_t{1} << 20);
}

TEST(VerneMQStream, FinishWithoutBeginIsAnEmptyBody) {
  VerneMQScrape s;
  VerneMQStream stream(s);
  stream.feed("mqtt_publish_error 1\n");  // not begun: ignored
  stream.finish();
  EXPECT_FALSE(s.is_vernemq);
  EXPECT_EQ(s.lines, 0u);
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
    EXPECT_EQ(reasons_of(s).size(), 9u) << name;
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
  const std::map<std::string, std::uint64_t> expected = {{"success", 4},
                                                         {"no_matching_subscribers", 1},
                                                         {"unspecified_error", 1},
                                                         {"impl_specific_error", 2},
                                                         {"not_authorized", 4},
                                                         {"topic_name_invalid", 3},
                                                         {"packet_id_in_use", 1},
                                                         {"quota_exceeded", 1},
                                                         {"payload_format_invalid", 1}};
  EXPECT_EQ(reasons_of(s), expected);
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
  for (const auto& [reason, v] : reasons_of(s)) EXPECT_EQ(v, 0u) << reason;
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

namespace vmq {
namespace {

TEST(VerneMQMetrics, WallclockAndConnectionsPerNodeAndABadOneIsOnlyAProblem) {
  const std::string good = testing::fixture("vernemq-2x.txt") +
                           "vernemq_system_wallclock{node=\"VerneMQ@192.0.2.10\"} 51082602\n"
                           "vernemq_total_active_connections{node=\"VerneMQ@192.0.2.10\"} 42\n";
  VerneMQScrape s;
  extract_vernemq(good, s);
  ASSERT_EQ(s.n_nodes, 1u);
  EXPECT_TRUE(s.nodes[0].has_wallclock);
  EXPECT_EQ(s.nodes[0].wallclock_ms, 51082602u);
  EXPECT_TRUE(s.nodes[0].has_connections);
  EXPECT_EQ(s.nodes[0].connections, 42u);
  EXPECT_EQ(s.problems_total, 0u);

  const std::string bad = testing::fixture("vernemq-2x.txt") +
                          "vernemq_system_wallclock{node=\"VerneMQ@192.0.2.10\"} 1.5\n"
                          "vernemq_total_active_connections{node=\"VerneMQ@192.0.2.10\"} NaN\n";
  extract_vernemq(bad, s);
  EXPECT_FALSE(s.nodes[0].has_wallclock);
  EXPECT_FALSE(s.nodes[0].has_connections);
  EXPECT_TRUE(s.rejected.empty()) << s.rejected;  // only hints: the scrape stays usable
  EXPECT_EQ(s.problems_total, 2u);
  ASSERT_EQ(s.problems.size(), 2u);
  EXPECT_NE(s.problems[0].find("milliseconds"), std::string::npos) << s.problems[0];
  EXPECT_NE(s.problems[1].find("connections"), std::string::npos) << s.problems[1];
}

}  // namespace
}  // namespace vmq
