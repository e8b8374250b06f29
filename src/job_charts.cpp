// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/job_charts.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "vmq/catalogue.h"
#include "vmq/netdata_writer.h"

namespace vmq {

namespace {

using catalogue::Algo;

// Routes are recomputed from scratch past this many (label churn from a hostile body must not
// grow them without bound; the dimensions they found stay).
constexpr std::size_t kMaxRoutes = 4096;

std::int64_t scaled(double v, double scale) {
  const double x = std::floor(v * scale + 0.5);
  if (x >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
  if (x <= -9.2e18) return std::numeric_limits<std::int64_t>::min() + 1;
  return static_cast<std::int64_t>(x);
}

// A bucket's upper bound from its `le` label ("+Inf" for the last one).
double parse_le(std::string_view le) {
  if (le == "+Inf" || le == "Inf" || le == "inf") return HUGE_VAL;
  double v = 0;
  const auto [end, ec] = std::from_chars(le.data(), le.data() + le.size(), v);
  return ec == std::errc() && end == le.data() + le.size() ? v : std::nan("");
}

}  // namespace

// The q-quantile of the observations the cumulative buckets hold, interpolated linearly inside
// its bucket as Prometheus' histogram_quantile() does (the first bucket starts at 0; a quantile
// in the +Inf bucket is the highest finite bound). Nothing observed: no value.
std::optional<std::int64_t> JobCharts::quantile(std::vector<std::pair<double, Share>>& buckets, double q) {
  std::sort(buckets.begin(), buckets.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // Several nodes: the same bound's counts add up.
  std::size_t n = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (std::isnan(buckets[i].first)) continue;
    if (n > 0 && buckets[n - 1].first == buckets[i].first) {
      buckets[n - 1].second.add(buckets[i].second);
    } else {
      buckets[n++] = buckets[i];
    }
  }
  buckets.resize(n);
  if (n == 0 || !std::isinf(buckets.back().first)) return std::nullopt;
  const long double total = buckets.back().second.approx();
  if (total <= 0) return std::nullopt;
  const long double rank = q * total;
  long double lower = 0, below = 0;
  for (const auto& [le, share] : buckets) {
    const long double cum = share.approx();
    if (cum >= rank) {
      if (std::isinf(le)) return static_cast<std::int64_t>(std::llround(static_cast<double>(lower)));
      const long double v = cum > below ? lower + (le - lower) * (rank - below) / (cum - below) : le;
      return static_cast<std::int64_t>(std::llround(static_cast<double>(v)));
    }
    lower = le;
    below = cum;
  }
  return static_cast<std::int64_t>(std::llround(static_cast<double>(lower)));
}

std::string JobCharts::type_for(std::string_view job) {
  std::string type = "vernemq_";
  if (type.size() + job.size() <= kMaxTypeLength) return type + sanitize_id(job);
  // The writer keeps 100 characters of an id (1.37 keeps 199 of "type.id"): a long job name is
  // cut, and a hash of the whole name keeps two names that differ only past the cut apart.
  type += sanitize_id(job.substr(0, kMaxTypeLength - type.size()));
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (const char c : job) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  static constexpr char kHex[] = "0123456789abcdef";
  type.resize(kMaxTypeLength - 9);
  type += '_';
  for (int shift = 28; shift >= 0; shift -= 4) type += kHex[(h >> shift) & 0xf];
  return type;
}

JobCharts::JobCharts(std::string job_name, int update_every_s)
    : job_(std::move(job_name)),
      type_(type_for(job_)),
      update_every_(update_every_s),
      store_(update_every_s),
      ratio_span_us_(static_cast<std::int64_t>((catalogue::kRatioWindowSeconds + std::max(update_every_s, 1) - 1) /
                                               std::max(update_every_s, 1)) *
                     std::max(update_every_s, 1) * 1'000'000) {
  const auto specs = catalogue::charts();
  charts_.resize(specs.size());
  for (std::size_t c = 0; c < specs.size(); ++c) {
    ChartState& st = charts_[c];
    const catalogue::Chart& spec = specs[c];
    if (spec.split.empty()) {
      // Fixed dimensions: the rows' ids, each once (several rows may make one dimension).
      for (const catalogue::Dim& d : spec.dims) {
        if (std::find(st.dims.begin(), st.dims.end(), d.id) != st.dims.end()) continue;
        st.dims.emplace_back(d.id);
        st.divisors.push_back(d.divisor);
        st.multipliers.push_back(d.multiplier);
      }
    } else {
      // Every value VerneMQ declares, in its order, so the dimensions are stable from the start.
      for (std::string_view v : spec.known) {
        st.dims.push_back(sanitize_id(v));
        st.divisors.push_back(1);
        st.multipliers.push_back(1);
      }
    }
  }
}

std::uint16_t JobCharts::split_dimension(std::size_t chart, std::string_view value) {
  ChartState& st = charts_[chart];
  const std::string id = sanitize_id(value);
  for (std::size_t i = 0; i < st.dims.size(); ++i) {
    if (st.dims[i] == id) return static_cast<std::uint16_t>(i);
  }
  const std::string_view chart_id = catalogue::charts()[chart].id;
  // The last place is kept for `other`: once the cap is reached every further value is counted
  // there (never dropped), so `other` is always the last dimension.
  if (st.dims.size() >= kMaxReasonDimensions - 1) {
    if (!st.other) {
      messages_.push_back("more than " + std::to_string(kMaxReasonDimensions - 1) + " dimensions on chart " +
                          std::string(chart_id) + "; '" + sanitize_text(value) +
                          "' and any further new ones are counted in '" + std::string(kDimOther) + "'");
      st.other = true;
      st.dims.emplace_back(kDimOther);
      st.divisors.push_back(1);
      st.multipliers.push_back(1);
      st.defined = false;
    }
    return static_cast<std::uint16_t>(st.dims.size() - 1);
  }
  st.dims.push_back(id);
  st.divisors.push_back(1);
  st.multipliers.push_back(1);
  // News only where VerneMQ declares the values (a reason code it has never sent); SWC groups
  // and the like are whatever the broker has.
  if (!catalogue::charts()[chart].known.empty()) {
    messages_.push_back("new " + std::string(catalogue::charts()[chart].split) + " '" + id + "': added to chart " +
                        std::string(chart_id));
  }
  st.defined = false;  // re-send CHART and every DIMENSION
  return static_cast<std::uint16_t>(st.dims.size() - 1);
}

std::uint32_t JobCharts::route_of(int family, std::string_view labels) {
  key_.assign(std::to_string(family));
  key_.push_back('\0');
  key_.append(labels);
  if (const auto it = route_ids_.find(key_); it != route_ids_.end()) return it->second;
  std::vector<Feed> feeds;
  const std::string_view family_name = catalogue::families()[static_cast<std::size_t>(family)].name;
  const auto specs = catalogue::charts();
  for (std::size_t c = 0; c < specs.size(); ++c) {
    const catalogue::Chart& spec = specs[c];
    for (std::size_t d = 0; d < spec.dims.size(); ++d) {
      const catalogue::Dim& dim = spec.dims[d];
      if (dim.family != family_name || !catalogue::dim_reads(dim, labels)) continue;
      std::uint16_t index = 0;
      if (spec.split.empty()) {
        const auto& ids = charts_[c].dims;
        index = static_cast<std::uint16_t>(std::find(ids.begin(), ids.end(), dim.id) - ids.begin());
      } else {
        const std::optional<std::string_view> value = catalogue::label_value(labels, spec.split);
        if (!value) continue;  // e.g. the MQTT 3.1.1 series of a reason-code family
        index = split_dimension(c, *value);
      }
      feeds.push_back(Feed{static_cast<std::uint16_t>(c), index, static_cast<std::int8_t>(dim.sign), dim.denominator});
    }
  }
  for (const Feed& f : feeds) charts_[f.chart].present = true;
  routes_.push_back(std::move(feeds));
  const auto id = static_cast<std::uint32_t>(routes_.size() - 1);
  route_ids_.emplace(key_, id);
  return id;
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
  }
  const auto families = catalogue::families();
  for (std::size_t i = 0; i < scrape.n_series; ++i) {
    const ScrapedSeries& s = scrape.series[i];
    const std::string& node = scrape.nodes[s.node].node;
    const int family = static_cast<int>(s.family);
    if (families[s.family].type != catalogue::FamilyType::gauge) {  // counters and histogram buckets
      store_.sample(node, family, s.labels, s.u64);
    } else {
      store_.sample_gauge(node, family, s.labels, s.value);
    }
  }
  if (routes_.size() > kMaxRoutes) {
    routes_.clear();
    route_ids_.clear();
    for (SeriesStore::Series& s : store_.series()) s.tag = 0;
  }
  // New series get their route (tags are route + 1; 0 = not yet routed), and keep their events
  // for the window only when a count chart reads them.
  for (SeriesStore::Series& s : store_.series()) {
    if (s.tag != 0) continue;
    const std::uint32_t route = route_of(s.family, s.labels);
    s.tag = route + 1;
    const auto reads = [&](Algo algo) {
      return std::any_of(routes_[route].begin(), routes_[route].end(),
                         [&](const Feed& f) { return catalogue::charts()[f.chart].algo == algo; });
    };
    s.windowed = reads(Algo::count) || reads(Algo::ratio) || reads(Algo::quantile);
    s.keep_us = reads(Algo::ratio) ? ratio_span_us_ : 0;
  }
  store_.commit();
  had_success_ = true;
  last_success_mono_ = mono_us;
  if (label != node_label_) {
    node_label_.swap(label);                          // the old label's storage is reused next tick
    for (ChartState& c : charts_) c.defined = false;  // labels are sent with the chart definitions
    status_defined_ = false;
  }
  render(tick, mono_us, true, out);
}

void JobCharts::on_failure(std::int64_t tick, std::int64_t mono_us, std::string& out) {
  if (!first_mono_) first_mono_ = mono_us;
  store_.discard();
  render(tick, mono_us, false, out);
}

void JobCharts::sum_into(std::int64_t tick) {
  const auto specs = catalogue::charts();
  for (ChartState& c : charts_) {
    if (!c.present) continue;
    c.shares.assign(c.dims.size(), Share{});  // no allocation once sized
    c.den_shares.assign(c.dims.size(), Share{});
    c.buckets.clear();
    c.sums.assign(c.dims.size(), 0.0);
    c.fed.assign(c.dims.size(), 0);
    c.known.assign(c.dims.size(), 1);
  }
  const auto& series = store_.series();
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (series[i].tag == 0) continue;
    for (const Feed& f : routes_[series[i].tag - 1]) {
      ChartState& c = charts_[f.chart];
      c.fed[f.dim] = 1;
      switch (specs[f.chart].algo) {
        case Algo::count: store_.count(i, tick, c.shares[f.dim]); break;
        case Algo::quantile:
          // Each bucket series feeds every quantile of its chart: its count is taken once.
          if (f.dim == 0) {
            const auto le = catalogue::label_value(series[i].labels, "le");
            if (!le) break;
            c.buckets.emplace_back(parse_le(*le), Share{});
            store_.count(i, tick, c.buckets.back().second);
          }
          break;
        case Algo::ratio:
          store_.count_over(i, tick, ratio_span_us_, (f.denominator ? c.den_shares : c.shares)[f.dim]);
          break;
        case Algo::rate: {
          const std::optional<double> r = store_.rate(i, tick);
          if (r) c.sums[f.dim] += f.sign * *r;
          c.known[f.dim] = c.known[f.dim] && r.has_value();
          break;
        }
        case Algo::gauge: {
          const std::optional<double> v = store_.level(i, tick);
          if (v) c.sums[f.dim] += f.sign * *v;
          c.known[f.dim] = c.known[f.dim] && v.has_value();
          break;
        }
      }
    }
  }
}

