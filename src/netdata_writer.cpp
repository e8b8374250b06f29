// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/netdata_writer.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace vmq {

namespace {

constexpr std::size_t kMaxIdLength = 100;
constexpr std::size_t kMaxTextLength = 200;

constexpr bool id_char_rule(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}
// The rule as a table: every id of every line goes through it.
constexpr auto kIdChars = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<std::size_t>(c)] = id_char_rule(static_cast<char>(c));
  return t;
}();
constexpr bool id_char(char c) { return kIdChars[static_cast<unsigned char>(c)]; }
constexpr bool text_char(char c) { return c >= 0x20 && c <= 0x7e && c != '\'' && c != '"' && c != '\\'; }
// Netdata 1.37 rewrites any other character of a label value to '_' (seen in its binary), so
// the plugin does it first: what it sends is what Netdata stores.
constexpr bool label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '(' ||
         c == ')' || c == '+' || c == '-' || c == '.' || c == '/' || c == ':' || c == '@' || c == '_';
}

template <typename Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  const auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);  // locale-independent, no leading zeros
  out.append(buf, static_cast<std::size_t>(p - buf));
}

}  // namespace

void append_sanitized_id(std::string& out, std::string_view raw) {
  if (raw.empty()) {
    out.push_back('_');
    return;
  }
  const std::size_t n = raw.size() < kMaxIdLength ? raw.size() : kMaxIdLength;
  // Ids are nearly always clean already (the charts' are): one check, then one copy.
  std::size_t clean = 0;
  while (clean < n && id_char(raw[clean])) ++clean;
  out.append(raw.data(), clean);
  for (std::size_t i = clean; i < n; ++i) out.push_back(id_char(raw[i]) ? raw[i] : '_');
}

std::string sanitize_id(std::string_view raw) {
  std::string s;
  append_sanitized_id(s, raw);
  return s;
}

std::string sanitize_text(std::string_view raw) {
  std::string s;
  const std::size_t n = raw.size() < kMaxTextLength ? raw.size() : kMaxTextLength;
  s.reserve(n);
  for (std::size_t i = 0; i < n; ++i) s.push_back(text_char(raw[i]) ? raw[i] : '_');
  return s;
}

void ProtocolWriter::quoted(std::string_view text) {
  out_.push_back('\'');
  const std::size_t n = text.size() < kMaxTextLength ? text.size() : kMaxTextLength;
  for (std::size_t i = 0; i < n; ++i) out_.push_back(text_char(text[i]) ? text[i] : '_');
  out_.push_back('\'');
}

void ProtocolWriter::chart(const ChartLine& c) {
  // CHART type.id name title units family context charttype priority update_every options plugin module
  out_ += "CHART ";
  append_sanitized_id(out_, c.type);
  out_.push_back('.');
  append_sanitized_id(out_, c.id);
  out_ += " '' ";
  quoted(c.title);
  out_.push_back(' ');
  quoted(c.units);
  out_.push_back(' ');
  quoted(c.family);
  out_.push_back(' ');
  quoted(c.context);
  out_.push_back(' ');
  quoted(c.chart_type);
  out_.push_back(' ');
  append_int(out_, c.priority);
  out_.push_back(' ');
  append_int(out_, c.update_every);
  out_ += " '' ";
  quoted(kPluginName);
  out_.push_back(' ');
  quoted(kModuleName);
  out_.push_back('\n');
}

void ProtocolWriter::dimension(const DimensionLine& d) {
  out_ += "DIMENSION ";
  append_sanitized_id(out_, d.id);
  out_.push_back(' ');
  append_sanitized_id(out_, d.id);  // id == name: 1.37 health lookups match both
  out_.push_back(' ');
  append_sanitized_id(out_, d.algorithm);
  out_.push_back(' ');
  append_int(out_, d.multiplier);
  out_.push_back(' ');
  append_int(out_, d.divisor);
  out_ += " ''\n";
}

void ProtocolWriter::clabel(std::string_view name, std::string_view value) {
  out_ += "CLABEL ";
  append_sanitized_id(out_, name);
  out_ += " '";
  const std::size_t start = out_.size();
  if (value.empty()) value = "unknown";
  const std::size_t n = value.size() < kMaxTextLength ? value.size() : kMaxTextLength;
  bool last_space = true;  // no leading space, never two in a row
  for (std::size_t i = 0; i < n; ++i) {
    const char c = label_char(value[i]) ? value[i] : '_';
    if (c == ' ' && last_space) continue;
    out_.push_back(c);
    last_space = c == ' ';
  }
  if (out_.back() == ' ') out_.back() = '_';
  // Nothing left, or only '_' (a node named in spaces, punctuation or non-ASCII): 1.37 would
  // store "[none]" or drop the label; say "unknown", as for an empty value. (Found by fuzzing.)
  if (out_.find_first_not_of('_', start) == std::string::npos) {
    out_.resize(start);
    out_ += "unknown";
  }
  out_ += "' 1\n";
}

void ProtocolWriter::clabel_commit() { out_ += "CLABEL_COMMIT\n"; }

void ProtocolWriter::begin(std::string_view type, std::string_view id, std::optional<std::uint64_t> usec) {
  out_ += "BEGIN ";
  append_sanitized_id(out_, type);
  out_.push_back('.');
  append_sanitized_id(out_, id);
  begin_rest(usec);
}

void ProtocolWriter::set(std::string_view id, std::optional<std::int64_t> value) {
  out_ += "SET ";
  append_sanitized_id(out_, id);
  set_rest(value);
}

void ProtocolWriter::begin_rest(std::optional<std::uint64_t> usec) {
  if (usec) {
    out_.push_back(' ');
    append_int(out_, *usec);
  }
  out_.push_back('\n');
}

void ProtocolWriter::set_rest(std::optional<std::int64_t> value) {
  out_ += " = ";
  if (value) append_int(out_, *value);
  out_.push_back('\n');
}

void ProtocolWriter::begin_clean(std::string_view type, std::string_view id, std::optional<std::uint64_t> usec) {
  out_ += "BEGIN ";
  out_ += type;
  out_.push_back('.');
  out_ += id;
  begin_rest(usec);
}

void ProtocolWriter::set_clean(std::string_view id, std::optional<std::int64_t> value) {
  out_ += "SET ";
  out_ += id;
  set_rest(value);
}

void ProtocolWriter::end() { out_ += "END\n"; }

void ProtocolWriter::chart_variable(std::string_view name, std::int64_t value) {
  out_ += "VARIABLE CHART ";
  // A variable name is an id without '-' (Netdata reads `$a-b` as a subtraction).
  const std::size_t from = out_.size();
  append_sanitized_id(out_, name);
  std::replace(out_.begin() + static_cast<std::ptrdiff_t>(from), out_.end(), '-', '_');
  out_ += " = ";
  append_int(out_, value);
  out_.push_back('\n');
}
void ProtocolWriter::keepalive() { out_.push_back('\n'); }
void ProtocolWriter::disable() { out_ += "DISABLE\n"; }

}  // namespace vmq
