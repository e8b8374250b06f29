// SPDX-License-Identifier: GPL-3.0-or-later
// The typed readers of configuration values (config_readers.h).
#include "vmq/config_readers.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>

#include "vmq/config_text.h"
#include "vmq/url.h"

namespace vmq::cfg {
namespace {

// A config file is a few KiB; beyond this many nodes it is an alias bomb or a mistake.
constexpr std::size_t kMaxYamlNodes = 100'000;

constexpr std::string_view kBoolExpected =
    "expected a YAML boolean: true or false (yes/no and on/off also work), without quotes";
constexpr std::string_view kStringExpected = "expected a string";
constexpr std::string_view kHeadersExpected = "expected a map of header name: value, e.g. {X-Scope: vernemq}";
constexpr std::string_view kOneLineExpected = "the value contains a line break or control character; expected one line";

// The row's "expected ..." text, or the reader's own when the row has none.
std::string expected(const KeyRead& r, std::string_view own = {}) {
  return std::string(r.key.expected.empty() ? own : r.key.expected);
}

// The shortest text that reads back as `v` ("3600", "0.001"), locale-independent.
std::string number_text(double v) {
  std::array<char, 32> buf{};
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return ec == std::errc{} ? std::string(buf.data(), ptr) : std::string("?");
}

bool looks_numeric(std::string_view s) {
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
  double d = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  return ec == std::errc{} && ptr == s.data() + s.size() && std::isfinite(d);
}

// Any scalar is a string (yaml.v2 does the same: `password: 1234` is the text "1234").
std::optional<std::string> scalar_text(const YAML::Node& n, std::string& why) {
  if (n.IsNull()) return std::string();
  if (n.IsScalar()) return n.Scalar();
  why = "found " + found(n) + "; " + std::string(kStringExpected);
  return std::nullopt;
}

bool has_control(std::string_view s) { return std::any_of(s.begin(), s.end(), is_control); }

std::optional<double> parse_plain_double(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double d = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

// A Go duration as go.d's confopt.ParseDuration reads it: spaces ignored, an optional sign,
// then one or more <number><unit>. Stricter than go.d in one way: nothing else may appear
// (go.d's regexp skips junk between the pairs).
std::optional<double> parse_go_duration(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c != ' ') s += c;
  }
  std::string_view rest = s;
  double sign = 1.0;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    sign = rest.front() == '-' ? -1.0 : 1.0;
    rest.remove_prefix(1);
  }
  // Longest first, so "ms" is not read as "m" and "mo" not as "m".
  static constexpr std::array<std::pair<std::string_view, double>, 14> kUnits = {{
      {"ns", 1e-9},
      {"us", 1e-6},
      {"\xc2\xb5s", 1e-6},  // U+00B5 micro sign
      {"\xce\xbcs", 1e-6},  // U+03BC greek mu
      {"ms", 1e-3},
      {"mo", 30.0 * 86400.0},
      {"wk", 7.0 * 86400.0},
      {"s", 1.0},
      {"m", 60.0},
      {"h", 3600.0},
      {"d", 86400.0},
      {"w", 7.0 * 86400.0},
      {"M", 30.0 * 86400.0},
      {"y", 365.0 * 86400.0},
  }};
  if (rest.empty()) return std::nullopt;
  double total = 0;
  while (!rest.empty()) {
    std::size_t digits = 0;
    while (digits < rest.size() && ((rest[digits] >= '0' && rest[digits] <= '9') || rest[digits] == '.')) {
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    double value = 0;
    const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + digits, value);
    if (ec != std::errc{} || ptr != rest.data() + digits) return std::nullopt;
    rest.remove_prefix(digits);
    bool matched = false;
    for (const auto& [unit, scale] : kUnits) {
      if (rest.substr(0, unit.size()) == unit) {
        total += value * scale;
        rest.remove_prefix(unit.size());
        matched = true;
        break;
      }
    }
    if (!matched) return std::nullopt;
  }
  return sign * total;
}

bool is_header_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

Loc loc_of(const YAML::Mark& m) {
  if (m.is_null() || m.line < 0 || m.column < 0) return {};
  return {m.line + 1, m.column + 1};
}

std::string where(std::string_view source, Loc loc) {
  std::string out(source);
  if (loc.line > 0) out += ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column);
  return out;
}

bool is_plain(const YAML::Node& n) { return n.Tag() == "?"; }

std::string found(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return "nothing (null)";
    case YAML::NodeType::Scalar: break;
  }
  if (!is_plain(n)) return "the quoted string " + shown(n.Scalar());
  if (looks_numeric(n.Scalar())) return "the number " + shown(n.Scalar());
  return "the string " + shown(n.Scalar());
}

