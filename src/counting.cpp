// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/counting.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vmq {

std::size_t window_slots(int update_every_s) {
  if (update_every_s <= 0) update_every_s = 1;
  if (update_every_s >= 60) return 1;
  return static_cast<std::size_t>((60 + update_every_s - 1) / update_every_s);
}

std::int64_t window_span_us(int update_every_s) {
  if (update_every_s <= 0) update_every_s = 1;
  return static_cast<std::int64_t>(window_slots(update_every_s)) * update_every_s * 1'000'000;
}

void Share::add(std::uint64_t events, std::int64_t part, std::int64_t whole) {
  if (events == 0 || part <= 0 || whole <= 0) return;
  if (part >= whole) {
    whole_ += events;
    return;
  }
  const Uint128 scaled = static_cast<Uint128>(events) * static_cast<std::uint64_t>(part);
  const auto w = static_cast<std::uint64_t>(whole);
  whole_ += scaled / w;
  frac_ += static_cast<long double>(static_cast<std::uint64_t>(scaled % w)) / static_cast<long double>(w);
}

void Share::add_whole(Uint128 events) { whole_ += events; }

void Share::add(const Share& other) {
  whole_ += other.whole_;
  frac_ += other.frac_;
}

std::int64_t Share::rounded() const {
  constexpr auto kMax = static_cast<Uint128>(std::numeric_limits<std::int64_t>::max());
  // frac_ sums values in [0, 1): its floor moves into the whole part, the rest rounds half up.
  const long double fl = std::floor(frac_ + 0.5L + 1e-9L);
  const Uint128 total = whole_ + static_cast<Uint128>(fl < 0 ? 0 : fl);
  return total > kMax ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(total);
}

void CountWindow::add(std::uint64_t events, std::int64_t from, std::int64_t to) {
  if (events == 0 || to <= from) return;
  if (to - from != step_) entries_.push_back(Entry{0, from});
  entries_.push_back(Entry{events, to});
  total_ += events;
}

void CountWindow::share(std::int64_t lo, std::int64_t hi, Share& acc) const {
  if (entries_.empty()) return;
  if (hi < entries_.back().at) {
    // A window ending before the newest events (not one the plugin asks for): every interval.
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const Entry& e = entries_[i];
      if (e.events == 0) continue;
      const std::int64_t from = from_of(i);
      const std::int64_t a = std::max(lo, from);
      const std::int64_t b = std::min(hi, e.at);
      if (b > a) acc.add(e.events, b - a, e.at - from);
    }
    return;
  }
  // The intervals that start before the window give their share; all the later ones lie wholly
  // inside it and give all their events, which is the total less the earlier ones'.
  Uint128 before = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.events == 0) continue;
    const std::int64_t from = from_of(i);
    if (from >= lo) break;
    before += e.events;
    if (e.at > lo) acc.add(e.events, e.at - lo, e.at - from);
  }
  const Uint128 inside = total_ - before;
  acc.add_whole(inside);
}

void CountWindow::forget_until(std::int64_t lo) {
  // The first interval that ends after lo stays, with its start entry if it has one.
  std::size_t first = 0;
  while (first < entries_.size() && (entries_[first].events == 0 || entries_[first].at <= lo)) ++first;
  if (first == entries_.size()) {
    entries_.clear();
    total_ = 0;
    return;
  }
  std::size_t drop = first;
  if (first > 0 && entries_[first - 1].events == 0) --drop;
  for (std::size_t i = 0; i < drop; ++i) total_ -= entries_[i].events;
  if (drop > 0) entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(drop));
}

}  // namespace vmq
