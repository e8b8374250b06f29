// SPDX-License-Identifier: GPL-3.0-or-later
// One job's charts (design.md, decision 2): the chart definitions, their dimensions, and the
// rendering of one tick into protocol lines. The numbers come from the job's SeriesStore (the
// counting engine, decision 1); this file only decides which series make which dimension.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmq/counting.h"
#include "vmq/series_store.h"
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
inline constexpr ChartDef kPubackChart{
    "mqtt_puback", "MQTT 3.1.1 and 5 QoS 1 PUBACK", "packets/s", "mqtt publish", "vernemq.mqtt_puback", "line", 70101};
// The job's own health: always has a value, so a broker that stops answering is never silent.
inline constexpr ChartDef kScrapeStatusChart{
    "scrape_status", "Scrape of the VerneMQ Node", "status", "scrape", "vernemq.scrape_status", "line", 70000};
inline constexpr ChartDef kScrapeAgeChart{
    "scrape_age", "Time Since the Last Successful Scrape", "seconds", "scrape", "vernemq.scrape_age", "line", 70001};
inline constexpr std::string_view kDimReceived = "received";
inline constexpr std::string_view kDimSent = "sent";
inline constexpr std::string_view kDimUp = "up";
inline constexpr std::string_view kDimLastSuccess = "last_success";
inline constexpr std::string_view kDimOther = "other";
inline constexpr std::string_view kLabelCollectJob = "_collect_job";
// Rates are sent with three decimals: value * 1000, divisor 1000.
inline constexpr long kRateScale = 1000;
// A reason chart never grows past this many dimensions (a defence against hostile bodies; VerneMQ's
// largest reason family has 28 codes). Further reasons are summed into `other`, logged once.
inline constexpr std::size_t kMaxReasonDimensions = 64;

class JobCharts {
 public:
  JobCharts(std::string job_name, int update_every_s);

  // Renders the tick of a successful scrape into `out`. `tick` is the scheduler's tick number,
  // `mono_us` the monotonic time the scrape was requested (for BEGIN's microseconds) and
  // `end_mono_us` when its body was complete (default: the same instant).
  void on_success(const VerneMQScrape& scrape, std::int64_t tick, std::int64_t mono_us, std::string& out,
                  std::optional<std::int64_t> end_mono_us = std::nullopt);
  // Renders the tick of a failed scrape: count charts carry the events already known to lie in
  // the window, rate charts an empty value, the scrape charts say so.
  void on_failure(std::int64_t tick, std::int64_t mono_us, std::string& out);

  // The chart type, "vernemq_" + the sanitised job name.
  [[nodiscard]] const std::string& type() const { return type_; }
  // Dimension ids of the reason chart, in chart order.
  [[nodiscard]] const std::vector<std::string>& reasons() const { return reasons_; }
  // The per-minute value of each reason at `tick` (same order as reasons()).
  [[nodiscard]] std::vector<std::uint64_t> per_minute(std::int64_t tick) const;
  // Messages for the log since the last call (e.g. a new reason), then cleared.
  std::vector<std::string> take_messages();
  [[nodiscard]] const SeriesStore& store() const { return store_; }

 private:
  // The store's family numbers for what this file charts.
  enum Family : int { kFamReasonV5 = 1, kFamSentTotal = 2, kFamReceivedTotal = 3 };

  std::size_t dimension_for(std::string_view reason);
  void define(std::string& out, bool status, bool vernemq) const;
  void render(std::int64_t tick, std::int64_t mono_us, bool success, std::string& out);
  [[nodiscard]] std::optional<std::int64_t> rate_of(int family, std::int64_t tick) const;

  std::string job_;
  std::string type_;
  int update_every_;
  SeriesStore store_;
  std::vector<std::string> reasons_;  // sanitised reason ids; the nine known ones first
  std::vector<Share> shares_;         // scratch, one per reason
  std::string node_label_;
  std::string label_scratch_;  // the next tick's node label, built without allocating
  bool had_success_ = false;
  bool defined_ = false;         // the VerneMQ charts
  bool status_defined_ = false;  // the scrape charts
  bool other_logged_ = false;
  std::optional<std::int64_t> first_mono_;         // the job's first tick
  std::optional<std::int64_t> last_success_mono_;  // the last successful scrape's request time
  std::optional<std::int64_t> last_begin_us_;
  std::vector<std::string> messages_;
};

}  // namespace vmq