std::vector<std::string> JobCharts::dimensions(std::string_view chart_id) const {
  const std::optional<std::size_t> c = catalogue::find_chart(chart_id);
  return c ? charts_[*c].dims : std::vector<std::string>{};
}

bool JobCharts::has_chart(std::string_view chart_id) const {
  const std::optional<std::size_t> c = catalogue::find_chart(chart_id);
  return c && charts_[*c].present;
}

std::vector<std::uint64_t> JobCharts::per_minute(std::string_view chart_id, std::int64_t tick) const {
  const std::optional<std::size_t> c = catalogue::find_chart(chart_id);
  if (!c) return {};
  std::vector<Share> shares(charts_[*c].dims.size());
  const auto& series = store_.series();
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (series[i].tag == 0) continue;
    for (const Feed& f : routes_[series[i].tag - 1]) {
      if (f.chart == *c) store_.count(i, tick, shares[f.dim]);
    }
  }
  std::vector<std::uint64_t> v;
  for (const Share& s : shares) v.push_back(static_cast<std::uint64_t>(s.rounded()));
  return v;
}

void JobCharts::set_chart_variable(std::string_view chart_id, std::string_view name, std::int64_t value) {
  const std::optional<std::size_t> c = catalogue::find_chart(chart_id);
  if (!c) return;
  variables_.push_back(ChartVariable{*c, std::string(name), value});
  charts_[*c].defined = false;  // sent again with the definition
}

