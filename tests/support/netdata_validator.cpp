// SPDX-License-Identifier: GPL-3.0-or-later
// Every check names the Netdata 1.37 fact it relies on. Sources read (Netdata v1.37.1):
//   [split]   libnetdata/libnetdata.c quoted_strings_splitter() + pluginsd_space(): words are
//             separated by ' ', '\t', '\r', '\n' and '='; a quote (' or ") is honoured only as
//             the first character of a word and ends at the same quote char; "\X" is skipped as
//             a pair (both bytes kept), so a backslash hides the next separator or quote.
//   [words]   collectors/plugins.d/plugins_d.h PLUGINSD_MAX_WORDS 20: the splitter stores 20
//             words and silently drops the rest.
//   [linemax] libnetdata/libnetdata.h PLUGINSD_LINE_MAX = 0x4000 - 1024: parser_next() uses
//             fgets() with that size, so a longer line is cut into several "lines".
//   [keyword] parser/parser.c: the keyword is the text up to the first separator (not quote
//             aware), matched case-sensitively; an unknown one makes parser_action() fail and
//             the plugin is killed.
//   [parser]  collectors/plugins.d/pluginsd_parser.c: pluginsd_chart/dimension/begin/set/end/
//             clabel/clabel_commit/variable/flush/disable/label/overwrite/function.
//   [rrdset]  database/rrdset.c rrdset_create_custom(): snprintfz(full_id, RRD_ID_LENGTH_MAX
//             (200), "%s.%s") keeps at most 199 characters of "type.id".
//   [labels]  database/rrdlabels.c rrdlabels_add(): names are lowercased and every character
//             outside [a-z0-9_./-] becomes '_' (names of only '_' are dropped); values keep
//             [A-Za-z0-9 ()+-./:@_] and UTF-8, squeeze spaces, and rewrite the rest.
//   [seen]    Observed on the installed netdata 1.37.1 (a private instance running a probe
//             plugin, read back through /api/v1/charts and /api/v1/data): label value "[x]" is
//             stored "_x_", ",;=" become ".::", "UpperName" becomes "uppername"; in titles,
//             units and family a tab becomes a space, '"' becomes '\'' and every non-ASCII byte
//             becomes '_'; "SET x = 010" stores 8 and "0x10" stores 16; a 199-character
//             type.id works.
#include "netdata_validator.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <initializer_list>
#include <utility>

namespace vmq::testing {

namespace {

constexpr std::size_t kMaxLineBytes = 15000;  // [linemax] 15359 bytes + '\n'; stricter
constexpr std::size_t kMaxIdLength = 199;     // [rrdset]; also applied to dimension ids
constexpr std::size_t kMaxLabelLength = 200;  // [labels] names 200, values 800 bytes; stricter
constexpr std::size_t kShownBytes = 160;      // how much of a bad line an error message quotes

constexpr std::string_view kKnownKeywords =
    "CHART DIMENSION BEGIN SET END FLUSH DISABLE VARIABLE LABEL OVERWRITE CLABEL CLABEL_COMMIT FUNCTION";

bool is_separator(char c) { return c == ' ' || c == '\t' || c == '='; }  // [split], '\r' refused earlier

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

bool is_id(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_id_char); }

// v2 function names follow `module:method` (netdata-v2.md §2.1).
bool is_id_with_colon(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_id_char(c) || c == ':'; });
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool one_of(std::string_view s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

// A plain decimal integer: optional '-', digits, no leading zero unless exactly "0", no "-0",
// within int64. 1.37 reads SET values with strtoll(value, NULL, 0) [parser]: base auto-detection
// makes "010" octal and "0x10" hex, and trailing garbage ("1.5", "1e3") is silently dropped.
std::optional<long long> parse_plain_int(std::string_view s) {
  const std::string_view digits = (!s.empty() && s.front() == '-') ? s.substr(1) : s;
  if (!is_digits(digits) || (digits.size() > 1 && digits.front() == '0')) return std::nullopt;
  if (digits.size() != s.size() && digits == "0") return std::nullopt;
  long long v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<unsigned long long> parse_plain_uint(std::string_view s) {
  if (!is_digits(s) || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  unsigned long long v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// A decimal number for VARIABLE (1.37 reads it with str2ndd(): a double, leftovers logged).
bool is_plain_decimal(std::string_view s) {
  const std::size_t dot = s.find('.');
  if (dot == std::string_view::npos) return parse_plain_int(s).has_value();
  const std::string_view whole = s.substr(0, dot);
  const std::string_view frac = s.substr(dot + 1);
  const std::string_view whole_digits = (!whole.empty() && whole.front() == '-') ? whole.substr(1) : whole;
  return is_digits(whole_digits) && (whole_digits.size() == 1 || whole_digits.front() != '0') && is_digits(frac);
}

// Options are one word holding space-separated flags; 1.37 looks for each flag with strstr()
// [parser], so anything else is silently ignored. Empty ('' ) means none.
bool options_ok(std::string_view text, std::initializer_list<std::string_view> allowed) {
  if (text.empty()) return true;
  std::size_t start = 0;
  while (true) {
    const std::size_t sp = text.find(' ', start);
    const std::string_view flag = text.substr(start, sp == std::string_view::npos ? sp : sp - start);
    if (!one_of(flag, allowed)) return false;
    if (sp == std::string_view::npos) return true;
    start = sp + 1;
  }
}

// [labels] A label name 1.37 stores unchanged.
bool is_label_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxLabelLength) return false;
  if (std::all_of(s.begin(), s.end(), [](char c) { return c == '_'; })) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

// [labels][seen] A label value 1.37 stores unchanged (leading, trailing and repeated spaces
// would be squeezed; non-ASCII is refused for the whole line elsewhere).
bool is_label_value(std::string_view s) {
  if (s.empty() || s.size() > kMaxLabelLength) return false;
  if (s.front() == ' ' || s.back() == ' ' || s.find("  ") != std::string_view::npos) return false;
  if (std::all_of(s.begin(), s.end(), [](char c) { return c == '_'; })) return false;  // → "[none]"
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view(" ()+-./:@_").find(c) != std::string_view::npos;
  });
}

std::string shown(std::string_view line) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const std::size_t n = std::min(line.size(), kShownBytes);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (n < line.size()) out += "... (" + std::to_string(line.size()) + " bytes)";
  return out;
}

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

