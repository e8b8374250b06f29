// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/scheduler.h"

#include <gtest/gtest.h>

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

TEST(Scheduler, TickNumbersFollowMonotonicTimeAndNeverRepeat) {
  TickSchedule s(2);
  EXPECT_EQ(s.tick_number(50 * kSec), 0);
  EXPECT_EQ(s.tick_number(52 * kSec + 3000), 1);
  EXPECT_EQ(s.tick_number(53 * kSec + 900000), 2);  // a bit early: rounds to 2
  EXPECT_EQ(s.tick_number(60 * kSec), 5);          // ticks 3 and 4 were missed
  EXPECT_EQ(s.tick_number(60 * kSec + 10), 6);     // never the same number twice
}

}  // namespace
}  // namespace vmq
