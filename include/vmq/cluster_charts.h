// SPDX-License-Identifier: GPL-3.0-or-later
// The cluster charts of one job (docs/cluster.md, "Charts"): a table of charts over a
// ClusterView, rendered through the ProtocolWriter once per cluster round. A chart exists only
// while one of its sources is polled; a source that failed this round leaves its charts' values
// empty (a gap, never a made-up 0).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmq/cluster_json.h"
#include "vmq/cluster_sources.h"

namespace vmq {

enum class SourceState : std::uint8_t {
  off,     // not polled: turned off, no API key, or the node does not serve it (404/401)
  failed,  // polled, but no usable answer this round
  fresh,   // parsed this round: its part of the view is current
};

struct ClusterRound {
  const ClusterView* view = nullptr;
  std::array<SourceState, kClusterSourceCount> state{};
  std::string_view local_node;  // the node label of /metrics; "" while unknown
  std::int64_t mono_us = 0;     // when the round completed
};

inline constexpr long kClusterPriority = 70900;
inline constexpr std::size_t kMaxClusterLabel = 200;  // bytes of a names/reasons label

class ClusterCharts {
 public:
  // `chart_type`: the job's (JobCharts::type()); `update_every`: the cluster cadence.
  ClusterCharts(std::string job_name, std::string chart_type, int update_every);

  // Defines what is new or whose labels changed, then one BEGIN..END per live chart.
  void render(const ClusterRound& round, std::string& out);

  // For tests: whether the chart `id` has been defined.
  [[nodiscard]] bool defined(std::string_view id) const { return charts_.count(std::string(id)) > 0; }

 private:
  struct State {
    std::string signature;  // labels at the last definition; a change redefines the chart
    std::optional<std::int64_t> last_begin_us;
  };
  State& state_for(const std::string& id) { return charts_[id]; }

  std::string job_;
  std::string type_;
  int update_every_;
  std::map<std::string, State> charts_;
  std::string scratch_;
};

// Every cluster chart's context and dimension ids (for the health files' tests).
struct ClusterChartShape {
  std::string_view context;
  std::vector<std::string_view> dims;
};
[[nodiscard]] std::vector<ClusterChartShape> cluster_chart_shapes();

}  // namespace vmq
