// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzzes the configuration loader. A file may be refused (ConfigError) but nothing else may
// escape, and every job that is accepted is one the HTTP layer can be given: a name, an http(s)
// URL, sane bounds. Secrets never show up in problems or in a redacted URL.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "vmq/config.h"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  vmq::Config c;
  try {
    c = vmq::parse_config(text, "fuzz.conf");
  } catch (const vmq::ConfigError& e) {
    check(std::string(e.what()).find("fuzz.conf") != std::string::npos);
    return 0;
  }
  check(c.update_every >= 1 && c.update_every <= 86400);
  for (const vmq::JobConfig& j : c.jobs) {
    check(!j.name.empty());
    const std::size_t sep = j.url.find("://");
    check(sep != std::string::npos);
    std::string scheme = j.url.substr(0, sep);
    for (char& ch : scheme) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    check(scheme == "http" || scheme == "https");
    check(j.timeout_s > 0 && j.timeout_s <= 3600);
    check(j.update_every >= 0 && j.update_every <= 86400);
    check(j.max_body_size >= 1024);
    const std::string shown = vmq::redact_url(j.url);
    for (const std::string& s : j.secrets()) {
      check(!s.empty());
      // The URL's password must be gone from what is shown (a secret that is also a plain part
      // of the URL, e.g. the host, cannot be told apart and is allowed to stay).
      if (s == j.password && j.url.find(s) == std::string::npos) check(shown.find(s) == std::string::npos);
    }
  }
  return 0;
}