std::vector<std::string> JobCharts::take_messages() {
  std::vector<std::string> m;
  m.swap(messages_);
  return m;
}

void JobCharts::define(std::string& out, bool status) {
  ProtocolWriter w(out);
  const auto labels = [&] {
    if (!node_label_.empty()) w.clabel(kLabelNode, node_label_);
    w.clabel(kLabelCollectJob, job_);
    w.clabel_commit();
  };
  if (status) {
    for (const ChartDef* d : {&kScrapeStatusChart, &kScrapeAgeChart}) {
      w.chart(ChartLine{type_, d->id, d->title, d->units, d->family, d->context, d->chart_type, d->priority,
                        update_every_});
      w.dimension(DimensionLine{d == &kScrapeStatusChart ? kDimUp : kDimLastSuccess, "absolute", 1, 1});
      labels();
    }
  }
  if (!had_success_) return;
  const auto specs = catalogue::charts();
  std::string context;
  for (std::size_t c = 0; c < specs.size(); ++c) {
    ChartState& st = charts_[c];
    if (!st.present || st.defined) continue;
    const catalogue::Chart& spec = specs[c];
    context = catalogue::context_of(spec);
    w.chart(ChartLine{type_, spec.id, spec.title, spec.units, spec.family, context, spec.type, spec.priority,
                      update_every_});
    const long scale = spec.algo == Algo::rate || spec.algo == Algo::ratio ? kRateScale : 1;
    for (std::size_t d = 0; d < st.dims.size(); ++d) {
      w.dimension(DimensionLine{st.dims[d], "absolute", st.multipliers[d], scale * st.divisors[d]});
    }
    labels();
    for (const ChartVariable& v : variables_) {
      if (v.chart == c) w.chart_variable(v.name, v.value);
    }
    st.defined = true;
  }
}

