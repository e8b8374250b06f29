// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/scheduler.h"

#include <time.h>

#include <algorithm>

namespace vmq {

namespace {
std::int64_t read_clock(clockid_t id) {
  timespec ts{};
  if (clock_gettime(id, &ts) != 0) return 0;  // cannot fail for these clocks on Linux
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}
}  // namespace

std::int64_t SystemClock::wall_us() const { return read_clock(CLOCK_REALTIME); }
std::int64_t SystemClock::mono_us() const { return read_clock(CLOCK_MONOTONIC); }

std::int64_t next_aligned(std::int64_t now_us, std::int64_t step_us) { return now_us - now_us % step_us + step_us; }

std::int64_t spread_phase(std::size_t index, std::size_t jobs, std::int64_t step_us) {
  const std::size_t phases = std::clamp<std::size_t>((jobs + kJobsPerPhase - 1) / kJobsPerPhase, 1, kMaxPhases);
  return static_cast<std::int64_t>(index % phases) * (step_us / static_cast<std::int64_t>(phases));
}

TickSchedule::TickSchedule(int every_s, std::int64_t phase_us)
    : step_(static_cast<std::int64_t>(every_s < 1 ? 1 : every_s) * 1000000),
      phase_(((phase_us % step_) + step_) % step_) {}

std::int64_t TickSchedule::next_tick(std::int64_t wall_us) const {
  return next_aligned(wall_us - phase_, step_) + phase_;
}

bool TickSchedule::due(std::int64_t wall_us) {
  if (next_ == 0) {
    next_ = next_tick(wall_us);
    return false;
  }
  if (wall_us < next_ - step_) {
    // The clock went back by more than a step: waiting for the old next tick would stall.
    next_ = next_tick(wall_us);
    return false;
  }
  if (wall_us < next_) return false;
  // Due. Schedule the next aligned tick after now: a forward jump costs one tick, not a burst.
  served_ = next_;
  next_ = next_tick(wall_us);
  return true;
}

std::int64_t TickSchedule::fired_tick(std::int64_t wall_us, std::int64_t mono_us) {
  // When the tick was due, on the monotonic clock. Lateness of a step or more is a wall-clock
  // step or a long stall: then the tick is placed where it really ran.
  const std::int64_t late = wall_us - served_;
  const std::int64_t due_mono = late >= 0 && late < step_ ? mono_us - late : mono_us;
  if (first_due_mono_ < 0) first_due_mono_ = due_mono;
  std::int64_t t = (due_mono - first_due_mono_ + step_ / 2) / step_;
  if (t <= last_tick_) t = last_tick_ + 1;  // two ticks never share a number
  last_tick_ = t;
  return t;
}

}  // namespace vmq
