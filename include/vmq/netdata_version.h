// SPDX-License-Identifier: GPL-3.0-or-later
// The version of the Netdata that runs the plugin, from NETDATA_VERSION (netdata-v2.md §1.8):
// both 1.37 ("v1.37.1") and v2 ("v2.10.4", "v2.11.0-84-nightly") set it. Missing or unparsable
// means 1.37, the oldest Netdata supported: features newer than 1.37 are used only when the
// variable says they are there.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vmq {

struct NetdataVersion {
  int major = 1;
  int minor = 37;
  int patch = 0;
  bool from_env = false;  // false: NETDATA_VERSION was missing or unparsable, 1.37 assumed

  // `^v?(\d+)\.(\d+)\.(\d+)`, anything after it ignored; nullptr or garbage -> 1.37.0.
  static NetdataVersion parse(const char* value);
  static NetdataVersion v1_37() { return {1, 37, 1, true}; }

  [[nodiscard]] bool at_least(int maj, int min, int pat = 0) const {
    if (major != maj) return major > maj;
    if (minor != min) return minor > min;
    return patch >= pat;
  }
  // Functions with v2's FUNCTION arguments and a local API to call them: v2.0 (netdata-v2.md
  // §1.8, §2.4: 1.37 parses FUNCTION but Debian's build cannot call it).
  [[nodiscard]] bool functions() const { return at_least(2, 0); }
  // Words a line may hold before Netdata drops the rest (§1.3).
  [[nodiscard]] std::size_t max_words() const { return at_least(2, 0) ? 30 : 20; }
  [[nodiscard]] std::string text() const;  // "v2.10.4"
};

}  // namespace vmq