void NodeBudget::visit(const YAML::Node& n) {
  if (++count_ > kMaxYamlNodes) {
    throw ConfigError(where(source_, loc_of(n.Mark())) + ": the YAML expands to more than " +
                      std::to_string(kMaxYamlNodes) +
                      " nodes (anchors and aliases that multiply, or refer to themselves?); "
                      "expected a small configuration file");
  }
}

void KeyRead::warn(const std::string& what) const { config.problems.push_back(where(source, key_loc()) + ": " + what); }

KeyRead KeyRead::nested(const YAML::Node& sub_key, const YAML::Node& sub_value, std::string_view sub_label,
                        const ConfigKey& row) const {
  return KeyRead{row, label + ": " + std::string(sub_label), sub_key, sub_value, source, config, job, errors, budget};
}

std::optional<long long> read_integer(const KeyRead& r) {
  const YAML::Node& n = r.value;
  if (!n.IsScalar() || !is_plain(n)) {
    r.fail("found " + found(n) + "; " + expected(r));
    return std::nullopt;
  }
  std::string_view s = n.Scalar();
  const std::string_view text = s;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  long long v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) {
    r.fail("value " + shown(text) + " is out of range; " + expected(r));
    return std::nullopt;
  }
  if (ec != std::errc{} || ptr != s.data() + s.size()) {
    r.fail("value " + shown(text) + " is not an integer; " + expected(r));
    return std::nullopt;
  }
  if (static_cast<double>(v) < r.key.min || static_cast<double>(v) > r.key.max) {
    r.fail("value " + shown(text) + " is out of range; " + expected(r));
    return std::nullopt;
  }
  return v;
}

std::optional<double> read_duration(const KeyRead& r) {
  const YAML::Node& n = r.value;
  if (!n.IsScalar()) {
    r.fail("found " + found(n) + "; " + expected(r));
    return std::nullopt;
  }
  // Quoted or not: go.d reads "2s" and 2 alike.
  const std::string& text = n.Scalar();
  std::optional<double> v = parse_plain_double(text);
  if (!v) v = parse_go_duration(text);
  std::string why;
  if (!v || !std::isfinite(*v)) {
    why = "is not a number or a duration";
  } else if (*v <= 0) {
    why = "is not > 0";
  } else if (*v > r.key.max) {
    why = "is more than " + number_text(r.key.max) + " seconds";
  } else if (*v < r.key.min) {
    why = "is less than " + number_text(r.key.min * 1000.0) + " ms, the HTTP client's resolution";
  } else {
    return v;
  }
  r.fail("value " + shown(text) + " " + why + "; " + expected(r));
  return std::nullopt;
}

std::optional<std::size_t> read_size(const KeyRead& r) {
  const YAML::Node& n = r.value;
  if (!n.IsScalar()) {
    r.fail("found " + found(n) + "; " + expected(r));
    return std::nullopt;
  }
  const std::string& text = n.Scalar();
  std::string_view s = text;
  std::uint64_t scale = 1;
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 3> kSuffixes = {
      {{"KiB", 1024u}, {"MiB", 1024u * 1024u}, {"GiB", 1024u * 1024u * 1024u}}};
  for (const auto& [suffix, factor] : kSuffixes) {
    if (s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix) {
      s.remove_suffix(suffix.size());
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      scale = factor;
      break;
    }
  }
  // A bare integer must be a plain scalar like any YAML number; with a suffix it is text anyway.
  if (scale == 1 && !is_plain(n)) {
    r.fail("found " + found(n) + "; " + expected(r));
    return std::nullopt;
  }
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range ||
      (ec == std::errc{} && ptr == s.data() + s.size() && v > std::numeric_limits<std::uint64_t>::max() / scale)) {
    r.fail("value " + shown(text) + " is out of range; " + expected(r));
    return std::nullopt;
  }
  if (ec != std::errc{} || ptr != s.data() + s.size()) {
    r.fail("value " + shown(text) + " is not a size in bytes; " + expected(r));
    return std::nullopt;
  }
  v *= scale;
  if (static_cast<double>(v) < r.key.min || static_cast<double>(v) > r.key.max) {
    r.fail("value " + shown(text) + " is out of range; " + expected(r));
    return std::nullopt;
  }
  return static_cast<std::size_t>(v);
}

std::optional<bool> read_bool(const KeyRead& r) {
  bool v = false;
  if (r.value.IsScalar() && is_plain(r.value) && YAML::convert<bool>::decode(r.value, v)) return v;
  r.fail("found " + found(r.value) + ", not a boolean; " + expected(r, kBoolExpected));
  return std::nullopt;
}