const DimensionDecl* ChartDecl::dim(std::string_view id) const {
  for (const auto& d : dims)
    if (d.id == id) return &d;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Stream handling

void NetdataValidator::feed(std::string_view bytes) {
  if (finished_) {
    fail_at(line_no_, "", "feed() after finish(): the stream had already ended");
    return;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = bytes.find('\n', start);
    if (nl == std::string_view::npos) break;
    if (partial_.empty()) {
      process_line(bytes.substr(start, nl - start));
    } else {
      partial_.append(bytes.substr(start, nl - start));
      const std::string line = std::move(partial_);
      partial_.clear();
      process_line(line);
    }
    start = nl + 1;
  }
  partial_.append(bytes.substr(start));
}

void NetdataValidator::finish() {
  if (finished_) return;
  finished_ = true;
  if (disabled_) return;  // 1.37 stopped reading at DISABLE: nothing after it matters
  if (!partial_.empty())
    fail_at(line_no_ + 1, partial_,
            "incomplete last line: the stream ended without a '\\n' after it; expected every line to end "
            "with a newline");
  if (phase_ == Phase::kInData)
    fail_at(open_point_.line, begin_text_,
            "BEGIN of chart " + quote(open_point_.chart) + " has no END before the end of the stream");
  if (phase_ == Phase::kLabeling)
    fail_at(label_line_, label_text_,
            "CLABEL block was never committed with CLABEL_COMMIT before the end of the stream");
  if (open_result_)
    fail_at(open_result_->line, "FUNCTION_RESULT_BEGIN " + open_result_->transaction,
            "function result has no FUNCTION_RESULT_END before the end of the stream");
}

std::string NetdataValidator::error_report() const {
  std::string out;
  for (const auto& e : errors_) {
    out += e;
    out.push_back('\n');
  }
  return out;
}

const ChartDecl* NetdataValidator::chart(std::string_view type_id) const {
  const auto it = charts_.find(std::string(type_id));
  return it == charts_.end() ? nullptr : &it->second;
}

std::vector<Point> NetdataValidator::points_of(std::string_view chart) const {
  std::vector<Point> out;
  for (const auto& p : points_)
    if (p.chart == chart) out.push_back(p);
  return out;
}

void NetdataValidator::fail(std::string_view line, const std::string& what) { fail_at(line_no_, line, what); }

void NetdataValidator::fail_at(std::size_t line_no, std::string_view line, const std::string& what) {
  errors_.push_back("line " + std::to_string(line_no) + ": " + what + " (got: " + shown(line) + ")");
}

void NetdataValidator::process_line(std::string_view line) {
  ++line_no_;
  if (open_result_) {
    // [v2 pluginsd_parser.h:190-226] everything up to a line that is exactly
    // FUNCTION_RESULT_END is payload.
    if (line == "FUNCTION_RESULT_END") {
      keywords_seen_.insert("FUNCTION_RESULT_END");
      results_.push_back(std::move(*open_result_));
      open_result_.reset();
    } else {
      open_result_->body.append(line);
      open_result_->body.push_back('\n');
    }
    return;
  }
  if (line.empty()) {  // the keepalive: 1.37's find_first_keyword() finds nothing and skips it
    ++keepalives_;
    return;
  }
  if (disabled_) {
    fail(line, "line after DISABLE: 1.37 stops reading the plugin at DISABLE; expected the plugin to exit");
    return;
  }
  if (!check_bytes(line)) return;
  if (std::all_of(line.begin(), line.end(), is_separator)) {
    fail(line, "whitespace-only line: 1.37 skips it, but the keepalive this project sends is an empty line");
    return;
  }
  Split s;
  if (!split(line, s)) return;
  dispatch(s, line);
}

bool NetdataValidator::check_bytes(std::string_view line) {
  if (line.size() > kMaxLineBytes) {
    fail(line, "line of " + std::to_string(line.size()) + " bytes is longer than " + std::to_string(kMaxLineBytes) +
                   ": 1.37 reads at most 15359 bytes a line (PLUGINSD_LINE_MAX) and parses the rest as a new line");
    return false;
  }
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    const std::string at = " at byte " + std::to_string(i + 1);
    if (c == '\r') {
      fail(line, "carriage return" + at + " (CRLF line ending?): expected lines ending with a bare '\\n'");
      return false;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      fail(line, "control character" + at + ": only printable text and tabs may appear in a line");
      return false;
    }
    if (c == '\\') {
      // [split] "\X" is skipped as a pair, so the next separator or quote loses its meaning
      // while the backslash stays in the word: there is no working escape.
      fail(line, "backslash" + at +
                     ": 1.37 has no escapes, yet its splitter lets '\\' hide the next separator "
                     "or quote; expected no backslash");
      return false;
    }
    if (c >= 0x80) {
      // [seen] 1.37 stores each non-ASCII byte of a title, units or family as '_'.
      fail(line, "non-ASCII byte" + at + ": 1.37 turns each one in a title or units into '_'; expected ASCII");
      return false;
    }
  }
  return true;
}

