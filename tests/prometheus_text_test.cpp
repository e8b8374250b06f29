// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace vmq::prom {
namespace {

struct Seen {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // unescaped
  Value value;
  bool has_timestamp = false;
  std::int64_t timestamp_ms = 0;
  std::size_t line = 0;
};

class Collect final : public SampleSink {
 public:
  std::string only;  // when set, only this name is wanted
  std::vector<Seen> samples;
  std::vector<ParseError> errors;
  std::vector<std::string> asked;

  bool wants(std::string_view name) override {
    asked.emplace_back(name);
    return only.empty() || name == only;
  }
  void on_sample(const Sample& s) override {
    Seen seen{std::string(s.name), {}, s.value, s.has_timestamp, s.timestamp_ms, s.line};
    for (const Label& l : s.labels) {
      std::string v;
      append_unescaped(l.raw_value, v);
      seen.labels.emplace_back(std::string(l.name), v);
    }
    samples.push_back(std::move(seen));
  }
  void on_error(const ParseError& e) override { errors.push_back(e); }
};

Collect run(std::string_view body, std::string only = {}) {
  Collect c;
  c.only = std::move(only);
  parse(body, c);
  return c;
}

TEST(PrometheusText, PlainSampleWithLabels) {
  const auto c = run("up{node=\"VerneMQ@10.0.0.1\",mqtt_version=\"5\"} 42\n");
  ASSERT_TRUE(c.errors.empty());
  ASSERT_EQ(c.samples.size(), 1u);
  EXPECT_EQ(c.samples[0].name, "up");
  ASSERT_EQ(c.samples[0].labels.size(), 2u);
  EXPECT_EQ(c.samples[0].labels[0].first, "node");
  EXPECT_EQ(c.samples[0].labels[0].second, "VerneMQ@10.0.0.1");
  EXPECT_EQ(c.samples[0].labels[1].second, "5");
  EXPECT_TRUE(c.samples[0].value.is_u64);
  EXPECT_EQ(c.samples[0].value.as_u64, 42u);
  EXPECT_EQ(c.samples[0].line, 1u);
}

TEST(PrometheusText, NoLabelsNoBracesAndEmptyBraces) {
  const auto c = run("a 1\nb{} 2\nc{,} 3\n");
  // "{,}" is not valid: a comma needs a label before it.
  ASSERT_EQ(c.samples.size(), 2u);
  EXPECT_EQ(c.samples[1].name, "b");
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].line, 3u);
}

TEST(PrometheusText, HelpTypeAndOtherComments) {
  const auto c = run(
      "# HELP x Some \\n help \\\\ text with = and \"quotes\"\n"
      "# TYPE x counter\n"
      "# just a comment\n"
      "#\n"
      "x 1\n");
  EXPECT_TRUE(c.errors.empty());
  ASSERT_EQ(c.samples.size(), 1u);
  EXPECT_EQ(c.samples[0].line, 5u);
}

TEST(PrometheusText, EveryMetricType) {
  for (const char* t : {"counter", "gauge", "histogram", "summary", "untyped"}) {
    const auto c = run(std::string("# TYPE m ") + t + "\n");
    EXPECT_TRUE(c.errors.empty()) << t;
  }
}

TEST(PrometheusText, LabelEscapes) {
  const auto c = run("m{a=\"back\\\\slash\",b=\"quo\\\"te\",c=\"new\\nline\"} 1\n");
  ASSERT_TRUE(c.errors.empty());
  ASSERT_EQ(c.samples.size(), 1u);
  EXPECT_EQ(c.samples[0].labels[0].second, "back\\slash");
  EXPECT_EQ(c.samples[0].labels[1].second, "quo\"te");
  EXPECT_EQ(c.samples[0].labels[2].second, "new\nline");
}

TEST(PrometheusText, LabelValueMayHoldBracesCommasEqualsAndUtf8) {
  const auto c = run("m{a=\"x,y}=z {\",b=\"d\xC3\xA9j\xC3\xA0\"} 1\n");
  ASSERT_TRUE(c.errors.empty());
  EXPECT_EQ(c.samples[0].labels[0].second, "x,y}=z {");
  EXPECT_EQ(c.samples[0].labels[1].second, "d\xC3\xA9j\xC3\xA0");
}

TEST(PrometheusText, WhitespaceInsideBracesAndTrailingComma) {
  const auto c = run("m { a = \"1\" , b=\"2\", } 7\n");
  ASSERT_TRUE(c.errors.empty());
  ASSERT_EQ(c.samples.size(), 1u);
  EXPECT_EQ(c.samples[0].labels.size(), 2u);
  EXPECT_EQ(c.samples[0].value.as_u64, 7u);
}

