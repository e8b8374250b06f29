// SPDX-License-Identifier: GPL-3.0-or-later
// The cluster charts: one table row per chart (what it shows, from which source, with which
// fallback) and a fill function reading the ClusterView; the per-listener charts follow the
// listeners of /api/v1/listener/show.
#include "vmq/cluster_charts.h"

#include <algorithm>
#include <vector>

#include "vmq/netdata_writer.h"

namespace vmq {
namespace {

constexpr std::string_view kFamily = "cluster";
constexpr std::string_view kLabelCollectJob = "_collect_job";
constexpr std::string_view kLabelVersion = "vernemq_version";
constexpr std::size_t kMaxDims = 3;

struct Values {
  std::array<std::optional<std::int64_t>, kMaxDims> v{};
  std::string label;  // the row's label value (may be empty)
};

// Fills `out` from the round; false when the chosen source's data is not usable this round.
using Fill = bool (*)(const ClusterRound&, ClusterSource, Values&);

struct ChartSpec {
  std::string_view id;
  std::string_view title;
  std::string_view units;
  std::string_view context;
  std::string_view chart_type;
  long priority;
  std::array<std::string_view, kMaxDims> dims;  // "" = unused
  ClusterSource source;
  std::optional<ClusterSource> fallback;  // used when `source` is off
  std::string_view label;                 // the row's own label name, "" = none
  Fill fill;
};

const NodeStatus* local_entry(const ClusterRound& r) { return r.view->status.find(r.local_node); }

// Label values keep only Netdata 1.37's label characters (the writer turns ',' and ';' into '_'):
// names are joined by a space, reasons by " / ".
void append_cut(std::string& out, std::string_view sep, std::string_view item) {
  if (out.size() >= kMaxClusterLabel) return;
  if (!out.empty()) out.append(sep);
  out.append(item.substr(0, kMaxClusterLabel - std::min(out.size(), kMaxClusterLabel)));
}

bool fill_members(const ClusterRound& r, ClusterSource s, Values& out) {
  std::size_t running = 0;
  std::size_t down = 0;
  if (s == ClusterSource::status_json) {
    const MemberSummary m = summarize_members(r.view->status, r.local_node);
    if (!m.known) return false;  // this node is not in its own status.json (or /metrics not read yet)
    running = m.running;
    down = m.not_running;
    for (const std::string& n : m.down) append_cut(out.label, " ", n);
  } else {
    for (const ClusterMember& m : r.view->api_cluster.members) {
      if (m.running) {
        ++running;
      } else {
        ++down;
        append_cut(out.label, " ", m.name);
      }
    }
  }
  out.v[0] = static_cast<std::int64_t>(running);
  out.v[1] = static_cast<std::int64_t>(down);
  return true;
}

bool fill_views(const ClusterRound& r, ClusterSource, Values& out) {
  const MemberSummary m = summarize_members(r.view->status, r.local_node);
  if (!m.known) return false;
  out.v[0] = static_cast<std::int64_t>(m.disagreeing_nodes);
  return true;
}

bool fill_health(const HealthView& h, Values& out) {
  if (!h.valid) return false;
  out.v[0] = h.ok ? 1 : 0;
  out.v[1] = h.ok ? 0 : 1;
  for (const std::string& reason : h.reasons) append_cut(out.label, " / ", reason);
  return true;
}

bool fill_node_health(const ClusterRound& r, ClusterSource, Values& out) { return fill_health(r.view->health, out); }
bool fill_cluster_health(const ClusterRound& r, ClusterSource, Values& out) {
  return fill_health(r.view->health_full_cluster, out);
}

bool fill_listeners(const ClusterRound& r, ClusterSource s, Values& out) {
  const std::vector<ClusterListener>* listeners = nullptr;
  if (s == ClusterSource::status_json) {
    const NodeStatus* self = local_entry(r);
    if (self == nullptr) return false;
    listeners = &self->listeners;
  } else {
    listeners = &r.view->api_listeners.listeners;
  }
  std::int64_t running = 0;
  std::int64_t stopped = 0;
  std::int64_t other = 0;
  for (const ClusterListener& l : *listeners) {
    if (l.status == "running") {
      ++running;
    } else if (l.status == "stopped") {
      ++stopped;
    } else {
      ++other;
    }
  }
  out.v = {running, stopped, other};
  return true;
}

bool fill_sessions(const ClusterRound& r, ClusterSource, Values& out) {
  const NodeStatus* self = local_entry(r);
  if (self == nullptr) return false;
  if (self->num_online) out.v[0] = static_cast<std::int64_t>(*self->num_online);
  if (self->num_offline) out.v[1] = static_cast<std::int64_t>(*self->num_offline);
  return true;
}

// The table (docs/cluster.md). Priorities 70900+, after the job's other charts.
constexpr std::array<ChartSpec, 6> kCharts{{
    {"cluster_members",
     "Cluster members as this node sees them",
     "nodes",
     "vernemq.cluster_members",
     "stacked",
     kClusterPriority,
     {"running", "not_running", ""},
     ClusterSource::status_json,
     ClusterSource::api_cluster_show,
     "not_running",
     &fill_members},
    {"cluster_views",
     "Cluster nodes whose view differs from this node's (netsplit)",
     "nodes",
     "vernemq.cluster_views",
     "line",
     kClusterPriority + 1,
     {"disagreeing", "", ""},
     ClusterSource::status_json,
     std::nullopt,
     "",
     &fill_views},
    {"node_health",
     "Node health (/health)",
     "status",
     "vernemq.node_health",
     "line",
     kClusterPriority + 2,
     {"ok", "down", ""},
     ClusterSource::health,
     std::nullopt,
     "reasons",
     &fill_node_health},
    {"cluster_health",
     "Cluster listener health (/health/listeners_full_cluster)",
     "status",
     "vernemq.cluster_health",
     "line",
     kClusterPriority + 3,
     {"ok", "down", ""},
     ClusterSource::health_listeners_full_cluster,
     std::nullopt,
     "reasons",
     &fill_cluster_health},
    {"listeners",
     "Listeners of this node by status",
     "listeners",
     "vernemq.listeners",
     "stacked",
     kClusterPriority + 4,
     {"running", "stopped", "other"},
     ClusterSource::status_json,
     ClusterSource::api_listener_show,
     "",
     &fill_listeners},
    {"sessions",
     "Sessions on this node",
     "sessions",
     "vernemq.cluster_sessions",
     "stacked",
     kClusterPriority + 5,
     {"online", "offline", ""},
     ClusterSource::status_json,
     std::nullopt,
     "",
     &fill_sessions},
}};

constexpr long kListenerPriority = kClusterPriority + 10;  // two per listener from here

SourceState state_of(const ClusterRound& r, ClusterSource s) { return r.state[static_cast<std::size_t>(s)]; }

}  // namespace

ClusterCharts::ClusterCharts(std::string job_name, std::string chart_type, int update_every)
    : job_(std::move(job_name)), type_(std::move(chart_type)), update_every_(update_every) {}

void ClusterCharts::render(const ClusterRound& round, std::string& out) {
  ProtocolWriter w(out);
  const NodeStatus* self = round.view->status.find(round.local_node);
  const std::string version = self != nullptr ? self->version : std::string();

  // Defines the chart when new or when a label changed, then sends its values (nullopt: a gap).
  const auto emit = [&](std::string_view id, const ChartLine& line, const std::vector<DimensionLine>& dims,
                        std::string_view label_name, std::string_view label_value,
                        const std::vector<std::optional<std::int64_t>>& values) {
    scratch_.clear();
    scratch_.append(label_name).append("=").append(label_value).append("\n").append(version);
    const std::string key(id);
    State& st = state_for(key);
    const bool fresh_def = !st.last_begin_us.has_value() && st.signature.empty();
    if (fresh_def || st.signature != scratch_) {
      w.chart(line);
      for (const DimensionLine& d : dims) w.dimension(d);
      w.clabel(kLabelCollectJob, job_);
      if (!version.empty()) w.clabel(kLabelVersion, version);
      if (!label_name.empty()) w.clabel(label_name, label_value.empty() ? std::string_view("none") : label_value);
      w.clabel_commit();
      st.signature = scratch_;
    }
    std::optional<std::uint64_t> usec;
    if (st.last_begin_us && round.mono_us > *st.last_begin_us) {
      usec = static_cast<std::uint64_t>(round.mono_us - *st.last_begin_us);
    }
    st.last_begin_us = round.mono_us;
    w.begin(type_, id, usec);
    for (std::size_t i = 0; i < dims.size() && i < values.size(); ++i) w.set(dims[i].id, values[i]);
    w.end();
  };

  std::vector<DimensionLine> dims;
  std::vector<std::optional<std::int64_t>> values;
  for (const ChartSpec& spec : kCharts) {
    std::optional<ClusterSource> source;
    if (state_of(round, spec.source) != SourceState::off) {
      source = spec.source;
    } else if (spec.fallback && state_of(round, *spec.fallback) != SourceState::off) {
      source = spec.fallback;
    }
    if (!source) continue;  // nothing polled for it: no chart
    Values v;
    const bool have = state_of(round, *source) == SourceState::fresh && spec.fill(round, *source, v);
    if (!have) v = Values{};
    dims.clear();
    values.clear();
    for (std::size_t i = 0; i < kMaxDims && !spec.dims[i].empty(); ++i) {
      dims.push_back(DimensionLine{spec.dims[i], "absolute", 1, 1});
      values.push_back(v.v[i]);
    }
    // Before the first usable answer a chart is not worth creating: its labels are unknown.
    if (!have && !defined(spec.id)) continue;
    const ChartLine line{type_,        spec.id,         spec.title,    spec.units,   kFamily,
                         spec.context, spec.chart_type, spec.priority, update_every_};
    // Through a gap the last labels stay: v.label is empty only because nothing was read.
    std::string label = v.label;
    if (!have) {
      const auto it = charts_.find(std::string(spec.id));
      const std::string& sig = it->second.signature;
      const auto eq = sig.find('=');
      const auto nl = sig.find('\n');
      if (eq != std::string::npos && nl != std::string::npos && eq < nl) label = sig.substr(eq + 1, nl - eq - 1);
    }
    emit(spec.id, line, dims, spec.label, label, values);
  }

  // Per listener, from /api/v1/listener/show: connections against max_conns, and the share used.
  if (state_of(round, ClusterSource::api_listener_show) != SourceState::fresh) return;
  long priority = kListenerPriority;
  for (const ClusterListener& l : round.view->api_listeners.listeners) {
    const std::string base = "listener_" + sanitize_id(l.type) + "_" + std::to_string(l.port);
    const bool finite = l.max_conns.has_value() && !l.max_conns_infinite;
    const std::string label = l.type + " " + l.ip + ":" + std::to_string(l.port);
    dims = {DimensionLine{"active", "absolute", 1, 1}};
    values = {l.active_conns ? std::optional<std::int64_t>(static_cast<std::int64_t>(*l.active_conns)) : std::nullopt};
    if (finite) {
      dims.push_back(DimensionLine{"max", "absolute", 1, 1});
      values.emplace_back(static_cast<std::int64_t>(*l.max_conns));
    }
    const ChartLine conns{type_,         base,     "Listener connections",
                          "connections", kFamily,  "vernemq.listener_connections",
                          "line",        priority, update_every_};
    emit(base, conns, dims, "listener", label, values);
    if (finite && *l.max_conns > 0) {
      const std::string uid = base + "_utilization";
      std::optional<std::int64_t> used;
      if (l.active_conns) {
        used = static_cast<std::int64_t>(std::min<std::uint64_t>(*l.active_conns, 1'000'000'000'000ULL) * 100000ULL /
                                         *l.max_conns);
      }
      const ChartLine util{type_,        uid,          "Listener connections used of max_conns",
                           "percentage", kFamily,      "vernemq.listener_utilization",
                           "line",       priority + 1, update_every_};
      emit(uid, util, {DimensionLine{"used", "absolute", 1, 1000}}, "listener", label, {used});
    }
    priority += 2;
  }
}

std::vector<ClusterChartShape> cluster_chart_shapes() {
  std::vector<ClusterChartShape> out;
  for (const ChartSpec& spec : kCharts) {
    ClusterChartShape shape{spec.context, {}};
    for (std::string_view d : spec.dims) {
      if (!d.empty()) shape.dims.push_back(d);
    }
    out.push_back(std::move(shape));
  }
  out.push_back({"vernemq.listener_connections", {"active", "max"}});
  out.push_back({"vernemq.listener_utilization", {"used"}});
  return out;
}

}  // namespace vmq