void JobCharts::render(std::int64_t tick, std::int64_t mono_us, bool success, std::string& out) {
  // The scrape charts exist from the first tick; the VerneMQ charts from the first good body
  // that holds their families.
  define(out, !status_defined_);
  status_defined_ = true;
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

  sum_into(tick);
  const auto specs = catalogue::charts();
  for (std::size_t c = 0; c < specs.size(); ++c) {
    ChartState& st = charts_[c];  // its buckets are sorted in place
    if (!st.present) continue;
    const Algo algo = specs[c].algo;
    w.begin(type_, specs[c].id, usec);
    for (std::size_t d = 0; d < st.dims.size(); ++d) {
      if (algo == Algo::count) {
        // Counts always have a value: through a gap, the events already known to lie in the window.
        w.set(st.dims[d], st.shares[d].rounded());
      } else if (algo == Algo::quantile) {
        w.set(st.dims[d], quantile(st.buckets, *catalogue::quantile_of(st.dims[d])));
      } else if (algo == Algo::ratio) {
        // As VerneMQ's rules: per 100 of the denominator, which counts as at least 1.
        const long double den = std::max<long double>(st.den_shares[d].approx(), 1.0L);
        w.set(st.dims[d], scaled(static_cast<double>(100.0L * st.shares[d].approx() / den), kRateScale));
      } else if (!success || !st.fed[d] || !st.known[d]) {
        // A partial sum would be a false dip; a failed scrape says nothing of now.
        w.set(st.dims[d], std::nullopt);
      } else {
        w.set(st.dims[d], scaled(st.sums[d], algo == Algo::rate ? kRateScale : 1));
      }
    }
    w.end();
  }
}

}  // namespace vmq