TEST(PrometheusText, FloatValuesAndSpecials) {
  const auto c = run(
      "a 1.5\n"
      "b -2\n"
      "c 1.4e+14\n"
      "d +Inf\n"
      "e -Inf\n"
      "f NaN\n"
      "g 1e400\n"
      "h .5\n"
      "i +3\n"
      "j 18446744073709551615\n"
      "k 18446744073709551616\n"
      "l 0.0\n");
  ASSERT_TRUE(c.errors.empty()) << format_error(c.errors[0]);
  ASSERT_EQ(c.samples.size(), 12u);
  EXPECT_DOUBLE_EQ(c.samples[0].value.as_double, 1.5);
  EXPECT_FALSE(c.samples[0].value.is_u64);
  EXPECT_DOUBLE_EQ(c.samples[1].value.as_double, -2);
  EXPECT_FALSE(c.samples[1].value.is_u64);
  EXPECT_TRUE(c.samples[2].value.is_u64);
  EXPECT_EQ(c.samples[2].value.as_u64, 140000000000000u);
  EXPECT_TRUE(std::isinf(c.samples[3].value.as_double) && c.samples[3].value.as_double > 0);
  EXPECT_TRUE(std::isinf(c.samples[4].value.as_double) && c.samples[4].value.as_double < 0);
  EXPECT_TRUE(std::isnan(c.samples[5].value.as_double));
  EXPECT_FALSE(c.samples[5].value.is_u64);
  EXPECT_TRUE(std::isinf(c.samples[6].value.as_double));
  EXPECT_DOUBLE_EQ(c.samples[7].value.as_double, 0.5);
  EXPECT_EQ(c.samples[8].value.as_u64, 3u);
  EXPECT_TRUE(c.samples[9].value.is_u64);
  EXPECT_EQ(c.samples[9].value.as_u64, 18446744073709551615u);
  EXPECT_FALSE(c.samples[10].value.is_u64);  // 2^64 does not fit a counter
  EXPECT_TRUE(c.samples[11].value.is_u64);
  EXPECT_EQ(c.samples[11].value.as_u64, 0u);
}

TEST(PrometheusText, Timestamps) {
  const auto c = run("a 1 1700000000000\nb 2 -5\n");
  ASSERT_TRUE(c.errors.empty());
  EXPECT_TRUE(c.samples[0].has_timestamp);
  EXPECT_EQ(c.samples[0].timestamp_ms, 1700000000000);
  EXPECT_EQ(c.samples[1].timestamp_ms, -5);
}

TEST(PrometheusText, CrlfBlankLinesAndNoFinalNewline) {
  const auto c = run("a 1\r\n\r\n\n   \t\nb 2");
  ASSERT_TRUE(c.errors.empty());
  ASSERT_EQ(c.samples.size(), 2u);
  EXPECT_EQ(c.samples[1].name, "b");
  EXPECT_EQ(c.samples[1].line, 5u);
  EXPECT_EQ(c.samples[1].value.as_u64, 2u);
}

TEST(PrometheusText, NonContiguousFamiliesAreNotRejected) {
  // VerneMQ writes HELP/TYPE once, at a family's first series; later series of it follow
  // other families' TYPE lines.
  const auto c = run(
      "# TYPE a counter\n"
      "a{v=\"4\"} 1\n"
      "# TYPE b gauge\n"
      "b 2\n"
      "a{v=\"5\"} 3\n");
  EXPECT_TRUE(c.errors.empty());
  ASSERT_EQ(c.samples.size(), 3u);
  EXPECT_EQ(c.samples[2].name, "a");
  EXPECT_EQ(c.samples[2].value.as_u64, 3u);
}

TEST(PrometheusText, ColonsInMetricNames) {
  const auto c = run("job:rate:5m 1\n");
  ASSERT_TRUE(c.errors.empty());
  EXPECT_EQ(c.samples[0].name, "job:rate:5m");
}

TEST(PrometheusText, UnwantedLinesAreSkippedButStillCounted) {
  Collect c;
  c.only = "want";
  const ParseStats st = parse("skip{a=\"1\"} 1\nwant 2\nskip 3\n", c);
  EXPECT_EQ(st.lines, 3u);
  EXPECT_EQ(st.samples, 1u);
  EXPECT_EQ(st.skipped, 2u);
  ASSERT_EQ(c.samples.size(), 1u);
  EXPECT_EQ(c.samples[0].line, 2u);
}

struct Malformed {
  const char* body;
  std::size_t line;
  std::size_t column;
  const char* expect;  // a part of the message
};