bool NetdataValidator::split(std::string_view line, Split& out) {
  // Mirrors [split], and refuses every input where its result would differ from what a reader
  // of the line would assume.
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (true) {
    const std::size_t sep_start = i;
    while (i < n && is_separator(line[i])) ++i;
    const std::string_view sep = line.substr(sep_start, i - sep_start);
    if (i == n) {
      out.trailing = sep;
      return true;
    }
    if (out.words.size() == profile_.max_words()) {
      const std::string max = std::to_string(profile_.max_words());
      fail(line, "more than " + max + " words: Netdata " + profile_.text() +
                     " (PLUGINSD_MAX_WORDS) silently drops every word after the " + max + "th");
      return false;
    }
    Word w;
    w.sep_before = sep;
    const char c = line[i];
    if (c == '\'' || c == '"') {
      const std::size_t close = line.find(c, i + 1);
      if (close == std::string_view::npos) {
        fail(line, std::string("unterminated ") + c + " quote at byte " + std::to_string(i + 1) +
                       ": 1.37 would take the rest of the line, newline included, as one word; expected a closing " +
                       c);
        return false;
      }
      w.text = line.substr(i + 1, close - i - 1);
      w.quoted = true;
      // [seen] Inside a word a tab is stored as a space and '"' as '\'' (titles), or squeezed
      // and rewritten (labels): neither would be stored as sent.
      if (const std::size_t bad = w.text.find_first_of("\t\""); bad != std::string_view::npos) {
        fail(line, std::string(w.text[bad] == '\t' ? "tab" : "'\"'") + " inside the quoted word at byte " +
                       std::to_string(i + 2 + bad) + ": 1.37 does not store it as sent; expected neither");
        return false;
      }
      i = close + 1;
      if (i < n && !is_separator(line[i])) {
        fail(line, "text right after the closing quote at byte " + std::to_string(i) +
                       ": 1.37 would split it off as another word; expected a space after the quote");
        return false;
      }
    } else {
      const std::size_t start = i;
      while (i < n && !is_separator(line[i])) {
        if (line[i] == '\'' || line[i] == '"') {
          fail(line, "quote character inside the unquoted word starting at byte " + std::to_string(start + 1) +
                         ": 1.37 honours a quote only at the start of a word; expected the whole word quoted, "
                         "or no quote");
          return false;
        }
        ++i;
      }
      w.text = line.substr(start, i - start);
    }
    out.words.push_back(w);
  }
}

bool NetdataValidator::check_separators(const Split& s, std::string_view line) {
  for (std::size_t k = 1; k < s.words.size(); ++k) {
    if (s.words[k].sep_before.find('=') != std::string_view::npos) {
      fail(line, "'=' before word " + std::to_string(k + 1) +
                     ": 1.37 splits words on '=' too; only `SET id = value` and `VARIABLE name = value` use it, "
                     "so quote a word that contains '='");
      return false;
    }
  }
  if (!s.trailing.empty()) {
    fail(line, "trailing whitespace: expected the line to end right after its last word");
    return false;
  }
  return true;
}

void NetdataValidator::dispatch(const Split& s, std::string_view line) {
  const Word& kw = s.words.front();
  if (!kw.sep_before.empty()) {
    fail(line, "leading whitespace: expected the keyword at the start of the line");
    return;
  }
  const std::string_view k = kw.text;
  if (kw.quoted || k.front() == '#') {
    if (k.front() == '#' && !kw.quoted) {
      fail(line, "comment line: 1.37 has no comments and reads '#...' as an unknown keyword, which kills the plugin");
    } else {
      fail(line, "quoted keyword: 1.37 takes the quote as part of the keyword, which is then unknown");
    }
    return;
  }
  if (k != "SET" && k != "VARIABLE" && !check_separators(s, line)) return;
  keywords_seen_.insert(std::string(k));

  if (k == "CHART") return on_chart(s, line);
  if (k == "DIMENSION") return on_dimension(s, line);
  if (k == "CLABEL") return on_clabel(s, line);
  if (k == "CLABEL_COMMIT") return on_clabel_commit(s, line);
  if (k == "BEGIN") return on_begin(s, line);
  if (k == "SET") return on_set(s, line);
  if (k == "END") return on_end(s, line);
  if (k == "FLUSH") return on_flush(s, line);
  if (k == "DISABLE") return on_disable(s, line);
  if (k == "VARIABLE") return on_variable(s, line);
  if (k == "LABEL") return on_label(s, line);
  if (k == "OVERWRITE") return on_overwrite(s, line);
  if (k == "FUNCTION") return on_function(s, line);

  if (profile_.at_least(2, 0)) {
    // [v2 gperf-config.txt] keywords an external plugin may send, from the version that added them.
    if (k == "FUNCTION_RESULT_BEGIN") return on_function_result_begin(s, line);
    if (one_of(k, {"EXIT", "HOST_DEFINE", "HOST_DEFINE_END", "HOST_LABEL", "HOST"}))
      return on_v2_keyword(s, line, 1, 39);
    if (one_of(k, {"FUNCTION_PROGRESS", "CONFIG"})) return on_v2_keyword(s, line, 1, 45);
    if (one_of(k, {"PLUGIN_KEEPALIVE", "TRUST_DURATIONS"})) return on_v2_keyword(s, line, 2, 7);
    if (k == "FUNCTION_DEL") return on_v2_keyword(s, line, 2, 11);
    if (k == "FUNCTION_RESULT_END") {
      fail(line, "FUNCTION_RESULT_END without FUNCTION_RESULT_BEGIN");
      return;
    }
    if (one_of(k, {"RBEGIN", "RSET", "RDSTATE", "RSSTATE", "REND", "CHART_DEFINITION_END", "BEGIN2", "SET2", "END2",
                   "CLAIMED_ID", "JSON"})) {
      fail(line, "keyword " + quote(k) + " is streaming-only in v2: a plugin that sends it is killed and restarted");
      return;
    }
    fail(line, "unknown keyword " + quote(k) + ": Netdata " + profile_.text() +
                   " stops reading the plugin and kills it; expected one of " + std::string(kKnownKeywords) +
                   " FUNCTION_RESULT_BEGIN (and v2's newer keywords), or an empty line");
    return;
  }
  if (one_of(k, {"FUNCTION_RESULT_BEGIN", "FUNCTION_RESULT_END"})) {
    fail(line, "keyword " + quote(k) +
                   " answers a function call Netdata sent; 1.37 then swallows every line up to "
                   "FUNCTION_RESULT_END, and this plugin answers no functions");
  } else if (one_of(k, {"RBEGIN", "RSET", "RDSTATE", "RSSTATE", "REND", "CHART_DEFINITION_END"})) {
    fail(line, "keyword " + quote(k) + " belongs to 1.37's streaming/replication protocol, not to external plugins");
  } else {
    fail(line, "unknown keyword " + quote(k) + ": Netdata 1.37 kills the plugin on it; expected one of " +
                   std::string(kKnownKeywords) + " or an empty line");
  }
}

