// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/prometheus_text.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace vmq::prom {

namespace {

constexpr bool is_blank(char c) { return c == ' ' || c == '\t'; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names: [a-zA-Z_][a-zA-Z0-9_]*.
constexpr bool is_name_start(char c) { return is_alpha(c) || c == '_' || c == ':'; }
constexpr bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }
constexpr bool is_label_start(char c) { return is_alpha(c) || c == '_'; }
constexpr bool is_label_char(char c) { return is_label_start(c) || is_digit(c); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}

// Go's strconv.ParseFloat (what Prometheus uses) accepts these spellings of the specials.
bool parse_special(std::string_view t, double& out) {
  std::string_view body = t;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (iequals(body, "inf") || iequals(body, "infinity")) {
    out = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (t.size() == body.size() && iequals(body, "nan")) {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  return false;
}

bool parse_value(std::string_view t, Value& v) {
  // Fast, exact path for what VerneMQ writes: an unsigned decimal integer.
  if (t.size() <= 19) {
    std::uint64_t u = 0;
    bool all_digits = !t.empty();
    for (char c : t) {
      if (!is_digit(c)) {
        all_digits = false;
        break;
      }
      u = u * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (all_digits) {
      v.as_u64 = u;
      v.as_double = static_cast<double>(u);
      v.is_u64 = true;
      return true;
    }
  } else {
    std::uint64_t u = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), u);
    if (ec == std::errc() && p == t.data() + t.size()) {
      v.as_u64 = u;
      v.as_double = static_cast<double>(u);
      v.is_u64 = true;
      return true;
    }
  }
  double d = 0;
  if (!parse_special(t, d)) {
    std::string_view num = t;
    if (!num.empty() && num[0] == '+') num.remove_prefix(1);  // from_chars rejects a leading '+'
    if (num.empty() || num[0] == '+' || (num.size() != t.size() && num[0] == '-')) return false;  // "++1", "+-1"
    const auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), d, std::chars_format::general);
    if (ec != std::errc() || p != num.data() + num.size()) {
      // from_chars reports out-of-range for e.g. 1e400: Go gives ±Inf, and so do we.
      if (ec == std::errc::result_out_of_range && p == num.data() + num.size()) {
        d = (num[0] == '-') ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
      } else {
        return false;
      }
    }
  }
  v.as_double = d;
  // 2^64 as a double; every integral double below it converts exactly.
  constexpr double kTwoTo64 = 18446744073709551616.0;
  v.is_u64 = std::isfinite(d) && d >= 0 && d < kTwoTo64 && std::floor(d) == d;
  v.as_u64 = v.is_u64 ? static_cast<std::uint64_t>(d) : 0;
  return true;
}

bool parse_timestamp(std::string_view t, std::int64_t& out) {
  const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && p == t.data() + t.size();
}

class LineParser {
 public:
  LineParser(SampleSink& sink, ParseStats& stats) : sink_(sink), stats_(stats) {}

  void parse_line(std::string_view line, std::size_t line_no) {
    line_ = line;
    line_no_ = line_no;
    pos_ = 0;
    skip_blanks();
    if (pos_ == line_.size()) return;  // blank line
    if (line_[pos_] == '#') {
      parse_comment();
    } else {
      parse_sample();
    }
  }

 private:
  void error(const char* message) {
    ++stats_.errors;
    sink_.on_error(ParseError{line_no_, pos_ + 1, message});
  }
  void skip_blanks() {
    while (pos_ < line_.size() && is_blank(line_[pos_])) ++pos_;
  }
  [[nodiscard]] bool at_end() const { return pos_ >= line_.size(); }
  std::string_view take_token() {
    const std::size_t start = pos_;
    while (pos_ < line_.size() && !is_blank(line_[pos_])) ++pos_;
    return line_.substr(start, pos_ - start);
  }
  // Reads a metric name at pos_; on failure reports and returns empty.
  std::string_view take_metric_name(const char* what_if_missing) {
    if (at_end() || !is_name_start(line_[pos_])) {
      error(what_if_missing);
      return {};
    }
    const std::size_t start = pos_;
    while (pos_ < line_.size() && is_name_char(line_[pos_])) ++pos_;
    return line_.substr(start, pos_ - start);
  }

  void parse_comment() {
    ++pos_;  // '#'
    skip_blanks();
    const std::string_view keyword = take_token();
    const bool help = keyword == "HELP";
    const bool type = keyword == "TYPE";
    if (!help && !type) return;  // any other comment is ignored, as the format says
    if (at_end()) {
      error(help ? "expected a metric name after '# HELP'" : "expected a metric name after '# TYPE'");
      return;
    }
    skip_blanks();
    if (take_metric_name("expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) after HELP/TYPE").empty()) return;
    if (!at_end() && !is_blank(line_[pos_])) {
      error("invalid character in metric name; expected [a-zA-Z0-9_:]");
      return;
    }
    if (help) return;  // the docstring is free text
    skip_blanks();
    const std::size_t type_pos = pos_;
    const std::string_view t = take_token();
    skip_blanks();
    if (t != "counter" && t != "gauge" && t != "histogram" && t != "summary" && t != "untyped") {
      pos_ = type_pos;
      error("expected a metric type: counter, gauge, histogram, summary or untyped");
      return;
    }
    if (!at_end()) error("unexpected text after the metric type");
  }

