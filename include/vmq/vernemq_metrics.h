// SPDX-License-Identifier: GPL-3.0-or-later
// Picks the VerneMQ families the plugin charts out of a /metrics body: the name prefix is
// detected from the data, the MQTT 5 `mqtt_puback_sent` counters are collected per node and
// reason code, and the PUBACK totals per node for the rate chart.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vmq {

// Metric names without the namespace prefix (VerneMQ 1.x has none, 2.x "vernemq_" by default).
inline constexpr std::string_view kPubackSent = "mqtt_puback_sent";
inline constexpr std::string_view kPubackReceived = "mqtt_puback_received";
// Present in every VerneMQ version; lets a body without PUBACK families still be recognised.
inline constexpr std::string_view kPublishError = "mqtt_publish_error";
// Milliseconds since the node started (1.x and 2.x): how a restart is told from a gap.
inline constexpr std::string_view kSystemWallclock = "system_wallclock";
// Open connections of every kind (a gauge, VerneMQ 1.13 and later).
inline constexpr std::string_view kTotalActiveConnections = "total_active_connections";

inline constexpr std::string_view kLabelNode = "node";
inline constexpr std::string_view kLabelMqttVersion = "mqtt_version";
inline constexpr std::string_view kLabelReasonCode = "reason_code";

inline constexpr std::string_view kReasonSuccess = "success";
// MQTT 5 reason codes below 0x80 are successes: the PUBACK was not a refusal.
inline constexpr std::array<std::string_view, 2> kSuccessfulReasons = {"success", "no_matching_subscribers"};
[[nodiscard]] inline bool is_successful_reason(std::string_view r) {
  return r == kSuccessfulReasons[0] || r == kSuccessfulReasons[1];
}
// The nine MQTT 5 PUBACK reasons VerneMQ exports, in the chart's order.
inline constexpr std::array<std::string_view, 9> kKnownReasons = {"success",
                                                                  "no_matching_subscribers",
                                                                  "unspecified_error",
                                                                  "impl_specific_error",
                                                                  "not_authorized",
                                                                  "topic_name_invalid",
                                                                  "packet_id_in_use",
                                                                  "quota_exceeded",
                                                                  "payload_format_invalid"};

// Bounds on what one body may make the plugin track; extras are dropped with a message.
inline constexpr std::size_t kMaxNodesPerJob = 16;
inline constexpr std::size_t kMaxReasonsPerNode = 128;
// At most this many problems are kept per scrape (the count is always exact).
inline constexpr std::size_t kMaxProblemsKept = 5;

struct ReasonCount {
  std::string reason;  // unescaped label value
  std::uint64_t value = 0;
};

struct NodeMetrics {
  std::string node;                         // unescaped `node` label ("" when the samples have none)
  std::vector<ReasonCount> puback_sent_v5;  // by reason, in order of appearance
  std::size_t n_reasons = 0;                // used entries of puback_sent_v5 (storage is reused)
  std::uint64_t puback_sent_total = 0;      // every mqtt_puback_sent series (MQTT 3.1.1 and 5)
  std::uint64_t puback_received_total = 0;  // every mqtt_puback_received series
  bool has_sent_total = false;
  bool has_received_total = false;
  std::uint64_t wallclock_ms = 0;  // system_wallclock
  bool has_wallclock = false;
  std::uint64_t connections = 0;  // total_active_connections
  bool has_connections = false;

  void sent_total_add(std::uint64_t v);      // saturating
  void received_total_add(std::uint64_t v);  // saturating
};

struct VerneMQScrape {
  bool is_vernemq = false;
  std::string prefix;              // e.g. "vernemq_" or ""
  std::vector<NodeMetrics> nodes;  // storage reused across scrapes; n_nodes are valid
  std::size_t n_nodes = 0;
  std::size_t lines = 0;
  std::size_t samples = 0;            // samples of charted families
  std::size_t problems_total = 0;     // parse errors + rejected samples
  std::vector<std::string> problems;  // the first kMaxProblemsKept, e.g. "line 3, column 7: ..."
  std::string found_names;            // when not VerneMQ: a few metric names that were found
  std::string rejected;               // non-empty: a charted counter had an invalid value, so the
                                      // scrape cannot be used (says which line and why)
  bool unterminated = false;          // the body's last line had no final newline
};

// Fills `out` (reusing its storage) from `body`. Never throws on bad input.
void extract_vernemq(std::string_view body, VerneMQScrape& out);

// The same extraction from a body that arrives in pieces (as HttpClient hands them over), so a
// job never keeps its body: `out` ends exactly as extract_vernemq() on the whole body would
// leave it. With a thousand jobs in one process that is the difference between holding a
// thousand 40 KB bodies and holding none. Storage is reused from one body to the next.
class VerneMQStream {
 public:
  explicit VerneMQStream(VerneMQScrape& out);
  ~VerneMQStream();
  VerneMQStream(const VerneMQStream&) = delete;
  VerneMQStream& operator=(const VerneMQStream&) = delete;

  void begin();                       // a new body: `out` is cleared
  void feed(std::string_view piece);  // its next bytes, split anywhere
  void finish();                      // its end: `out` is complete

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "not VerneMQ metrics: no metric named *mqtt_puback_sent or *mqtt_publish_error; found: a, b, c"
std::string not_vernemq_message(const VerneMQScrape& scrape);

}  // namespace vmq
