// SPDX-License-Identifier: GPL-3.0-or-later
// One job's charts (design.md, decision 2): the catalogue's rows made into chart definitions,
// their dimensions, and the rendering of one tick into protocol lines. The numbers come from the
// job's SeriesStore (the counting engine, decision 1); this file only routes each series to the
// dimensions it makes (once, when the series is first seen) and sums them each tick.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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

// The job's own health: always has a value, so a broker that stops answering is never silent.
inline constexpr ChartDef kScrapeStatusChart{
    "scrape_status", "Scrape of the VerneMQ Node", "status", "scrape", "vernemq.scrape_status", "line", 70000};
inline constexpr ChartDef kScrapeAgeChart{
    "scrape_age", "Time Since the Last Successful Scrape", "seconds", "scrape", "vernemq.scrape_age", "line", 70001};
inline constexpr std::string_view kDimUp = "up";
inline constexpr std::string_view kDimLastSuccess = "last_success";
inline constexpr std::string_view kDimOther = "other";
inline constexpr std::string_view kLabelCollectJob = "_collect_job";
// Rates are sent with three decimals: value * 1000, divisor 1000.
inline constexpr long kRateScale = 1000;
// A chart split by a label never grows past this many dimensions (a defence against hostile
// bodies; VerneMQ's largest reason family has 28 codes). Further values are summed into `other`,
// logged once.
inline constexpr std::size_t kMaxReasonDimensions = 64;
// A series feeds at most this many dimensions (catalogue_test holds every family to it).
inline constexpr std::size_t kMaxFeeds = 4;

// The founding chart (the alert's).
inline constexpr std::string_view kReasonChartId = "mqtt_puback_sent_reason";

class JobCharts {
 public:
  JobCharts(std::string job_name, int update_every_s);

  // Renders the tick of a successful scrape into `out`. `tick` is the scheduler's tick number,
  // `mono_us` the monotonic time the scrape was requested (for BEGIN's microseconds) and
  // `end_mono_us` when its body was complete (default: the same instant).
  void on_success(const VerneMQScrape& scrape, std::int64_t tick, std::int64_t mono_us, std::string& out,
                  std::optional<std::int64_t> end_mono_us = std::nullopt);
  // Renders the tick of a failed scrape: count charts carry the events already known to lie in
  // the window, rate and gauge charts an empty value, the scrape charts say so.
  void on_failure(std::int64_t tick, std::int64_t mono_us, std::string& out);

  // The chart type, "vernemq_" + the sanitised job name (cut, with a hash, past kMaxTypeLength).
  [[nodiscard]] const std::string& type() const { return type_; }
  [[nodiscard]] static std::string type_for(std::string_view job);
  // The writer's limit on an id (netdata_writer.cpp); "type.id" then stays under 1.37's 200.
  static constexpr std::size_t kMaxTypeLength = 100;
  // The dimension ids of a catalogue chart, in chart order (empty for an unknown id).
  [[nodiscard]] std::vector<std::string> dimensions(std::string_view chart_id) const;
  // The per-minute value of each dimension of a count chart at `tick` (same order).
  [[nodiscard]] std::vector<std::uint64_t> per_minute(std::string_view chart_id, std::int64_t tick) const;
  // The founding chart's dimensions and values.
  [[nodiscard]] std::vector<std::string> reasons() const { return dimensions(kReasonChartId); }
  [[nodiscard]] std::vector<std::uint64_t> per_minute(std::int64_t tick) const {
    return per_minute(kReasonChartId, tick);
  }
  // A variable of a catalogue chart (VARIABLE CHART name = value), sent with the chart's
  // definition, so at no cost per tick; its alerts read it as $name (host_memory.h).
  void set_chart_variable(std::string_view chart_id, std::string_view name, std::int64_t value);
  // True once a catalogue chart has been defined (some series of the job feeds it).
  [[nodiscard]] bool has_chart(std::string_view chart_id) const;
  // Messages for the log since the last call (e.g. a new reason), then cleared.
  std::vector<std::string> take_messages();
  [[nodiscard]] const SeriesStore& store() const { return store_; }

 private:
  // What one series adds to one dimension (or, on a quantile chart, to one bucket). A series
  // feeds at most kMaxFeeds of them, packed into its SeriesStore tag.
  struct Feed {
    std::uint16_t chart;
    std::uint16_t dim;
    std::int8_t sign;
    bool denominator;  // a ratio chart's "per 100 of these"
  };
  // Per job and chart, only what differs between jobs: the chart definitions and the scratch
  // of a tick are shared by every job of the process (job_charts.cpp).
  struct Seen {
    std::vector<std::string> extra;  // split values beyond the ones VerneMQ declares (sanitised)
    std::vector<double> les;         // quantile charts: the bucket bounds seen, by bucket index
  };
  struct ChartState {
    bool present = false;        // some series feeds it: the chart exists
    bool defined = false;        // its CHART and DIMENSION lines were sent as they are now
    bool other = false;          // a split chart reached its cap
    std::unique_ptr<Seen> seen;  // only on charts that have some (most have none)
  };
  static const std::vector<std::string> kNoExtra;
  static const std::vector<double> kNoLes;
  [[nodiscard]] const std::vector<std::string>& extra(std::size_t chart) const;
  [[nodiscard]] const std::vector<double>& les(std::size_t chart) const;
  Seen& seen(std::size_t chart);

  std::uint64_t route(int family, std::string_view labels);
  std::uint16_t split_dimension(std::size_t chart, std::string_view value);
  std::optional<std::uint16_t> bucket_index(std::size_t chart, std::string_view labels);
  [[nodiscard]] std::size_t dim_count(std::size_t chart) const;
  [[nodiscard]] std::string_view dim_id(std::size_t chart, std::size_t dim) const;
  void define(std::string& out, bool status);
  void render(std::int64_t tick, std::int64_t mono_us, bool success, std::string& out);
  void sum_into(std::int64_t tick) const;

  std::string job_;
  std::string type_;
  int update_every_;
  SeriesStore store_;
  std::int64_t ratio_span_us_;      // catalogue::kRatioWindowSeconds in whole intervals
  std::vector<ChartState> charts_;  // one per catalogue chart
  std::string node_label_;
  std::string label_scratch_;  // the next tick's node label, built without allocating
  bool had_success_ = false;
  bool status_defined_ = false;                    // the scrape charts
  std::optional<std::int64_t> first_mono_;         // the job's first tick
  std::optional<std::int64_t> last_success_mono_;  // the last successful scrape's request time
  std::optional<std::int64_t> last_begin_us_;
  std::vector<std::string> messages_;
  struct ChartVariable {
    std::size_t chart;
    std::string name;
    std::int64_t value;
  };
  std::vector<ChartVariable> variables_;
};

}  // namespace vmq
