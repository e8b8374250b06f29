// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/scheduler.h"

#include <gtest/gtest.h>

#include <vector>

namespace vmq {
namespace {

constexpr std::int64_t kSec = 1000000;

TEST(Scheduler, NextAlignedIsTheNextWallClockMultiple) {
  EXPECT_EQ(next_aligned(10 * kSec + 300, kSec), 11 * kSec);
  EXPECT_EQ(next_aligned(10 * kSec, kSec), 11 * kSec);
  EXPECT_EQ(next_aligned(12 * kSec + 1, 5 * kSec), 15 * kSec);
}

TEST(Scheduler, FiresOncePerAlignedStep) {
  TickSchedule s(5);
  std::int64_t now = 1000 * kSec + 1234;
  EXPECT_FALSE(s.due(now));  // initialises
  EXPECT_EQ(s.next_wall_us(), 1005 * kSec);
  EXPECT_FALSE(s.due(1004 * kSec + 999999));
  EXPECT_TRUE(s.due(1005 * kSec + 10));
  EXPECT_FALSE(s.due(1005 * kSec + 20));  // no double fire
  EXPECT_EQ(s.next_wall_us(), 1010 * kSec);
  EXPECT_TRUE(s.due(1010 * kSec + 5));
}

TEST(Scheduler, APhaseShiftsEveryTickWithinTheStep) {
  TickSchedule s(5, 1200000);  // 1.2 s into each 5 s step
  EXPECT_FALSE(s.due(1000 * kSec + 1234));
  EXPECT_EQ(s.next_wall_us(), 1001 * kSec + 200000);
  EXPECT_FALSE(s.due(1001 * kSec + 199999));
  EXPECT_TRUE(s.due(1001 * kSec + 200000));
  EXPECT_EQ(s.next_wall_us(), 1006 * kSec + 200000);
  // Started just after a phase: the next one is a whole step on, not a tick at once.
  TickSchedule late(1, 300000);
  EXPECT_FALSE(late.due(50 * kSec + 300001));
  EXPECT_EQ(late.next_wall_us(), 51 * kSec + 300000);
  // After a backward clock step it keeps its phase.
  EXPECT_TRUE(late.due(51 * kSec + 300000));
  EXPECT_FALSE(late.due(20 * kSec + 900000));
  EXPECT_EQ(late.next_wall_us(), 21 * kSec + 300000);
}

TEST(Scheduler, ManyJobsAreSpreadOverTheStepAndAFewKeepTheWholeSecond) {
  // Up to 50 jobs: all on the second, as before spreading existed.
  for (std::size_t i = 0; i < 50; ++i) EXPECT_EQ(spread_phase(i, 50, kSec), 0) << i;
  // 51 to 100 jobs: two phases, half a step apart.
  EXPECT_EQ(spread_phase(0, 51, kSec), 0);
  EXPECT_EQ(spread_phase(1, 51, kSec), kSec / 2);
  EXPECT_EQ(spread_phase(2, 100, 10 * kSec), 0);
  EXPECT_EQ(spread_phase(3, 100, 10 * kSec), 5 * kSec);
  // A thousand jobs: 20 phases 50 ms apart, 50 jobs in each; ten thousand: still 20 phases.
  for (const std::size_t jobs : {std::size_t{1000}, std::size_t{10000}}) {
    std::vector<std::size_t> per_phase(20, 0);
    for (std::size_t i = 0; i < jobs; ++i) {
      const std::int64_t phase = spread_phase(i, jobs, kSec);
      ASSERT_EQ(phase % (kSec / 20), 0);
      ASSERT_LT(phase, kSec);
      ++per_phase[static_cast<std::size_t>(phase / (kSec / 20))];
    }
    for (const std::size_t n : per_phase) EXPECT_EQ(n, jobs / 20);
  }
}

TEST(Scheduler, ForwardClockJumpCostsOneTickNotABurst) {
  TickSchedule s(1);
  s.due(100 * kSec);
  EXPECT_TRUE(s.due(101 * kSec));
  // NTP steps the clock an hour forward.
  EXPECT_TRUE(s.due(3701 * kSec + 100));
  EXPECT_FALSE(s.due(3701 * kSec + 200));
  EXPECT_EQ(s.next_wall_us(), 3702 * kSec);
}

TEST(Scheduler, BackwardClockJumpDoesNotStall) {
  TickSchedule s(1);
  s.due(10000 * kSec);
  EXPECT_TRUE(s.due(10001 * kSec));
  // The clock steps back an hour: the next tick must come within a step, not in an hour.
  EXPECT_FALSE(s.due(6401 * kSec + 500));
  EXPECT_EQ(s.next_wall_us(), 6402 * kSec);
  EXPECT_TRUE(s.due(6402 * kSec));
}

// Fires the schedule at wall time `wall` (monotonic = wall - offset) and returns the tick number.
std::int64_t fire(TickSchedule& s, std::int64_t wall, std::int64_t offset = 7 * kSec) {
  EXPECT_TRUE(s.due(wall)) << wall;
  return s.fired_tick(wall, wall - offset);
}

TEST(Scheduler, TickNumbersFollowMonotonicTimeAndNeverRepeat) {
  TickSchedule s(2);
  s.due(49 * kSec);
  EXPECT_EQ(fire(s, 50 * kSec + 1000), 0);
  EXPECT_EQ(fire(s, 52 * kSec + 3000), 1);
  EXPECT_EQ(fire(s, 60 * kSec + 10), 5);  // the host stalled: ticks 2 to 4 never ran
  EXPECT_EQ(fire(s, 62 * kSec + 10), 6);
}

TEST(Scheduler, ALateTickKeepsItsOwnNumberAndSkipsNone) {
  // Today's bug: a tick 0.6 s late rounded to the next number, and the next tick then had to
  // take the one after it, skipping one for good.
  TickSchedule s(1);
  s.due(99 * kSec + 500);
  EXPECT_EQ(fire(s, 100 * kSec + 2000), 0);
  EXPECT_EQ(fire(s, 101 * kSec + 600000), 1);  // 0.6 s late
  EXPECT_EQ(fire(s, 102 * kSec + 1000), 2);
  EXPECT_EQ(fire(s, 103 * kSec + 990000), 3);  // 0.99 s late
  EXPECT_EQ(fire(s, 104 * kSec), 4);
  for (std::int64_t k = 5; k < 200; ++k) EXPECT_EQ(fire(s, (100 + k) * kSec + (k * 7919) % 900000), k) << k;
}

TEST(Scheduler, WallClockStepDoesNotShiftTickNumbers) {
  TickSchedule s(1);
  s.due(1000 * kSec);
  const std::int64_t mono0 = 5 * kSec;
  EXPECT_TRUE(s.due(1001 * kSec + 100));
  EXPECT_EQ(s.fired_tick(1001 * kSec + 100, mono0 + 100), 0);
  // NTP steps the wall clock an hour forward between two ticks; one real second passed.
  EXPECT_TRUE(s.due(4602 * kSec + 200));
  EXPECT_EQ(s.fired_tick(4602 * kSec + 200, mono0 + kSec + 200), 1);
}

}  // namespace
}  // namespace vmq