class MalformedLine : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedLine, IsReportedWithLocationAndSkipped) {
  const Malformed& m = GetParam();
  // A good line after the bad one proves the rest of the body still counts.
  const auto c = run(std::string(m.body) + "\ngood 1\n");
  ASSERT_EQ(c.errors.size(), 1u) << m.body;
  EXPECT_EQ(c.errors[0].line, m.line) << m.body;
  EXPECT_EQ(c.errors[0].column, m.column) << m.body << ": " << c.errors[0].message;
  EXPECT_NE(std::string(c.errors[0].message).find(m.expect), std::string::npos) << c.errors[0].message;
  ASSERT_FALSE(c.samples.empty());
  EXPECT_EQ(c.samples.back().name, "good");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedLine,
    ::testing::Values(Malformed{"9abc 1", 1, 1, "expected a metric name"},
                      Malformed{"a-b 1", 1, 2, "invalid character in metric name"},
                      Malformed{"abc", 1, 4, "expected a value"},
                      Malformed{"abc ", 1, 5, "expected a value"},
                      Malformed{"abc{a=\"1\"}1", 1, 11, "expected a space before the value"},
                      Malformed{"abc{a=\"1\" 1", 1, 11, "expected ',' or '}'"},
                      Malformed{"abc{a=1} 1", 1, 7, "expected '\"'"},
                      Malformed{"abc{a\"1\"} 1", 1, 6, "expected '='"},
                      Malformed{"abc{1a=\"1\"} 1", 1, 5, "expected a label name"},
                      Malformed{"abc{a=\"1} 1", 1, 12, "unterminated label value"},
                      Malformed{"abc{a=\"\\x\"} 1", 1, 8, "invalid escape"},
                      Malformed{"abc{a=\"1\",a=\"2\"} 1", 1, 11, "duplicate label name"},
                      Malformed{"abc one", 1, 5, "invalid value"},
                      Malformed{"abc 0x10", 1, 5, "invalid value"},
                      Malformed{"abc 1,5", 1, 5, "invalid value"},
                      Malformed{"abc ++1", 1, 5, "invalid value"},
                      Malformed{"abc +-1", 1, 5, "invalid value"},
                      Malformed{"abc 1 12.5", 1, 7, "invalid timestamp"},
                      Malformed{"abc 1 2 3", 1, 9, "unexpected text after the timestamp"},
                      Malformed{"# TYPE abc", 1, 11, "expected a metric type"},
                      Malformed{"# TYPE abc countr", 1, 12, "expected a metric type"},
                      Malformed{"# TYPE abc counter extra", 1, 20, "unexpected text after the metric type"},
                      Malformed{"# TYPE 1abc counter", 1, 8, "expected a metric name"},
                      Malformed{"# HELP", 1, 7, "expected a metric name after '# HELP'"},
                      Malformed{"\xff\xfe garbage", 1, 1, "expected a metric name"},
                      Malformed{"abc{", 1, 5, "expected a label name or '}'"}));

TEST(PrometheusText, ErrorLineNumbersCountEveryLine) {
  const auto c = run("# HELP a x\n\na 1\nb{ 2\nc 3\n");
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].line, 4u);
  EXPECT_EQ(format_error(c.errors[0]).rfind("line 4, column ", 0), 0u);
  EXPECT_EQ(c.samples.size(), 2u);
}

TEST(PrometheusText, TooManyLabelsIsAnErrorNotGrowth) {
  std::string line = "m{";
  for (std::size_t i = 0; i <= kMaxLabels; ++i) line += "l" + std::to_string(i) + "=\"v\",";
  line += "} 1\n";
  const auto c = run(line);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_NE(std::string(c.errors[0].message).find("too many labels"), std::string::npos);
  EXPECT_TRUE(c.samples.empty());
}

TEST(PrometheusText, NulBytesAreMalformedNotFatal) {
  static constexpr char kBody[] = "a 1\n\0\0\0 2\nb\0 3\nc 4\n";
  const std::string body(kBody, sizeof kBody - 1);
  const auto c = run(body);
  EXPECT_EQ(c.errors.size(), 2u);
  ASSERT_EQ(c.samples.size(), 2u);
  EXPECT_EQ(c.samples[1].name, "c");
}

TEST(PrometheusText, EmptyBody) {
  Collect c;
  const ParseStats st = parse("", c);
  EXPECT_EQ(st.lines, 0u);
  EXPECT_TRUE(c.samples.empty());
  EXPECT_TRUE(c.errors.empty());
}

}  // namespace
}  // namespace vmq::prom
