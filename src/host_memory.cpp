// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/host_memory.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <limits>

namespace vmq {

std::optional<std::uint64_t> meminfo_total(std::string_view meminfo) {
  static constexpr std::string_view kKey = "MemTotal:";
  std::size_t at = 0;
  while (at < meminfo.size()) {
    const std::size_t eol = std::min(meminfo.find('\n', at), meminfo.size());
    std::string_view line = meminfo.substr(at, eol - at);
    at = eol + 1;
    if (!line.starts_with(kKey)) continue;
    line.remove_prefix(kKey.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    std::uint64_t kib = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), kib);
    // The kernel always writes kB (KiB); anything else is not the file we know.
    if (ec != std::errc{} || kib == 0 || std::string_view(end, line.data() + line.size() - end) != " kB") {
      return std::nullopt;
    }
    if (kib > std::numeric_limits<std::uint64_t>::max() / 1024) return std::nullopt;
    return kib * 1024;
  }
  return std::nullopt;
}

bool url_is_loopback(const std::string& url) {
  CURLU* u = curl_url();
  if (u == nullptr) return false;
  char* host = nullptr;
  bool loopback = false;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != nullptr) {
    const std::string_view h = host;
    // libcurl normalises an IPv4 address to its dotted quad (127.1 -> 127.0.0.1) and keeps IPv6
    // in brackets; a name that merely starts with "127." is not an address.
    const bool quad = std::count(h.begin(), h.end(), '.') == 3 &&
                      std::all_of(h.begin(), h.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
    loopback = h == "localhost" || (quad && h.starts_with("127.")) || h == "[::1]";
  }
  curl_free(host);
  curl_url_cleanup(u);
  return loopback;
}

MemoryThresholds memory_thresholds(std::uint64_t host_memory, const std::string& url,
                                   const std::function<std::optional<std::string>()>& read_meminfo) {
  MemoryThresholds t;
  if (host_memory == 0 && url_is_loopback(url)) {
    if (const auto text = read_meminfo()) {
      if (const auto total = meminfo_total(*text)) {
        host_memory = *total;
        t.source = MemorySource::meminfo;
      }
    }
  } else if (host_memory != 0) {
    t.source = MemorySource::job_key;
  }
  if (host_memory == 0) return t;
  t.host_memory = host_memory;
  // Rounded down to whole bytes, in two parts so that no product overflows.
  t.warn = host_memory / 100 * kMemoryWarnPercent + host_memory % 100 * kMemoryWarnPercent / 100;
  t.crit = host_memory / 100 * kMemoryCritPercent + host_memory % 100 * kMemoryCritPercent / 100;
  return t;
}

std::optional<std::string> read_proc_meminfo() {
  std::ifstream in("/proc/meminfo");
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return text;
}

std::string describe(const MemoryThresholds& m) {
  const auto mib = [](std::uint64_t b) { return std::to_string(b >> 20) + " MiB"; };
  std::string d = "Erlang memory alert thresholds " + mib(m.warn) + " / " + mib(m.crit) + " (";
  if (m.source == MemorySource::defaults)
    return d + "VerneMQ's defaults: the host's memory is unknown; set host_memory)";
  return d + std::to_string(kMemoryWarnPercent) + " % / " + std::to_string(kMemoryCritPercent) + " % " +
         (m.source == MemorySource::job_key ? "of host_memory)" : "of this host's MemTotal (the broker is local))");
}

}  // namespace vmq
