// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/prometheus_text.h"

#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
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
  const auto c =
      run("# HELP x Some \\n help \\\\ text with = and \"quotes\"\n"
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
  const auto c =
      run("a 1.5\n"
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
  const auto c =
      run("# TYPE a counter\n"
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
                      Malformed{"abc", 1, 4, "expected a value"}, Malformed{"abc ", 1, 5, "expected a value"},
                      Malformed{"abc{a=\"1\"}1", 1, 11, "expected a space before the value"},
                      Malformed{"abc{a=\"1\" 1", 1, 11, "expected ',' or '}'"},
                      Malformed{"abc{a=1} 1", 1, 7, "expected '\"'"}, Malformed{"abc{a\"1\"} 1", 1, 6, "expected '='"},
                      Malformed{"abc{1a=\"1\"} 1", 1, 5, "expected a label name"},
                      Malformed{"abc{a=\"1} 1", 1, 12, "unterminated label value"},
                      Malformed{"abc{a=\"\\x\"} 1", 1, 8, "invalid escape"},
                      Malformed{"abc{a=\"1\",a=\"2\"} 1", 1, 11, "duplicate label name"},
                      Malformed{"abc one", 1, 5, "invalid value"}, Malformed{"abc 0x10", 1, 5, "invalid value"},
                      Malformed{"abc 1,5", 1, 5, "invalid value"}, Malformed{"abc ++1", 1, 5, "invalid value"},
                      Malformed{"abc +-1", 1, 5, "invalid value"}, Malformed{"abc 1 12.5", 1, 7, "invalid timestamp"},
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

// ---- line_filters: lines without any filter text are only counted ----------------------------

class FilteredCollect final : public SampleSink {
 public:
  std::string filter;   // returned by line_filters()
  std::string filter2;  // a second text, when not empty
  std::string only;     // when set, only this name is wanted
  std::vector<Seen> samples;
  std::vector<ParseError> errors;
  std::vector<std::string> asked;

  bool wants(std::string_view name) override {
    asked.emplace_back(name);
    return only.empty() || name == only;
  }
  void on_sample(const Sample& s) override {
    Seen seen{std::string(s.name), {}, s.value, s.has_timestamp, s.timestamp_ms, s.line};
    for (const Label& l : s.labels) seen.labels.emplace_back(std::string(l.name), std::string(l.raw_value));
    samples.push_back(std::move(seen));
  }
  void on_error(const ParseError& e) override { errors.push_back(e); }
  std::span<const std::string_view> line_filters() override {
    views_ = {filter, filter2};
    return std::span<const std::string_view>(views_.data(), filter.empty() ? 0 : filter2.empty() ? 1 : 2);
  }

 private:
  std::array<std::string_view, 2> views_;
};

TEST(PrometheusTextFilter, ALineHoldingEitherTextIsParsedInOrder) {
  FilteredCollect c;
  c.filter = "alpha";
  c.filter2 = "beta";
  const ParseStats st = parse(
      "beta_x 1\n"
      "gamma 2\n"
      "alpha_y 3\n"
      "beta_z 4\n"
      "delta 5\n"
      "x_alpha 6\n",
      c);
  ASSERT_EQ(c.samples.size(), 4u);
  EXPECT_EQ(c.samples[0].name, "beta_x");
  EXPECT_EQ(c.samples[0].line, 1u);
  EXPECT_EQ(c.samples[1].name, "alpha_y");
  EXPECT_EQ(c.samples[1].line, 3u);
  EXPECT_EQ(c.samples[2].name, "beta_z");
  EXPECT_EQ(c.samples[2].line, 4u);
  EXPECT_EQ(c.samples[3].name, "x_alpha");
  EXPECT_EQ(c.samples[3].line, 6u);
  EXPECT_EQ(st.lines, 6u);
  EXPECT_EQ(st.filtered, 2u);
}

TEST(PrometheusTextFilter, OnlyLinesHoldingTheTextAreParsedAndLineNumbersStayExact) {
  FilteredCollect c;
  c.filter = "want";
  const ParseStats st = parse(
      "a 1\n"
      "# TYPE want counter\n"
      "b{x=\"unused{\"} 2\n"
      "  want{l=\"v\"} 3\n"      // leading blanks: still the line's name
      "other{t=\"want 9\"} 4\n"  // the text in a label value: the line is parsed, by its own name
      "c 5\n"
      "wanted_too 6",  // no final newline
      c);
  EXPECT_EQ(st.lines, 7u);
  EXPECT_EQ(st.filtered, 3u);  // lines 1, 3 and 6
  EXPECT_EQ(c.asked, (std::vector<std::string>{"want", "other", "wanted_too"}));
  ASSERT_EQ(c.samples.size(), 3u);
  EXPECT_EQ(c.samples[0].line, 4u);
  EXPECT_EQ(c.samples[1].name, "other");
  EXPECT_EQ(c.samples[1].line, 5u);
  EXPECT_EQ(c.samples[2].line, 7u);
  EXPECT_EQ(c.samples[2].value.as_u64, 6u);
  EXPECT_TRUE(c.errors.empty());
}

TEST(PrometheusTextFilter, MalformedLinesHoldingTheTextAreReportedOthersAreNot) {
  FilteredCollect c;
  c.filter = "want";
  parse("bad{ 1\nwant{a=\"1} 2\n9want 3\nfine 4\nwant 5 6 7\n", c);
  ASSERT_EQ(c.errors.size(), 3u);
  EXPECT_EQ(c.errors[0].line, 2u);
  EXPECT_EQ(c.errors[1].line, 3u);
  EXPECT_EQ(c.errors[1].column, 1u);
  EXPECT_EQ(c.errors[2].line, 5u);
  EXPECT_TRUE(c.samples.empty());
}

TEST(PrometheusTextFilter, TheTextIsFoundAtEveryOffset) {
  // The scan looks at blocks of bytes at a time: put the text at every position against them.
  for (std::size_t pad = 0; pad < 200; ++pad) {
    FilteredCollect c;
    c.filter = "puback_sent";
    const std::string body = "# " + std::string(pad, 'x') + "\nmqtt_puback_sent 1\n# " + std::string(pad % 67, 'y') +
                             "puback_sen\nmqtt_puback_sent 2";
    const ParseStats st = parse(body, c);
    ASSERT_EQ(c.samples.size(), 2u) << pad;
    EXPECT_EQ(c.samples[0].line, 2u) << pad;
    EXPECT_EQ(c.samples[1].line, 4u) << pad;
    EXPECT_EQ(c.samples[1].value.as_u64, 2u) << pad;
    EXPECT_EQ(st.lines, 4u) << pad;
    EXPECT_EQ(st.filtered, 2u) << pad;
  }
}

TEST(PrometheusTextFilter, OneByteFilterAndAFilterThatChangesMidBody) {
  FilteredCollect one;
  one.filter = "{";
  parse("a 1\nb{} 2\nc 3\n", one);
  ASSERT_EQ(one.samples.size(), 1u);
  EXPECT_EQ(one.samples[0].name, "b");

  // A sink that sets its filter once it has seen a name (as the VerneMQ sink does).
  class Learns final : public SampleSink {
   public:
    bool wants(std::string_view name) override {
      names.emplace_back(name);
      return true;
    }
    void on_sample(const Sample&) override {}
    void on_error(const ParseError&) override {}
    std::span<const std::string_view> line_filters() override {
      static constexpr std::string_view kKeep = "keep";
      return names.empty() ? std::span<const std::string_view>() : std::span<const std::string_view>(&kKeep, 1);
    }
    std::vector<std::string> names;
  } learns;
  const ParseStats st = parse("first 1\nskip 2\nkeep 3\nskip 4\n", learns);
  EXPECT_EQ(learns.names, (std::vector<std::string>{"first", "keep"}));
  EXPECT_EQ(st.lines, 4u);
  EXPECT_EQ(st.filtered, 2u);
}

// The filter's promise, checked on thousands of corrupted bodies: a filtered parse delivers
// exactly the samples of a full parse for the wanted names, and exactly the full parse's errors
// on lines that hold the filter text. So no line the filter skips can be mistaken for, or hide,
// a wanted sample, and every malformed line of a wanted family is still reported.
TEST(PrometheusTextFilter, SameWantedSamplesAndErrorsAsAFullParseOnCorruptedBodies) {
  std::string base;
  for (int node = 0; node < 3; ++node) {
    const std::string n = "node=\"VerneMQ@10.0.0." + std::to_string(node) + "\"";
    base += "# HELP vernemq_mqtt_puback_sent PUBACK packets sent.\n# TYPE vernemq_mqtt_puback_sent counter\n";
    base += "vernemq_mqtt_publish_sent{" + n + ",mqtt_version=\"4\"} 123456\n";
    base += "vernemq_mqtt_puback_sent{" + n + ",mqtt_version=\"4\"} 98765\n";
    for (const char* r : {"success", "not_authorized", "quota_exceeded"}) {
      base += "vernemq_mqtt_puback_sent{" + n + ",mqtt_version=\"5\",reason_code=\"" + r + "\"} 42\n";
      base += "vernemq_mqtt_puback_received{" + n + ",mqtt_version=\"5\",reason_code=\"" + r + "\"} 7\n";
    }
    base += "vernemq_mqtt_puback_invalid_error{" + n + "} 0\nvernemq_queue_processes{" + n + "} 3\n";
  }
  const std::string alphabet = "\n\r\t {}\",=\\#_ae5x";
  const std::string wanted = "vernemq_mqtt_puback_sent";
  const std::string filter = "vernemq_mqtt_puback_";
  std::uint64_t rng = 0x9e3779b97f4a7c15ULL;
  const auto next = [&rng](std::size_t bound) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return static_cast<std::size_t>(rng % bound);
  };
  std::size_t wanted_samples_seen = 0;
  std::size_t errors_seen = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string body = base;
    for (int edits = 1 + static_cast<int>(next(4)); edits > 0; --edits) {
      const std::size_t at = next(body.size());
      switch (next(3)) {
        case 0: body[at] = alphabet[next(alphabet.size())]; break;
        case 1: body.insert(at, 1, alphabet[next(alphabet.size())]); break;
        default: body.erase(at, 1); break;
      }
    }
    FilteredCollect full;
    full.only = wanted;
    const ParseStats full_stats = parse(body, full);
    FilteredCollect filtered;
    filtered.only = wanted;
    filtered.filter = filter;
    const ParseStats filtered_stats = parse(body, filtered);

    ASSERT_EQ(filtered_stats.lines, full_stats.lines) << body;
    ASSERT_EQ(filtered.samples.size(), full.samples.size()) << body;
    for (std::size_t i = 0; i < full.samples.size(); ++i) {
      EXPECT_EQ(filtered.samples[i].line, full.samples[i].line) << body;
      EXPECT_EQ(filtered.samples[i].labels, full.samples[i].labels) << body;
      EXPECT_EQ(filtered.samples[i].value.as_u64, full.samples[i].value.as_u64) << body;
    }
    // The lines of the body, to know which of the full parse's errors hold the filter text.
    std::vector<std::string_view> lines;
    for (std::string_view rest = body; !rest.empty();) {
      const std::size_t nl = rest.find('\n');
      lines.push_back(rest.substr(0, nl));
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    }
    std::vector<std::pair<std::size_t, std::size_t>> expected_errors;
    for (const ParseError& e : full.errors) {
      if (lines.at(e.line - 1).find(filter) != std::string_view::npos) expected_errors.emplace_back(e.line, e.column);
    }
    std::vector<std::pair<std::size_t, std::size_t>> got_errors;
    for (const ParseError& e : filtered.errors) got_errors.emplace_back(e.line, e.column);
    ASSERT_EQ(got_errors, expected_errors) << body;
    wanted_samples_seen += full.samples.size();
    errors_seen += expected_errors.size();
  }
  // The corruption hit wanted lines often enough for the comparison to mean something.
  EXPECT_GT(wanted_samples_seen, 3000u * 10);
  EXPECT_GT(errors_seen, 500u);
}

// ---- StreamParser: a body in pieces parses as the whole body --------------------------------

struct Parsed {
  std::vector<std::tuple<std::string, std::size_t, std::uint64_t, std::size_t>> samples;  // name, line, value, labels
  std::vector<std::pair<std::size_t, std::size_t>> errors;                                // line, column
  std::vector<std::size_t> stats;  // lines, samples, skipped, filtered, errors, unterminated
};

Parsed summary(const FilteredCollect& c, const ParseStats& st) {
  Parsed p;
  for (const Seen& s : c.samples) p.samples.emplace_back(s.name, s.line, s.value.as_u64, s.labels.size());
  for (const ParseError& e : c.errors) p.errors.emplace_back(e.line, e.column);
  p.stats = {st.lines, st.samples, st.skipped, st.filtered, st.errors, st.unterminated ? 1u : 0u};
  return p;
}

TEST(PrometheusTextStream, PiecesSplitAnywhereParseAsTheWholeBody) {
  const std::vector<std::string> bodies = {
      "",
      "\n",
      "a 1",
      "a 1\n",
      "# HELP a x\n# TYPE a counter\na{l=\"v\"} 1\r\nb 2\n\nc{ 3\nd 4",
      "mqtt_puback_sent{reason_code=\"success\"} 5\nother{t=\"mqtt_puback_sent\"} 1\nmqtt_puback_sent{r=\"x} 2\n"
      "mqtt_puback_sent 7 8 9\n   mqtt_puback_sent\t10\nlast_mqtt_puback_sent 11",
  };
  std::uint64_t rng = 12345;
  const auto next = [&rng](std::size_t bound) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>((rng >> 33) % bound);
  };
  StreamParser stream;  // one parser for every body: its state must not leak from one to the next
  for (const std::string& body : bodies) {
    for (const char* filter : {"", "mqtt_puback_sent"}) {
      FilteredCollect whole;
      whole.filter = filter;
      const Parsed expected = summary(whole, parse(body, whole));
      for (int split = 0; split < 200; ++split) {
        FilteredCollect pieces;
        pieces.filter = filter;
        stream.begin(pieces);
        std::size_t at = 0;
        while (at < body.size()) {
          // Mostly small pieces (down to one byte), sometimes the rest at once.
          const std::size_t n =
              split % 7 == 0 ? body.size() - at : 1 + next(std::min<std::size_t>(body.size() - at, 9));
          stream.feed(std::string_view(body).substr(at, n));
          at += n;
        }
        const Parsed got = summary(pieces, stream.finish());
        ASSERT_EQ(got.samples, expected.samples) << body << " / " << split;
        ASSERT_EQ(got.errors, expected.errors) << body << " / " << split;
        ASSERT_EQ(got.stats, expected.stats) << body << " / " << split;
      }
    }
  }
}

