// SPDX-License-Identifier: GPL-3.0-or-later
// A zero-copy parser of the Prometheus text exposition format 0.0.4.
//
// It walks the response buffer once, line by line, and calls a sink for each sample whose
// metric name the sink wants. Names, label names and raw label values are views into the
// buffer; the only storage is a fixed array of labels on the stack, so parsing allocates
// nothing. A malformed line is reported (line, column, what was expected) and skipped; the
// rest of the body still counts.
//
// A sink that wants only a few families can name texts every wanted line contains one of
// (SampleSink::line_filters); other lines are then only counted, never parsed, so a 40 KB body
// costs a substring scan per text plus the full parse of the few lines that matter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace vmq::prom {

// More labels than this on one sample is treated as a malformed line: no real exporter comes
// close, and a hostile body must not make the parser grow without bound.
inline constexpr std::size_t kMaxLabels = 64;
// Texts a sink may filter lines by (SampleSink::line_filters); more are ignored.
inline constexpr std::size_t kMaxLineFilters = 4;

struct Value {
  double as_double = 0;      // always set; may be NaN or ±Inf
  std::uint64_t as_u64 = 0;  // exact when is_u64
  bool is_u64 = false;       // a non-negative integral value that fits 64 bits, e.g. "42", "1.4e+14"
};

struct Label {
  std::string_view name;
  std::string_view raw_value;  // between the quotes, escapes still in place
  bool has_escapes = false;    // raw_value contains a backslash escape
};

struct Sample {
  std::string_view name;
  std::span<const Label> labels;
  Value value;
  bool has_timestamp = false;
  std::int64_t timestamp_ms = 0;
  std::size_t line = 0;  // 1-based

  // Raw value of the label `name`, or nullptr when absent.
  [[nodiscard]] const Label* label(std::string_view label_name) const;
};

struct ParseError {
  std::size_t line = 0;      // 1-based
  std::size_t column = 0;    // 1-based, in bytes
  const char* message = "";  // static text: what was wrong and what was expected
};

class SampleSink {
 public:
  virtual ~SampleSink() = default;
  // Called with each sample line's metric name before the rest of the line is parsed. Lines
  // whose name is not wanted are skipped at scan speed (their metric name is still checked).
  virtual bool wants(std::string_view metric_name) = 0;
  virtual void on_sample(const Sample& sample) = 0;
  virtual void on_error(const ParseError& error) = 0;

  // Optional: texts of which every line this sink wants contains at least one (parts of the
  // wanted metric names). When there are any, a line holding none of them is not parsed at
  // all: it is only counted (ParseStats::lines, ::filtered), never passed to wants(), never
  // reported as malformed. A line that holds one is parsed exactly as without a filter,
  // wherever the text sits in it. Asked before the first line and after every parsed line, so
  // they may change as the sink learns about the body (the span must stay valid until the next
  // call). Default: none, every line is parsed. At most kMaxLineFilters are used.
  virtual std::span<const std::string_view> line_filters() { return {}; }
};

struct ParseStats {
  std::size_t lines = 0;
  std::size_t samples = 0;   // parsed and delivered
  std::size_t skipped = 0;   // sample lines not wanted by the sink
  std::size_t filtered = 0;  // lines not parsed because they lack the sink's line_filter()
  std::size_t errors = 0;
  bool unterminated = false;  // the last line has no final '\n'
};

ParseStats parse(std::string_view body, SampleSink& sink);

// The same parse for a body that arrives in pieces, as a transfer delivers it: the sink sees
// exactly what parse() on the whole body would show it, but the body is never kept; only the
// unfinished last line of a piece is, until the next piece completes it. Its storage is
// reused from one body to the next.
class StreamParser {
 public:
  // Starts a body. Anything fed before is forgotten.
  void begin(SampleSink& sink);
  // The next bytes of the body, split anywhere. Ignored when no body was begun.
  void feed(std::string_view piece);
  // The end of the body: parses its last line if it had no final newline. Needs a new begin().
  ParseStats finish();
  // Heap bytes it keeps between bodies.
  [[nodiscard]] std::size_t retained_bytes() const { return partial_.capacity(); }

 private:
  SampleSink* sink_ = nullptr;
  ParseStats stats_;
  std::size_t line_no_ = 0;  // lines parsed or counted so far
  std::string partial_;      // the unfinished last line of the pieces so far
};

// Appends the unescaped form of a raw label value (\\ → \, \" → ", \n → newline) to `out`.
void append_unescaped(std::string_view raw_value, std::string& out);

// "line 12, column 5: <message>"
std::string format_error(const ParseError& error);

}  // namespace vmq::prom