bool NetdataValidator::expect_word_count(const Split& s, std::size_t min, std::size_t max, std::string_view form,
                                         std::string_view line) {
  const std::size_t n = s.words.size();
  if (n < min) {
    fail(line, "too few words (" + std::to_string(n) + "); expected `" + std::string(form) + "`");
    return false;
  }
  if (n > max) {
    fail(line, "too many words (" + std::to_string(n) + ", 1.37 ignores the extra ones); expected `" +
                   std::string(form) + "`");
    return false;
  }
  return true;
}

// Keywords that must not interrupt a CLABEL block or a BEGIN..END block. Reports and abandons the
// interrupted block, so that one mistake does not cascade into errors on every following line.
bool NetdataValidator::leave_labeling_or_data(std::string_view keyword, std::string_view line) {
  if (phase_ == Phase::kLabeling) {
    fail(line, std::string(keyword) + " before CLABEL_COMMIT: the CLABEL block from line " +
                   std::to_string(label_line_) +
                   " is not committed (1.37 would attach later CLABELs to the "
                   "wrong chart); expected CLABEL_COMMIT first");
    phase_ = Phase::kIdle;
    return false;
  }
  if (phase_ == Phase::kInData) {
    fail(line, std::string(keyword) + " inside BEGIN..END: the BEGIN of " + quote(open_point_.chart) + " at line " +
                   std::to_string(open_point_.line) + " has no END yet; expected END first");
    phase_ = Phase::kIdle;
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Keywords

void NetdataValidator::on_chart(const Split& s, std::string_view line) {
  static constexpr std::string_view kForm =
      "CHART type.id name title units [family [context [charttype [priority [update_every [options [plugin "
      "[module]]]]]]]]";
  leave_labeling_or_data("CHART", line);
  const auto& w = s.words;
  const std::string_view type_id = w.size() > 1 ? w[1].text : std::string_view();
  const std::size_t dot = type_id.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == type_id.size()) {
    // [parser] pluginsd_chart(): no '.', an empty type or an empty id disables the plugin.
    fail(line, "CHART without a valid type.id " + quote(type_id) +
                   ": 1.37 disables the plugin; expected a non-empty type, a '.', and a non-empty id");
    phase_ = Phase::kIdle;
    st_.reset();
    return;
  }
  if (type_id.size() > kMaxIdLength)
    fail(line, "type.id is " + std::to_string(type_id.size()) +
                   " characters: 1.37 keeps only 199 (RRD_ID_LENGTH_MAX 200); expected fewer than 200");
  if (!is_id(type_id)) fail(line, "type.id " + quote(type_id) + " has a character outside [A-Za-z0-9_.-]");
  expect_word_count(s, 5, 13, kForm, line);

  auto word = [&](std::size_t i) { return i < w.size() ? w[i].text : std::string_view(); };
  const std::string_view name = word(2);
  if (!name.empty() && !is_id(name))
    fail(line, "chart name " + quote(name) + " has a character outside [A-Za-z0-9_.-]");
  if (w.size() > 3 && word(3).empty()) fail(line, "empty chart title: expected a title");
  if (w.size() > 4 && word(4).empty()) fail(line, "empty chart units: expected units");
  const std::string_view context = word(6);
  if (!context.empty() && !is_id(context))
    fail(line, "chart context " + quote(context) + " has a character outside [A-Za-z0-9_.-]");
  // [parser] rrdset_type_id(): anything but these silently becomes "line".
  if (w.size() > 7 && !one_of(word(7), {"line", "area", "stacked"}))
    fail(line, "chart type " + quote(word(7)) + ": expected line, area or stacked");
  long long priority = 0;
  if (w.size() > 8) {
    // [parser] str2i(): an int; the project wants an explicit positive one.
    const auto p = parse_plain_int(word(8));
    if (!p || *p <= 0 || *p > INT_MAX)
      fail(line, "chart priority " + quote(word(8)) + ": expected a positive decimal integer that fits an int");
    else
      priority = *p;
  }
  int update_every = 0;
  if (w.size() > 9) {
    // [parser] str2i(); 0 means "the plugin's default".
    const auto u = parse_plain_int(word(9));
    if (!u || *u <= 0 || *u > INT_MAX)
      fail(line, "chart update_every " + quote(word(9)) + ": expected a positive decimal integer (seconds)");
    else
      update_every = static_cast<int>(*u);
  }
  if (!options_ok(word(10), {"obsolete", "hidden", "store_first", "detail"}))
    fail(line, "chart options " + quote(word(10)) +
                   ": expected '' or space-separated flags among obsolete, hidden, store_first, detail");

  const std::string key(type_id);
  auto [it, inserted] = charts_.try_emplace(key);
  ChartDecl& c = it->second;
  c.type_id = key;
  c.name = std::string(name);
  c.title = std::string(word(3));
  c.units = std::string(word(4));
  c.family = std::string(word(5));
  c.context = std::string(context);
  c.chart_type = std::string(word(7));
  c.priority = priority;
  c.update_every = update_every;
  c.options = std::string(word(10));
  c.plugin = std::string(word(11));
  c.module = std::string(word(12));
  ++c.times_defined;
  c.line = line_no_;
  // A re-sent CHART: the project promises to re-send every DIMENSION (checked at its next BEGIN).
  if (!inserted) redeclare_[key] = Redeclare{line_no_, {}};

  phase_ = Phase::kDefining;
  block_chart_ = key;
  block_dims_.clear();
  st_ = key;
}

void NetdataValidator::on_dimension(const Split& s, std::string_view line) {
  static constexpr std::string_view kForm = "DIMENSION id [name [algorithm [multiplier [divisor [options]]]]]";
  if (phase_ != Phase::kDefining) {
    if (phase_ == Phase::kInData) {
      fail(line,
           "DIMENSION inside BEGIN..END of " + quote(open_point_.chart) + ": expected DIMENSION right after its CHART");
    } else if (phase_ == Phase::kLabeling) {
      fail(line, "DIMENSION before CLABEL_COMMIT: the CLABEL block from line " + std::to_string(label_line_) +
                     " is not committed; expected CLABEL_COMMIT first");
    } else {
      // [parser] pluginsd_dimension() needs a current chart, or it disables the plugin.
      fail(line,
           "DIMENSION without a preceding CHART: expected DIMENSION only right after CHART, DIMENSION or "
           "CLABEL_COMMIT");
    }
    return;
  }
  if (!expect_word_count(s, 2, 7, kForm, line)) return;
  const auto& w = s.words;
  auto word = [&](std::size_t i) { return i < w.size() ? w[i].text : std::string_view(); };
  const std::string_view id = word(1);
  if (!is_id(id)) {
    fail(line, "dimension id " + quote(id) + ": expected a non-empty id of [A-Za-z0-9_.-]");
    return;
  }
  if (id.size() > kMaxIdLength) fail(line, "dimension id is longer than 199 characters");
  const std::string_view name = word(2);
  if (!name.empty() && !is_id(name))
    fail(line, "dimension name " + quote(name) + " has a character outside [A-Za-z0-9_.-]");
  // [parser] rrd_algorithm_id(): anything else silently becomes absolute.
  if (w.size() > 3 &&
      !one_of(word(3), {"absolute", "incremental", "percentage-of-absolute-row", "percentage-of-incremental-row"}))
    fail(line, "dimension algorithm " + quote(word(3)) +
                   ": expected absolute, incremental, percentage-of-absolute-row or percentage-of-incremental-row");
  // [parser] strtol(s, NULL, 0), and 0 silently becomes 1: require a plain, non-zero decimal.
  auto factor = [&](std::size_t i, std::string_view what) -> long long {
    if (w.size() <= i) return 1;
    const auto v = parse_plain_int(word(i));
    if (!v || *v == 0 || *v < INT_MIN || *v > INT_MAX) {
      fail(line, "dimension " + std::string(what) + " " + quote(word(i)) +
                     ": expected a non-zero plain decimal integer that fits 32 bits");
      return 1;
    }
    return *v;
  };
  const long long multiplier = factor(4, "multiplier");
  const long long divisor = factor(5, "divisor");
  if (!options_ok(word(6), {"obsolete", "hidden", "noreset", "nooverflow"}))
    fail(line, "dimension options " + quote(word(6)) +
                   ": expected '' or space-separated flags among obsolete, hidden, noreset, nooverflow");

  const std::string key(id);
  if (!block_dims_.insert(key).second) {
    fail(line, "duplicate dimension " + quote(id) + " in the definition of " + quote(block_chart_) +
                   " that started at line " + std::to_string(charts_[block_chart_].line));
    return;
  }
  ChartDecl& c = charts_[block_chart_];
  DimensionDecl d{key, std::string(name), std::string(word(3)), multiplier, divisor, std::string(word(6))};
  auto existing = std::find_if(c.dims.begin(), c.dims.end(), [&](const DimensionDecl& x) { return x.id == key; });
  if (existing != c.dims.end())
    *existing = std::move(d);
  else
    c.dims.push_back(std::move(d));
  if (auto r = redeclare_.find(block_chart_); r != redeclare_.end()) r->second.seen.insert(key);
}

void NetdataValidator::on_clabel(const Split& s, std::string_view line) {
  if (phase_ == Phase::kInData) {
    fail(line, "CLABEL inside BEGIN..END of " + quote(open_point_.chart) +
                   ": expected CLABEL right after its CHART and DIMENSIONs");
    return;
  }
  if (phase_ == Phase::kIdle) {
    // [parser] pluginsd_clabel() dereferences the current chart: without one, 1.37 crashes.
    fail(line, "CLABEL without a preceding CHART: expected CLABEL right after its CHART and DIMENSIONs");
    return;
  }
  if (s.words.size() == 3) {
    // [parser] pluginsd_clabel() tests *label_source without a NULL check.
    fail(line,
         "CLABEL without a source: 1.37 dereferences the missing word and crashes; expected "
         "`CLABEL name value source`");
    return;
  }
  if (!expect_word_count(s, 4, 4, "CLABEL name value source", line)) return;
  const std::string_view name = s.words[1].text;
  const std::string_view value = s.words[2].text;
  const std::string_view source = s.words[3].text;
  bool good = true;
  if (!is_label_name(name)) {
    fail(line, "label name " + quote(name) +
                   ": expected 1-200 characters of [a-z0-9_.-], not only '_' (1.37 lowercases names and rewrites "
                   "other characters)");
    good = false;
  }
  if (!is_label_value(value)) {
    fail(line, "label value " + quote(value) +
                   ": expected 1-200 characters of [A-Za-z0-9()+-./:@_] with single inner spaces, not only '_' "
                   "(1.37 rewrites anything else)");
    good = false;
  }
  const auto src = parse_plain_int(source);
  if (!src || *src < 0 || *src > INT_MAX) {
    fail(line, "label source " + quote(source) + ": expected a plain non-negative integer (1 = auto)");
    good = false;
  }
  if (phase_ == Phase::kDefining) {
    phase_ = Phase::kLabeling;
    block_labels_.clear();
    label_line_ = line_no_;
    label_text_ = std::string(line);
  }
  if (!good) return;
  if (!block_labels_.emplace(std::string(name), std::string(value)).second)
    fail(line, "label " + quote(name) + " sent twice in one CLABEL block");
}

void NetdataValidator::on_clabel_commit(const Split& s, std::string_view line) {
  if (!expect_word_count(s, 1, 1, "CLABEL_COMMIT", line)) return;
  if (phase_ != Phase::kLabeling) {
    // [parser] pluginsd_clabel_commit() without a CLABEL before it disables the plugin.
    fail(line, "CLABEL_COMMIT without a CLABEL before it: 1.37 disables the plugin");
    return;
  }
  charts_[block_chart_].labels = block_labels_;
  phase_ = Phase::kDefining;
}

void NetdataValidator::on_begin(const Split& s, std::string_view line) {
  leave_labeling_or_data("BEGIN", line);
  if (!expect_word_count(s, 2, 3, "BEGIN type.id [microseconds]", line)) {
    phase_ = Phase::kIdle;
    st_.reset();
    return;
  }
  const std::string chart(s.words[1].text);
  std::optional<unsigned long long> usec;
  if (s.words.size() == 3) {
    // [parser] str2ull(): decimal digits only, it stops silently at anything else.
    usec = parse_plain_uint(s.words[2].text);
    if (!usec)
      fail(line, "BEGIN microseconds " + quote(s.words[2].text) +
                     ": expected a plain unsigned decimal integer (no sign, no leading zero)");
  }
  const auto it = charts_.find(chart);
  data_chart_known_ = it != charts_.end();
  if (!data_chart_known_) {
    // [parser] pluginsd_begin(): rrdset_find() fails and the plugin is disabled.
    fail(line, "BEGIN of chart " + quote(chart) + " that no CHART declared: 1.37 disables the plugin");
  } else if (const auto r = redeclare_.find(chart); r != redeclare_.end()) {
    std::vector<std::string> missing;
    for (const auto& d : it->second.dims)
      if (!r->second.seen.contains(d.id)) missing.push_back(d.id);
    if (!missing.empty())
      fail(line, "dimension(s) " + join(missing) + " of " + quote(chart) +
                     " were not re-sent after the CHART at line " + std::to_string(r->second.chart_line) +
                     ": expected every DIMENSION after a re-sent CHART");
    redeclare_.erase(r);
  }
  phase_ = Phase::kInData;
  st_ = chart;
  data_set_.clear();
  open_point_ = Point{chart, usec, {}, line_no_};
  begin_text_ = std::string(line);
}

void NetdataValidator::on_set(const Split& s, std::string_view line) {
  if (phase_ != Phase::kInData) {
    fail(line, "SET outside BEGIN..END: expected SET only between BEGIN and END");
    return;
  }
  const auto& w = s.words;
  const bool empty_form = w.size() == 2 && w[1].sep_before == " " && s.trailing == " = ";
  const bool value_form = w.size() == 3 && w[1].sep_before == " " && w[2].sep_before == " = " && s.trailing.empty();
  if (!empty_form && !value_form) {
    fail(line, "malformed SET: expected exactly `SET id = value` or `SET id = ` (one space on each side of '=')");
    return;
  }
  if (w[1].quoted || (value_form && w[2].quoted)) {
    fail(line, "quoted word in SET: expected a bare dimension id and a bare integer");
    return;
  }
  const std::string id(w[1].text);
  if (data_chart_known_ && charts_[open_point_.chart].dim(id) == nullptr) {
    // [parser] pluginsd_set(): an unknown dimension disables the plugin.
    fail(line, "SET of " + quote(id) + ", which is not a declared dimension of " + quote(open_point_.chart) +
                   ": 1.37 disables the plugin");
    return;
  }
  if (data_set_.contains(id)) {
    fail(line, "dimension " + quote(id) + " SET twice in one BEGIN..END (the BEGIN at line " +
                   std::to_string(open_point_.line) + "); expected one SET per dimension per tick");
    return;
  }
  std::optional<long long> value;
  if (value_form) {
    value = parse_plain_int(w[2].text);
    if (!value) {
      fail(line, "SET value " + quote(w[2].text) +
                     " is not a plain decimal integer: expected an optional '-' and digits without a leading zero, "
                     "within int64 (1.37 parses with strtoll(value, NULL, 0): '010' is octal, '0x10' hex, '1.5' is 1)");
      return;
    }
  }
  data_set_.insert(id);
  open_point_.values[id] = value;
}

void NetdataValidator::on_end(const Split& s, std::string_view line) {
  if (!expect_word_count(s, 1, 1, "END", line)) return;
  if (phase_ != Phase::kInData) {
    fail(line, "END without BEGIN: expected END only to close a BEGIN");
    return;
  }
  if (data_chart_known_) {
    std::vector<std::string> missing;
    for (const auto& d : charts_[open_point_.chart].dims)
      if (!data_set_.contains(d.id)) missing.push_back(d.id);
    if (!missing.empty())
      fail(line, "END of " + quote(open_point_.chart) + ": dimension(s) " + join(missing) +
                     " got no SET since the BEGIN at line " + std::to_string(open_point_.line) +
                     "; expected every declared dimension to get a value, or an empty `SET id = `, each tick");
  }
  points_.push_back(std::move(open_point_));
  open_point_ = Point{};
  phase_ = Phase::kIdle;
  st_.reset();  // [parser] pluginsd_end() clears the current chart
}

void NetdataValidator::on_flush(const Split& s, std::string_view line) {
  if (!expect_word_count(s, 1, 1, "FLUSH", line)) return;
  leave_labeling_or_data("FLUSH", line);
  phase_ = Phase::kIdle;
  st_.reset();  // [parser] pluginsd_flush() clears the current chart
}

void NetdataValidator::on_disable(const Split& s, std::string_view line) {
  expect_word_count(s, 1, 1, "DISABLE", line);
  disabled_ = true;  // [parser] pluginsd_disable() returns an error: 1.37 stops reading here
}

void NetdataValidator::on_variable(const Split& s, std::string_view line) {
  static constexpr std::string_view kForm = "VARIABLE [LOCAL|CHART|HOST|GLOBAL] name = value";
  if (phase_ == Phase::kLabeling) leave_labeling_or_data("VARIABLE", line);
  const auto& w = s.words;
  // [parser] pluginsd_variable(): an optional scope word, then name and value.
  const bool scoped = w.size() == 4 && one_of(w[1].text, {"LOCAL", "CHART", "HOST", "GLOBAL"}) && !w[1].quoted;
  const std::size_t idx = scoped ? 2 : 1;
  if (w.size() != idx + 2) {
    fail(line, "malformed VARIABLE: expected `" + std::string(kForm) + "`");
    return;
  }
  if ((scoped && w[2].sep_before.find('=') != std::string_view::npos) || w[idx + 1].sep_before != " = " ||
      !s.trailing.empty()) {
    fail(line, "malformed VARIABLE: expected `" + std::string(kForm) + "` with ' = ' before the value only");
    return;
  }
  const std::string_view name = w[idx].text;
  const std::string_view value = w[idx + 1].text;
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c != '-' && is_id_char(c); }))
    fail(line, "variable name " + quote(name) + ": expected characters of [A-Za-z0-9_.]");
  if (!is_plain_decimal(value))
    fail(line, "variable value " + quote(value) + ": expected a plain decimal number such as 42 or -1.5");
  const bool chart_scope = scoped ? one_of(w[1].text, {"LOCAL", "CHART"}) : st_.has_value();
  if (chart_scope && !st_)
    fail(line, "chart VARIABLE without a current chart: 1.37 disables the plugin; expected it after CHART or BEGIN");
  if (phase_ == Phase::kDefining) phase_ = Phase::kIdle;  // DIMENSION may no longer follow
}

