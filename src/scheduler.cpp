// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/scheduler.h"

#include <time.h>

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

std::int64_t next_aligned(std::int64_t now_us, std::int64_t step_us) {
  return now_us - now_us % step_us + step_us;
}

TickSchedule::TickSchedule(int every_s) : step_(static_cast<std::int64_t>(every_s < 1 ? 1 : every_s) * 1000000) {}

bool TickSchedule::due(std::int64_t wall_us) {
  if (next_ == 0) {
    next_ = next_aligned(wall_us, step_);
    return false;
  }
  if (wall_us < next_ - step_) {
    // The clock went back by more than a step: waiting for the old next tick would stall.
    next_ = next_aligned(wall_us, step_);
    return false;
  }
  if (wall_us < next_) return false;
  // Due. Schedule the next aligned tick after now: a forward jump costs one tick, not a burst.
  next_ = next_aligned(wall_us, step_);
  return true;
}

std::int64_t TickSchedule::tick_number(std::int64_t mono_us) {
  if (first_mono_ < 0) first_mono_ = mono_us;
  std::int64_t t = (mono_us - first_mono_ + step_ / 2) / step_;
  if (t <= last_tick_) t = last_tick_ + 1;  // two ticks never share a number
  last_tick_ = t;
  return t;
}

}  // namespace vmq
