// SPDX-License-Identifier: GPL-3.0-or-later
// The one place that knows VerneMQ (design.md, decision 2): the metric families it exports and
// the charts made of them, as data. The extraction asks it which names to keep, the series store
// keeps those series, the charts render its rows, --check reports against it, vernemq-sim and the
// README's chart reference are made from it. Adding a chart is adding a row to kCharts (and a
// test row); nothing else lists VerneMQ names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vmq::catalogue {

// A histogram is read from its cumulative `_bucket` counters (label `le`).
enum class FamilyType : std::uint8_t { counter, gauge, histogram };

// A family, by its name after VerneMQ's prefix ("vernemq_" on 2.x by default, none on 1.x).
struct Family {
  std::string_view name;
  FamilyType type;
  std::string_view since;  // first VerneMQ version that exports it ("1.10": every supported one)
  // When set, the body names the family after an instance: `<instance>_<name>` (vmq_bridge puts
  // the bridge's name first), and the extraction reads the instance as this label's value.
  std::string_view named_by = {};
};

// How a chart's values are made from its series (decision 1).
enum class Algo : std::uint8_t {
  gauge,     // the latest value (of a gauge, or of a counter: uptime, open sockets)
  rate,      // events per second over the interval the latest delta covers, restart-safe
  count,     // events in the last minute
  ratio,     // events per 100 events of a denominator, both over the last 5 minutes (in percent)
  quantile,  // of a histogram's observations in the last minute; the dimension id says which ("p99")
};

// The window of ratio charts (VerneMQ's own alert rules use 5-minute increases).
inline constexpr int kRatioWindowSeconds = 300;

// A dimension: the sum, over every series of `family` whose labels include `match`, of
// `sign` x the series' value (made as the chart's Algo says).
struct Dim {
  std::string_view id;       // dimension id and name
  std::string_view family;   // a Family name
  std::string_view match;    // "label=value", or "" for every series of the family
  int sign = 1;              // -1 subtracts the series (open sockets = opened - closed)
  int multiplier = 1;        // how Netdata shows it: -1 mirrors (sent below the axis)
  long divisor = 1;          // e.g. 1000: milliseconds shown as seconds
  bool denominator = false;  // ratio charts: the dimension is the other rows' events per 100 of these
  // And, when set, only the series whose label `among_label` has one of these values.
  std::string_view among_label = {};
  std::span<const std::string_view> among = {};
};

// True when a series with canonical labels `labels` is one `dim` reads (its match and among).
[[nodiscard]] bool dim_reads(const Dim& dim, std::string_view labels);

struct Chart {
  std::string_view id;  // also the context: "vernemq." + id
  std::string_view title;
  std::string_view units;
  std::string_view family;  // the dashboard's group
  std::string_view type;    // line, area, stacked
  long priority;
  Algo algo;
  std::span<const Dim> dims;
  // Dimensions by label: one per value of label `split` among the series of the dims (their
  // families and matches; a value's series of every dim are summed), the `known` values declared
  // from the start in VerneMQ's order, any other value added when it is first seen. Empty
  // `split`: the dims above are the dimensions.
  std::string_view split = {};
  std::span<const std::string_view> known = {};
  // For count charts: the dimensions that are refusals/failures (the alerts' selection), shown
  // in the README; empty for others.
  std::span<const std::string_view> failures = {};
};

// A family VerneMQ exports that the plugin does not read, on purpose (vernemq-sim serves it so
// its body has a real one's size; catalogue_test holds a real body to families() + these).
struct LeftOut {
  std::string_view name;
  FamilyType type;
  bool per_mqtt_version;  // VerneMQ writes it once per mqtt_version label ("4" for these)
  std::string_view why;
};
[[nodiscard]] std::span<const LeftOut> left_out();
// A family of a VerneMQ plugin (vmq_http_pub, vmq_webhooks; charted in the "plugins" group):
// exported only when that plugin is loaded, which a default broker (and vernemq-sim) has not.
[[nodiscard]] bool from_a_plugin(std::string_view family);
// Also left out: one utilisation gauge per scheduler (`system_utilization` is their average;
// go.d dropped them too), named this prefix + the scheduler's number.
inline constexpr std::string_view kSchedulerGaugePrefix = "system_utilization_scheduler_";

// Every family the plugin reads, and every chart, in dashboard order.
[[nodiscard]] std::span<const Family> families();
[[nodiscard]] std::span<const Chart> charts();

// The index of a family in families(), by its name after the prefix.
[[nodiscard]] std::optional<std::size_t> find_family(std::string_view name);

// A family named after an instance (Family::named_by), from a name after the prefix:
// "br0_vmq_bridge_publish_out_0" → vmq_bridge_publish_out_0's index and "br0"; nullopt for a
// name that is no such family's, or whose instance is empty.
struct NamedFamily {
  std::size_t family;
  std::string_view instance;
};
[[nodiscard]] std::optional<NamedFamily> find_named_family(std::string_view name);

// A cheap, unseeded hash of a short text (names, label text: mostly 10 to 40 bytes), eight bytes
// at a time; for tables built from the catalogue and repeat checks within one body, never for
// keys a body could choose to collide across scrapes (SeriesStore::key_of is seeded).
[[nodiscard]] inline std::uint64_t text_hash(std::string_view t) {
  std::uint64_t h = t.size() * 0x9e3779b97f4a7c15ULL;
  std::size_t i = 0;
  for (; i + 8 <= t.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, t.data() + i, sizeof w);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
  }
  std::uint64_t tail = 0;
  if (t.size() >= 8) {
    std::memcpy(&tail, t.data() + t.size() - 8, sizeof tail);  // the last 8, overlapping
  } else {
    for (; i < t.size(); ++i) tail = tail << 8 | static_cast<unsigned char>(t[i]);
  }
  h = (h ^ tail) * 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 32);
}
[[nodiscard]] std::optional<std::size_t> find_chart(std::string_view id);

// The quantile a dimension id names: "p50" → 0.5, "p999" → 0.999; nullopt for another id.
[[nodiscard]] std::optional<double> quantile_of(std::string_view dim_id);

// "vernemq." + chart id.
[[nodiscard]] std::string context_of(const Chart& chart);

// The reason codes of a family as VerneMQ declares them (empty when it has none): MQTT 5's
// reason_code, or with version 4 MQTT 3.1.1's CONNACK return_code.
[[nodiscard]] std::span<const std::string_view> reason_codes(std::string_view family, int mqtt_version = 5);

// The extraction's canonical label text: every label but `node`, in body order, as
// name=value pairs (values unescaped) separated by this byte; a family named after an instance
// (Family::named_by) has that label first.
inline constexpr char kLabelSeparator = '\x1f';

// A label's value in a canonical label text, or nullopt.
[[nodiscard]] std::optional<std::string_view> label_value(std::string_view labels, std::string_view name);
// True when `labels` holds the pair `match` ("name=value"); an empty match always holds.
[[nodiscard]] bool labels_match(std::string_view labels, std::string_view match);

}  // namespace vmq::catalogue