void NetdataValidator::on_label(const Split& s, std::string_view line) {
  leave_labeling_or_data("LABEL", line);
  // [parser] pluginsd_label(): LABEL name source value (note the order, unlike CLABEL); extra
  // words are joined into the value, which this validator refuses: quote the value instead.
  if (!expect_word_count(s, 4, 4, "LABEL name source value", line)) return;
  if (!is_label_name(s.words[1].text))
    fail(line, "host label name " + quote(s.words[1].text) + ": expected 1-200 characters of [a-z0-9_.-]");
  const auto src = parse_plain_int(s.words[2].text);
  if (!src || *src < 0 || *src > INT_MAX)
    fail(line, "host label source " + quote(s.words[2].text) + ": expected a plain non-negative integer");
  if (!is_label_value(s.words[3].text))
    fail(line, "host label value " + quote(s.words[3].text) +
                   ": expected 1-200 characters of [A-Za-z0-9()+-./:@_] with single inner spaces");
  if (phase_ == Phase::kDefining) phase_ = Phase::kIdle;
}

void NetdataValidator::on_overwrite(const Split& s, std::string_view line) {
  leave_labeling_or_data("OVERWRITE", line);
  expect_word_count(s, 1, 1, "OVERWRITE", line);
  if (phase_ == Phase::kDefining) phase_ = Phase::kIdle;
}

