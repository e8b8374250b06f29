// SPDX-License-Identifier: GPL-3.0-or-later
// Every non-split chart of the catalogue (gauges and gauge differences, rates, counts, 5-minute
// ratios, latency quantiles) through the faults of design.md decision 1: a broker restart seen
// from system_wallclock, one seen only from counters going down, failed scrapes (short and a
// 90 s outage), series absent from good bodies, and a node first seen late. The test plays a
// broker second by second, writes its bodies as Prometheus text, drives JobCharts with them
// and compares every value it SETs, at every tick, with a reference model written here from the
// rules of decision 1 alone (plain maps, every interval kept, shares summed in long double).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "chart_model.h"
#include "vmq/catalogue.h"
#include "vmq/job_charts.h"
#include "vmq/vernemq_metrics.h"

namespace vmq {
namespace {

using catalogue::Algo;
using Labels = std::map<std::string, std::string>;

constexpr double kCountWindow = 60;   // seconds, at update_every 1
constexpr double kRatioWindow = 300;  // catalogue::kRatioWindowSeconds, VerneMQ's rules' window
constexpr double kScale = kRateScale;

// ---- What a broker exposes at one tick ---------------------------------------------------------

struct Sample {
  std::string family;  // without prefix; a histogram's buckets under its family name
  Labels labels;
  double value = 0;
};
struct NodeObs {
  std::string node;
  std::optional<std::uint64_t> wallclock_ms;
  std::vector<Sample> samples;
};
struct Scrape {
  bool failed = false;
  std::vector<NodeObs> nodes;
};

bool is_histogram(const std::string& family) {
  const auto f = catalogue::find_family(family);
  return f && catalogue::families()[*f].type == catalogue::FamilyType::histogram;
}
bool is_gauge(const std::string& family) {
  const auto f = catalogue::find_family(family);
  return f && catalogue::families()[*f].type == catalogue::FamilyType::gauge;
}

std::string label_text(const Labels& l) {
  std::string s;
  for (const auto& [k, v] : l) s += "," + k + "=\"" + v + "\"";
  return s;
}

// The body a 2.x VerneMQ would send (HELP/TYPE lines are optional in the text format).
std::string body_of(const Scrape& s) {
  std::string b;
  for (const NodeObs& n : s.nodes) {
    const std::string node = "{node=\"" + n.node + "\"";
    for (const Sample& x : n.samples) {
      const std::string name = x.family + (is_histogram(x.family) ? "_bucket" : "");
      char v[32];
      std::snprintf(v, sizeof v, "%.17g", x.value);
      b += "vernemq_" + name + node + label_text(x.labels) + "} " + v + "\n";
    }
  }
  return b;
}

// ---- The reference model -----------------------------------------------------------------------

struct Interval {
  long double events, from, to;  // events spread evenly over (from, to], seconds
};

struct ModelSeries {
  std::string node, family;
  Labels labels;
  std::optional<long double> last;
  long double last_t = 0;
  int epoch = 0;
  std::vector<Interval> intervals;
  std::map<int, long double> level;  // tick → value, when in that tick's body
  std::map<int, long double> rate;   // tick → events/s, when that tick made a delta
};

struct ModelNode {
  long double last_t = 0;
  std::optional<std::uint64_t> wallclock_ms;
  int epoch = 0;
  long double restart_from = 0;
};

bool row_reads(const catalogue::Dim& d, const ModelSeries& s) {
  if (d.family != s.family) return false;
  if (!d.match.empty()) {
    const std::string m(d.match);
    const auto eq = m.find('=');
    const auto it = s.labels.find(m.substr(0, eq));
    if (it == s.labels.end() || it->second != m.substr(eq + 1)) return false;
  }
  if (!d.among_label.empty()) {
    const auto it = s.labels.find(std::string(d.among_label));
    if (it == s.labels.end() || std::find(d.among.begin(), d.among.end(), it->second) == d.among.end()) return false;
  }
  return true;
}

// How long a series may be absent before it is forgotten (and returns as a baseline): the
// longest window a chart reads it over (issue 8: "gone for longer than the window").
long double horizon(const ModelSeries& s) {
  for (const catalogue::Chart& c : catalogue::charts()) {
    if (c.algo != Algo::ratio) continue;
    for (const catalogue::Dim& d : c.dims) {
      if (row_reads(d, s)) return kRatioWindow;
    }
  }
  return kCountWindow;
}

class Model {
 public:
  void good(int tick, const Scrape& scrape) {
    const long double now = tick;
    for (const NodeObs& obs : scrape.nodes) {
      const bool node_new = !nodes_.count(obs.node);
      ModelNode& n = nodes_[obs.node];
      bool restarted = false;
      if (!node_new) {
        std::optional<long double> start;
        if (obs.wallclock_ms && n.wallclock_ms) {
          // Started later than the previous scrape says it had (1 s of slack), or the clock went back.
          start = now - *obs.wallclock_ms / 1000.0L;
          restarted = *obs.wallclock_ms < *n.wallclock_ms || *start > n.last_t - *n.wallclock_ms / 1000.0L + 1;
        } else {
          for (const Sample& x : obs.samples) {
            const auto it = series_.find(key(obs.node, x));
            if (!is_gauge(x.family) && it != series_.end() && it->second.last && x.value < *it->second.last) {
              restarted = true;
            }
          }
        }
        if (restarted) {
          ++n.epoch;
          n.restart_from = std::max(n.last_t, start.value_or(n.last_t));
        }
      }
      for (const Sample& x : obs.samples) {
        ModelSeries& s = series_[key(obs.node, x)];
        s.node = obs.node;
        s.family = x.family;
        s.labels = x.labels;
        s.level[tick] = x.value;
        if (is_gauge(x.family)) {
          s.last = x.value;
          s.last_t = now;
          continue;
        }
        std::optional<long double> delta;
        long double from = s.last_t;
        if (!s.last) {
          // First seen: a baseline, unless its known node restarted now.
          if (first_done_ && !node_new && restarted) {
            delta = x.value;
            from = n.restart_from;
          }
        } else if (s.epoch != n.epoch) {
          delta = x.value;
          from = std::max(s.last_t, n.restart_from);
        } else {
          delta = x.value >= *s.last ? x.value - *s.last : x.value;
        }
        if (delta) {
          from = std::min(from, now - 1e-6L);
          if (*delta > 0) s.intervals.push_back({*delta, from, now});
          s.rate[tick] = *delta / (now - from);
        }
        s.last = x.value;
        s.last_t = now;
        s.epoch = n.epoch;
      }
      n.last_t = now;
      n.wallclock_ms = obs.wallclock_ms;
    }
    first_done_ = true;
    // Forget what has been gone for longer than its window.
    for (auto it = series_.begin(); it != series_.end();) {
      it = it->second.last_t < now - horizon(it->second) ? series_.erase(it) : std::next(it);
    }
    for (auto it = nodes_.begin(); it != nodes_.end();) {
      bool used = false;
      for (const auto& [k, s] : series_) used = used || s.node == it->first;
      it = it->second.last_t < now - kCountWindow && !used ? nodes_.erase(it) : std::next(it);
    }
  }