std::optional<std::string> read_line(const KeyRead& r) {
  std::string why;
  auto s = scalar_text(r.value, why);
  if (!s) {
    r.fail(why);
    return std::nullopt;
  }
  // Secrets and paths alike: a line break here is a copy-paste accident, not data.
  if (has_control(*s)) {
    r.fail(std::string(kOneLineExpected));
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> read_metrics_url(const KeyRead& r) {
  const YAML::Node& v = r.value;
  if (v.IsNull()) {
    r.fail("has no value; " + expected(r));
  } else if (!v.IsScalar()) {
    r.fail("found " + found(v) + "; " + expected(r));
  } else if (auto bad = check_metrics_url(v.Scalar())) {
    r.fail("value " + shown_url(v.Scalar()) + " " + *bad + "; " + expected(r));
  } else {
    return v.Scalar();
  }
  return std::nullopt;
}

std::optional<std::string> read_proxy_url(const KeyRead& r) {
  std::string why;
  auto s = scalar_text(r.value, why);
  if (!s) {
    r.fail(why);
    return std::nullopt;
  }
  if (!s->empty()) {
    if (auto bad = check_proxy_url(*s)) {
      r.fail("value " + shown_url(*s) + " " + *bad + "; " + expected(r));
      return std::nullopt;
    }
  }
  if (has_control(*s)) {
    r.fail(std::string(kOneLineExpected));
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> read_job_name(const KeyRead& r) {
  const YAML::Node& v = r.value;
  if (!v.IsScalar()) {
    r.fail("found " + found(v) + "; expected a non-empty job name");
  } else if (std::all_of(v.Scalar().begin(), v.Scalar().end(), [](char c) { return c == ' ' || c == '\t'; })) {
    r.fail("value " + shown(v.Scalar()) + " is empty; expected a non-empty job name");
  } else if (has_control(v.Scalar())) {
    r.fail("value " + shown(v.Scalar()) + " contains a control character; expected a printable job name");
  } else {
    return v.Scalar();
  }
  return std::nullopt;
}

std::optional<std::vector<std::pair<std::string, std::string>>> read_headers(const KeyRead& r) {
  if (!r.value.IsMap()) {
    r.fail("found " + found(r.value) + "; " + expected(r, kHeadersExpected));
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<Loc> locs;  // of each name in `out`
  bool ok = true;
  for (const auto& h : r.value) {
    r.budget.visit(h.first);
    r.budget.visit(h.second);
    const Loc hloc = loc_of(h.first.Mark());
    const Loc vloc = h.second.IsNull() ? hloc : loc_of(h.second.Mark());
    if (!h.first.IsScalar() || h.first.Scalar().empty() ||
        !std::all_of(h.first.Scalar().begin(), h.first.Scalar().end(), is_header_token_char)) {
      r.fail_at(hloc, "header name " + (h.first.IsScalar() ? shown(h.first.Scalar()) : found(h.first)) +
                          " is not a valid HTTP header name; expected letters, digits and !#$%&'*+-.^_`|~");
      ok = false;
      continue;
    }
    const std::string& name = h.first.Scalar();
    const auto dup = std::find_if(out.begin(), out.end(), [&](const auto& p) { return iequals(p.first, name); });
    if (dup != out.end()) {
      r.fail_at(hloc, "header " + shown(name) + " appears twice (first at line " +
                          std::to_string(locs[static_cast<std::size_t>(dup - out.begin())].line) +
                          "); expected each header once (names ignore case)");
      ok = false;
      continue;
    }
    std::string why;
    auto value = scalar_text(h.second, why);
    if (!value) {
      r.fail_at(vloc, "header " + shown(name) + ": " + why);
      ok = false;
    } else if (std::any_of(value->begin(), value->end(), [](char c) { return is_control(c) && c != '\t'; })) {
      // The value is not shown: headers often carry credentials.
      r.fail_at(vloc, "header " + shown(name) +
                          ": the value contains a line break or control character; expected "
                          "one line");
      ok = false;
    }
    // Noted even when its value is bad, so that a later duplicate is still reported as one.
    out.emplace_back(name, value.value_or(std::string()));
    locs.push_back(hloc);
  }
  if (!ok) return std::nullopt;
  return out;
}

bool note_ignored(const KeyRead& r) {
  r.warn(r.label + " is ignored: " + std::string(r.key.expected) + " (accepted for go.d compatibility)");
  return true;
}

}  // namespace vmq::cfg
