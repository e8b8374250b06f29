// SPDX-License-Identifier: GPL-3.0-or-later
// Generates a VerneMQ 2.x-shaped /metrics body from the catalogue's families (names, types,
// reason codes, split labels): a family the plugin charts is served the day it is added. The
// label sets and the split of reason-code series into a later block follow VerneMQ 2.0.1; the
// HELP texts are our own; the values are the sim's (kRules).
#include "vernemq_body.h"

#include "vmq/catalogue.h"
#include "vmq/vernemq_metrics.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <string_view>

namespace vmq::sim {
namespace {

using Source = VernemqBody::Source;
using Value = VernemqBody::Value;
using Segment = VernemqBody::Segment;

constexpr Value kZero{};
constexpr Value constant(std::uint64_t v) { return Value{Source::constant, 1, 1, v, 0}; }
constexpr Value from(Source s, std::uint64_t mul = 1, std::uint64_t div = 1, std::uint64_t add = 0) {
  return Value{s, mul, div, add, 0};
}

constexpr int kSchedulers = 8;
constexpr int kSwcGroups = 10;

// Accumulates literal text and value holes; emits HELP/TYPE at a name's first series only.
class Builder {
 public:
  // `metrics`: the scenario's `metrics:` counters, family + labels → counter index; a series
  // named there takes the counter's value instead of its built-in one.
  Builder(std::string prefix, std::string node, std::map<std::string, std::size_t, std::less<>> metrics)
      : prefix_(std::move(prefix)), node_(std::move(node)), metrics_(std::move(metrics)) {}

  // One series. `labels` goes after node="…" (e.g. ,mqtt_version="4"); `type_name` is the name
  // HELP/TYPE describe (differs from `name` only for histogram _bucket/_count/_sum lines).
  void series(std::string_view name, std::string_view labels, Value value, std::string_view help, std::string_view type,
              std::string_view type_name = {}) {
    const std::string_view described = type_name.empty() ? name : type_name;
    if (seen_.insert(std::string(described)).second) {
      pending_ += "# HELP ";
      pending_ += prefix_;
      pending_ += described;
      pending_ += ' ';
      pending_ += help;
      pending_ += "\n# TYPE ";
      pending_ += prefix_;
      pending_ += described;
      pending_ += ' ';
      pending_ += type;
      pending_ += '\n';
    }
    pending_ += prefix_;
    pending_ += name;
    pending_ += "{node=\"";
    pending_ += node_;
    pending_ += '"';
    pending_ += labels;
    pending_ += "} ";
    if (!metrics_.empty()) {
      const auto m = metrics_.find(std::string(name) + std::string(labels));
      if (m != metrics_.end()) {
        value = Value{Source::counter, 1, 1, 0, m->second};
        used_.insert(m->first);
      }
    }
    segments_.push_back(Segment{std::move(pending_), value});
    pending_.assign("\n");
  }

  // A counter with mqtt_version="4" (and "5" when v5 is set).
  void mqtt(std::string_view name, std::string_view help, Value v4, std::optional<Value> v5 = std::nullopt) {
    series(name, ",mqtt_version=\"4\"", v4, help, "counter");
    if (v5) series(name, ",mqtt_version=\"5\"", *v5, help, "counter");
  }

  // Every reason code the catalogue declares for the family and version, at zero.
  void reasons(std::string_view name, std::string_view help, std::string_view version, std::string_view label) {
    for (std::string_view r : catalogue::reason_codes(name, version == "4" ? 4 : 5)) {
      reason(name, help, version, label, r, kZero);
    }
  }
  void reason(std::string_view name, std::string_view help, std::string_view version, std::string_view label,
              std::string_view reason_name, Value v) {
    std::string labels = ",mqtt_version=\"";
    labels += version;
    labels += "\",";
    labels += label;
    labels += "=\"";
    labels += reason_name;
    labels += '"';
    series(name, labels, v, help, "counter");
  }

  void plain(std::string_view name, std::string_view help, std::string_view type, Value v) {
    series(name, "", v, help, type);
  }