  // The share of a series' events in (tick - window, tick].
  static long double share(const ModelSeries& s, int tick, long double window) {
    long double sum = 0;
    const long double lo = tick - window, hi = tick;
    for (const Interval& i : s.intervals) {
      const long double a = std::max(lo, i.from), b = std::min(hi, i.to);
      if (b > a) sum += i.events * (b - a) / (i.to - i.from);
    }
    return sum;
  }

  // The model's value of every dimension of non-split chart `c` at `tick`, unrounded; nullopt
  // for an empty value. `success`: the tick's scrape was good.
  std::map<std::string, std::optional<long double>> chart(const catalogue::Chart& c, int tick, bool success) const {
    std::map<std::string, std::optional<long double>> out;
    std::map<std::string, long double> value, den;
    std::map<std::string, bool> fed, known;
    std::map<std::string, std::map<double, double>> buckets;
    for (const catalogue::Dim& d : c.dims) {
      const std::string id(d.id);
      known.try_emplace(id, true);
      fed.try_emplace(id, false);
      value.try_emplace(id, 0);
      den.try_emplace(id, 0);
      for (const auto& [k, s] : series_) {
        if (!row_reads(d, s)) continue;
        fed[id] = true;
        switch (c.algo) {
          case Algo::gauge:
            if (s.level.count(tick)) value[id] += d.sign * s.level.at(tick);
            known[id] = known[id] && s.level.count(tick);
            break;
          case Algo::rate:
            if (s.rate.count(tick)) value[id] += d.sign * s.rate.at(tick);
            known[id] = known[id] && s.rate.count(tick);
            break;
          case Algo::count: value[id] += share(s, tick, kCountWindow); break;
          case Algo::ratio: (d.denominator ? den : value)[id] += share(s, tick, kRatioWindow); break;
          case Algo::quantile: {
            const std::string& le = s.labels.at("le");
            buckets[id][le == "+Inf" ? INFINITY : std::stod(le)] += static_cast<double>(share(s, tick, kCountWindow));
            break;
          }
        }
      }
    }
    for (const auto& [id, v] : value) {
      switch (c.algo) {
        case Algo::gauge:
        case Algo::rate:
          // A partial sum would be a false dip; a failed scrape says nothing of now.
          if (success && fed.at(id) && known.at(id))
            out[id] = c.algo == Algo::rate ? v * kScale : v;
          else
            out[id] = std::nullopt;
          break;
        case Algo::count: out[id] = v; break;
        case Algo::ratio: out[id] = 100 * v / std::max<long double>(den.at(id), 1) * kScale; break;
        case Algo::quantile: {
          const auto q = testing::histogram_quantile(buckets[id], *catalogue::quantile_of(id));
          out[id] = q ? std::optional<long double>(*q) : std::nullopt;
          break;
        }
      }
    }
    return out;
  }

