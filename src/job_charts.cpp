// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/job_charts.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "vmq/netdata_writer.h"

namespace vmq {

JobCharts::JobCharts(std::string job_name, int update_every_s)
    : job_(std::move(job_name)),
      type_("vernemq_" + sanitize_id(job_)),
      update_every_(update_every_s),
      store_(update_every_s) {
  // All nine known reasons are declared from the start, in the documented order, so the
  // chart's dimensions are stable whatever the broker has sent so far.
  for (std::string_view r : kKnownReasons) reasons_.emplace_back(r);
}

std::size_t JobCharts::dimension_for(std::string_view reason) {
  const std::string id = sanitize_id(reason);
  for (std::size_t i = 0; i < reasons_.size(); ++i) {
    if (reasons_[i] == id) return i;
  }
  // The last place is kept for `other`: once the cap is reached every further reason is
  // counted there (never dropped), so `other` is always the last dimension.
  if (reasons_.size() >= kMaxReasonDimensions - 1) {
    if (!other_logged_) {
      messages_.push_back("more than " + std::to_string(kMaxReasonDimensions - 1) + " reason codes; reason_code '" +
                          sanitize_text(reason) + "' and any further new ones are counted in '" +
                          std::string(kDimOther) + "'");
      other_logged_ = true;
      reasons_.emplace_back(kDimOther);
      defined_ = false;
    }
    return reasons_.size() - 1;
  }
  reasons_.push_back(id);
  messages_.push_back("new reason code '" + id + "': added to chart " + std::string(kReasonChart.id));
  defined_ = false;  // re-send CHART and every DIMENSION
  return reasons_.size() - 1;
}

void JobCharts::on_success(const VerneMQScrape& scrape, std::int64_t tick, std::int64_t mono_us, std::string& out,
                           std::optional<std::int64_t> end_mono_us) {
  if (!first_mono_) first_mono_ = mono_us;
  store_.begin(tick, mono_us, end_mono_us.value_or(mono_us));
  // Built in a member that keeps its capacity: a tick allocates nothing in steady state.
  std::string& label = label_scratch_;
  label.clear();
  for (std::size_t n = 0; n < scrape.n_nodes; ++n) {
    const NodeMetrics& node = scrape.nodes[n];
    if (!label.empty()) label += " ";  // a comma would become '_' in Netdata's labels
    label += node.node;
    if (node.has_wallclock) store_.wallclock(node.node, node.wallclock_ms);
    for (std::size_t r = 0; r < node.n_reasons; ++r) {
      const ReasonCount& rc = node.puback_sent_v5[r];
      store_.sample(node.node, kFamReasonV5, rc.reason, rc.value);
    }
    if (node.has_sent_total) store_.sample(node.node, kFamSentTotal, {}, node.puback_sent_total);
    if (node.has_received_total) store_.sample(node.node, kFamReceivedTotal, {}, node.puback_received_total);
  }
  // New reason series get their dimension (tags are dimension + 1; 0 = not yet assigned).
  for (SeriesStore::Series& s : store_.series()) {
    if (s.family == kFamReasonV5 && s.tag == 0) s.tag = static_cast<std::uint32_t>(dimension_for(s.labels)) + 1;
  }
  store_.commit();
  had_success_ = true;
  last_success_mono_ = mono_us;
  if (label != node_label_) {
    node_label_.swap(label);  // the old label's storage is reused next tick
    defined_ = false;         // labels are sent with the chart definitions
    status_defined_ = false;
  }
  render(tick, mono_us, true, out);
}

void JobCharts::on_failure(std::int64_t tick, std::int64_t mono_us, std::string& out) {
  if (!first_mono_) first_mono_ = mono_us;
  store_.discard();
  render(tick, mono_us, false, out);
}

std::vector<std::uint64_t> JobCharts::per_minute(std::int64_t tick) const {
  std::vector<Share> shares(reasons_.size());
  const auto& series = store_.series();
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (series[i].family == kFamReasonV5 && series[i].tag > 0) store_.count(i, tick, shares[series[i].tag - 1]);
  }
  std::vector<std::uint64_t> v;
  for (const Share& s : shares) v.push_back(static_cast<std::uint64_t>(s.rounded()));
  return v;
}

