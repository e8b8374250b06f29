// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/prometheus_text.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace vmq::prom {

namespace {

// One table lookup and a mask test per byte, instead of a chain of comparisons: the name and
// label loops below run over most bytes of a body.
enum CharClass : std::uint8_t {
  kBlank = 1,          // ' ', '\t'
  kDigit = 2,          // [0-9]
  kNameStart = 4,      // metric names: [a-zA-Z_:][a-zA-Z0-9_:]*
  kNameChar = 8,       //
  kLabelStart = 16,    // label names: [a-zA-Z_][a-zA-Z0-9_]*
  kLabelChar = 32,     //
  kValueSpecial = 64,  // what ends a run of plain label-value bytes: '"', '\\'
};
constexpr std::array<std::uint8_t, 256> kCharClass = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    std::uint8_t k = 0;
    if (c == ' ' || c == '\t') k |= kBlank;
    if (digit) k |= kDigit;
    if (alpha || c == '_' || c == ':') k |= kNameStart | kNameChar;
    if (digit) k |= kNameChar;
    if (alpha || c == '_') k |= kLabelStart | kLabelChar;
    if (digit) k |= kLabelChar;
    if (c == '"' || c == '\\') k |= kValueSpecial;
    t[static_cast<std::size_t>(c)] = k;
  }
  return t;
}();
constexpr bool has_class(char c, std::uint8_t mask) { return (kCharClass[static_cast<unsigned char>(c)] & mask) != 0; }
constexpr bool is_digit(char c) { return has_class(c, kDigit); }

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

// ---- Scanning whole bodies -------------------------------------------------------------------
// The sink's line filter lets most of a body go unparsed; what is left per byte is finding the
// filter text and counting newlines (line numbers stay exact). Both look at 32 bytes at a time
// with GCC/Clang vector extensions: two SSE2 operations on any x86-64, one AVX2 operation where
// the CPU has it (the x86-64 functions are compiled twice and the loader picks one), NEON on
// arm64. These two loops are most of what a scrape costs, so they are worth it.
//
// The vector code is written inline, without helper functions: a 32-byte vector passed to or
// returned from a function is passed differently with and without AVX, which compilers refuse
// (Clang) or warn about (GCC) between the two builds of a function.

#if defined(__x86_64__) && defined(__GNUC__)
#define VMQ_SCAN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VMQ_SCAN_CLONES
#endif

constexpr std::ptrdiff_t kScanWidth = 32;
using ScanBytes = char __attribute__((vector_size(kScanWidth)));
// The same bits as 64-bit lanes. A comparison's byte lanes are 0 or all ones; viewed as words,
// byte lane i of a word is its byte i in memory order. (A vector cast keeps it in registers:
// copying a vector out to memory and reading it back in words stalls on store forwarding.)
using ScanWords = std::uint64_t __attribute__((vector_size(kScanWidth)));
constexpr std::size_t kScanWords = kScanWidth / 8;

// Names are scanned 16 bytes at a time (SSE2 on any x86-64, NEON on arm64): most are 10 to 40.
constexpr std::ptrdiff_t kNameWidth = 16;
using NameBytes = unsigned char __attribute__((vector_size(kNameWidth)));
using NameWords = std::uint64_t __attribute__((vector_size(kNameWidth)));

// Bit i set when byte lane i of a comparison result (lanes 0 or all ones) is set.
inline unsigned lane_bits(NameBytes lanes) {
#if defined(__SSE2__)
  return static_cast<unsigned>(_mm_movemask_epi8(reinterpret_cast<__m128i>(lanes)));
#else
  if constexpr (std::endian::native == std::endian::little) {
    // Each word's low lane bits gathered into its top byte by one multiplication.
    const NameWords words = (NameWords)lanes;
    const auto pack = [](std::uint64_t w) {
      return static_cast<unsigned>(((w & 0x0101010101010101ULL) * 0x0102040810204080ULL) >> 56);
    };
    return pack(words[0]) | pack(words[1]) << 8;
  } else {
    unsigned bits = 0;
    for (int i = 0; i < kNameWidth; ++i) bits |= (lanes[i] != 0 ? 1u : 0u) << i;
    return bits;
  }
#endif
}