  [[nodiscard]] bool any_series_of(const catalogue::Chart& c) const {
    for (const catalogue::Dim& d : c.dims) {
      for (const auto& [k, s] : series_) {
        if (row_reads(d, s)) return true;
      }
    }
    return false;
  }

 private:
  static std::string key(const std::string& node, const Sample& x) {
    return node + "|" + x.family + "|" + label_text(x.labels);
  }
  std::map<std::string, ModelSeries> series_;
  std::map<std::string, ModelNode> nodes_;
  bool first_done_ = false;
};

// ---- The broker the test plays -----------------------------------------------------------------

// A deterministic small number of events for `what` in second `t` (a hash, so series differ).
std::uint64_t events(const std::string& what, int t, std::uint64_t modulo) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : what) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  h = (h ^ static_cast<std::uint64_t>(t)) * 1099511628211ULL;
  return (h >> 17) % modulo;
}

struct Fault {
  std::optional<int> restart_at;  // the node restarts 0.4 s before this tick
  bool wallclock = true;          // the bodies carry system_wallclock
  std::set<int> failed;           // ticks whose scrape fails
  std::set<int> absent;           // ticks whose bodies lack the `hidden` series
  std::set<std::string> hidden;   // family names (a histogram: its le="100" bucket only)
  std::optional<int> late_node;   // a second node first seen at this tick, with large counters
};