TEST(PrometheusTextStream, BeginForgetsAnUnfinishedBody) {
  StreamParser stream;
  FilteredCollect first;
  stream.begin(first);
  stream.feed("a 1\nhalf_a_li");
  FilteredCollect second;
  stream.begin(second);  // e.g. the server answered a redirect, then the real body came
  stream.feed("b 2\n");
  const ParseStats st = stream.finish();
  EXPECT_EQ(st.lines, 1u);
  EXPECT_FALSE(st.unterminated);
  ASSERT_EQ(second.samples.size(), 1u);
  EXPECT_EQ(second.samples[0].name, "b");
  EXPECT_EQ(second.samples[0].line, 1u);
  stream.feed("c 3\n");  // after finish(), without begin(): ignored
  EXPECT_EQ(second.samples.size(), 1u);
}

// ---- Differential: the production tokeniser against a plain reference ------------------------
// The reference below reads a line the obvious way (an index, one character test at a time, the
// whole value token handed to from_chars) and says the same things in the same words. The
// production parser scans in blocks and takes shortcuts for VerneMQ's usual shapes; over many
// generated and corrupted bodies both must report the same samples, errors and counts.

namespace ref {

bool blank(char c) { return c == ' ' || c == '\t'; }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool name_start(char c) { return alpha(c) || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || digit(c); }
bool label_start(char c) { return alpha(c) || c == '_'; }
bool label_char(char c) { return label_start(c) || digit(c); }

bool lower_equals(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != lower[i]) return false;
  }
  return true;
}

