// SPDX-License-Identifier: GPL-3.0-or-later
// Text helpers for configuration messages (config_text.h).
#include "vmq/config_text.h"

#include <algorithm>
#include <vector>

namespace vmq::cfg {
namespace {

constexpr std::size_t kMaxShownValue = 80;
// More edits than this is not a typo, so no guess is offered.
constexpr std::size_t kMaxTypoDistance = 2;

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0u : 1u)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

std::string shown(std::string_view v) {
  std::string out = "'";
  std::size_t n = 0;
  for (char c : v) {
    if (n++ == kMaxShownValue) {
      out += "...";
      break;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (is_control(c)) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
      out += kHex[static_cast<unsigned char>(c) & 0xf];
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

std::string join(std::span<const std::string_view> items) {
  std::string out;
  for (std::string_view item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string unknown_key_text(std::string_view key, std::span<const std::string_view> known) {
  std::string out = "unknown key " + shown(key);
  std::string lowered(key);
  for (char& c : lowered) c = ascii_lower(c);
  std::string_view best;
  std::size_t best_distance = kMaxTypoDistance + 1;
  for (std::string_view k : known) {
    const std::size_t d = edit_distance(lowered, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  if (!best.empty()) out += " (did you mean '" + std::string(best) + "'?)";
  out += "; known keys: " + join(known);
  return out;
}

}  // namespace vmq::cfg