  // A VerneMQ latency histogram: buckets from +Inf down (as VerneMQ orders them), then count, sum.
  void histogram(std::string_view name, std::string_view help, std::uint64_t per_minute) {
    // Cumulative counts must not decrease with `le`: the share below each bound only shrinks.
    constexpr std::pair<std::string_view, std::uint64_t> kBuckets[] = {
        {"+Inf", 100}, {"1000000", 100}, {"100000", 100}, {"10000", 100}, {"1000", 97}, {"100", 55}, {"10", 0}};
    const std::string bucket = std::string(name) + "_bucket";
    for (const auto& [le, percent] : kBuckets) {
      series(bucket, std::string(",le=\"") + std::string(le) + "\"", from(Source::uptime_s, per_minute * percent, 6000),
             help, "histogram", name);
    }
    series(std::string(name) + "_count", "", from(Source::uptime_s, per_minute, 60), help, "histogram", name);
    series(std::string(name) + "_sum", "", from(Source::uptime_s, per_minute * 110, 60), help, "histogram", name);
  }

  std::vector<Segment> take_segments() { return std::move(segments_); }
  // The `metrics:` keys that named no series of the body.
  [[nodiscard]] std::vector<std::string> unused_metrics() const {
    std::vector<std::string> out;
    for (const auto& [k, i] : metrics_) {
      if (!used_.contains(k)) out.push_back(k);
    }
    return out;
  }
  std::string take_tail() { return std::move(pending_); }

