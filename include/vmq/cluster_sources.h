// SPDX-License-Identifier: GPL-3.0-or-later
// The cluster sources a job may poll beside /metrics, and the ONLY paths the plugin may ever
// request for them. VerneMQ's /api/v1 runs every vmq-admin command on a plain GET, destructive
// ones included (cluster/leave, session/disconnect): so a request URL is built from this table
// alone, never from configured text, and checked against it again before it is handed out.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vmq {

enum class ClusterSource : std::uint8_t {
  status_json,                    // cluster view of every node (all versions)
  health,                         // OK / DOWN with reasons (all versions)
  health_listeners_full_cluster,  // DOWN when any node or listener of the cluster is (2.0+)
  api_cluster_show,               // vmq-admin cluster show, needs the API key
  api_listener_show,              // vmq-admin listener show, needs the API key
};

struct ClusterSourceSpec {
  ClusterSource id;
  std::string_view key;   // the name in the job's configuration and in messages
  std::string_view path;  // the exact request path; no query string, ever
  bool needs_api_key;     // VerneMQ's default auth mode for the module is apikey
  int since_major;        // first VerneMQ major version that serves it (absent → 404)
  std::string_view what;  // for logs: what the source gives
};

// The allow-list. Adding a row is the only way to let the plugin request a new path.
inline constexpr std::array<ClusterSourceSpec, 5> kClusterSources{{
    {ClusterSource::status_json, "status_json", "/status.json", false, 1,
     "members as each node sees them, sessions, listeners"},
    {ClusterSource::health, "health", "/health", false, 1, "node health OK/DOWN with reasons"},
    {ClusterSource::health_listeners_full_cluster, "health_listeners_full_cluster", "/health/listeners_full_cluster",
     false, 2, "cluster-wide listener health OK/DOWN"},
    {ClusterSource::api_cluster_show, "api_cluster_show", "/api/v1/cluster/show", true, 1,
     "cluster membership (vmq-admin cluster show)"},
    {ClusterSource::api_listener_show, "api_listener_show", "/api/v1/listener/show", true, 1,
     "listeners with active_conns (vmq-admin listener show)"},
}};
inline constexpr std::size_t kClusterSourceCount = kClusterSources.size();

[[nodiscard]] constexpr const ClusterSourceSpec& cluster_source_spec(ClusterSource id) {
  return kClusterSources[static_cast<std::size_t>(id)];
}
[[nodiscard]] std::optional<ClusterSource> cluster_source_from_key(std::string_view key);

// Per-source settings, filled from the job's configuration.
struct ClusterSourceSetting {
  bool enabled = true;
  // Empty: derived from the /metrics URL's origin. Else an http(s) URL on the SAME host as
  // /metrics (another port or scheme is fine, e.g. a second HTTP listener); its path must be
  // empty, "/" or exactly this source's own path; no userinfo, query or fragment.
  std::string url;
};
using ClusterSourceSettings = std::array<ClusterSourceSetting, kClusterSourceCount>;

// Where one source is fetched from. Exactly one of: `url` set (fetch it), `disabled` (turned
// off by configuration; not an error), or `error` set (refused; says what, where, expected).
struct ClusterSourceUrl {
  std::string url;
  bool disabled = false;
  std::string error;
};

// The request URL of `source` for a job whose metrics URL is `metrics_url`: scheme, host and
// port of that URL (its userinfo, path and query are NOT copied) plus the source's table path,
// or the setting's override. Whatever the input, a URL handed out passes check_cluster_request().
[[nodiscard]] ClusterSourceUrl cluster_source_url(ClusterSource source, std::string_view metrics_url,
                                                  const ClusterSourceSetting& setting = {});

// The last gate before a request: empty when `url` is an http(s) URL without userinfo, query
// or fragment, on the host of `metrics_url`, whose path is exactly one of the table's paths;
// else why not. Messages never contain the URL's userinfo.
[[nodiscard]] std::string check_cluster_request(std::string_view url, std::string_view metrics_url);

}  // namespace vmq
