// SPDX-License-Identifier: GPL-3.0-or-later
// The counting engine's arithmetic (design.md, decision 1): events as intervals on a job's
// timeline, and the share of them that falls inside the last minute.
//
// Positions are microseconds on the job's timeline, where tick k sits at k * step: a window is
// then a whole number of ticks, and an interval between two consecutive scrapes is exactly one
// tick, so without gaps every count is an exact integer. A delta that spans a gap (failed
// scrapes, an absent series, a restart) is one interval covering the whole gap, its events
// spread evenly over it; the window takes the share of it that lies inside.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vmq {

// 128 bits for exact sums of 64-bit counters (a GCC/Clang extension; __extension__ says so).
__extension__ using Uint128 = unsigned __int128;

// Intervals in the window for an update interval in seconds: ceil(60 / update_every), at least
// 1 (over 60 s the window is one interval).
std::size_t window_slots(int update_every_s);

// The window's length on the timeline, in microseconds (slots * step).
std::int64_t window_span_us(int update_every_s);

// A sum of shares: the whole events exactly, plus the fractions of spread intervals.
class Share {
 public:
  // Adds events * part / whole (0 < part <= whole).
  void add(std::uint64_t events, std::int64_t part, std::int64_t whole);
  void add(const Share& other);
  void add_whole(Uint128 events);
  // Rounded half up, saturating at INT64_MAX (what Netdata's SET takes). Fractions are summed
  // in long double: a total within 1e-9 of a half is taken as the half.
  [[nodiscard]] std::int64_t rounded() const;
  [[nodiscard]] long double approx() const { return static_cast<long double>(whole_) + frac_; }

 private:
  Uint128 whole_ = 0;
  long double frac_ = 0;
};

// One series' events: intervals (from, to] with a count > 0, in time order, never overlapping.
// Sparse: a series with no event in the window holds nothing. A query for a window that ends
// at or after the last interval (every query the plugin makes) costs the few intervals that
// start before the window, not all of them.
class CountWindow {
 public:
  // `step_us`: the job's interval; an interval exactly that long (between two consecutive
  // scrapes, nearly all of them) is kept in 16 bytes instead of 32. 0: every one takes 32.
  explicit CountWindow(std::int64_t step_us = 0) : step_(step_us) {}
  // `events` happened in (from, to], spread evenly. Nothing is kept for 0 events.
  void add(std::uint64_t events, std::int64_t from, std::int64_t to);
  // Adds to `acc` the share of the events that lies in (lo, hi].
  void share(std::int64_t lo, std::int64_t hi, Share& acc) const;
  // Drops what ends at or before `lo` (no window can reach it again).
  void forget_until(std::int64_t lo);
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  // Room for `n` one-step intervals, so that a window that never holds more never grows past them.
  void reserve(std::size_t n) { entries_.reserve(n); }

 private:
  // An interval is where it ends and its events. One exactly a step long starts a step before;
  // any other is preceded by a start entry (events 0) that says where it begins.
  struct Entry {
    std::uint64_t events;  // 0: the start of the interval in the next entry
    std::int64_t at;
  };
  [[nodiscard]] std::int64_t from_of(std::size_t i) const {
    return i > 0 && entries_[i - 1].events == 0 ? entries_[i - 1].at : entries_[i].at - step_;
  }
  std::int64_t step_;
  std::vector<Entry> entries_;  // storage kept: steady state allocates nothing
  Uint128 total_ = 0;           // the events of every interval kept
};

}  // namespace vmq
