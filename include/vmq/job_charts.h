// SPDX-License-Identifier: GPL-3.0-or-later
// One job's charts (design.md, decision 2): the chart definitions as data, the per-series
// minute windows, and the rendering of one tick into protocol lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmq/minute_window.h"
#include "vmq/vernemq_metrics.h"

namespace vmq {

struct ChartDef {
  std::string_view id;
  std::string_view title;
  std::string_view units;
  std::string_view family;
  std::string_view context;
  std::string_view chart_type;
  long priority;
};

// The alert's chart. Its context is the one Netdata's stock VerneMQ alert targets.
inline constexpr ChartDef kReasonChart{"mqtt_puback_sent_reason",
                                       "MQTT 5 PUBACK QoS 1 Sent by Reason in the Last Minute",
                                       "packets",
                                       "mqtt publish",
                                       "vernemq.mqtt_puback_sent_reason",
                                       "stacked",
                                       70100};
inline constexpr ChartDef kPubackChart{"mqtt_puback",       "MQTT 3.1.1 and 5 QoS 1 PUBACK", "packets/s",
                                       "mqtt publish",      "vernemq.mqtt_puback",           "line",
                                       70101};
inline constexpr std::string_view kDimReceived = "received";
inline constexpr std::string_view kDimSent = "sent";
inline constexpr std::string_view kLabelCollectJob = "_collect_job";
// A chart never grows past this many reason dimensions; extra reasons are dropped with a message.
inline constexpr std::size_t kMaxReasonDimensions = 32;

class JobCharts {
 public:
  JobCharts(std::string job_name, int update_every_s);

  // Renders the tick of a successful scrape into `out`. `tick` is the scheduler's monotonic
  // tick number, `mono_us` the monotonic time of the scrape (for BEGIN's microseconds).
  void on_success(const VerneMQScrape& scrape, std::int64_t tick, std::int64_t mono_us, std::string& out);
  // Renders the tick of a failed scrape: every dimension gets an empty value. Before the first
  // successful scrape nothing is rendered (the charts are defined by the first success).
  void on_failure(std::int64_t tick, std::int64_t mono_us, std::string& out);

  // The chart type, "vernemq_" + the sanitised job name.
  [[nodiscard]] const std::string& type() const { return type_; }
  // Dimension ids of the reason chart, in chart order.
  [[nodiscard]] const std::vector<std::string>& reasons() const { return reasons_; }
  // The per-minute value of each reason at `tick` (same order as reasons()).
  [[nodiscard]] std::vector<std::uint64_t> per_minute(std::int64_t tick) const;
  // Messages for the log since the last call (e.g. a dropped reason), then cleared.
  std::vector<std::string> take_messages();

 private:
  struct Series {
    std::string node;
    std::string reason;  // raw label value
    std::size_t dim;     // index into reasons_
    CounterWindow window;
    bool seen = false;
  };
  std::size_t dimension_for(std::string_view reason);
  Series* find_series(std::string_view node, std::string_view reason, std::size_t& hint);
  void define(std::string& out) const;
  void sum_by_reason(std::int64_t tick, std::vector<std::uint64_t>& sums) const;
  void render(std::optional<std::int64_t> tick, std::int64_t mono_us, const VerneMQScrape* scrape, std::string& out);

  std::string job_;
  std::string type_;
  int update_every_;
  std::size_t slots_;
  std::vector<std::string> reasons_;  // sanitised reason ids; the nine known ones first
  std::vector<Series> series_;
  std::vector<std::uint64_t> sums_;   // scratch, one per reason
  std::string node_label_;
  std::string label_scratch_;  // the next tick's node label, built without allocating
  bool had_success_ = false;
  bool defined_ = false;
  bool dropped_reason_logged_ = false;
  std::optional<std::int64_t> last_begin_us_;
  std::vector<std::string> messages_;
};

}  // namespace vmq