void NetdataValidator::on_function(const Split& s, std::string_view line) {
  const bool v2 = profile_.at_least(2, 0);
  // [v2 pluginsd_functions.c:319-422] v2 adds tags, access, priority and version; 1.37 ignores
  // extra words, but this project sends them only to v2.
  const std::string_view form = v2 ? "FUNCTION [GLOBAL] name timeout help [tags [access [priority [version]]]]"
                                   : "FUNCTION [GLOBAL] name timeout help";
  leave_labeling_or_data("FUNCTION", line);
  const auto& w = s.words;
  const bool global = w.size() > 1 && w[1].text == "GLOBAL" && !w[1].quoted;
  const std::size_t idx = global ? 2 : 1;
  if (w.size() < idx + 3 || w.size() > idx + (v2 ? 7 : 3)) {
    fail(line, "malformed FUNCTION: expected `" + std::string(form) + "`");
    return;
  }
  FunctionDecl d;
  d.global = global;
  d.name = std::string(w[idx].text);
  d.help = std::string(w[idx + 2].text);
  d.line = line_no_;
  if (w.size() > idx + 3) d.tags = std::string(w[idx + 3].text);
  if (w.size() > idx + 4) d.access = std::string(w[idx + 4].text);
  if (w.size() > idx + 5) {
    const auto p = parse_plain_int(w[idx + 5].text);
    if (!p || *p < 0) fail(line, "function priority " + quote(w[idx + 5].text) + ": expected a decimal integer >= 0");
    d.priority = p.value_or(0);
  }
  if (w.size() > idx + 6) {
    const auto ver = parse_plain_int(w[idx + 6].text);
    if (!ver || *ver < 0)
      fail(line, "function version " + quote(w[idx + 6].text) + ": expected a decimal integer >= 0");
    d.version = ver.value_or(0);
  }
  if (!d.tags.empty() && !options_ok(d.tags, {"top", "logs"}))
    fail(line, "function tags " + quote(d.tags) + ": expected top and/or logs");
  if (w.size() > idx + 4 && !one_of(d.access, {"any", "all", "member", "admin", ""}) &&
      !(d.access.starts_with("0x") && d.access.size() > 2))
    fail(line, "function access " + quote(d.access) + ": expected any, member, admin, a 0x bitmap or ''");
  if (d.name.starts_with("__"))
    fail(line, "function name " + quote(d.name) + ": names starting with __ are not callable");
  if (!is_id(w[idx].text) && !(v2 && is_id_with_colon(w[idx].text)))
    fail(line,
         "function name " + quote(w[idx].text) + ": expected characters of [A-Za-z0-9_.-]" + (v2 ? " and ':'" : ""));
  const auto timeout = parse_plain_int(w[idx + 1].text);
  if (!timeout || *timeout <= 0 || *timeout > INT_MAX)
    fail(line, "function timeout " + quote(w[idx + 1].text) + ": expected a positive decimal integer (seconds)");
  if (w[idx + 2].text.empty()) fail(line, "empty function help: expected a description");
  if (!global && !st_)
    fail(line, "chart FUNCTION without a current chart: expected it after CHART, or FUNCTION GLOBAL");
  if (timeout) d.timeout = static_cast<int>(*timeout);
  functions_.push_back(std::move(d));
  if (phase_ == Phase::kDefining) phase_ = Phase::kIdle;
}

