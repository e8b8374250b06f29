// SPDX-License-Identifier: GPL-3.0-or-later
// The only place that writes Netdata plugin-protocol lines. Every word is sanitised, because
// Netdata splits on spaces, tabs and '=', has no escape inside quotes and ends a line at a
// newline (netdata-plugin-protocol.md): nothing scraped can break a line or inject another.
// Only keywords Netdata 1.37 knows are written. Lines are appended to a caller's buffer so a
// whole tick is written to stdout with one write().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vmq {

// Chart types, chart ids, dimension ids, label names: [A-Za-z0-9_-], anything else → '_',
// at most 100 bytes, never empty.
std::string sanitize_id(std::string_view raw);
void append_sanitized_id(std::string& out, std::string_view raw);

// Quoted text (titles, units, label values): printable ASCII except quotes and backslash,
// anything else → '_', at most 200 bytes.
std::string sanitize_text(std::string_view raw);

struct ChartLine {
  std::string_view type;  // raw; sanitised when written
  std::string_view id;    // raw; sanitised when written
  std::string_view title;
  std::string_view units;
  std::string_view family;
  std::string_view context;
  std::string_view chart_type;  // line, area or stacked
  long priority = 0;
  int update_every = 1;
};

struct DimensionLine {
  std::string_view id;         // raw; sanitised and also used as the name (id == name)
  std::string_view algorithm;  // absolute or incremental
  long multiplier = 1;
  long divisor = 1;
};

inline constexpr std::string_view kPluginName = "vernemq.plugin";
inline constexpr std::string_view kModuleName = "vernemq";

class ProtocolWriter {
 public:
  explicit ProtocolWriter(std::string& out) : out_(out) {}

  void chart(const ChartLine& c);
  void dimension(const DimensionLine& d);
  void clabel(std::string_view name, std::string_view value);  // source 1 (auto)
  void clabel_commit();
  // `usec`: microseconds since this chart's previous BEGIN; omitted for its first.
  void begin(std::string_view type, std::string_view id, std::optional<std::uint64_t> usec);
  // nullopt → "SET id = " (not collected this time).
  void set(std::string_view id, std::optional<std::int64_t> value);
  // The same for ids that are already what sanitize_id() makes of them (the charts' own, checked
  // once where they are made): copied as they are, a tick's ids are not checked again.
  void begin_clean(std::string_view type, std::string_view id, std::optional<std::uint64_t> usec);
  void set_clean(std::string_view id, std::optional<std::int64_t> value);
  void end();
  // VARIABLE CHART name = value: a variable of the current chart (after its CHART line or inside
  // its BEGIN..END), which the chart's alerts can read as $name.
  void chart_variable(std::string_view name, std::int64_t value);
  void keepalive();  // an empty line: the only keepalive both 1.37 and v2 accept
  void disable();

 private:
  void quoted(std::string_view text);
  void begin_rest(std::optional<std::uint64_t> usec);  // " USEC" when given, and the newline
  void set_rest(std::optional<std::int64_t> value);    // " = VALUE" and the newline
  std::string& out_;
};

}  // namespace vmq