std::vector<std::string> JobCharts::take_messages() {
  std::vector<std::string> m;
  m.swap(messages_);
  return m;
}

std::optional<std::int64_t> JobCharts::rate_of(int family, std::int64_t tick) const {
  // The sum over nodes; unknown when any node's series has no rate at this tick (absent, a
  // baseline, or the scrape failed), because a partial sum would be a false dip.
  double sum = 0;
  bool any = false;
  const auto& series = store_.series();
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (series[i].family != family) continue;
    const std::optional<double> r = store_.rate(i, tick);
    if (!r) return std::nullopt;
    sum += *r;
    any = true;
  }
  if (!any) return std::nullopt;
  const double scaled = std::floor(sum * kRateScale + 0.5);
  return scaled >= 9.2e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(scaled);
}

void JobCharts::define(std::string& out, bool status, bool vernemq) const {
  ProtocolWriter w(out);
  const auto chart_line = [&](const ChartDef& d) {
    return ChartLine{type_, d.id, d.title, d.units, d.family, d.context, d.chart_type, d.priority, update_every_};
  };
  const auto labels = [&] {
    if (!node_label_.empty()) w.clabel(kLabelNode, node_label_);
    w.clabel(kLabelCollectJob, job_);
    w.clabel_commit();
  };
  if (status) {
    w.chart(chart_line(kScrapeStatusChart));
    w.dimension(DimensionLine{kDimUp, "absolute", 1, 1});
    labels();
    w.chart(chart_line(kScrapeAgeChart));
    w.dimension(DimensionLine{kDimLastSuccess, "absolute", 1, 1});
    labels();
  }
  if (!vernemq) return;
  w.chart(chart_line(kReasonChart));
  for (const std::string& r : reasons_) w.dimension(DimensionLine{r, "absolute", 1, 1});
  labels();
  w.chart(chart_line(kPubackChart));
  w.dimension(DimensionLine{kDimReceived, "absolute", 1, kRateScale});
  w.dimension(DimensionLine{kDimSent, "absolute", -1, kRateScale});
  labels();
}

void JobCharts::render(std::int64_t tick, std::int64_t mono_us, bool success, std::string& out) {
  // The scrape charts exist from the first tick; the VerneMQ charts from the first good body.
  const bool vernemq = had_success_ && !defined_;
  if (!status_defined_ || vernemq) define(out, !status_defined_, vernemq);
  status_defined_ = true;
  defined_ = defined_ || vernemq;
  std::optional<std::uint64_t> usec;
  if (last_begin_us_ && mono_us > *last_begin_us_) usec = static_cast<std::uint64_t>(mono_us - *last_begin_us_);
  last_begin_us_ = mono_us;

  ProtocolWriter w(out);
  w.begin(type_, kScrapeStatusChart.id, usec);
  w.set(kDimUp, success ? 1 : 0);
  w.end();
  // Before any success: the time since the job's first tick.
  const std::int64_t since = mono_us - last_success_mono_.value_or(*first_mono_);
  w.begin(type_, kScrapeAgeChart.id, usec);
  w.set(kDimLastSuccess, (std::max<std::int64_t>(since, 0) + 500'000) / 1'000'000);
  w.end();
  if (!had_success_) return;

  // Counts always have a value: through a gap, the events already known to lie in the window.
  shares_.assign(reasons_.size(), Share{});  // no allocation once sized
  const auto& series = store_.series();
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (series[i].family == kFamReasonV5 && series[i].tag > 0) store_.count(i, tick, shares_[series[i].tag - 1]);
  }
  w.begin(type_, kReasonChart.id, usec);
  for (std::size_t i = 0; i < reasons_.size(); ++i) w.set(reasons_[i], shares_[i].rounded());
  w.end();

  w.begin(type_, kPubackChart.id, usec);
  w.set(kDimReceived, success ? rate_of(kFamReceivedTotal, tick) : std::nullopt);
  w.set(kDimSent, success ? rate_of(kFamSentTotal, tick) : std::nullopt);
  w.end();
}

}  // namespace vmq