 private:
  std::string prefix_;
  std::string node_;
  std::set<std::string, std::less<>> seen_;
  std::map<std::string, std::size_t, std::less<>> metrics_;
  std::set<std::string, std::less<>> used_;
  std::vector<Segment> segments_;
  std::string pending_;
};

// ---- What the catalogue does not say, and the sim needs ------------------------------------------
// The catalogue (src/catalogue.cpp) names every family the plugin reads, its type and its reason
// codes; the body is generated from it. The two tables below hold only what is the sim's own:
// the values its series take in a scenario, and the families VerneMQ exports that the catalogue
// leaves out on purpose (a real body has them, so the sim's has them too).

// A family's value in the sim; families not listed here are 0. `version`: the mqtt_version
// series it is for (0: a family without versions). `scenario`: the value is the scenario's
// PUBACK counter (received?, MQTT version, reason) instead.
struct Rule {
  std::string_view family;
  int version;
  Value value;
  bool scenario = false;
  bool received = false;
  std::string_view reason = {};
};
constexpr Rule from_scenario(std::string_view family, int version, bool received, std::string_view reason) {
  return Rule{family, version, kZero, true, received, reason};
}
constexpr Rule kRules[] = {
    // Clients connect and leave: one every 20 s; every PUBACK is a PUBLISH the other way.
    {"socket_open", 0, from(Source::uptime_s, 1, 20, 2)},
    {"socket_close", 0, from(Source::uptime_s, 1, 20)},
    {"bytes_received", 0, from(Source::sent_all, 87, 1)},
    {"bytes_sent", 0, from(Source::received_all, 83, 1)},
    {"mqtt_connect_received", 4, from(Source::uptime_s, 1, 20, 2)},
    {"mqtt_connect_received", 5, constant(1)},
    {"mqtt_publish_received", 4, from(Source::sent_v4)},
    {"mqtt_publish_received", 5, from(Source::sent_v5)},
    {"mqtt_publish_sent", 4, from(Source::received_v4)},
    {"mqtt_publish_sent", 5, from(Source::received_v5)},
    from_scenario("mqtt_puback_received", 4, true, {}),
    from_scenario("mqtt_puback_sent", 4, false, {}),
    {"mqtt_subscribe_received", 4, constant(2)},
    {"mqtt_subscribe_received", 5, constant(1)},
    {"mqtt_suback_sent", 4, constant(2)},
    {"mqtt_suback_sent", 5, constant(1)},
    {"mqtt_pingreq_received", 4, from(Source::uptime_s, 1, 30)},
    {"mqtt_pingreq_received", 5, from(Source::uptime_s, 1, 60)},
    {"mqtt_pingresp_sent", 4, from(Source::uptime_s, 1, 30)},
    {"mqtt_pingresp_sent", 5, from(Source::uptime_s, 1, 60)},
    {"mqtt_disconnect_received", 4, from(Source::uptime_s, 1, 20)},
    // MQTT 5 refusals show as errors too (not_authorized as an auth error, impl_specific_error
    // as a failed publish).
    from_scenario("mqtt_publish_auth_error", 5, false, "not_authorized"),
    from_scenario("mqtt_publish_error", 5, false, "impl_specific_error"),
    {"queue_setup", 0, from(Source::uptime_s, 1, 20, 2)},
    {"queue_teardown", 0, from(Source::uptime_s, 1, 20)},
    {"queue_message_in", 0, from(Source::received_all)},
    {"queue_message_out", 0, from(Source::received_all)},
    {"router_matches_local", 0, from(Source::received_all)},
    {"total_active_connections", 0, constant(3)},
    {"active_mqtt_connections", 0, constant(3)},
    {"queue_processes", 0, constant(3)},
    {"retain_memory", 0, constant(15664)},
    {"router_memory", 0, constant(20480)},
    {"router_subscriptions", 0, constant(3)},
    {"system_utilization", 0, constant(2)},
    {"vm_memory_ets", 0, constant(6291456)},
    {"vm_memory_code", 0, constant(13631488)},
    {"vm_memory_binary", 0, constant(786432)},
    {"vm_memory_atom_used", 0, constant(622592)},
    {"vm_memory_atom", 0, constant(630784)},
    {"vm_memory_system", 0, constant(44040192)},
    {"vm_memory_processes_used", 0, constant(13369344)},
    {"vm_memory_processes", 0, constant(13631488)},
    {"vm_memory_total", 0, constant(57671680)},
    {"system_process_count", 0, constant(470)},
    {"system_wallclock", 0, from(Source::uptime_ms)},
    {"system_runtime", 0, from(Source::uptime_ms, 1, 900)},
    {"system_reductions", 0, from(Source::uptime_s, 6700)},
    {"system_io_out", 0, from(Source::uptime_s, 33, 1, 1700000)},
    {"system_io_in", 0, from(Source::uptime_s, 600, 1, 30000000)},
    {"system_words_reclaimed_by_gc", 0, from(Source::uptime_s, 13000)},
    {"system_gc_count", 0, from(Source::uptime_s, 7)},
    {"system_context_switches", 0, from(Source::uptime_s, 77)},
    {"swc_dotkeymap_memory", 0, constant(915)},
    // The latency histograms' observations per minute (the bucket shares are in histogram()).
    {"storage_scan_microseconds", 0, constant(1)},
    {"storage_write_microseconds", 0, constant(1300)},
    {"storage_read_microseconds", 0, constant(7)},
    {"metadata_put_microseconds", 0, constant(2)},
    {"metadata_get_microseconds", 0, constant(7)},
    {"metadata_delete_microseconds", 0, constant(1)},
    {"metadata_fold_microseconds", 0, constant(1)},
    // Left out by the plugin, served for a real body's size.
    {"mqtt_connack_accepted_sent", 4, from(Source::uptime_s, 1, 20, 2)},
    {"system_exact_reductions", 0, from(Source::uptime_s, 6690)},
};

// One utilization gauge per scheduler, highest first as VerneMQ lists them.

// Shape rules, from VerneMQ 2.0.1's body: the MQTT packet and error families (and the keepalive
// counter) have one series per MQTT version; a family with reason codes has its MQTT 5 series
// only by reason, and its MQTT 3.1.1 series by return code when it has those (CONNACK); AUTH and
// the DISCONNECT a broker sends exist in MQTT 5 only (MQTT 3.1.1 has neither packet).
bool per_version(std::string_view family) {
  return family.starts_with("mqtt_") || family == "client_keepalive_expired";
}
bool mqtt5_only(std::string_view family) {
  return family.starts_with("mqtt_auth_") || family == "mqtt_disconnect_sent";
}

// The label a chart splits the family by, other than a reason code (SWC groups), or "".
std::string_view split_label(std::string_view family) {
  for (const catalogue::Chart& c : catalogue::charts()) {
    if (c.split.empty() || !c.known.empty()) continue;
    for (const catalogue::Dim& d : c.dims) {
      if (d.family == family) return c.split;
    }
  }
  return {};
}

// A HELP text of our own: what the plugin makes of the family.
std::string help_of(std::string_view family) {
  for (const catalogue::Chart& c : catalogue::charts()) {
    for (const catalogue::Dim& d : c.dims) {
      if (d.family == family) return "Simulated; charted in \"" + std::string(c.title) + "\".";
    }
  }
  return "Simulated.";
}

std::string_view type_name(catalogue::FamilyType t) {
  switch (t) {
    case catalogue::FamilyType::counter: return "counter";
    case catalogue::FamilyType::gauge: return "gauge";
    case catalogue::FamilyType::histogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

VernemqBody::VernemqBody(const Scenario& sc, std::size_t node) {
  std::map<std::string, std::size_t, std::less<>> metrics;
  for (std::size_t i = 0; i < sc.counters.size(); ++i) {
    if (sc.counters[i].generic()) metrics[sc.counters[i].reason] = i;
  }
  Builder b(sc.prefix, sc.nodes.at(node), std::move(metrics));
  const auto value_of = [&sc](std::string_view family, int version) {
    for (const Rule& r : kRules) {
      if (r.family != family || r.version != version) continue;
      if (!r.scenario) return r.value;
      const auto i = sc.counter_index(CounterId{r.received, version, std::string(r.reason)});
      return Value{Source::counter, 1, 1, 0, i.value_or(0)};
    }
    return kZero;
  };
  const auto families = catalogue::families();

  // Every family without reason codes, in the catalogue's order; then, as VerneMQ does, the
  // reason-code series of every family in a later block (their families are not contiguous).
  for (const catalogue::Family& f : families) {
    if (catalogue::from_a_plugin(f.name)) continue;  // the sim's broker loads no plugin
    const std::string help = help_of(f.name);
    const std::string_view type = type_name(f.type);
    if (f.type == catalogue::FamilyType::histogram) {
      b.histogram(f.name, help, value_of(f.name, 0).add);
    } else if (const std::string_view label = split_label(f.name); !label.empty()) {
      // VerneMQ sorts the SWC groups as strings: meta1, meta10, meta2, …
      std::vector<std::string> groups;
      for (int g = 1; g <= kSwcGroups; ++g) groups.push_back("meta" + std::to_string(g));
      std::sort(groups.begin(), groups.end());
      for (const std::string& g : groups) {
        b.series(f.name, "," + std::string(label) + "=\"" + g + "\"", value_of(f.name, 0), help, type);
      }
    } else if (!per_version(f.name)) {
      b.plain(f.name, help, type, value_of(f.name, 0));
    } else if (!mqtt5_only(f.name) && catalogue::reason_codes(f.name, 4).empty()) {
      const bool has_v5_total = catalogue::reason_codes(f.name, 5).empty();
      b.mqtt(f.name, help, value_of(f.name, 4),
             has_v5_total ? std::optional<Value>(value_of(f.name, 5)) : std::nullopt);
    }
  }
  // What VerneMQ exports and the plugin leaves out, so the body has a real one's size.
  for (const catalogue::LeftOut& l : catalogue::left_out()) {
    if (l.per_mqtt_version) {
      b.mqtt(l.name, "Simulated; not charted.", value_of(l.name, 4));
    } else {
      b.plain(l.name, "Simulated; not charted.", type_name(l.type), value_of(l.name, 0));
    }
  }
  for (int s = kSchedulers; s >= 1; --s) {
    b.plain(std::string(catalogue::kSchedulerGaugePrefix) + std::to_string(s), "Simulated; not charted.", "gauge",
            constant(static_cast<std::uint64_t>(s == 1 ? 9 : (s * 7) % 5)));
  }
  for (const catalogue::Family& f : families) {
    const std::string help = help_of(f.name);
    if (!catalogue::reason_codes(f.name, 4).empty()) b.reasons(f.name, help, "4", "return_code");
    if (catalogue::reason_codes(f.name, 5).empty()) continue;
    if (f.name == kPubackSent || f.name == kPubackReceived) {
      // The scenario's counters: the known reasons in VerneMQ's order, then any other it uses.
      const bool received = f.name == kPubackReceived;
      for (std::size_t i = 0; i < sc.counters.size(); ++i) {
        const CounterId& c = sc.counters[i];
        if (c.received != received || c.mqtt_version != 5) continue;
        b.reason(f.name, help, "5", "reason_code", c.reason, Value{Source::counter, 1, 1, 0, i});
      }
    } else {
      b.reasons(f.name, help, "5", "reason_code");
    }
  }

  if (const auto unused = b.unused_metrics(); !unused.empty()) {
    std::string msg = "scenario `metrics:` names a series the body does not have:";
    for (const std::string& k : unused) msg += " " + k;
    throw ScenarioError(msg + " (the family after the prefix, then its labels after node in the body's order)");
  }
  segments_ = b.take_segments();
  tail_ = b.take_tail();
  text_size_ = tail_.size();
  for (const Segment& s : segments_) text_size_ += s.text.size() + 1;

  v4_.resize(sc.counters.size());
  received_.resize(sc.counters.size());
  for (std::size_t i = 0; i < sc.counters.size(); ++i) {
    v4_[i] = sc.counters[i].mqtt_version == 4 ? 1 : 0;
    received_[i] = sc.counters[i].received ? 1 : 0;
    generic_.push_back(sc.counters[i].generic() ? 1 : 0);
  }
}

void VernemqBody::render(const NodeSnapshot& snap, std::string& out) const {
  // Sums over the scenario counters, once per render.
  std::uint64_t sums[2][2] = {{0, 0}, {0, 0}};  // [received][v4]
  for (std::size_t i = 0; i < snap.counters.size() && i < v4_.size(); ++i) {
    if (generic_[i] == 0) sums[received_[i]][v4_[i]] += snap.counters[i];
  }
  const auto uptime_ms = static_cast<std::uint64_t>(snap.uptime_ms > 0 ? snap.uptime_ms : 0);

  out.clear();
  if (snap.fault == Fault::absent) return;
  if (out.capacity() < text_size_ + segments_.size() * 8) out.reserve(text_size_ + segments_.size() * 8);
  char digits[24];
  const auto faulted = [&snap](const Segment& s) {
    return s.value.source == Source::counter &&
           std::find(snap.fault_series.begin(), snap.fault_series.end(), s.value.index) != snap.fault_series.end();
  };
  for (const Segment& s : segments_) {
    if (snap.fault == Fault::hide && faulted(s)) {
      // Leave the sample line out: a segment's text ends with the start of its own line.
      const std::size_t line_start = s.text.rfind('\n');
      out.append(s.text, 0, line_start == std::string::npos ? 0 : line_start);
      continue;
    }
    out += s.text;
    std::uint64_t x = 0;
    switch (s.value.source) {
      case Source::constant: x = 0; break;
      case Source::counter: x = s.value.index < snap.counters.size() ? snap.counters[s.value.index] : 0; break;
      case Source::uptime_s: x = uptime_ms / 1000; break;
      case Source::uptime_ms: x = uptime_ms; break;
      case Source::sent_v4: x = sums[0][1]; break;
      case Source::sent_v5: x = sums[0][0]; break;
      case Source::sent_all: x = sums[0][0] + sums[0][1]; break;
      case Source::received_v4: x = sums[1][1]; break;
      case Source::received_v5: x = sums[1][0]; break;
      case Source::received_all: x = sums[1][0] + sums[1][1]; break;
    }
    const std::uint64_t v = s.value.add + x * s.value.mul / s.value.div;
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
    (void)ec;  // 24 bytes always hold a 64-bit number
    out.append(digits, end);
    if (snap.fault == Fault::corrupt && faulted(s)) out += "oops";  // not a number: a malformed line
  }
  out += tail_;
}

}  // namespace vmq::sim
