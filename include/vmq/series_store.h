// SPDX-License-Identifier: GPL-3.0-or-later
// One job's counter series and what each scrape adds to them (design.md, decision 1).
//
// A series is keyed by node, family and labels. A scrape is staged (begin, samples, then commit
// when the body is usable, or discard), because a node's restart can only be judged once all
// of its samples are in. At commit, per node:
// - restart: `system_wallclock` (ms since the node started) says the node started after its
//   previous scrape (its start estimate moved later than the previous one could have been), or
//   went down; a node without it restarted when any of its counters went down. After a restart
//   every series of the node counts its new value as events since the restart, spread from the
//   later of its previous sample and the node's start;
// - a node first seen after the job's first commit is a baseline (no events), and so is a series
//   first seen on a known node, unless the node restarted at that commit;
// - a series absent from a commit keeps its last value: nothing is recorded, and when it comes
//   back its delta covers the whole gap (c_new - c_last, or c_new after a restart in between);
// - a series that goes down on a node that did not restart is a reset of that series alone:
//   c_new events since its previous sample (Prometheus' rule; real VerneMQ never does this).
// A node or series absent from the commits of longer than a window is forgotten, so memory stays
// bounded however labels churn; if it returns it is new again (a baseline).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmq/counting.h"

namespace vmq {

class SeriesStore {
 public:
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();
  static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

  // One series' state, kept small (a job holds ~300 of them, a process up to a thousand jobs):
  // its labels are not stored, only a seeded hash of family and labels (key_of), and a counter's
  // events only when some exist (`window`).
  struct Series {
    std::uint64_t key = 0;                // key_of(family, labels)
    std::uint64_t last = 0;               // a counter's latest committed value; a gauge's level (bits)
    std::uint64_t pending = 0;            // this scrape's sample, staged until commit (same encoding)
    std::int64_t last_pos = kNever;       // position of the last committed sample
    double rate = kNoRate;                // the latest commit's events per second (kNoRate: none)
    std::unique_ptr<CountWindow> window;  // events, once there are any (windowed series only)
    std::uint64_t tag = 0;                // free for the caller (e.g. its routes); kept across scrapes
    std::uint16_t family = 0;             // the caller's family number
    std::uint16_t epoch = 0;              // the node's restart count at that sample (wraps: a series unseen
                                          // for 65 536 restarts is long pruned)
    std::uint16_t node = 0;               // index into nodes()
    bool gauge : 1 = false;               // a level, not a counter: no deltas, never a restart sign
    bool windowed : 1 = true;             // the caller may clear it: its events are then not kept for count()
    bool keep_long : 1 = false;           // the caller may keep its events for the long span (count_over)
    bool has_pending : 1 = false;         // sampled in the scrape being staged
    bool fresh : 1 = false;               // in the latest commit
  };
  static constexpr double kNoRate = -1;

  struct Node {
    std::string name;
    std::int64_t last_pos = kNever;     // position of the last commit the node was in
    std::uint16_t epoch = 0;            // restarts seen (wraps harmlessly: see Series::epoch)
    std::int64_t restart_pos = kNever;  // where the latest restart's events start (node start)
    bool restarted_now = false;         // restarted at the latest commit
    // system_wallclock at the last commit, and the monotonic times of that scrape.
    std::optional<std::uint64_t> wallclock_ms;
    std::int64_t scrape_start_us = 0;
    std::int64_t scrape_end_us = 0;
    // Staged for this scrape.
    std::optional<std::uint64_t> pending_wallclock_ms;
    bool seen_now = false;
  };

  explicit SeriesStore(int update_every_s);

  // The key of a series of `family` with canonical labels `labels`: a 64-bit hash seeded once
  // per process, so no body can choose labels that collide.
  [[nodiscard]] static std::uint64_t key_of(int family, std::string_view labels);
  // Events of series marked keep_long are kept for this long (at least the window).
  void set_long_span(std::int64_t us) { long_span_us_ = us; }

  // A scrape for `tick`, requested at `start_mono_us`, its body complete at `end_mono_us`.
  void begin(std::int64_t tick, std::int64_t start_mono_us, std::int64_t end_mono_us);
  // This scrape's system_wallclock of `node`.
  void wallclock(std::string_view node, std::uint64_t ms);
  // This scrape's value of a series; the series' index (valid until the next commit/discard).
  std::size_t sample(std::string_view node, int family, std::string_view labels, std::uint64_t value);
  // This scrape's value of a gauge series (a level: never counted, never a restart sign).
  std::size_t sample_gauge(std::string_view node, int family, std::string_view labels, double value);
  // The body was usable: apply the staged samples at this scrape's tick.
  void commit();
  // The body was not usable (or the scrape failed): forget what was staged.
  void discard();

  // Events of series `i` in the window that ends at `tick`, added to `acc`.
  void count(std::size_t i, std::int64_t tick, Share& acc) const;
  // Events of series `i` in the `span_us` that end at `tick` (at most its keep_us or the window).
  void count_over(std::size_t i, std::int64_t tick, std::int64_t span_us, Share& acc) const;
  // The rate of series `i` when it was sampled at `tick` with a delta; nullopt otherwise
  // (absent, a baseline, or another tick).
  [[nodiscard]] std::optional<double> rate(std::size_t i, std::int64_t tick) const;
  // The level of series `i` when it was sampled at `tick` (a gauge's value, or a counter's
  // latest value); nullopt otherwise.
  [[nodiscard]] std::optional<double> level(std::size_t i, std::int64_t tick) const;
  // True when the latest commit was at `tick` and held series `i`.
  [[nodiscard]] bool fresh(std::size_t i, std::int64_t tick) const;

  [[nodiscard]] std::vector<Series>& series() { return series_; }
  [[nodiscard]] const std::vector<Series>& series() const { return series_; }
  [[nodiscard]] const std::vector<Node>& nodes() const { return nodes_; }
  [[nodiscard]] std::int64_t pos(std::int64_t tick) const { return tick * step_us_; }
  [[nodiscard]] std::int64_t step_us() const { return step_us_; }
  [[nodiscard]] std::int64_t span_us() const { return span_us_; }
  [[nodiscard]] bool committed_once() const { return committed_once_; }

 private:
  std::size_t node_index(std::string_view name);
  std::size_t slot(std::string_view node, int family, std::string_view labels);
  [[nodiscard]] std::size_t lookup(std::size_t node, std::uint64_t key) const;
  void decide_restart(Node& node, std::size_t node_idx);
  void apply(Series& s, const Node& node, bool node_is_new);
  void prune();
  void reindex();

  std::int64_t step_us_;
  std::int64_t span_us_;
  std::int64_t long_span_us_ = 0;
  std::vector<Node> nodes_;
  std::vector<Series> series_;
  // Open addressing over series_ by (node, key): index + 1, 0 empty; at most 3/4 full.
  std::vector<std::uint32_t> slots_;
  std::size_t cursor_ = 0;  // bodies list series in the same order: where to look first
  std::size_t node_cursor_ = 0;
  std::int64_t tick_ = 0;
  std::int64_t start_us_ = 0;
  std::int64_t end_us_ = 0;
  std::int64_t commit_pos_ = kNever;  // position of the latest commit
  bool committed_once_ = false;
  std::size_t nodes_before_ = 0;  // nodes that existed before this scrape
};

}  // namespace vmq
