// SPDX-License-Identifier: GPL-3.0-or-later
// The Erlang VM memory alert's thresholds, per job (vernemq_erlang_memory_high in
// health.d/vernemq_alerts.conf.in compares against them). VerneMQ's own rule warns at 8 GiB and
// is critical at 16 GiB whatever the host; here they are a share of the host's memory when it is
// known, and VerneMQ's numbers when it is not. The plugin hands them to Netdata as chart
// variables of the job's vm_memory chart (VARIABLE CHART name = value), so each job's alert has
// its own.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace vmq {

// The chart the variables are set on, and their names (the health file uses them).
inline constexpr std::string_view kMemoryChartId = "vm_memory";
inline constexpr std::string_view kMemoryWarnVariable = "vernemq_memory_warn";
inline constexpr std::string_view kMemoryCritVariable = "vernemq_memory_crit";
// Shares of the host's memory: the VM past 60 % leaves the kernel, page cache and everything
// else on the host 40 %; past 80 % the OOM killer is near.
inline constexpr int kMemoryWarnPercent = 60;
inline constexpr int kMemoryCritPercent = 80;
// VerneMQ's rules (vernemq-alert-rules.yml, 2.2), for a host whose memory is unknown.
inline constexpr std::uint64_t kDefaultMemoryWarn = std::uint64_t{8} << 30;
inline constexpr std::uint64_t kDefaultMemoryCrit = std::uint64_t{16} << 30;

enum class MemorySource : std::uint8_t {
  job_key,   // the job's host_memory
  meminfo,   // the broker is on this host (a loopback URL): /proc/meminfo's MemTotal
  defaults,  // unknown: VerneMQ's 8 / 16 GiB
};

struct MemoryThresholds {
  std::uint64_t warn = kDefaultMemoryWarn;  // bytes
  std::uint64_t crit = kDefaultMemoryCrit;
  MemorySource source = MemorySource::defaults;
  std::uint64_t host_memory = 0;  // the memory the shares are of (0 with the defaults)
};

// MemTotal from /proc/meminfo's text, in bytes ("MemTotal:  16318480 kB"); nullopt when absent
// or malformed.
std::optional<std::uint64_t> meminfo_total(std::string_view meminfo);

// True when the URL's host is this machine: localhost, 127.0.0.0/8 or ::1 (as libcurl parses
// the URL, so a userinfo or an odd spelling cannot fool it).
bool url_is_loopback(const std::string& url);

// The thresholds for a job: `host_memory` (bytes, 0 = not set) wins; else, for a loopback URL,
// the MemTotal `read_meminfo` returns (the text of /proc/meminfo, nullopt when unreadable);
// else VerneMQ's defaults.
MemoryThresholds memory_thresholds(std::uint64_t host_memory, const std::string& url,
                                   const std::function<std::optional<std::string>()>& read_meminfo);

// The thresholds and where they come from, for the job's start line in the log.
std::string describe(const MemoryThresholds& m);

// /proc/meminfo's text, nullopt when it cannot be read.
std::optional<std::string> read_proc_meminfo();

}  // namespace vmq