// Go's ParseFloat, as the format's reference implementation reads a value.
bool value(std::string_view t, Value& v) {
  if (t.empty()) return false;
  std::uint64_t u = 0;
  if (const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), u);
      digit(t[0]) && ec == std::errc() && p == t.data() + t.size()) {
    v = Value{static_cast<double>(u), u, true};
    return true;
  }
  double d = 0;
  const bool sign = !t.empty() && (t[0] == '+' || t[0] == '-');
  const std::string_view body = sign ? t.substr(1) : t;
  if (lower_equals(body, "inf") || lower_equals(body, "infinity")) {
    d = t[0] == '-' ? -HUGE_VAL : HUGE_VAL;
  } else if (!sign && lower_equals(body, "nan")) {
    d = std::nan("");
  } else {
    const std::string_view num = t[0] == '+' && t.size() > 1 ? t.substr(1) : t;
    if (num[0] == '+' || (sign && num.size() != t.size() && num[0] == '-')) return false;
    const auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), d);
    if (p != num.data() + num.size()) return false;
    if (ec == std::errc::result_out_of_range) {
      d = num[0] == '-' ? -HUGE_VAL : HUGE_VAL;
    } else if (ec != std::errc()) {
      return false;
    }
  }
  v.as_double = d;
  v.is_u64 = std::isfinite(d) && d >= 0 && d < 18446744073709551616.0 && std::floor(d) == d;
  v.as_u64 = v.is_u64 ? static_cast<std::uint64_t>(d) : 0;
  return true;
}

