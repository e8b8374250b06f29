// SPDX-License-Identifier: GPL-3.0-or-later
// The per-minute count of one counter series (design.md, decision 1).
//
// Each successful scrape contributes one delta: c_i - c_{i-1}, or c_i when the counter went down
// (the broker restarted: events since the restart). The value at tick i is the sum of the deltas
// of the ticks in the last `slots` intervals, slots = ceil(60 / update_every) (at least 1), so
// the window is exactly one minute when update_every divides 60 and is rounded up to whole
// intervals otherwise. Ticks are numbered by the scheduler from a monotonic clock, so a skipped
// tick (a failed scrape, a stalled process) simply contributes nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vmq {

// Number of intervals in the window for an update interval in seconds.
std::size_t window_slots(int update_every_s);

class CounterWindow {
 public:
  enum class Start {
    baseline,  // seen at the job's first successful scrape: its first value is a baseline (delta 0)
    appeared,  // first seen later: it started from 0 since the previous scrape (delta = value)
  };

  CounterWindow(std::size_t slots, Start start);

  // A successful scrape at `tick` holds the series with `value`.
  void observe(std::int64_t tick, std::uint64_t value);
  // A successful scrape at `tick` does not hold the series. If it comes back, it is handled as
  // a restart of that counter (delta = its new value).
  void absent(std::int64_t tick);
  // Events in the window ending at `tick` (saturating).
  [[nodiscard]] std::uint64_t sum(std::int64_t tick) const;

 private:
  void record(std::int64_t tick, std::uint64_t delta);

  enum class State { fresh, present, gone };
  std::vector<std::uint64_t> deltas_;
  std::vector<std::int64_t> ticks_;  // which tick each slot holds; INT64_MIN = empty
  std::uint64_t last_ = 0;
  State state_;
};

}  // namespace vmq
