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

// A chart's dimensions that every job shares: the catalogue rows' ids (each once) with their
// divisor and multiplier, or a split chart's declared values. Made once per process.
struct Shape {
  std::vector<std::string> ids;  // sanitised
  std::vector<long> divisors;
  std::vector<int> multipliers;
};

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> all = [] {
    std::vector<Shape> v;
    for (const catalogue::Chart& spec : catalogue::charts()) {
      Shape& sh = v.emplace_back();
      if (spec.split.empty()) {
        // Fixed dimensions: the rows' ids, each once (several rows may make one dimension).
        for (const catalogue::Dim& d : spec.dims) {
          if (std::find(sh.ids.begin(), sh.ids.end(), d.id) != sh.ids.end()) continue;
          sh.ids.emplace_back(d.id);
          sh.divisors.push_back(d.divisor);
          sh.multipliers.push_back(d.multiplier);
        }
      } else {
        // Every value VerneMQ declares, in its order, so the dimensions are stable from the start.
        for (std::string_view val : spec.known) {
          sh.ids.push_back(sanitize_id(val));
          sh.divisors.push_back(1);
          sh.multipliers.push_back(1);
        }
      }
    }
    return v;
  }();
  return all;
}

// A tick's sums, shared by every job: jobs render one at a time (one per thread).
struct Scratch {
  std::vector<std::size_t> offset;  // per chart: its first slot (a dimension, or a bucket)
  std::vector<Share> shares;
  std::vector<Share> den_shares;  // ratio charts' denominators
  std::vector<double> sums;
  std::vector<std::uint8_t> fed;    // some series fed it this tick
  std::vector<std::uint8_t> known;  // every series that fed it had a value
  std::vector<std::pair<double, Share>> buckets;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// Routes packed into a series' 64-bit tag: kMaxFeeds feeds of 15 bits (chart + 1: 7 bits, dim:
// 6 bits, negative sign, denominator), and the top bit once routed.
constexpr std::uint64_t kRouted = 1ULL << 63;
constexpr std::size_t kMaxPackedCharts = 126;

std::uint64_t pack(std::size_t slot, std::size_t chart, std::size_t dim, int sign, bool denominator) {
  const std::uint64_t f = (static_cast<std::uint64_t>(chart + 1) << 8) | (static_cast<std::uint64_t>(dim) << 2) |
                          (sign < 0 ? 2U : 0U) | (denominator ? 1U : 0U);
  return f << (15 * slot);
}

template <typename F>
void for_each_feed(std::uint64_t tag, F&& f) {
  for (std::size_t slot = 0; slot < kMaxFeeds; ++slot) {
    const std::uint64_t x = (tag >> (15 * slot)) & 0x7fff;
    if ((x >> 8) == 0) continue;
    f((x >> 8) - 1, (x >> 2) & 0x3f, (x & 2) ? -1 : 1, (x & 1) != 0);
  }
}

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
namespace {
std::optional<std::int64_t> quantile(std::vector<std::pair<double, Share>>& buckets, double q) {
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
  // Cumulative counts never fall from one bound to the next; through a gap a bucket carries only
  // a lower bound and may, so each is raised to the one before it (histogram_quantile() does too).
  for (std::size_t i = 1; i < n; ++i) {
    if (buckets[i].second.approx() < buckets[i - 1].second.approx()) buckets[i].second = buckets[i - 1].second;
  }
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
}  // namespace

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
                     std::max(update_every_s, 1) * 1'000'000),
      charts_(catalogue::charts().size()) {
  store_.set_long_span(ratio_span_us_);
}

const std::vector<std::string> JobCharts::kNoExtra;
const std::vector<double> JobCharts::kNoLes;

const std::vector<std::string>& JobCharts::extra(std::size_t chart) const {
  return charts_[chart].seen ? charts_[chart].seen->extra : kNoExtra;
}

const std::vector<double>& JobCharts::les(std::size_t chart) const {
  return charts_[chart].seen ? charts_[chart].seen->les : kNoLes;
}

JobCharts::Seen& JobCharts::seen(std::size_t chart) {
  if (!charts_[chart].seen) charts_[chart].seen = std::make_unique<Seen>();
  return *charts_[chart].seen;
}

std::size_t JobCharts::dim_count(std::size_t chart) const { return shapes()[chart].ids.size() + extra(chart).size(); }

std::string_view JobCharts::dim_id(std::size_t chart, std::size_t dim) const {
  const Shape& sh = shapes()[chart];
  return dim < sh.ids.size() ? std::string_view(sh.ids[dim]) : std::string_view(extra(chart)[dim - sh.ids.size()]);
}

std::uint16_t JobCharts::split_dimension(std::size_t chart, std::string_view value) {
  ChartState& st = charts_[chart];
  const std::string id = sanitize_id(value);
  const std::size_t n = dim_count(chart);
  for (std::size_t i = 0; i < n; ++i) {
    if (dim_id(chart, i) == id) return static_cast<std::uint16_t>(i);
  }
  const std::string_view chart_id = catalogue::charts()[chart].id;
  // The last place is kept for `other`: once the cap is reached every further value is counted
  // there (never dropped), so `other` is always the last dimension.
  if (n >= kMaxReasonDimensions - 1) {
    if (!st.other) {
      messages_.push_back("more than " + std::to_string(kMaxReasonDimensions - 1) + " dimensions on chart " +
                          std::string(chart_id) + "; '" + sanitize_text(value) +
                          "' and any further new ones are counted in '" + std::string(kDimOther) + "'");
      st.other = true;
      seen(chart).extra.emplace_back(kDimOther);
      st.defined = false;
    }
    return static_cast<std::uint16_t>(dim_count(chart) - 1);
  }
  seen(chart).extra.push_back(id);
  // News only where VerneMQ declares the values (a reason code it has never sent); SWC groups
  // and the like are whatever the broker has.
  if (!catalogue::charts()[chart].known.empty()) {
    messages_.push_back("new " + std::string(catalogue::charts()[chart].split) + " '" + id + "': added to chart " +
                        std::string(chart_id));
  }
  st.defined = false;  // re-send CHART and every DIMENSION
  return static_cast<std::uint16_t>(dim_count(chart) - 1);
}

// A histogram bucket's place among its chart's buckets (by its `le`), nullopt when it has no
// usable `le` or the chart already has kMaxReasonDimensions buckets.
std::optional<std::uint16_t> JobCharts::bucket_index(std::size_t chart, std::string_view labels) {
  const auto le = catalogue::label_value(labels, "le");
  if (!le) return std::nullopt;
  const double bound = parse_le(*le);
  if (std::isnan(bound)) return std::nullopt;
  std::vector<double>& les = seen(chart).les;
  for (std::size_t i = 0; i < les.size(); ++i) {
    if (les[i] == bound) return static_cast<std::uint16_t>(i);
  }
  if (les.size() >= kMaxReasonDimensions) return std::nullopt;
  les.push_back(bound);
  return static_cast<std::uint16_t>(les.size() - 1);
}

// The dimensions a new series feeds, packed (see pack()); the charts it feeds exist from now.
std::uint64_t JobCharts::route(int family, std::string_view labels) {
  std::uint64_t tag = kRouted;
  std::size_t n = 0;
  const std::string_view family_name = catalogue::families()[static_cast<std::size_t>(family)].name;
  const auto specs = catalogue::charts();
  for (std::size_t c = 0; c < specs.size() && c < kMaxPackedCharts; ++c) {
    const catalogue::Chart& spec = specs[c];
    for (std::size_t d = 0; d < spec.dims.size(); ++d) {
      const catalogue::Dim& dim = spec.dims[d];
      if (dim.family != family_name || !catalogue::dim_reads(dim, labels)) continue;
      std::optional<std::uint16_t> index;
      if (spec.algo == Algo::quantile) {
        // Each bucket series feeds its chart once, whichever quantile rows read it.
        if (d > 0) continue;
        index = bucket_index(c, labels);
      } else if (spec.split.empty()) {
        const auto& ids = shapes()[c].ids;
        index = static_cast<std::uint16_t>(std::find(ids.begin(), ids.end(), dim.id) - ids.begin());
      } else if (const std::optional<std::string_view> value = catalogue::label_value(labels, spec.split)) {
        index = split_dimension(c, *value);
      }  // else: e.g. the MQTT 3.1.1 series of a reason-code family
      if (!index || n == kMaxFeeds) continue;
      tag |= pack(n++, c, *index, dim.sign, dim.denominator);
      charts_[c].present = true;
    }
  }
  return tag;
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
  const auto specs = catalogue::charts();
  for (std::size_t i = 0; i < scrape.n_series; ++i) {
    const ScrapedSeries& s = scrape.series[i];
    const std::string& node = scrape.nodes[s.node].node;
    const int family = static_cast<int>(s.family);
    const std::string_view labels = scrape.labels(s);
    const std::size_t at = families[s.family].type != catalogue::FamilyType::gauge  // counters, buckets
                               ? store_.sample(node, family, labels, s.u64)
                               : store_.sample_gauge(node, family, labels, s.value);
    SeriesStore::Series& series = store_.series()[at];
    if (series.tag != 0) continue;
    // A new series: its route, and its events kept for the window only when a count chart
    // reads them (for 5 minutes when a ratio chart does).
    series.tag = route(family, labels);
    bool windowed = false, keep_long = false;
    for_each_feed(series.tag, [&](std::size_t c, std::size_t, int, bool) {
      const Algo algo = specs[c].algo;
      windowed = windowed || algo == Algo::count || algo == Algo::ratio || algo == Algo::quantile;
      keep_long = keep_long || algo == Algo::ratio;
    });
    series.windowed = windowed;
    series.keep_long = keep_long;
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

void JobCharts::sum_into(std::int64_t tick) const {
  const auto specs = catalogue::charts();
  Scratch& sc = scratch();
  sc.offset.resize(charts_.size() + 1);
  std::size_t total = 0;
  for (std::size_t c = 0; c < charts_.size(); ++c) {
    sc.offset[c] = total;
    if (charts_[c].present) total += specs[c].algo == Algo::quantile ? les(c).size() : dim_count(c);
  }
  sc.offset[charts_.size()] = total;
  sc.shares.assign(total, Share{});  // no allocation once sized
  sc.den_shares.assign(total, Share{});
  sc.sums.assign(total, 0.0);
  sc.fed.assign(total, 0);
  sc.known.assign(total, 1);
  const auto& series = store_.series();
  for (std::size_t i = 0; i < series.size(); ++i) {
    for_each_feed(series[i].tag, [&](std::size_t c, std::size_t dim, int sign, bool denominator) {
      const std::size_t at = sc.offset[c] + dim;
      sc.fed[at] = 1;
      switch (specs[c].algo) {
        case Algo::count:
        case Algo::quantile: store_.count(i, tick, sc.shares[at]); break;
        case Algo::ratio:
          store_.count_over(i, tick, ratio_span_us_, (denominator ? sc.den_shares : sc.shares)[at]);
          break;
        case Algo::rate: {
          const std::optional<double> r = store_.rate(i, tick);
          if (r) sc.sums[at] += sign * *r;
          sc.known[at] = sc.known[at] && r.has_value();
          break;
        }
        case Algo::gauge: {
          const std::optional<double> v = store_.level(i, tick);
          if (v) sc.sums[at] += sign * *v;
          sc.known[at] = sc.known[at] && v.has_value();
          break;
        }
      }
    });
  }
}

std::vector<std::string> JobCharts::dimensions(std::string_view chart_id) const {
  const std::optional<std::size_t> c = catalogue::find_chart(chart_id);
  std::vector<std::string> ids;
  if (c) {
    for (std::size_t d = 0; d < dim_count(*c); ++d) ids.emplace_back(dim_id(*c, d));
  }
  return ids;
}

bool JobCharts::has_chart(std::string_view chart_id) const {
  const std::optional<std::size_t> c = catalogue::find_chart(chart_id);
  return c && charts_[*c].present;
}

std::vector<std::uint64_t> JobCharts::per_minute(std::string_view chart_id, std::int64_t tick) const {
  const std::optional<std::size_t> c = catalogue::find_chart(chart_id);
  if (!c) return {};
  std::vector<Share> shares(dim_count(*c));
  const auto& series = store_.series();
  for (std::size_t i = 0; i < series.size(); ++i) {
    for_each_feed(series[i].tag, [&](std::size_t chart, std::size_t dim, int, bool) {
      if (chart == *c && dim < shares.size()) store_.count(i, tick, shares[dim]);
    });
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
    const Shape& sh = shapes()[c];
    for (std::size_t d = 0; d < dim_count(c); ++d) {
      const bool fixed = d < sh.ids.size();
      w.dimension(
          DimensionLine{dim_id(c, d), "absolute", fixed ? sh.multipliers[d] : 1, scale * (fixed ? sh.divisors[d] : 1)});
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

  // Every id here is clean: type_ from type_for(), the catalogue's (a unit test), shapes() and
  // the extras from sanitize_id().
  ProtocolWriter w(out);
  w.begin_clean(type_, kScrapeStatusChart.id, usec);
  w.set_clean(kDimUp, success ? 1 : 0);
  w.end();
  // Before any success: the time since the job's first tick.
  const std::int64_t since = mono_us - last_success_mono_.value_or(*first_mono_);
  w.begin_clean(type_, kScrapeAgeChart.id, usec);
  w.set_clean(kDimLastSuccess, (std::max<std::int64_t>(since, 0) + 500'000) / 1'000'000);
  w.end();
  if (!had_success_) return;

  sum_into(tick);
  const auto specs = catalogue::charts();
  Scratch& sc = scratch();
  for (std::size_t c = 0; c < specs.size(); ++c) {
    const ChartState& st = charts_[c];
    if (!st.present) continue;
    const Algo algo = specs[c].algo;
    const std::size_t off = sc.offset[c];
    if (algo == Algo::quantile) {
      sc.buckets.clear();
      for (std::size_t b = 0; b < les(c).size(); ++b) sc.buckets.emplace_back(les(c)[b], sc.shares[off + b]);
    }
    w.begin_clean(type_, specs[c].id, usec);
    const std::size_t dims = dim_count(c);
    for (std::size_t d = 0; d < dims; ++d) {
      const std::string_view id = dim_id(c, d);
      if (algo == Algo::count) {
        // Counts always have a value: through a gap, the events already known to lie in the window.
        w.set_clean(id, sc.shares[off + d].rounded());
      } else if (algo == Algo::quantile) {
        w.set_clean(id, quantile(sc.buckets, *catalogue::quantile_of(id)));
      } else if (algo == Algo::ratio) {
        // As VerneMQ's rules: per 100 of the denominator, which counts as at least 1.
        const long double den = std::max<long double>(sc.den_shares[off + d].approx(), 1.0L);
        w.set_clean(id, scaled(static_cast<double>(100.0L * sc.shares[off + d].approx() / den), kRateScale));
      } else if (!success || !sc.fed[off + d] || !sc.known[off + d]) {
        // A partial sum would be a false dip; a failed scrape says nothing of now.
        w.set_clean(id, std::nullopt);
      } else {
        w.set_clean(id, scaled(sc.sums[off + d], algo == Algo::rate ? kRateScale : 1));
      }
    }
    w.end();
  }
}

}  // namespace vmq