// Index (in memory order) of the first all-ones byte lane of a non-zero word.
inline int first_lane(std::uint64_t word) {
  if constexpr (std::endian::native == std::endian::little) {
    return std::countr_zero(word) / 8;
  } else {
    return std::countl_zero(word) / 8;
  }
}
inline std::uint64_t clear_lane(std::uint64_t word, int lane) {
  const int shift = std::endian::native == std::endian::little ? 8 * lane : 56 - 8 * lane;
  return word & ~(std::uint64_t{0xff} << shift);
}

VMQ_SCAN_CLONES std::size_t count_newlines(const char* p, const char* end) {
  std::size_t n = 0;
  const ScanBytes newline = ScanBytes{} + '\n';  // every lane '\n'
  while (end - p >= kScanWidth) {
    // An equal lane compares as -1, so subtracting counts matches per lane; a lane cannot
    // overflow within 255 blocks.
    ScanBytes lanes{};
    const char* const stop = p + kScanWidth * std::min<std::ptrdiff_t>(255, (end - p) / kScanWidth);
    for (; p != stop; p += kScanWidth) {
      ScanBytes block;
      std::memcpy(&block, p, sizeof block);  // unaligned load
      lanes -= (ScanBytes)(block == newline);
    }
    unsigned char bytes[kScanWidth];
    std::memcpy(bytes, &lanes, sizeof bytes);
    for (const unsigned char b : bytes) n += b;
  }
  for (; p < end; ++p) n += (*p == '\n') ? 1 : 0;
  return n;
}

// The first occurrence of `needle` (at least 2 bytes) in [p, end), or nullptr. A position is a
// candidate when the needle's first and last bytes both sit where they should (one comparison
// each per 32 positions); only candidates are compared in full. In a VerneMQ body that leaves
// about one candidate per 400 bytes, so two blocks are tested at once: moving a mask out of the
// vector unit to test it costs more than the comparisons.
VMQ_SCAN_CLONES const char* find_text(const char* p, const char* end, std::string_view needle) {
  const auto n = static_cast<std::ptrdiff_t>(needle.size());
  const ScanBytes first = ScanBytes{} + needle.front();
  const ScanBytes last = ScanBytes{} + needle.back();
  for (; end - p >= n - 1 + 2 * kScanWidth; p += 2 * kScanWidth) {
    ScanBytes head0, tail0, head1, tail1;  // the needle's first and last byte, two blocks
    std::memcpy(&head0, p, sizeof head0);
    std::memcpy(&tail0, p + n - 1, sizeof tail0);
    std::memcpy(&head1, p + kScanWidth, sizeof head1);
    std::memcpy(&tail1, p + kScanWidth + n - 1, sizeof tail1);
    const ScanWords masks[2] = {(ScanWords)((head0 == first) & (tail0 == last)),
                                (ScanWords)((head1 == first) & (tail1 == last))};
    const ScanWords both = masks[0] | masks[1];
    if ((both[0] | both[1] | both[2] | both[3]) == 0) continue;
    for (std::size_t b = 0; b < 2; ++b) {
      for (std::size_t w = 0; w < kScanWords; ++w) {
        for (std::uint64_t word = masks[b][w]; word != 0;) {
          const int lane = first_lane(word);
          const char* candidate = p + kScanWidth * b + 8 * w + static_cast<std::size_t>(lane);
          if (std::memcmp(candidate + 1, needle.data() + 1, needle.size() - 2) == 0) return candidate;
          word = clear_lane(word, lane);
        }
      }
    }
  }
  // The last < n + 63 bytes.
  return static_cast<const char*>(::memmem(p, static_cast<std::size_t>(end - p), needle.data(), needle.size()));
}

bool parse_timestamp(std::string_view t, std::int64_t& out) {
  const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && p == t.data() + t.size();
}

class LineParser {
 public:
  LineParser(SampleSink& sink, ParseStats& stats) : sink_(sink), stats_(stats) {}

  // [begin, end) is one line, without its '\n' (or "\r\n"); [end, readable) may be read too
  // (the rest of the buffer), which lets names be scanned 16 bytes at a time up to the line end.
  void parse_line(const char* begin, const char* end, const char* readable, std::size_t line_no) {
    begin_ = begin;
    end_ = end;
    readable_ = readable;
    p_ = begin;
    line_no_ = line_no;
    skip_blanks();
    if (at_end()) return;  // blank line
    if (*p_ == '#') {
      parse_comment();
    } else {
      parse_sample();
    }
  }

