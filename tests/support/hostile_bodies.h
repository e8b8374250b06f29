// SPDX-License-Identifier: GPL-3.0-or-later
// Bodies and servers for the hostile-input tests: a VerneMQ /metrics body whose counters follow
// the request number, a gzip bomb built by hand (no zlib needed), and a TCP listener whose
// backlog is full, so that connecting to it times out without leaving the loopback interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vmq::testing {

// The counters of a body served for request number `n` (0, 1, 2, ...): success grows by 7 and
// not_authorized by 3 a request, so the per-minute value of `success` at the i-th successful
// scrape since start is exactly 7 * i.
inline constexpr std::uint64_t kSuccessBase = 1000;
inline constexpr std::uint64_t kSuccessStep = 7;
inline constexpr std::uint64_t kNotAuthorizedStep = 3;

// One mqtt_puback_sent MQTT 5 line; `node` and `reason` are written as given (already escaped
// for the text format), `value` verbatim.
std::string puback_line(std::string_view node, std::string_view reason, std::string_view value,
                        std::string_view prefix = "vernemq_");

// A VerneMQ 2.x body for request `n`: HELP/TYPE lines, mqtt_puback_sent for MQTT 4 and the nine
// MQTT 5 reasons, mqtt_puback_received, mqtt_publish_error and a gauge, then `extra` (raw
// lines). `success_value` replaces the success counter's text when not empty. Ends with '\n'.
std::string vernemq_body(std::uint64_t n, std::string_view node = "VerneMQ@127.0.0.1", std::string_view extra = "",
                         std::string_view success_value = "");

// The same without any mqtt_puback_* family (mqtt_publish_error is still there).
std::string vernemq_body_without_puback(std::string_view node = "VerneMQ@127.0.0.1");

// A gzip stream (RFC 1952, fixed-Huffman deflate) that decodes to 1 + 258 * repeats zero bytes:
// about 13 bits on the wire per 258 decoded bytes.
std::string gzip_zeros(std::size_t repeats);

// Deterministic pseudo-random bytes (all 256 values, newlines included).
std::string garbage_bytes(std::size_t n, std::uint32_t seed);

// A listener on 127.0.0.1 whose accept queue is full and is never accepted from: a further
// connect() gets no SYN-ACK, so a client's connect times out, as with a firewalled host.
class FullBacklogListener {
 public:
  FullBacklogListener();
  ~FullBacklogListener();
  FullBacklogListener(const FullBacklogListener&) = delete;
  FullBacklogListener& operator=(const FullBacklogListener&) = delete;
  [[nodiscard]] std::string url() const;

 private:
  int listen_fd_ = -1;
  std::vector<int> fillers_;
  std::uint16_t port_ = 0;
};

// A loopback port with nothing listening on it (bound, then closed): connecting is refused.
std::uint16_t closed_port();

// VmRSS and VmHWM of a process, in KiB (0 when unknown).
struct Memory {
  std::size_t rss_kib = 0;
  std::size_t hwm_kib = 0;
};
Memory memory_of(int pid);

// Occurrences of `needle` in `haystack`.
std::size_t count_of(std::string_view haystack, std::string_view needle);

}  // namespace vmq::testing
