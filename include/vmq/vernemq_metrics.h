// SPDX-License-Identifier: GPL-3.0-or-later
// Picks the catalogue's families out of a /metrics body: the name prefix is detected from the
// data, and every series of a family the catalogue knows is kept with its node, its labels and
// its value, for the job's charts. Other lines are skipped.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
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

// Bounds on what one body may make the plugin track; extras are dropped with a message.
inline constexpr std::size_t kMaxNodesPerJob = 16;
// Label sets per node and family (VerneMQ's largest family has 29).
inline constexpr std::size_t kMaxSeriesPerFamily = 128;
// At most this many problems are kept per scrape (the count is always exact).
inline constexpr std::size_t kMaxProblemsKept = 5;

// One series of a catalogue family in this body.
struct ScrapedSeries {
  double value = 0;             // always set
  std::uint64_t u64 = 0;        // exact when is_u64
  std::uint32_t labels_at = 0;  // its canonical label text: VerneMQScrape::labels()
  std::uint32_t labels_size = 0;
  std::int32_t prev_same = -1;  // the node's previous series of the same family (repeat checks)
  std::uint16_t family = 0;     // index into catalogue::families()
  std::uint8_t node = 0;        // index into VerneMQScrape::nodes
  bool is_u64 = false;
};

struct NodeMetrics {
  std::string node;                // unescaped `node` label ("" when the samples have none)
  std::uint64_t wallclock_ms = 0;  // system_wallclock
  bool has_wallclock = false;
  std::uint64_t connections = 0;  // total_active_connections
  bool has_connections = false;
  std::vector<std::int32_t> last_of_family;     // per family: its latest series here, -1 none
  std::vector<std::uint16_t> series_of_family;  // per family: how many series here
};

struct VerneMQScrape {
  bool is_vernemq = false;
  std::string prefix;              // e.g. "vernemq_" or ""
  std::vector<NodeMetrics> nodes;  // storage reused across scrapes; n_nodes are valid
  std::size_t n_nodes = 0;
  std::vector<ScrapedSeries> series;  // storage reused across scrapes; n_series are valid
  std::size_t n_series = 0;
  std::string label_text;  // every series' canonical labels, one after another

  // A series' canonical label text without `node` (pairs separated by catalogue::kLabelSeparator).
  [[nodiscard]] std::string_view labels(const ScrapedSeries& s) const {
    return std::string_view(label_text).substr(s.labels_at, s.labels_size);
  }
  std::size_t lines = 0;
  std::size_t samples = 0;            // samples of catalogue families
  std::size_t problems_total = 0;     // parse errors + rejected samples
  std::vector<std::string> problems;  // the first kMaxProblemsKept, e.g. "line 3, column 7: ..."
  std::string found_names;            // when not VerneMQ: a few metric names that were found
  std::string rejected;               // non-empty: a counter had an invalid value, so the
                                      // scrape cannot be used (says which line and why)
  bool unterminated = false;          // the body's last line had no final newline
};

// The sum of the integer values of node `node`'s series of `family` whose labels hold `match`
// ("name=value" or ""), or nullopt when it has none.
[[nodiscard]] std::optional<std::uint64_t> sum_of(const VerneMQScrape& scrape, std::size_t node,
                                                  std::string_view family, std::string_view match = {});

// Fills `out` (reusing its storage) from `body`. Never throws on bad input.
void extract_vernemq(std::string_view body, VerneMQScrape& out);

// The same extraction from a body that arrives in pieces (as HttpClient hands them over), so a
// job never keeps its body: `out` ends as extract_vernemq() on the whole body would leave it
// when the body has the prefix expected at begin() (else the lines before its first identifying
// one are lost: a stream cannot read its body again). With a thousand jobs in one process that
// is the difference between holding a thousand 40 KB bodies and holding none. Storage is reused
// from one body to the next.
class VerneMQStream {
 public:
  explicit VerneMQStream(VerneMQScrape& out);
  ~VerneMQStream();
  VerneMQStream(const VerneMQStream&) = delete;
  VerneMQStream& operator=(const VerneMQStream&) = delete;

  // A new body: `out` is cleared. `expected_prefix`: the prefix of the job's previous VerneMQ
  // body (out.prefix when out.is_vernemq), if any.
  void begin(std::optional<std::string_view> expected_prefix);
  void feed(std::string_view piece);  // its next bytes, split anywhere
  void finish();                      // its end: `out` is complete
  // Heap bytes it and its `out` keep between bodies (storage reused, not freed).
  [[nodiscard]] std::size_t retained_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "not VerneMQ metrics: no metric named *mqtt_puback_sent or *mqtt_publish_error; found: a, b, c"
std::string not_vernemq_message(const VerneMQScrape& scrape);

}  // namespace vmq