// One node's series at tick t: counters are the events since `zero` (a start or the restart).
NodeObs node_at(const std::string& name, int t, int zero, double base, std::uint64_t uptime_ms, const Fault& f) {
  NodeObs n;
  n.node = name;
  if (f.wallclock) n.wallclock_ms = uptime_ms;
  // `lag`: the same events, that many seconds later (netsplits are resolved after they are detected).
  const auto total = [&](const std::string& what, std::uint64_t modulo, int lag = 0) {
    double c = base;
    for (int s = zero + 1; s <= t - lag; ++s) c += static_cast<double>(events(name + what, s, modulo));
    return c;
  };
  const bool hide = f.absent.count(t) > 0;
  const auto add = [&](const std::string& family, Labels labels, double v) {
    const bool bucket100 = labels.count("le") && labels.at("le") == "100";
    if (hide && f.hidden.count(family) && (!is_histogram(family) || bucket100)) return;
    n.samples.push_back({family, std::move(labels), v});
  };
  // The extraction recognises VerneMQ by mqtt_puback_sent.
  add("mqtt_puback_sent", {{"mqtt_version", "4"}}, 0);
  if (n.wallclock_ms) add("system_wallclock", {}, static_cast<double>(*n.wallclock_ms));
  add("socket_open", {}, total("open", 6));
  add("socket_close", {}, total("close", 4));
  add("socket_error", {}, total("socket_error", 3));
  add("bytes_received", {}, total("bytes_received", 5000));
  add("bytes_sent", {}, total("bytes_sent", 3000));
  add("mqtt_publish_received", {{"mqtt_version", "4"}}, total("pub4", 20));
  add("mqtt_publish_received", {{"mqtt_version", "5"}}, total("pub5", 20));
  add("mqtt_publish_error", {{"mqtt_version", "4"}}, total("perr4", 2));
  add("mqtt_publish_error", {{"mqtt_version", "5"}}, total("perr5", 3));
  add("mqtt_puback_sent", {{"mqtt_version", "5"}, {"reason_code", "success"}}, total("ok", 9));
  add("mqtt_puback_sent", {{"mqtt_version", "5"}, {"reason_code", "not_authorized"}}, total("na", 3));
  add("mqtt_puback_sent", {{"mqtt_version", "5"}, {"reason_code", "quota_exceeded"}}, total("qe", 2));
  add("netsplit_detected", {}, total("split", 2));
  add("netsplit_resolved", {}, total("split", 2, 3));
  add("total_active_connections", {}, 10 + t % 5);
  add("active_mqtt_connections", {}, 8 + t % 3);
  // Plugin families (vmq_webhooks, vmq_http_pub, vmq_bridge): per-hook rates and counts, two rows summed.
  add("webhooks_auth_on_publish_requests", {}, total("wh_req", 30));
  add("webhooks_auth_on_publish_errors", {}, total("wh_err", 2));
  add("webhooks_auth_on_register_cancelled", {}, total("wh_c", 2));
  add("webhooks_auth_on_register_m5_cancelled", {}, total("wh_c5", 3));
  add("webhooks_auth_on_register_elapsed_ms", {}, total("wh_ms", 900));
  add("http_pub_published", {}, total("http_pub", 7));
  add("vmq_bridge_dropped_msgs", {}, total("bridge_drop", 3));  // vmq_bridge: no bridge label
  // Latency observations: each second some fall in each bucket; cumulative as VerneMQ exports.
  double cum = base;
  for (const char* le : {"10", "100", "1000", "+Inf"}) {
    cum += total(std::string("lat") + le, 4) - base;
    add("storage_read_microseconds", {{"le", le}}, cum);
  }
  return n;
}

std::vector<Scrape> play(const Fault& f, int ticks) {
  std::vector<Scrape> out;
  for (int t = 0; t < ticks; ++t) {
    Scrape s;
    s.failed = f.failed.count(t) > 0;
    const bool after = f.restart_at && t >= *f.restart_at;
    // Before a restart the node has been up 1000 s; after it, since 0.4 s before restart_at.
    const int zero = after ? *f.restart_at - 1 : 0;
    const auto uptime = after ? static_cast<std::uint64_t>((t - *f.restart_at) * 1000 + 400)
                              : static_cast<std::uint64_t>((1000 + t) * 1000);
    s.nodes.push_back(node_at("VerneMQ@10.0.0.1", t, zero, after ? 0 : 5, uptime, f));
    if (f.late_node && t >= *f.late_node) {
      s.nodes.push_back(node_at("VerneMQ@10.0.0.2", t, 0, 777777, static_cast<std::uint64_t>(t + 86400) * 1000, f));
    }
    out.push_back(std::move(s));
  }
  return out;
}

