// SPDX-License-Identifier: GPL-3.0-or-later
// Time: ticks aligned to the wall clock, as Netdata's own plugins do (next = now - now % step +
// step), many jobs spread over the step (spread_phase), with tick numbers counted on a monotonic
// clock so that the minute window never sees time run backwards. Clocks are injected, so all of
// it is tested without sleeping.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vmq {

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual std::int64_t wall_us() const = 0;  // CLOCK_REALTIME
  [[nodiscard]] virtual std::int64_t mono_us() const = 0;  // CLOCK_MONOTONIC
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] std::int64_t wall_us() const override;
  [[nodiscard]] std::int64_t mono_us() const override;
};

// The first wall-clock multiple of `step_us` strictly after `now_us`.
std::int64_t next_aligned(std::int64_t now_us, std::int64_t step_us);

// Where the `index`th of `jobs` jobs' ticks fall within a step of `step_us`. Up to
// kJobsPerPhase jobs all tick on the step, as Netdata's own plugins do; more are spread over as
// many phases as it takes to keep each phase to kJobsPerPhase jobs (at most kMaxPhases, index
// modulo the phases), as Prometheus spreads its targets' scrapes. A thousand jobs then have ~50
// bodies in flight at a time, not a thousand, and the memory a transfer needs while it runs
// (libcurl's receive buffer, the extraction's output) is held ~50 times, not a thousand; a few
// jobs keep one wake-up per step (each costs ~40 µs of CPU on a small VM).
inline constexpr std::size_t kJobsPerPhase = 50;
inline constexpr std::size_t kMaxPhases = 20;
[[nodiscard]] std::int64_t spread_phase(std::size_t index, std::size_t jobs, std::int64_t step_us);

// One job's ticks: at wall times that are a multiple of the step plus the job's phase.
class TickSchedule {
 public:
  explicit TickSchedule(int every_s, std::int64_t phase_us = 0);

  // True when a tick is due at wall time `wall_us`; then the next one is scheduled. After a
  // wall-clock step (NTP) in either direction the schedule re-aligns instead of stalling
  // (backwards) or firing a burst of missed ticks (forwards).
  bool due(std::int64_t wall_us);
  [[nodiscard]] std::int64_t next_wall_us() const { return next_; }

  // The number of the tick that due() just fired, read at wall time `wall_us` and monotonic
  // time `mono_us`: whole steps, on the monotonic clock, between the first tick's due time and
  // this one's. A tick that runs late (a stalled host, a slow loop) keeps its own number, so no
  // number is skipped; numbers only grow, with real elapsed time.
  std::int64_t fired_tick(std::int64_t wall_us, std::int64_t mono_us);

  [[nodiscard]] std::int64_t step_us() const { return step_; }

 private:
  [[nodiscard]] std::int64_t next_tick(std::int64_t wall_us) const;  // the first tick after wall_us

  std::int64_t step_;
  std::int64_t phase_ = 0;   // in [0, step)
  std::int64_t next_ = 0;    // 0: not yet initialised
  std::int64_t served_ = 0;  // the wall time the last fired tick was due at
  std::int64_t first_due_mono_ = -1;
  std::int64_t last_tick_ = -1;
};

}  // namespace vmq
