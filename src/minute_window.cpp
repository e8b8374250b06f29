// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/minute_window.h"

#include <limits>

namespace vmq {

namespace {
constexpr std::int64_t kEmpty = std::numeric_limits<std::int64_t>::min();
}

std::size_t window_slots(int update_every_s) {
  if (update_every_s <= 0) update_every_s = 1;
  if (update_every_s >= 60) return 1;
  return static_cast<std::size_t>((60 + update_every_s - 1) / update_every_s);
}

CounterWindow::CounterWindow(std::size_t slots, Start start)
    : deltas_(slots == 0 ? 1 : slots, 0),
      ticks_(slots == 0 ? 1 : slots, kEmpty),
      state_(start == Start::baseline ? State::fresh : State::gone) {}

void CounterWindow::record(std::int64_t tick, std::uint64_t delta) {
  const auto n = static_cast<std::int64_t>(deltas_.size());
  const auto i = static_cast<std::size_t>(((tick % n) + n) % n);
  if (ticks_[i] == tick) {
    // Two observations in one tick (should not happen): keep both deltas.
    deltas_[i] = delta > std::numeric_limits<std::uint64_t>::max() - deltas_[i]
                     ? std::numeric_limits<std::uint64_t>::max()
                     : deltas_[i] + delta;
  } else {
    ticks_[i] = tick;
    deltas_[i] = delta;
  }
}

void CounterWindow::observe(std::int64_t tick, std::uint64_t value) {
  std::uint64_t delta = 0;
  switch (state_) {
    case State::fresh:
      delta = 0;  // never the whole lifetime counter
      break;
    case State::gone:
      delta = value;
      break;
    case State::present:
      delta = value >= last_ ? value - last_ : value;  // went down: the broker restarted
      break;
  }
  last_ = value;
  state_ = State::present;
  record(tick, delta);
}

void CounterWindow::absent(std::int64_t /*tick*/) {
  if (state_ == State::present) state_ = State::gone;
}

std::uint64_t CounterWindow::sum(std::int64_t tick) const {
  const auto n = static_cast<std::int64_t>(deltas_.size());
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < deltas_.size(); ++i) {
    const std::int64_t t = ticks_[i];
    if (t == kEmpty || t > tick || t <= tick - n) continue;
    total = deltas_[i] > std::numeric_limits<std::uint64_t>::max() - total ? std::numeric_limits<std::uint64_t>::max()
                                                                           : total + deltas_[i];
  }
  return total;
}

}  // namespace vmq
