// SPDX-License-Identifier: GPL-3.0-or-later
// Polls every job's cluster sources through the plugin's HttpClient (one easy handle per job for
// all its sources, on the same multi handle as /metrics) every `cluster_update_every` seconds, parses
// the answers into the job's ClusterView, and renders the last complete round's charts at each
// of the job's ticks. The metrics never wait for it: a round's transfers run beside the scrapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmq/config.h"
#include "vmq/http_fetch.h"

namespace vmq {

inline constexpr std::int64_t kClusterReprobeUs = 300'000'000;  // a 404/401 source, again after 5 min
inline constexpr std::int64_t kClusterLogEveryUs = 60'000'000;  // a failing source logs once a minute

class ClusterJobs {
 public:
  explicit ClusterJobs(HttpClient& http);
  ~ClusterJobs();
  ClusterJobs(const ClusterJobs&) = delete;
  ClusterJobs& operator=(const ClusterJobs&) = delete;

  // Registers the job's enabled sources (none: nothing happens for it). `chart_type` is the
  // job's (JobCharts::type()); `job_every` its interval, the floor of the cluster cadence.
  // Returns the job's handle for set_local_node(). Never throws: a refused source is logged.
  std::size_t add(const JobConfig& job, std::string_view chart_type, int job_every);

  // The node label /metrics gave this job: which /status.json entry is this node.
  void set_local_node(std::size_t job, std::string_view node);

  // The VerneMQ version of the job's node (its /status.json entry), once known; for the v2
  // `vernemq` Function.
  [[nodiscard]] std::optional<std::string> version(std::size_t job) const;

  // The job's /metrics transfer has just ended: starts its round if one is due (never while a
  // source is still in flight). Then, not at a timer of its own, the connection /metrics used
  // is idle and the round reuses it: one connection per node, not two.
  void after_scrape(std::size_t job, std::int64_t now_mono_us);

  // A finished transfer: false when `http_idx` is not a cluster source (it is the caller's).
  // When the job's round is complete, it becomes what the charts show.
  bool on_done(std::size_t http_idx, const FetchResult& r, std::int64_t now_mono_us);

  // The job's cluster charts at one of its ticks: the last complete round's values (a source
  // that failed in it: empty values). Nothing before the first round is complete.
  void render(std::size_t job, std::int64_t now_mono_us, std::string& out);

 private:
  struct Job;
  void start_next(Job& job, std::int64_t now);
  void finish(Job& job, std::size_t source, const FetchResult& r, std::int64_t now);

  HttpClient& http_;
  std::vector<std::unique_ptr<Job>> jobs_;
  std::vector<Job*> by_http_;  // http index → its job; nullptr: not ours
};

}  // namespace vmq