// What a sink was told, in order: samples and errors as text, so they compare in one vector.
struct Told {
  std::vector<std::string> events;
  std::vector<std::size_t> stats;  // lines, samples, skipped, filtered, errors, unterminated
};

std::string sample_text(std::string_view name, const std::vector<Label>& labels, const Value& v, bool has_ts,
                        std::int64_t ts, std::size_t line) {
  std::string t = "S " + std::to_string(line) + " " + std::string(name);
  for (const Label& l : labels) {
    t += "|" + std::string(l.name) + "=" + std::string(l.raw_value) + (l.has_escapes ? "\\" : "");
  }
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v.as_double, sizeof bits);
  if (std::isnan(v.as_double)) bits = 1;  // any NaN
  t += " " + std::to_string(bits) + " " + std::to_string(v.as_u64) + " " + std::to_string(v.is_u64);
  if (has_ts) t += " @" + std::to_string(ts);
  return t;
}
std::string error_text(std::size_t line, std::size_t column, std::string_view message) {
  return "E " + std::to_string(line) + ":" + std::to_string(column) + " " + std::string(message);
}

class Line {
 public:
  Line(std::string_view line, std::size_t no, bool (*wants)(std::string_view), Told& told, std::size_t& samples,
       std::size_t& skipped, std::size_t& errors)
      : l_(line), no_(no), wants_(wants), told_(told), samples_(samples), skipped_(skipped), errors_(errors) {}

