// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/netdata_version.h"

#include <charconv>

namespace vmq {

namespace {

// Reads digits at `s` into `out`; false when there are none or they overflow.
bool read_number(std::string_view& s, int& out) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return false;  // from_chars takes a '-'
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || p == s.data()) return false;
  s.remove_prefix(static_cast<std::size_t>(p - s.data()));
  return true;
}

bool read_dot(std::string_view& s) {
  if (s.empty() || s.front() != '.') return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

NetdataVersion NetdataVersion::parse(const char* value) {
  if (value == nullptr) return {};
  std::string_view s(value);
  if (!s.empty() && (s.front() == 'v' || s.front() == 'V')) s.remove_prefix(1);
  NetdataVersion v;
  if (!read_number(s, v.major) || !read_dot(s) || !read_number(s, v.minor) || !read_dot(s) ||
      !read_number(s, v.patch)) {
    return {};
  }
  v.from_env = true;
  return v;
}

std::string NetdataVersion::text() const {
  return "v" + std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace vmq