void NetdataValidator::on_function_result_begin(const Split& s, std::string_view line) {
  // [v2 pluginsd_functions.c:480-522] FUNCTION_RESULT_BEGIN tx status content_type expires
  static constexpr std::string_view kForm = "FUNCTION_RESULT_BEGIN transaction status content_type expires";
  leave_labeling_or_data("FUNCTION_RESULT_BEGIN", line);
  FunctionResult r;
  r.line = line_no_;
  if (s.words.size() == 5) {
    r.transaction = std::string(s.words[1].text);
    const auto status = parse_plain_int(s.words[2].text);
    if (!status || *status < 100 || *status > 599)
      fail(line, "function result status " + quote(s.words[2].text) + ": expected an HTTP status code");
    r.status = static_cast<int>(status.value_or(0));
    r.content_type = std::string(s.words[3].text);
    if (r.content_type.find('/') == std::string::npos)
      fail(line, "function result content type " + quote(r.content_type) + ": expected a MIME type");
    const auto expires = parse_plain_int(s.words[4].text);
    if (!expires || *expires < 0)
      fail(line, "function result expiry " + quote(s.words[4].text) + ": expected unix seconds");
    r.expires = expires.value_or(0);
    if (r.transaction.empty()) fail(line, "function result without a transaction");
  } else {
    expect_word_count(s, 5, 5, kForm, line);
  }
  // The payload follows whatever the header held: Netdata swallows it up to FUNCTION_RESULT_END.
  open_result_ = std::move(r);
}

void NetdataValidator::on_v2_keyword(const Split& s, std::string_view line, int major, int minor) {
  leave_labeling_or_data(s.words.front().text, line);
  if (!profile_.at_least(major, minor)) {
    fail(line, "keyword " + quote(s.words.front().text) + " arrived in Netdata v" + std::to_string(major) + "." +
                   std::to_string(minor) + "; " + profile_.text() + " kills the plugin on it");
  }
  if (phase_ == Phase::kDefining) phase_ = Phase::kIdle;
}

NetdataValidator validate_netdata_stream(std::string_view all, NetdataVersion profile) {
  NetdataValidator v(profile);
  v.feed(all);
  v.finish();
  return v;
}

}  // namespace vmq::testing
