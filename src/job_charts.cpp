// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/job_charts.h"

#include <limits>

#include "vmq/netdata_writer.h"

namespace vmq {

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

std::int64_t clamp_to_int64(std::uint64_t v) {
  return v > static_cast<std::uint64_t>(kInt64Max) ? kInt64Max : static_cast<std::int64_t>(v);
}

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b ? std::numeric_limits<std::uint64_t>::max() : a + b;
}

}  // namespace

JobCharts::JobCharts(std::string job_name, int update_every_s)
    : job_(std::move(job_name)),
      type_("vernemq_" + sanitize_id(job_)),
      update_every_(update_every_s),
      slots_(window_slots(update_every_s)) {
  // All nine known reasons are declared from the start, in the documented order, so the
  // chart's dimensions are stable whatever the broker has sent so far.
  for (std::string_view r : kKnownReasons) reasons_.emplace_back(r);
}

std::size_t JobCharts::dimension_for(std::string_view reason) {
  const std::string id = sanitize_id(reason);
  for (std::size_t i = 0; i < reasons_.size(); ++i) {
    if (reasons_[i] == id) return i;
  }
  if (reasons_.size() == kMaxReasonDimensions) {
    if (!dropped_reason_logged_) {
      messages_.push_back("more than " + std::to_string(kMaxReasonDimensions) +
                          " reason codes; reason_code '" + sanitize_text(reason) +
                          "' and any further new ones are not charted");
      dropped_reason_logged_ = true;
    }
    return reasons_.size();  // "no dimension"
  }
  reasons_.push_back(id);
  messages_.push_back("new reason code '" + id + "': added to chart " + std::string(kReasonChart.id));
  defined_ = false;  // re-send CHART and every DIMENSION
  return reasons_.size() - 1;
}

JobCharts::Series* JobCharts::find_series(std::string_view node, std::string_view reason, std::size_t& hint) {
  // Bodies list series in the same order every time: try where the previous one was found.
  if (hint < series_.size() && series_[hint].node == node && series_[hint].reason == reason) return &series_[hint++];
  for (std::size_t i = 0; i < series_.size(); ++i) {
    if (series_[i].node == node && series_[i].reason == reason) {
      hint = i + 1;
      return &series_[i];
    }
  }
  return nullptr;
}

void JobCharts::on_success(const VerneMQScrape& scrape, std::int64_t tick, std::int64_t mono_us, std::string& out) {
  const CounterWindow::Start start = had_success_ ? CounterWindow::Start::appeared : CounterWindow::Start::baseline;
  for (Series& s : series_) s.seen = false;
  std::size_t hint = 0;
  // Built in a member that keeps its capacity: a tick allocates nothing in steady state.
  std::string& label = label_scratch_;
  label.clear();
  for (std::size_t n = 0; n < scrape.n_nodes; ++n) {
    const NodeMetrics& node = scrape.nodes[n];
    if (!label.empty()) label += " ";  // a comma would become '_' in Netdata's labels
    label += node.node;
    for (std::size_t r = 0; r < node.n_reasons; ++r) {
      const ReasonCount& rc = node.puback_sent_v5[r];
      Series* s = find_series(node.node, rc.reason, hint);
      if (s == nullptr) {
        const std::size_t dim = dimension_for(rc.reason);
        if (dim == reasons_.size()) continue;
        series_.push_back(Series{node.node, rc.reason, dim, CounterWindow(slots_, start), false});
        s = &series_.back();
        hint = series_.size();
      }
      s->window.observe(tick, rc.value);
      s->seen = true;
    }
  }
  for (Series& s : series_) {
    if (!s.seen) s.window.absent(tick);
  }
  had_success_ = true;
  if (label != node_label_) {
    node_label_.swap(label);  // the old label's storage is reused next tick
    defined_ = false;         // labels are sent with the chart definition
  }
  render(tick, mono_us, &scrape, out);
}

void JobCharts::on_failure(std::int64_t /*tick*/, std::int64_t mono_us, std::string& out) {
  if (!had_success_) return;
  render(std::nullopt, mono_us, nullptr, out);
}

void JobCharts::sum_by_reason(std::int64_t tick, std::vector<std::uint64_t>& sums) const {
  sums.assign(reasons_.size(), 0);  // no allocation once sized
  for (const Series& s : series_) sums[s.dim] = saturating_add(sums[s.dim], s.window.sum(tick));
}

std::vector<std::uint64_t> JobCharts::per_minute(std::int64_t tick) const {
  std::vector<std::uint64_t> sums;
  sum_by_reason(tick, sums);
  return sums;
}

std::vector<std::string> JobCharts::take_messages() {
  std::vector<std::string> m;
  m.swap(messages_);
  return m;
}

void JobCharts::define(std::string& out) const {
  ProtocolWriter w(out);
  const auto chart_line = [&](const ChartDef& d) {
    return ChartLine{type_, d.id, d.title, d.units, d.family, d.context, d.chart_type, d.priority, update_every_};
  };
  const auto labels = [&] {
    w.clabel(kLabelNode, node_label_);
    w.clabel(kLabelCollectJob, job_);
    w.clabel_commit();
  };
  w.chart(chart_line(kReasonChart));
  for (const std::string& r : reasons_) w.dimension(DimensionLine{r, "absolute", 1, 1});
  labels();
  w.chart(chart_line(kPubackChart));
  w.dimension(DimensionLine{kDimReceived, "incremental", 1, 1});
  w.dimension(DimensionLine{kDimSent, "incremental", -1, 1});
  labels();
}

void JobCharts::render(std::optional<std::int64_t> tick, std::int64_t mono_us, const VerneMQScrape* scrape,
                       std::string& out) {
  if (!defined_) {
    define(out);
    defined_ = true;
  }
  std::optional<std::uint64_t> usec;
  if (last_begin_us_ && mono_us > *last_begin_us_) usec = static_cast<std::uint64_t>(mono_us - *last_begin_us_);
  last_begin_us_ = mono_us;

  ProtocolWriter w(out);
  w.begin(type_, kReasonChart.id, usec);
  if (tick) sum_by_reason(*tick, sums_);
  for (std::size_t i = 0; i < reasons_.size(); ++i) {
    w.set(reasons_[i], tick ? std::optional<std::int64_t>(clamp_to_int64(sums_[i])) : std::nullopt);
  }
  w.end();

  std::optional<std::int64_t> received;
  std::optional<std::int64_t> sent;
  if (scrape != nullptr) {
    std::uint64_t rx = 0;
    std::uint64_t tx = 0;
    bool has_rx = false;
    bool has_tx = false;
    for (std::size_t n = 0; n < scrape->n_nodes; ++n) {
      const NodeMetrics& node = scrape->nodes[n];
      rx = saturating_add(rx, node.puback_received_total);
      tx = saturating_add(tx, node.puback_sent_total);
      has_rx = has_rx || node.has_received_total;
      has_tx = has_tx || node.has_sent_total;
    }
    if (has_rx) received = clamp_to_int64(rx);
    if (has_tx) sent = clamp_to_int64(tx);
  }
  w.begin(type_, kPubackChart.id, usec);
  w.set(kDimReceived, received);
  w.set(kDimSent, sent);
  w.end();
}

}  // namespace vmq
