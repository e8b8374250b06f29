// SPDX-License-Identifier: GPL-3.0-or-later
// The cluster sources' JSON bodies → one ClusterView. Every parser is bounded (body size,
// nesting depth, number of values, members, listeners, reasons, string lengths) and returns its
// problems as values: a bad body is a clear error for that source only, never an exception,
// and leaves that source's part of the view empty. Names are kept verbatim (quotes, spaces,
// '=', newlines and all): making them safe for Netdata is the writer's job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmq/cluster_sources.h"

namespace vmq {

struct ClusterLimits {
  std::size_t max_body_bytes = 4u * 1024u * 1024u;  // a 50-node status.json is ~30 KB
  std::size_t max_depth = 16;                       // status.json needs 6
  std::size_t max_values = 200000;                  // JSON values in one body
  std::size_t max_members = 256;                    // per node's view; the rest counted
  std::size_t max_nodes = 256;                      // entries of status.json
  std::size_t max_listeners = 64;                   // per node; the rest counted
  std::size_t max_reasons = 16;                     // health reasons kept
  std::size_t max_string = 256;                     // bytes kept of any name or text
};

struct ClusterMember {
  std::string name;
  bool running = false;  // status.json's mystatus / cluster show's Running
};

struct ClusterListener {
  std::string type;    // mqtt, mqtts, mqttws, mqttwss, http, https, vmq, ...
  std::string status;  // running, stopped, ...
  std::string ip;
  std::uint32_t port = 0;
  std::optional<std::uint64_t> max_conns;  // nullopt: "infinity" or not given
  bool max_conns_infinite = false;
  std::optional<std::uint64_t> active_conns;  // the API only
  std::optional<std::uint64_t> all_conns;     // the API only
};

// One entry of /status.json: node `name` and how it sees the cluster.
struct NodeStatus {
  std::string name;
  std::string version;
  std::optional<std::uint64_t> num_online;
  std::optional<std::uint64_t> num_offline;
  std::vector<ClusterMember> members;  // mystatus, in body order
  std::size_t members_dropped = 0;     // beyond ClusterLimits::max_members
  std::vector<ClusterListener> listeners;
  std::size_t listeners_dropped = 0;  // beyond ClusterLimits::max_listeners
};

struct StatusView {
  bool valid = false;
  std::vector<NodeStatus> nodes;
  std::size_t nodes_dropped = 0;
  // The entry of `node`, or nullptr.
  [[nodiscard]] const NodeStatus* find(std::string_view node) const;
};

struct HealthView {
  bool valid = false;
  bool ok = false;                   // {"status":"OK"} (HTTP 200)
  std::vector<std::string> reasons;  // with DOWN (HTTP 503)
  std::size_t reasons_dropped = 0;
};

struct ApiClusterView {
  bool valid = false;
  std::vector<ClusterMember> members;
  std::size_t members_dropped = 0;
};

struct ApiListenerView {
  bool valid = false;
  std::vector<ClusterListener> listeners;
  std::size_t listeners_dropped = 0;
};

// What one job's node offers about the cluster, one part per source.
struct ClusterView {
  StatusView status;
  HealthView health;
  HealthView health_full_cluster;
  ApiClusterView api_cluster;
  ApiListenerView api_listeners;
};

// The outcome of parsing one source's body.
struct ClusterParseResult {
  bool ok = false;
  std::string error;               // when !ok: "<path>: <what> at <where>; expected <what>"
  std::vector<std::string> notes;  // when ok: what was cut by a limit (kept data is still right)
};

// Parses the answer of `source` (HTTP status and body) into its part of `view`; the other parts
// are untouched. /health answers 503 when DOWN, so the status is part of the input.
ClusterParseResult parse_cluster_source(ClusterSource source, long http_status, std::string_view body,
                                        ClusterView& view, const ClusterLimits& limits = {});

ClusterParseResult parse_status_json(std::string_view body, StatusView& out, const ClusterLimits& limits = {});
ClusterParseResult parse_health(long http_status, std::string_view body, HealthView& out,
                                const ClusterLimits& limits = {});
ClusterParseResult parse_api_cluster_show(std::string_view body, ApiClusterView& out, const ClusterLimits& limits = {});
ClusterParseResult parse_api_listener_show(std::string_view body, ApiListenerView& out,
                                           const ClusterLimits& limits = {});

// The cluster as the node `local` sees it in /status.json, for charts and alerts.
struct MemberSummary {
  bool known = false;  // `local` has an entry
  std::size_t running = 0;
  std::size_t not_running = 0;
  std::vector<std::string> down;      // names seen not running, in body order
  std::size_t disagreeing_nodes = 0;  // other entries whose view differs from `local`'s (netsplit)
};
[[nodiscard]] MemberSummary summarize_members(const StatusView& status, std::string_view local);

}  // namespace vmq