  void parse() {
    blanks();
    if (end()) return;
    if (l_[i_] == '#') {
      comment();
    } else {
      sample();
    }
  }

 private:
  bool end() const { return i_ >= l_.size(); }
  void blanks() {
    while (!end() && blank(l_[i_])) ++i_;
  }
  std::string_view token() {
    const std::size_t s = i_;
    while (!end() && !blank(l_[i_])) ++i_;
    return l_.substr(s, i_ - s);
  }
  void fail(const char* m) {
    ++errors_;
    told_.events.push_back(error_text(no_, i_ + 1, m));
  }
  std::string_view metric_name(const char* missing) {
    if (end() || !name_start(l_[i_])) {
      fail(missing);
      return {};
    }
    const std::size_t s = i_;
    while (!end() && name_char(l_[i_])) ++i_;
    return l_.substr(s, i_ - s);
  }

  void comment() {
    ++i_;
    blanks();
    const std::string_view k = token();
    if (k != "HELP" && k != "TYPE") return;
    if (end()) {
      fail(k == "HELP" ? "expected a metric name after '# HELP'" : "expected a metric name after '# TYPE'");
      return;
    }
    blanks();
    if (metric_name("expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) after HELP/TYPE").empty()) return;
    if (!end() && !blank(l_[i_])) {
      fail("invalid character in metric name; expected [a-zA-Z0-9_:]");
      return;
    }
    if (k == "HELP") return;
    blanks();
    const std::size_t at = i_;
    const std::string_view t = token();
    blanks();
    if (t != "counter" && t != "gauge" && t != "histogram" && t != "summary" && t != "untyped") {
      i_ = at;
      fail("expected a metric type: counter, gauge, histogram, summary or untyped");
      return;
    }
    if (!end()) fail("unexpected text after the metric type");
  }

