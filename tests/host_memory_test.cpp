// SPDX-License-Identifier: GPL-3.0-or-later
// The Erlang VM memory alert's thresholds per job (host_memory.h): which memory they are a share
// of, and the numbers, each worked out by hand here.
#include "vmq/host_memory.h"

#include <gtest/gtest.h>

#include <string>

namespace vmq {
namespace {

// A real /proc/meminfo's first lines (Debian 12, 16 GB host).
const std::string kMeminfo =
    "MemTotal:       16318480 kB\n"
    "MemFree:         1042016 kB\n"
    "MemAvailable:   11230044 kB\n";
constexpr std::uint64_t kMemTotal = 16318480ull * 1024;  // 16 710 123 520 bytes

std::optional<std::string> meminfo() { return kMeminfo; }
std::optional<std::string> unreadable() { return std::nullopt; }
std::optional<std::string> must_not_read() {
  ADD_FAILURE() << "/proc/meminfo read for a remote broker or with host_memory set";
  return kMeminfo;
}

TEST(HostMemory, MemTotalIsReadInBytes) {
  EXPECT_EQ(meminfo_total(kMeminfo), kMemTotal);
  EXPECT_EQ(meminfo_total("MemFree: 1 kB\nMemTotal:\t2048 kB"), 2048u * 1024);  // no newline at the end
  EXPECT_EQ(meminfo_total("MemFree: 1 kB\n"), std::nullopt);
  EXPECT_EQ(meminfo_total("MemTotal: 2048 MB\n"), std::nullopt);  // not the kernel's unit
  EXPECT_EQ(meminfo_total("MemTotal: lots kB\n"), std::nullopt);
  EXPECT_EQ(meminfo_total("MemTotal: 0 kB\n"), std::nullopt);
  EXPECT_EQ(meminfo_total("MemTotal: 99999999999999999999 kB\n"), std::nullopt);
  EXPECT_EQ(meminfo_total(""), std::nullopt);
}

TEST(HostMemory, LoopbackIsThisHostAsLibcurlReadsTheUrl) {
  for (const char* url : {"http://127.0.0.1:8888/metrics", "http://localhost:8888/metrics", "https://127.0.0.2/metrics",
                          "http://[::1]:8888/metrics", "http://user:pw@127.0.0.1:8888/metrics"}) {
    EXPECT_TRUE(url_is_loopback(url)) << url;
  }
  for (const char* url :
       {"http://10.0.0.1:8888/metrics", "http://broker.example:8888/metrics", "http://127.0.0.1.example:8888/metrics",
        "http://127.0.0.1@10.0.0.1:8888/metrics", "http://[::2]:8888/metrics", "not a url"}) {
    EXPECT_FALSE(url_is_loopback(url)) << url;
  }
}

TEST(HostMemory, TheJobKeyWinsThenMemTotalForALocalBrokerThenVerneMQsDefaults) {
  // host_memory: 32 GiB = 34 359 738 368 bytes; 60 % = 20 615 843 020.8, 80 % = 27 487 790 694.4.
  const MemoryThresholds key = memory_thresholds(32ull << 30, "http://127.0.0.1:8888/metrics", must_not_read);
  EXPECT_EQ(key.source, MemorySource::job_key);
  EXPECT_EQ(key.host_memory, 32ull << 30);
  EXPECT_EQ(key.warn, 20'615'843'020u);
  EXPECT_EQ(key.crit, 27'487'790'694u);

  // A local broker: MemTotal 16 710 123 520 bytes; 60 % = 10 026 074 112, 80 % = 13 368 098 816.
  const MemoryThresholds local = memory_thresholds(0, "http://localhost:8888/metrics", meminfo);
  EXPECT_EQ(local.source, MemorySource::meminfo);
  EXPECT_EQ(local.host_memory, kMemTotal);
  EXPECT_EQ(local.warn, 10'026'074'112u);
  EXPECT_EQ(local.crit, 13'368'098'816u);

  // A remote broker, or /proc/meminfo unreadable: VerneMQ's 8 and 16 GiB.
  for (const MemoryThresholds& t : {memory_thresholds(0, "http://10.0.0.1:8888/metrics", must_not_read),
                                    memory_thresholds(0, "http://127.0.0.1:8888/metrics", unreadable)}) {
    EXPECT_EQ(t.source, MemorySource::defaults);
    EXPECT_EQ(t.host_memory, 0u);
    EXPECT_EQ(t.warn, 8'589'934'592u);
    EXPECT_EQ(t.crit, 17'179'869'184u);
  }

  // A host_memory of 1 PiB (the key's maximum) does not overflow: 60 % = 675 539 944 105 574.4.
  EXPECT_EQ(memory_thresholds(1ull << 50, "http://10.0.0.1/metrics", must_not_read).warn, 675'539'944'105'574u);
  // 101 bytes: 60.6 and 80.8, rounded down.
  EXPECT_EQ(memory_thresholds(101, "http://10.0.0.1/metrics", must_not_read).warn, 60u);
  EXPECT_EQ(memory_thresholds(101, "http://10.0.0.1/metrics", must_not_read).crit, 80u);
}

TEST(HostMemory, TheLogSaysWhereTheThresholdsComeFrom) {
  MemoryThresholds key{600ULL << 20, 800ULL << 20, MemorySource::job_key, 1000ULL << 20};
  EXPECT_EQ(describe(key), "Erlang memory alert thresholds 600 MiB / 800 MiB (60 % / 80 % of host_memory)");
  MemoryThresholds unknown;
  EXPECT_EQ(describe(unknown),
            "Erlang memory alert thresholds 8192 MiB / 16384 MiB (VerneMQ's defaults: the host's memory is unknown; "
            "set host_memory)");
}

}  // namespace
}  // namespace vmq