// ---- The comparison ----------------------------------------------------------------------------

// The engine's value equals the model's rounded half up; a model value within 1e-6 of a half may
// round either way (the engine sums in double).
::testing::AssertionResult same(const std::optional<long long>& got, const std::optional<long double>& want) {
  if (!want) {
    if (!got) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got " << *got << ", want an empty value";
  }
  if (!got) return ::testing::AssertionFailure() << "got an empty value, want " << static_cast<double>(*want);
  const long double w = *want;
  const long long up = static_cast<long long>(std::floor(w + 0.5L));
  const bool tie = std::fabs(w - std::floor(w) - 0.5L) < 1e-6L;
  if (*got == up || (tie && *got == up - 1)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << *got << ", want " << static_cast<double>(w);
}

// Runs the scrapes through JobCharts and the model; checks every non-split chart at every tick.
// Returns how many values were compared.
std::size_t run(const std::vector<Scrape>& scrapes, const std::string& what) {
  JobCharts charts("t", 1);
  VerneMQScrape parsed;
  Model model;
  std::size_t compared = 0;
  for (int t = 0; t < static_cast<int>(scrapes.size()); ++t) {
    const Scrape& s = scrapes[static_cast<std::size_t>(t)];
    std::string out;
    const std::int64_t mono = static_cast<std::int64_t>(t) * 1'000'000;
    if (s.failed) {
      charts.on_failure(t, mono, out);
    } else {
      extract_vernemq(body_of(s), parsed);
      charts.on_success(parsed, t, mono, out);
      model.good(t, s);
    }
    const auto blocks = testing::sent_blocks(out);
    for (const catalogue::Chart& c : catalogue::charts()) {
      if (!c.split.empty()) continue;
      const auto it = blocks.find(std::string(c.id));
      if (it == blocks.end()) {
        EXPECT_FALSE(model.any_series_of(c)) << what << ", tick " << t << ": " << c.id << " not sent";
        continue;
      }
      for (const auto& [dim, want] : model.chart(c, t, !s.failed)) {
        const auto got = it->second.find(dim);
        if (got == it->second.end()) {
          ADD_FAILURE() << what << ", tick " << t << ": " << c.id << "." << dim << " not sent";
          continue;
        }
        EXPECT_TRUE(same(got->second, want)) << what << ", tick " << t << ": " << c.id << "." << dim;
        ++compared;
      }
    }
  }
  return compared;
}

// The charts this test holds to the model: those the played broker feeds.
std::set<std::string> charted(const std::vector<Scrape>& scrapes) {
  std::set<std::string> families;
  for (const Scrape& s : scrapes) {
    for (const NodeObs& n : s.nodes) {
      for (const Sample& x : n.samples) families.insert(x.family);
    }
  }
  std::set<std::string> ids;
  for (const catalogue::Chart& c : catalogue::charts()) {
    for (const catalogue::Dim& d : c.dims) {
      if (c.split.empty() && families.count(std::string(d.family))) ids.insert(std::string(c.id));
    }
  }
  return ids;
}

constexpr int kTicks = 420;  // past the 5-minute ratio window after every fault

TEST(CatalogueFaults, ThePlayedBrokerFeedsEveryKindOfChart) {
  const std::set<std::string> ids = charted(play(Fault{}, 2));
  for (const char* id : {"sockets", "netsplit_unresolved", "connections", "uptime", "bandwidth", "socket_operations",
                         "mqtt_publish", "socket_errors", "netsplits", "socket_error_ratio", "mqtt_publish_error_ratio",
                         "mqtt_puback_refused_ratio", "storage_read_latency", "webhooks_requests", "webhooks_errors",
                         "webhooks_auth_aborted", "webhooks_auth_time", "http_pub", "bridge_dropped"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
}

TEST(CatalogueFaults, NoFault) {
  // And a sanity check of the model against the broker's truth: 50 s after the start the
  // socket_errors chart shows every socket error of those 50 seconds.
  const auto scrapes = play(Fault{}, kTicks);
  EXPECT_GT(run(scrapes, "no fault"), 10000u);
  Model m;
  for (int t = 0; t <= 50; ++t) m.good(t, scrapes[static_cast<std::size_t>(t)]);
  const auto v = m.chart(catalogue::charts()[*catalogue::find_chart("socket_errors")], 50, true);
  double errors = -1;
  for (const Sample& x : scrapes[50].nodes[0].samples) {
    if (x.family == "socket_error") errors = x.value - 5;  // 5: the counters' value at the start
  }
  EXPECT_GT(errors, 10);
  EXPECT_EQ(static_cast<double>(*v.at("errors")), errors);
}

TEST(CatalogueFaults, RestartSeenFromWallclock) {
  Fault f;
  f.restart_at = 200;  // counters back to 0 at 199.6 s, then climbing
  run(play(f, kTicks), "restart (wallclock)");
}

TEST(CatalogueFaults, RestartSeenFromCountersGoingDown) {
  Fault f;
  f.restart_at = 200;
  f.wallclock = false;
  run(play(f, kTicks), "restart (no wallclock)");
}

TEST(CatalogueFaults, RestartInsideAnOutage) {
  Fault f;
  f.restart_at = 205;
  for (int t = 200; t < 220; ++t) f.failed.insert(t);  // the 20 s the broker was down
  run(play(f, kTicks), "restart in an outage");
}

TEST(CatalogueFaults, FailedScrapes) {
  Fault f;
  for (int t = 40; t < 43; ++t) f.failed.insert(t);
  for (int t = 100; t < 190; ++t) f.failed.insert(t);  // a 90 s outage
  run(play(f, kTicks), "failed scrapes");
}

TEST(CatalogueFaults, SeriesAbsentFromGoodBodies) {
  Fault f;
  f.hidden = {"socket_error",
              "socket_close",
              "bytes_sent",
              "mqtt_publish_received",
              "netsplit_resolved",
              "active_mqtt_connections",
              "webhooks_auth_on_publish_errors",
              "webhooks_auth_on_register_m5_cancelled",
              "vmq_bridge_dropped_msgs"};
  for (int t = 50; t < 55; ++t) f.absent.insert(t);
  for (int t = 120; t < 150; ++t) f.absent.insert(t);
  run(play(f, kTicks), "absent series");
}

// One bucket of a latency histogram absent: what it carries is a lower bound, so the cumulative
// counts can dip below the bucket before; histogram_quantile() takes them as monotonic (each
// bucket at least the one before) and so does the model.
TEST(CatalogueFaults, QuantileWithABucketAbsent) {
  Fault f;
  f.hidden = {"storage_read_microseconds"};  // its le="100" bucket
  for (int t = 50; t < 55; ++t) f.absent.insert(t);
  for (int t = 120; t < 150; ++t) f.absent.insert(t);
  run(play(f, 200), "absent bucket");
}

TEST(CatalogueFaults, NodeFirstSeenLate) {
  Fault f;
  f.late_node = 30;
  run(play(f, kTicks), "late node");
}

// A series a 5-minute ratio reads, absent for longer than a minute but less than five: the
// events already counted are still in the ratio's window, and when it returns its delta covers
// the gap (decision 1: an absent series is a gap, not a restart).
TEST(CatalogueFaults, RatioSeriesAbsentForMoreThanAMinute) {
  Fault f;
  f.hidden = {"socket_error", "mqtt_publish_error"};
  for (int t = 20; t < 110; ++t) f.absent.insert(t);  // 90 s
  run(play(f, 200), "ratio series absent 90 s");
}

}  // namespace
}  // namespace vmq