  void sample() {
    const std::string_view name = metric_name("expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or '#'");
    if (name.empty()) return;
    if (end()) return fail("expected a value after the metric name");
    if (l_[i_] != '{' && !blank(l_[i_])) {
      return fail("invalid character in metric name; expected [a-zA-Z0-9_:], '{' or a space");
    }
    if (!wants_(name)) {
      ++skipped_;
      return;
    }
    const std::size_t after = i_;
    blanks();
    if (end() || l_[i_] != '{') i_ = after;
    std::vector<Label> labels;
    if (!end() && l_[i_] == '{') {
      ++i_;
      if (!label_list(labels)) return;
    }
    if (end()) return fail("expected a value");
    if (!blank(l_[i_])) return fail("expected a space before the value");
    blanks();
    if (end()) return fail("expected a value");
    Value v;
    const std::size_t at = i_;
    if (!value(token(), v)) {
      i_ = at;
      return fail("invalid value; expected a number, NaN, +Inf or -Inf");
    }
    blanks();
    bool has_ts = false;
    std::int64_t ts = 0;
    if (!end()) {
      const std::size_t ts_at = i_;
      const std::string_view t = token();
      const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), ts);
      if (ec != std::errc() || p != t.data() + t.size()) {
        i_ = ts_at;
        return fail("invalid timestamp; expected an integer number of milliseconds");
      }
      has_ts = true;
      blanks();
      if (!end()) return fail("unexpected text after the timestamp; expected the end of the line");
    }
    ++samples_;
    told_.events.push_back(sample_text(name, labels, v, has_ts, ts, no_));
  }

  bool label_list(std::vector<Label>& labels) {
    for (;;) {
      blanks();
      if (end()) return fail("expected a label name or '}'"), false;
      if (l_[i_] == '}') return ++i_, true;
      if (!label_start(l_[i_])) return fail("expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) or '}'"), false;
      const std::size_t name_at = i_;
      while (!end() && label_char(l_[i_])) ++i_;
      const std::string_view name = l_.substr(name_at, i_ - name_at);
      blanks();
      if (end() || l_[i_] != '=') return fail("expected '=' after the label name"), false;
      ++i_;
      blanks();
      if (end() || l_[i_] != '"') return fail("expected '\"' to open the label value"), false;
      ++i_;
      const std::size_t value_at = i_;
      bool escapes = false;
      while (true) {
        if (end()) return fail("unterminated label value; expected a closing '\"'"), false;
        if (l_[i_] == '"') break;
        if (l_[i_] == '\\') {
          const char e = i_ + 1 < l_.size() ? l_[i_ + 1] : '\0';
          if (e != '\\' && e != '"' && e != 'n') {
            return fail("invalid escape in label value; expected \\\\, \\\" or \\n"), false;
          }
          escapes = true;
          ++i_;
        }
        ++i_;
      }
      const std::string_view raw = l_.substr(value_at, i_ - value_at);
      ++i_;
      for (const Label& l : labels) {
        if (l.name == name) {
          i_ = name_at;
          return fail("duplicate label name in one sample"), false;
        }
      }
      if (labels.size() == kMaxLabels) {
        i_ = name_at;
        return fail("too many labels on one sample; at most 64 are accepted"), false;
      }
      labels.push_back(Label{name, raw, escapes});
      blanks();
      if (end()) return fail("expected ',' or '}' after a label"), false;
      if (l_[i_] == ',') {
        ++i_;
        continue;
      }
      if (l_[i_] == '}') return ++i_, true;
      return fail("expected ',' or '}' after a label"), false;
    }
  }

  std::string_view l_;
  std::size_t no_;
  bool (*wants_)(std::string_view);
  Told& told_;
  std::size_t& samples_;
  std::size_t& skipped_;
  std::size_t& errors_;
  std::size_t i_ = 0;
};

Told parse(std::string_view body, bool (*wants)(std::string_view)) {
  Told told;
  std::size_t lines = 0, samples = 0, skipped = 0, errors = 0;
  for (std::string_view rest = body; !rest.empty();) {
    const std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    Line(line, ++lines, wants, told, samples, skipped, errors).parse();
  }
  told.stats = {lines, samples, skipped, 0, errors, !body.empty() && body.back() != '\n' ? 1u : 0u};
  return told;
}

}  // namespace ref

class Telling final : public SampleSink {
 public:
  explicit Telling(bool (*want)(std::string_view)) : wants_(want) {}
  bool wants(std::string_view name) override { return wants_(name); }
  void on_sample(const Sample& s) override {
    told.events.push_back(ref::sample_text(s.name, std::vector<Label>(s.labels.begin(), s.labels.end()), s.value,
                                           s.has_timestamp, s.timestamp_ms, s.line));
  }
  void on_error(const ParseError& e) override { told.events.push_back(ref::error_text(e.line, e.column, e.message)); }
  void done(const ParseStats& st) {
    told.stats = {st.lines, st.samples, st.skipped, st.filtered, st.errors, st.unterminated ? 1u : 0u};
  }
  ref::Told told;

