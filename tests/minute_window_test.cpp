// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/minute_window.h"

#include <gtest/gtest.h>

#include <vector>

namespace vmq {
namespace {

using Start = CounterWindow::Start;

TEST(MinuteWindow, SlotsRoundUpToWholeIntervals) {
  EXPECT_EQ(window_slots(1), 60u);
  EXPECT_EQ(window_slots(5), 12u);
  EXPECT_EQ(window_slots(7), 9u);  // 63 s: rounded up
  EXPECT_EQ(window_slots(10), 6u);
  EXPECT_EQ(window_slots(60), 1u);
  EXPECT_EQ(window_slots(90), 1u);  // over a minute: one interval
  EXPECT_EQ(window_slots(0), 60u);  // defensive: treated as 1
}

TEST(MinuteWindow, FirstScrapeIsABaselineNotTheLifetimeCounter) {
  CounterWindow w(60, Start::baseline);
  w.observe(0, 123456);
  EXPECT_EQ(w.sum(0), 0u);
  w.observe(1, 123459);
  EXPECT_EQ(w.sum(1), 3u);
}

TEST(MinuteWindow, EverySecondForOneMinuteThenSlidesOut) {
  CounterWindow w(window_slots(1), Start::baseline);
  std::uint64_t c = 1000;
  w.observe(0, c);
  for (int t = 1; t <= 60; ++t) {
    c += 2;
    w.observe(t, c);
    EXPECT_EQ(w.sum(t), 2u * static_cast<std::uint64_t>(t)) << t;  // covers the time since start
  }
  // Traffic stops: the window drains one tick at a time.
  for (int t = 61; t <= 120; ++t) {
    w.observe(t, c);
    EXPECT_EQ(w.sum(t), 2u * static_cast<std::uint64_t>(120 - t)) << t;
  }
}

TEST(MinuteWindow, ExactlyOneMinuteAtIntervalsThatDivide60) {
  for (int every : {1, 5, 10, 60}) {
    const std::size_t slots = window_slots(every);
    CounterWindow w(slots, Start::baseline);
    w.observe(0, 0);
    w.observe(1, 7);  // 7 events in the first interval
    const auto window_ticks = static_cast<std::int64_t>(60 / every);
    for (std::int64_t t = 2; t < 1 + window_ticks; ++t) {
      w.observe(t, 7);
      EXPECT_EQ(w.sum(t), 7u) << "every " << every << " tick " << t;
    }
    // 60 s after the interval that held them, the events leave the window.
    w.observe(1 + window_ticks, 7);
    EXPECT_EQ(w.sum(1 + window_ticks), 0u) << "every " << every;
  }
}

TEST(MinuteWindow, IntervalThatDoesNotDivide60UsesWholeIntervals) {
  // every 7 s: 9 intervals = 63 s.
  CounterWindow w(window_slots(7), Start::baseline);
  w.observe(0, 0);
  w.observe(1, 4);
  for (std::int64_t t = 2; t <= 9; ++t) {
    w.observe(t, 4);
    EXPECT_EQ(w.sum(t), 4u) << t;
  }
  w.observe(10, 4);
  EXPECT_EQ(w.sum(10), 0u);
}

TEST(MinuteWindow, RestartCountsEventsSinceTheRestartNeverNegative) {
  CounterWindow w(60, Start::baseline);
  w.observe(0, 500);
  w.observe(1, 510);  // +10
  w.observe(2, 3);    // broker restarted: 3 events since
  EXPECT_EQ(w.sum(2), 13u);
  w.observe(3, 0);  // restarted again, nothing since
  EXPECT_EQ(w.sum(3), 13u);
  w.observe(4, 5);
  EXPECT_EQ(w.sum(4), 18u);
}

TEST(MinuteWindow, FailedScrapesLeaveAGapThatTheNextDeltaCovers) {
  CounterWindow w(60, Start::baseline);
  w.observe(0, 100);
  w.observe(1, 101);
  // Ticks 2..4 failed: no observation at all.
  w.observe(5, 111);  // 10 events happened during the gap, counted once now
  EXPECT_EQ(w.sum(5), 11u);
  // The gap's delta sits at tick 5, so it leaves the window 60 ticks later.
  w.observe(60, 111);
  EXPECT_EQ(w.sum(60), 11u);
  w.observe(61, 111);
  EXPECT_EQ(w.sum(61), 10u);  // tick 1's delta left
  w.observe(65, 111);
  EXPECT_EQ(w.sum(65), 0u);
}

TEST(MinuteWindow, SkippedTicksDoNotLeaveStaleSlots) {
  CounterWindow w(60, Start::baseline);
  w.observe(0, 0);
  w.observe(1, 5);
  // Nothing for more than a whole window, e.g. a suspended host.
  w.observe(200, 9);
  EXPECT_EQ(w.sum(200), 4u);  // only the new delta; tick 1's slot is long stale
}

TEST(MinuteWindow, SeriesThatVanishesAndReturnsIsARestartOfThatCounter) {
  CounterWindow w(60, Start::baseline);
  w.observe(0, 40);
  w.observe(1, 42);
  w.absent(2);
  w.absent(3);
  w.observe(4, 45);  // came back: handled like a restart, its value counts
  EXPECT_EQ(w.sum(4), 2u + 45u);
}

TEST(MinuteWindow, SeriesFirstSeenAfterTheFirstScrapeCountsItsValue) {
  CounterWindow w(60, Start::appeared);
  w.observe(10, 6);
  EXPECT_EQ(w.sum(10), 6u);
}

TEST(MinuteWindow, SaturatesInsteadOfWrapping) {
  CounterWindow w(60, Start::appeared);
  w.observe(0, UINT64_MAX);
  w.observe(1, UINT64_MAX - 1);  // went down: a restart to a huge value
  EXPECT_EQ(w.sum(1), UINT64_MAX);
}

TEST(MinuteWindow, SumIgnoresFutureTicks) {
  CounterWindow w(60, Start::baseline);
  w.observe(0, 0);
  w.observe(10, 5);
  EXPECT_EQ(w.sum(9), 0u);
  EXPECT_EQ(w.sum(10), 5u);
}

}  // namespace
}  // namespace vmq