  void parse_sample() {
    const std::string_view name = take_metric_name("expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or '#'");
    if (name.empty()) return;
    if (at_end()) {
      error("expected a value after the metric name");
      return;
    }
    if (line_[pos_] != '{' && !is_blank(line_[pos_])) {
      error("invalid character in metric name; expected [a-zA-Z0-9_:], '{' or a space");
      return;
    }
    if (!sink_.wants(name)) {
      ++stats_.skipped;
      return;
    }
    // Like Prometheus' own parser, blanks may separate the name from '{'.
    const std::size_t after_name = pos_;
    skip_blanks();
    if (at_end() || line_[pos_] != '{') pos_ = after_name;
    std::size_t n_labels = 0;
    if (!at_end() && line_[pos_] == '{') {
      ++pos_;
      if (!parse_labels(n_labels)) return;
    }
    if (at_end() || !is_blank(line_[pos_])) {
      error(at_end() ? "expected a value" : "expected a space before the value");
      return;
    }
    skip_blanks();
    if (at_end()) {
      error("expected a value");
      return;
    }
    Sample sample;
    const std::size_t value_pos = pos_;
    if (!parse_value(take_token(), sample.value)) {
      pos_ = value_pos;
      error("invalid value; expected a number, NaN, +Inf or -Inf");
      return;
    }
    skip_blanks();
    if (!at_end()) {
      const std::size_t ts_pos = pos_;
      if (!parse_timestamp(take_token(), sample.timestamp_ms)) {
        pos_ = ts_pos;
        error("invalid timestamp; expected an integer number of milliseconds");
        return;
      }
      sample.has_timestamp = true;
      skip_blanks();
      if (!at_end()) {
        error("unexpected text after the timestamp; expected the end of the line");
        return;
      }
    }
    sample.name = name;
    sample.labels = std::span<const Label>(labels_.data(), n_labels);
    sample.line = line_no_;
    ++stats_.samples;
    sink_.on_sample(sample);
  }

  bool parse_labels(std::size_t& n) {
    for (;;) {
      skip_blanks();
      if (at_end()) {
        error("expected a label name or '}'");
        return false;
      }
      if (line_[pos_] == '}') {
        ++pos_;
        return true;
      }
      if (!is_label_start(line_[pos_])) {
        error("expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) or '}'");
        return false;
      }
      const std::size_t name_start = pos_;
      while (pos_ < line_.size() && is_label_char(line_[pos_])) ++pos_;
      const std::string_view label_name = line_.substr(name_start, pos_ - name_start);
      skip_blanks();
      if (at_end() || line_[pos_] != '=') {
        error("expected '=' after the label name");
        return false;
      }
      ++pos_;
      skip_blanks();
      if (at_end() || line_[pos_] != '"') {
        error("expected '\"' to open the label value");
        return false;
      }
      ++pos_;
      const std::size_t value_start = pos_;
      bool escapes = false;
      for (;;) {
        if (at_end()) {
          error("unterminated label value; expected a closing '\"'");
          return false;
        }
        const char c = line_[pos_];
        if (c == '"') break;
        if (c == '\\') {
          if (pos_ + 1 >= line_.size() ||
              (line_[pos_ + 1] != '\\' && line_[pos_ + 1] != '"' && line_[pos_ + 1] != 'n')) {
            error("invalid escape in label value; expected \\\\, \\\" or \\n");
            return false;
          }
          escapes = true;
          pos_ += 2;
          continue;
        }
        ++pos_;
      }
      const std::string_view raw = line_.substr(value_start, pos_ - value_start);
      ++pos_;  // closing quote
      for (std::size_t i = 0; i < n; ++i) {
        if (labels_[i].name == label_name) {
          pos_ = name_start;
          error("duplicate label name in one sample");
          return false;
        }
      }
      if (n == kMaxLabels) {
        pos_ = name_start;
        error("too many labels on one sample; at most 64 are accepted");
        return false;
      }
      labels_[n++] = Label{label_name, raw, escapes};
      skip_blanks();
      if (at_end()) {
        error("expected ',' or '}' after a label");
        return false;
      }
      if (line_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (line_[pos_] == '}') {
        ++pos_;
        return true;
      }
      error("expected ',' or '}' after a label");
      return false;
    }
  }

  SampleSink& sink_;
  ParseStats& stats_;
  std::string_view line_;
  std::size_t line_no_ = 0;
  std::size_t pos_ = 0;
  std::array<Label, kMaxLabels> labels_{};
};

}  // namespace

const Label* Sample::label(std::string_view label_name) const {
  for (const Label& l : labels) {
    if (l.name == label_name) return &l;
  }
  return nullptr;
}

ParseStats parse(std::string_view body, SampleSink& sink) {
  ParseStats stats;
  LineParser parser(sink, stats);
  const char* p = body.data();
  const char* const end = body.data() + body.size();
  std::size_t line_no = 0;
  while (p < end) {
    ++line_no;
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* line_end = nl != nullptr ? nl : end;
    std::string_view line(p, static_cast<std::size_t>(line_end - p));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // tolerate \r\n
    parser.parse_line(line, line_no);
    p = nl != nullptr ? nl + 1 : end;
  }
  stats.lines = line_no;
  return stats;
}

void append_unescaped(std::string_view raw, std::string& out) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      const char e = raw[++i];
      out.push_back(e == 'n' ? '\n' : e);
    } else {
      out.push_back(raw[i]);
    }
  }
}

std::string format_error(const ParseError& e) {
  return "line " + std::to_string(e.line) + ", column " + std::to_string(e.column) + ": " + e.message;
}

}  // namespace vmq::prom