 private:
  bool (*wants_)(std::string_view);
};

bool want_all(std::string_view) { return true; }
bool want_odd(std::string_view name) { return name.size() % 2 == 1; }

TEST(PrometheusTextDifferential, SameSamplesErrorsAndCountsAsAPlainReference) {
  // Lines of every shape the parser has a shortcut or a boundary for: names and label values
  // around 8 and 16 bytes, escapes at every offset, integers around 19 digits, specials.
  const std::vector<std::string> shapes = {
      "# HELP vernemq_mqtt_puback_sent The number of PUBACK packets sent.",
      "# TYPE vernemq_mqtt_puback_sent counter",
      "# TYPE h histogram",
      "# TYPE s summary   ",
      "#TYPE x gauge",
      "# some comment",
      "#",
      "",
      "   ",
      "vernemq_mqtt_puback_sent{node=\"VerneMQ@10.0.0.1\",mqtt_version=\"5\",reason_code=\"success\"} 12345",
      "vernemq_socket_open{node=\"VerneMQ@10.0.0.1\"} 30242",
      "vernemq_system_utilization 42",
      "a_b:c_d_e_f_g_h_i_j_k_l_m_n_o_p_q_r_s 7",
      "x{a=\"\"} 0",
      "x{a=\"1234567\",b=\"12345678\",c=\"123456789\",d=\"123456789012345\",e=\"1234567890123456\"} 1",
      "x{a=\"\\\\\",b=\"1234567\\\"\",c=\"12345678\\n9\",d=\"\\\"abcdefghijklmnopq\"} 2",
      "x { a = \"v\" , b=\"w\" , } 3",
      "x{ABC_def_0123456789_xyz=\"v\"} 4",
      "y 1234567890123456789",
      "y 12345678901234567890",
      "y 18446744073709551615",
      "y 18446744073709551616",
      "y 00000000000000000001",
      "y 1.5e3 1700000000000",
      "y -0 -5",
      "y +Inf",
      "y -inf",
      "y NaN",
      "y +nan",
      "y 1e400",
      "y 0x10",
      "y\t3\t",
      "z{l=\"v\"} 1 2 3",
  };
  const std::string alphabet = std::string("\n\r\t {}\",=\\#_:ae5x.+-E0", 23) + std::string("\0\xff", 2);
  std::uint64_t rng = 0x2545f4914f6cdd1dULL;
  const auto next = [&rng](std::size_t bound) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return static_cast<std::size_t>(rng % bound);
  };
  std::size_t samples = 0, errors = 0;
  StreamParser stream;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    for (std::size_t n = 1 + next(8); n > 0; --n) {
      text += shapes[next(shapes.size())];
      text += next(5) == 0 ? "\r\n" : "\n";
    }
    if (next(4) == 0) text.pop_back();  // no final newline
    for (std::size_t edits = next(4); edits > 0 && !text.empty(); --edits) {
      const std::size_t at = next(text.size());
      switch (next(3)) {
        case 0: text[at] = alphabet[next(alphabet.size())]; break;
        case 1: text.insert(at, 1, alphabet[next(alphabet.size())]); break;
        default: text.erase(at, 1); break;
      }
    }
    // Exactly the body's bytes on the heap: a read past its end is a sanitizer report.
    const auto bytes = std::make_unique<char[]>(text.size());
    std::memcpy(bytes.get(), text.data(), text.size());
    const std::string_view body(bytes.get(), text.size());

    const auto wants = round % 3 == 0 ? want_odd : want_all;
    const ref::Told expected = ref::parse(body, wants);
    Telling whole(wants);
    whole.done(parse(body, whole));
    ASSERT_EQ(whole.told.events, expected.events) << text;
    ASSERT_EQ(whole.told.stats, expected.stats) << text;

    Telling pieces(wants);
    stream.begin(pieces);
    for (std::size_t at = 0; at < body.size();) {
      const std::size_t n = 1 + next(std::min<std::size_t>(body.size() - at, 40));
      stream.feed(body.substr(at, n));
      at += n;
    }
    pieces.done(stream.finish());
    ASSERT_EQ(pieces.told.events, expected.events) << text;
    ASSERT_EQ(pieces.told.stats, expected.stats) << text;
    samples += expected.stats[1];
    errors += expected.stats[4];
  }
  // Both outcomes were exercised often.
  EXPECT_GT(samples, 20000u);
  EXPECT_GT(errors, 5000u);
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
