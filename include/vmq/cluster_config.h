// SPDX-License-Identifier: GPL-3.0-or-later
// A job's cluster settings: the `cluster_sources` and `cluster_update_every` job keys. Parsed
// here, not in config.cpp, so that the config parser only hands these two keys over.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmq/cluster_sources.h"

namespace YAML {
class Node;
}

namespace vmq {

inline constexpr int kDefaultClusterUpdateEvery = 10;
inline constexpr int kMaxClusterUpdateEvery = 86400;

struct ClusterConfig {
  ClusterSourceSettings sources;                  // enabled defaults to true, url to ""
  std::array<bool, kClusterSourceCount> given{};  // `enabled` written in the file
  int update_every = kDefaultClusterUpdateEvery;  // seconds
};

// A problem with one of the two keys, located in the file (1-based; 0 = unknown).
struct ClusterConfigError {
  int line = 0;
  int column = 0;
  std::string what;  // "key 'cluster_sources': ...; expected ..."
};

// True for the job keys this file parses.
[[nodiscard]] bool is_cluster_key(std::string_view key);

// Parses `value` of job key `key` (one of is_cluster_key()) into `out`; the errors found, each
// with its place (empty when the value is good).
std::vector<ClusterConfigError> parse_cluster_key(std::string_view key, const YAML::Node& value, ClusterConfig& out);

// Whether `source` is polled: as configured, else on by default except the /api/v1 sources,
// which are on only when the job has an API key.
[[nodiscard]] bool cluster_source_enabled(const ClusterConfig& c, ClusterSource source, bool has_api_key);

// Overridden URLs that cluster_source_url() refuses for a job on `metrics_url`, one message per
// source ("cluster_sources.health.url: ...").
[[nodiscard]] std::vector<std::string> check_cluster_config(const ClusterConfig& c, std::string_view metrics_url);

}  // namespace vmq