 private:
  void error(const char* message) {
    ++stats_.errors;
    sink_.on_error(ParseError{line_no_, static_cast<std::size_t>(p_ - begin_) + 1, message});
  }
  [[nodiscard]] bool at_end() const { return p_ == end_; }
  void skip_while(std::uint8_t mask) {
    while (p_ != end_ && has_class(*p_, mask)) ++p_;
  }
  void skip_blanks() { skip_while(kBlank); }
  [[nodiscard]] std::string_view from(const char* start) const { return {start, static_cast<std::size_t>(p_ - start)}; }
  std::string_view take_token() {
    const char* start = p_;
    while (p_ != end_ && !has_class(*p_, kBlank)) ++p_;
    return from(start);
  }
  // Reads a metric name at p_; on failure reports and returns empty.
  std::string_view take_metric_name(const char* what_if_missing) {
    if (at_end() || !has_class(*p_, kNameStart)) {
      error(what_if_missing);
      return {};
    }
    const char* start = p_++;
    skip_name_chars<true>();
    return from(start);
  }
  // What VerneMQ writes, in one pass: a token of 1 to 19 digits is read as parse_value() reads
  // it, and p_ moves past it. Anything else: false, p_ unmoved.
  bool take_integer(Value& v) {
    const char* q = p_;
    std::uint64_t u = 0;
    for (; q != end_ && q - p_ < 19 && is_digit(*q); ++q) u = u * 10 + static_cast<std::uint64_t>(*q - '0');
    if (q == p_ || (q != end_ && !has_class(*q, kBlank))) return false;
    v.as_u64 = u;
    v.as_double = static_cast<double>(u);
    v.is_u64 = true;
    p_ = q;
    return true;
  }
  // Moves p_ past [a-zA-Z0-9_] (and ':' when kColon: metric names), 16 bytes at a time while the
  // buffer has them: names are a third of a body's bytes. A line's end ('\r', '\n') is no name
  // character, so the vector scan stops there; p_ is still kept within the line.
  template <bool kColon>
  void skip_name_chars() {
    while (readable_ - p_ >= kNameWidth) {
      NameBytes v;
      std::memcpy(&v, p_, sizeof v);
      const NameBytes lower = v | 0x20;  // 'A'-'Z' → 'a'-'z'; no other byte becomes a letter
      NameBytes ok =
          (NameBytes)((NameBytes)(lower - 'a') < 26) | (NameBytes)((NameBytes)(v - '0') < 10) | (NameBytes)(v == '_');
      if constexpr (kColon) ok |= (NameBytes)(v == ':');
      if (const unsigned bad = ~lane_bits(ok) & 0xffffu; bad != 0) {
        p_ = std::min(p_ + std::countr_zero(bad), end_);
        return;
      }
      p_ += kNameWidth;
    }
    skip_while(kColon ? kNameChar : kLabelChar);
  }
  // Moves p_ to the first '"' or '\\' at or after it, or to the end: the rest of a label value
  // is plain bytes. 16 at a time, as names; the line's end does not stop this scan, so it stops
  // at the first block that reaches past it.
  void skip_plain_value_bytes() {
    while (readable_ - p_ >= kNameWidth) {
      NameBytes v;
      std::memcpy(&v, p_, sizeof v);
      if (const unsigned hit = lane_bits((NameBytes)(v == '"') | (NameBytes)(v == '\\')); hit != 0) {
        p_ = std::min(p_ + std::countr_zero(hit), end_);
        return;
      }
      if (end_ - p_ <= kNameWidth) {
        p_ = end_;
        return;
      }
      p_ += kNameWidth;
    }
    while (p_ != end_ && !has_class(*p_, kValueSpecial)) ++p_;
  }

  void parse_comment() {
    ++p_;  // '#'
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
    if (!at_end() && !has_class(*p_, kBlank)) {
      error("invalid character in metric name; expected [a-zA-Z0-9_:]");
      return;
    }
    if (help) return;  // the docstring is free text
    skip_blanks();
    const char* type_pos = p_;
    const std::string_view t = take_token();
    skip_blanks();
    if (t != "counter" && t != "gauge" && t != "histogram" && t != "summary" && t != "untyped") {
      p_ = type_pos;
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
    if (*p_ != '{' && !has_class(*p_, kBlank)) {
      error("invalid character in metric name; expected [a-zA-Z0-9_:], '{' or a space");
      return;
    }
    if (!sink_.wants(name)) {
      ++stats_.skipped;
      return;
    }
    // Like Prometheus' own parser, blanks may separate the name from '{'.
    const char* after_name = p_;
    skip_blanks();
    if (at_end() || *p_ != '{') p_ = after_name;
    std::size_t n_labels = 0;
    if (!at_end() && *p_ == '{') {
      ++p_;
      if (!parse_labels(n_labels)) return;
    }
    if (at_end() || !has_class(*p_, kBlank)) {
      error(at_end() ? "expected a value" : "expected a space before the value");
      return;
    }
    skip_blanks();
    if (at_end()) {
      error("expected a value");
      return;
    }
    Sample sample;
    const char* value_pos = p_;
    if (!take_integer(sample.value) && !parse_value(take_token(), sample.value)) {
      p_ = value_pos;
      error("invalid value; expected a number, NaN, +Inf or -Inf");
      return;
    }
    skip_blanks();
    if (!at_end()) {
      const char* ts_pos = p_;
      if (!parse_timestamp(take_token(), sample.timestamp_ms)) {
        p_ = ts_pos;
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
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      if (!has_class(*p_, kLabelStart)) {
        error("expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) or '}'");
        return false;
      }
      const char* name_start = p_++;
      skip_name_chars<false>();
      const std::string_view label_name = from(name_start);
      if (end_ - p_ >= 2 && p_[0] == '=' && p_[1] == '"') {
        p_ += 2;  // the usual shape, name="value", without blanks
      } else {
        skip_blanks();
        if (at_end() || *p_ != '=') {
          error("expected '=' after the label name");
          return false;
        }
        ++p_;
        skip_blanks();
        if (at_end() || *p_ != '"') {
          error("expected '\"' to open the label value");
          return false;
        }
        ++p_;
      }
      const char* value_start = p_;
      bool escapes = false;
      for (;;) {
        skip_plain_value_bytes();
        if (at_end()) {
          error("unterminated label value; expected a closing '\"'");
          return false;
        }
        if (*p_ == '"') break;
        // A backslash.
        if (end_ - p_ < 2 || (p_[1] != '\\' && p_[1] != '"' && p_[1] != 'n')) {
          error("invalid escape in label value; expected \\\\, \\\" or \\n");
          return false;
        }
        escapes = true;
        p_ += 2;
      }
      const std::string_view raw = from(value_start);
      ++p_;  // closing quote
      for (std::size_t i = 0; i < n; ++i) {
        if (labels_[i].name == label_name) {
          p_ = name_start;
          error("duplicate label name in one sample");
          return false;
        }
      }
      if (n == kMaxLabels) {
        p_ = name_start;
        error("too many labels on one sample; at most 64 are accepted");
        return false;
      }
      // Field by field: GCC builds a whole Label on the stack and reloads it in 16-byte halves,
      // which stalls on store forwarding (a third of the parse's cycles).
      Label& label = labels_[n++];
      label.name = label_name;
      label.raw_value = raw;
      label.has_escapes = escapes;
      skip_blanks();
      if (at_end()) {
        error("expected ',' or '}' after a label");
        return false;
      }
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      error("expected ',' or '}' after a label");
      return false;
    }
  }

  SampleSink& sink_;
  ParseStats& stats_;
  const char* begin_ = nullptr;  // the line being parsed
  const char* end_ = nullptr;
  const char* p_ = nullptr;  // where it is read; never past end_
  const char* readable_ = nullptr;
  std::size_t line_no_ = 0;
  std::array<Label, kMaxLabels> labels_{};
};

}  // namespace

const Label* Sample::label(std::string_view label_name) const {
  for (const Label& l : labels) {
    if (l.name == label_name) return &l;
  }
  return nullptr;
}

namespace {

// Parses the lines of [p, end): every one of them ends with '\n', except perhaps the last line
// of a whole body. `line_no` counts the lines before p and is advanced past the last one.
void parse_lines(LineParser& parser, SampleSink& sink, ParseStats& stats, std::size_t& line_no, const char* p,
                 const char* const end) {
  // Each filter text's next occurrence at or after p (nullptr: not looked for yet; end: none
  // left). Each text is scanned for once over the buffer, however many lines hold the others.
  std::span<const std::string_view> filters =
      sink.line_filters().first(std::min(sink.line_filters().size(), kMaxLineFilters));
  std::array<const char*, kMaxLineFilters> next{};
  while (p < end) {
    const char* line_start = p;
    if (!filters.empty()) {
      // Skip to the line holding the nearest filter text; the lines before it are only counted.
      const char* hit = end;
      for (std::size_t i = 0; i < filters.size(); ++i) {
        if (next[i] == nullptr || next[i] < p) {
          const std::string_view f = filters[i];
          const char* h = f.empty() ? p
                          : f.size() == 1
                              ? static_cast<const char*>(std::memchr(p, f[0], static_cast<std::size_t>(end - p)))
                              : find_text(p, end, f);
          next[i] = h == nullptr ? end : h;
        }
        hit = std::min(hit, next[i]);
      }
      if (hit == end) {
        const std::size_t rest = count_newlines(p, end) + (end[-1] != '\n' ? 1 : 0);
        stats.filtered += rest;
        line_no += rest;
        return;
      }
      if (const void* nl_before = ::memrchr(p, '\n', static_cast<std::size_t>(hit - p)); nl_before != nullptr) {
        line_start = static_cast<const char*>(nl_before) + 1;
        const std::size_t skipped_lines = count_newlines(p, line_start);
        stats.filtered += skipped_lines;
        line_no += skipped_lines;
      }
    }
    ++line_no;
    const char* nl =
        static_cast<const char*>(std::memchr(line_start, '\n', static_cast<std::size_t>(end - line_start)));
    const char* line_end = nl != nullptr ? nl : end;
    const char* content_end = line_end != line_start && line_end[-1] == '\r' ? line_end - 1 : line_end;  // \r\n
    parser.parse_line(line_start, content_end, end, line_no);
    p = nl != nullptr ? nl + 1 : end;
    const std::span<const std::string_view> now = sink.line_filters();
    const std::span<const std::string_view> capped = now.first(std::min(now.size(), kMaxLineFilters));
    if (capped.data() != filters.data() || capped.size() != filters.size() ||
        !std::equal(capped.begin(), capped.end(), filters.begin(), [](std::string_view a, std::string_view b) {
          return a.data() == b.data() && a.size() == b.size();
        })) {
      next.fill(nullptr);  // other texts: look for them afresh
    }
    filters = capped;
  }
}

}  // namespace

ParseStats parse(std::string_view body, SampleSink& sink) {
  ParseStats stats;
  LineParser parser(sink, stats);
  std::size_t line_no = 0;
  parse_lines(parser, sink, stats, line_no, body.data(), body.data() + body.size());
  stats.lines = line_no;
  stats.unterminated = !body.empty() && body.back() != '\n';
  return stats;
}

void StreamParser::begin(SampleSink& sink) {
  sink_ = &sink;
  stats_ = {};
  line_no_ = 0;
  partial_.clear();  // keeps its capacity
}

void StreamParser::feed(std::string_view piece) {
  if (sink_ == nullptr || piece.empty()) return;
  LineParser parser(*sink_, stats_);
  if (!partial_.empty()) {
    // Complete the line the previous piece ended in, and parse it on its own.
    const void* nl = std::memchr(piece.data(), '\n', piece.size());
    if (nl == nullptr) {
      partial_.append(piece);
      return;
    }
    const auto head = static_cast<std::size_t>(static_cast<const char*>(nl) - piece.data()) + 1;
    partial_.append(piece.data(), head);
    parse_lines(parser, *sink_, stats_, line_no_, partial_.data(), partial_.data() + partial_.size());
    partial_.clear();
    piece.remove_prefix(head);
  }
  // Whole lines are parsed in place; only the unfinished last one is kept.
  const void* last_nl = ::memrchr(piece.data(), '\n', piece.size());
  const std::size_t whole =
      last_nl == nullptr ? 0 : static_cast<std::size_t>(static_cast<const char*>(last_nl) - piece.data()) + 1;
  parse_lines(parser, *sink_, stats_, line_no_, piece.data(), piece.data() + whole);
  partial_.assign(piece.substr(whole));
}

ParseStats StreamParser::finish() {
  if (sink_ == nullptr) return {};
  if (!partial_.empty()) {
    // The body's last line, without a final newline.
    LineParser parser(*sink_, stats_);
    parse_lines(parser, *sink_, stats_, line_no_, partial_.data(), partial_.data() + partial_.size());
    stats_.unterminated = true;
    partial_.clear();
  }
  stats_.lines = line_no_;
  sink_ = nullptr;
  return stats_;
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
