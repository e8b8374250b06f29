// SPDX-License-Identifier: GPL-3.0-or-later
// The counting engine's rules (design.md, decision 1), one test per rule, every expectation
// computed by hand in the comment beside it.
#include "vmq/series_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "vmq/counting.h"

namespace vmq {
namespace {

constexpr std::int64_t kSec = 1'000'000;

struct NodeSample {
  std::string node;
  std::optional<std::uint64_t> wallclock_ms;
  std::map<std::string, std::uint64_t> values;  // labels → counter
};

// Drives a store like the plugin does: tick k is scraped at monotonic k s (+ 10 ms to answer).
struct Engine {
  explicit Engine(int every = 1) : store(every), every_s(every) {}
  SeriesStore store;
  int every_s;

  void ok(std::int64_t tick, const std::vector<NodeSample>& nodes) {
    const std::int64_t t0 = tick * every_s * kSec;
    store.begin(tick, t0, t0 + 10'000);
    for (const NodeSample& n : nodes) {
      if (n.wallclock_ms) store.wallclock(n.node, *n.wallclock_ms);
      for (const auto& [labels, v] : n.values) store.sample(n.node, 1, labels, v);
    }
    store.commit();
  }
  void fail() { store.discard(); }
  // The rounded count of every series (optionally only `labels`) in the window ending at `tick`.
  std::int64_t count(std::int64_t tick, const std::string& labels = "") const {
    Share s;
    for (std::size_t i = 0; i < store.series().size(); ++i) {
      if (labels.empty() || store.series()[i].key == SeriesStore::key_of(1, labels)) store.count(i, tick, s);
    }
    return s.rounded();
  }
};

TEST(Counting, WindowSlotsRoundUpToWholeIntervals) {
  EXPECT_EQ(window_slots(1), 60u);
  EXPECT_EQ(window_slots(5), 12u);
  EXPECT_EQ(window_slots(7), 9u);  // 63 s: rounded up
  EXPECT_EQ(window_slots(10), 6u);
  EXPECT_EQ(window_slots(60), 1u);
  EXPECT_EQ(window_slots(90), 1u);  // over a minute: one interval
  EXPECT_EQ(window_slots(0), 60u);  // defensive: treated as 1
  EXPECT_EQ(window_span_us(7), 63 * kSec);
}

TEST(Counting, ShareRoundsHalfUpAndKeepsWholeEventsExact) {
  Share s;
  s.add(3, 1, 2);  // 1.5
  EXPECT_EQ(s.rounded(), 2);
  Share t;
  t.add(1, 1, 3);
  t.add(1, 1, 3);  // 0.667
  EXPECT_EQ(t.rounded(), 1);
  Share u;
  u.add(1, 1, 6);
  u.add(1, 1, 3);  // exactly 0.5 in real numbers, not quite in binary
  EXPECT_EQ(u.rounded(), 1);
  Share big;
  big.add(UINT64_MAX, 1, 1);
  big.add(UINT64_MAX, 1, 1);
  EXPECT_EQ(big.rounded(), INT64_MAX);  // saturates, never wraps
  Share exact;
  exact.add(18'446'744'073'709'551'001ULL, 1, 2);  // beyond double's 53 bits: ...500.5
  EXPECT_EQ(exact.rounded(), 9'223'372'036'854'775'501LL);
  Share precise;
  precise.add(9'007'199'254'740'993ULL, 1, 1);  // 2^53 + 1: a double would say 2^53
  EXPECT_EQ(precise.rounded(), 9'007'199'254'740'993LL);
}

TEST(Counting, CountWindowTakesTheShareInsideAndForgets) {
  CountWindow w;
  w.add(90, 10 * kSec, 100 * kSec);  // 1 event/s over 90 s
  Share s;
  w.share(40 * kSec, 100 * kSec, s);
  EXPECT_EQ(s.rounded(), 60);
  w.add(0, 100 * kSec, 101 * kSec);  // nothing kept for no events
  w.forget_until(100 * kSec);
  EXPECT_TRUE(w.empty());
}

// One-step intervals keep only their end; any other keeps its start too. Against a plain list
// of (events, from, to) and the share rule written out: every query and every forget, over
// intervals of one step, several steps, gaps between them and a restart's odd start.
TEST(Counting, CountWindowMatchesAPlainListOfIntervals) {
  struct Iv {
    std::uint64_t events;
    std::int64_t from, to;
  };
  std::mt19937_64 rng(20261202);
  for (int run = 0; run < 200; ++run) {
    const std::int64_t step = (1 + static_cast<std::int64_t>(rng() % 3)) * kSec;
    CountWindow w(step);
    std::vector<Iv> ref;
    std::int64_t pos = 0;
    for (int k = 0; k < 400; ++k) {
      const std::uint64_t kind = rng() % 10;
      std::int64_t from = pos;
      if (kind == 7) from = pos + step * static_cast<std::int64_t>(1 + rng() % 3);  // nothing for a while
      if (kind == 8) from = pos + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(step));  // a restart
      const std::int64_t to = kind == 9 ? from + step * static_cast<std::int64_t>(2 + rng() % 4)        // a gap
                                        : (from / step + 1) * step;
      const std::uint64_t events = rng() % 4 == 0 ? 0 : 1 + rng() % 1000;
      w.add(events, from, to);
      if (events > 0 && to > from) ref.push_back({events, from, to});
      pos = to;
      const std::int64_t lo = pos - 60 * step;
      if (rng() % 3 == 0) {
        w.forget_until(lo);
        std::erase_if(ref, [&](const Iv& iv) { return iv.to <= lo; });
      }
      const std::int64_t qlo = pos - static_cast<std::int64_t>(1 + rng() % 60) * step;
      const std::int64_t qhi = rng() % 5 == 0 ? pos - step : pos;  // an older end: every interval
      Share got;
      w.share(qlo, qhi, got);
      Share want;
      for (const Iv& iv : ref) {
        const std::int64_t a = std::max(qlo, iv.from), b = std::min(qhi, iv.to);
        if (b > a) want.add(iv.events, b - a, iv.to - iv.from);
      }
      ASSERT_EQ(got.rounded(), want.rounded()) << "run " << run << " interval " << k;
      ASSERT_NEAR(static_cast<double>(got.approx()), static_cast<double>(want.approx()), 1e-6);
      ASSERT_EQ(w.empty(), ref.empty());
    }
  }
}

TEST(SeriesStore, FirstScrapeIsABaselineThenEveryDeltaCounts) {
  Engine e;
  e.ok(0, {{"n", 5000, {{"a", 123456}}}});
  EXPECT_EQ(e.count(0), 0);  // never the lifetime counter
  e.ok(1, {{"n", 6000, {{"a", 123459}}}});
  EXPECT_EQ(e.count(1), 3);
  std::uint64_t c = 123459;
  for (int t = 2; t <= 60; ++t) e.ok(t, {{"n", 5000 + t * 1000ULL, {{"a", c += 2}}}});
  EXPECT_EQ(e.count(60), 3 + 59 * 2);  // ticks 1..60: the whole minute
  e.ok(61, {{"n", 66000, {{"a", c}}}});
  EXPECT_EQ(e.count(61), 59 * 2);  // tick 1's 3 left the window
  for (int t = 62; t <= 121; ++t) e.ok(t, {{"n", 5000 + t * 1000ULL, {{"a", c}}}});
  EXPECT_EQ(e.count(121), 0);
}

TEST(SeriesStore, AnAbsentSeriesIsAGapNotARestart) {
  // Issue case 1: a reason's series missing from two scrapes was counted as a restart (its
  // lifetime value added again: 2000, then 3000). It is a gap: 10/s throughout.
  Engine e;
  e.ok(0, {{"n", 1000, {{"a", 1000}, {"b", 7}}}});
  e.ok(1, {{"n", 2000, {{"a", 1010}, {"b", 7}}}});
  e.ok(2, {{"n", 3000, {{"b", 7}}}});  // a missing
  EXPECT_EQ(e.count(2, "a"), 10);      // carries what is known, no guess
  e.ok(3, {{"n", 4000, {{"b", 7}}}});
  EXPECT_EQ(e.count(3, "a"), 10);
  e.ok(4, {{"n", 5000, {{"a", 1040}, {"b", 7}}}});
  EXPECT_EQ(e.count(4, "a"), 40);  // 10 + the 30 of ticks 2..4
}

TEST(SeriesStore, ALateNodeIsABaselineNotItsLifetimeCounters) {
  // Issue case 2: a second node appearing with lifetime counters of 777 777 was counted whole.
  Engine e;
  e.ok(0, {{"n1", 1000, {{"a", 0}}}});
  e.ok(1, {{"n1", 2000, {{"a", 1000}}}});
  e.ok(2, {{"n1", 3000, {{"a", 1000}}}, {"n2", 99000, {{"a", 777777}, {"z", 777777}}}});
  EXPECT_EQ(e.count(2), 1000);
  e.ok(3, {{"n1", 4000, {{"a", 1000}}}, {"n2", 100000, {{"a", 777780}, {"z", 777777}}}});
  EXPECT_EQ(e.count(3), 1003);
}

TEST(SeriesStore, ANewSeriesOnAKnownNodeIsABaselineUnlessTheNodeRestarted) {
  Engine e;
  e.ok(0, {{"n", 10000, {{"a", 5}}}});
  e.ok(1, {{"n", 11000, {{"a", 5}, {"b", 400}}}});
  EXPECT_EQ(e.count(1), 0);
  // The node restarted 0.5 s before tick 2: a series first seen now started from 0 then.
  e.ok(2, {{"n", 500, {{"a", 1}, {"b", 400}, {"c", 4}}}});
  EXPECT_EQ(e.count(2, "c"), 4);
  EXPECT_EQ(e.count(2, "a"), 1);
  EXPECT_EQ(e.count(2, "b"), 400);
}

TEST(SeriesStore, ARestartWhoseCounterClimbedPastItsOldValueIsSeen) {
  // Issue case 3: the broker restarts and the counter climbs past its old value before the
  // next scrape; only a counter going down was seen as a restart. system_wallclock tells.
  Engine e;
  e.ok(0, {{"n", 3'600'000, {{"a", 0}}}});
  e.ok(1, {{"n", 3'601'000, {{"a", 5}}}});  // 5 events
  e.ok(2, {{"n", 700, {{"a", 12}}}});       // restarted 0.7 s ago; 12 since then
  EXPECT_EQ(e.count(2), 17);
  e.ok(3, {{"n", 1700, {{"a", 12}}}});
  EXPECT_EQ(e.count(3), 17);
  e.ok(61, {{"n", 59700, {{"a", 12}}}});  // (1, 61]: tick 1's 5 have left
  EXPECT_EQ(e.count(61), 12);
}

TEST(SeriesStore, ARestartIsSeenEvenWhenTheNewUptimeIsLongerThanTheOld) {
  // A node 10 s old restarts during a 5-minute outage and has run 60 s when it answers again:
  // its wallclock went up (10 s → 60 s), but its start moved 240 s later.
  Engine e;
  e.ok(0, {{"n", 9000, {{"a", 0}}}});
  e.ok(1, {{"n", 10000, {{"a", 100}}}});
  for (int t = 2; t < 301; ++t) e.fail();
  e.ok(301, {{"n", 60000, {{"a", 30}}}});
  // 30 events since the restart 60 s ago, all of them in the window (241, 301].
  EXPECT_EQ(e.count(301), 30);
}

TEST(SeriesStore, WithoutWallclockAnyCounterGoingDownMeansTheNodeRestarted) {
  Engine e;
  e.ok(0, {{"n", std::nullopt, {{"a", 100}, {"b", 50}}}});
  e.ok(1, {{"n", std::nullopt, {{"a", 103}, {"b", 52}}}});
  EXPECT_EQ(e.count(1), 5);
  e.ok(2, {{"n", std::nullopt, {{"a", 104}, {"b", 1}}}});  // b went down: the node restarted
  // a: 104 since the restart (it climbed past 103), b: 1.
  EXPECT_EQ(e.count(2, "a"), 3 + 104);
  EXPECT_EQ(e.count(2, "b"), 2 + 1);
}

TEST(SeriesStore, ASeriesGoingDownOnANodeThatDidNotRestartIsThatSeriesReset) {
  Engine e;
  e.ok(0, {{"n", 5000, {{"a", 100}, {"b", 10}}}});
  e.ok(1, {{"n", 6000, {{"a", 4}, {"b", 11}}}});  // wallclock: no restart
  EXPECT_EQ(e.count(1, "a"), 4);
  EXPECT_EQ(e.count(1, "b"), 1);  // b is not treated as restarted
}

TEST(SeriesStore, AnOutageIsSpreadAndOnlyTheLastMinutesShareCounts) {
  // Issue case 4: a 90 s outage under 1 refusal/s reported 92-97 as "the last minute".
  Engine e;
  for (int t = 0; t <= 10; ++t) e.ok(t, {{"n", 100000 + t * 1000ULL, {{"a", 1000ULL + t}}}});
  EXPECT_EQ(e.count(10), 10);
  for (int t = 11; t <= 100; ++t) {
    e.fail();
    // Through the gap: the known events still in the window, decaying: (t-60, t] ∩ (0, 10].
    EXPECT_EQ(e.count(t), std::max(0, 10 - std::max(0, t - 60))) << t;
  }
  e.ok(101, {{"n", 201000, {{"a", 1101}}}});
  EXPECT_EQ(e.count(101), 60);  // 91 events over (10, 101]: 60 of them in (41, 101]
  e.ok(102, {{"n", 202000, {{"a", 1102}}}});
  EXPECT_EQ(e.count(102), 60);  // 59 of the spread + 1
}

TEST(SeriesStore, ARestartDuringAnOutageSpreadsOnlyOverTheTimeSinceTheStart) {
  Engine e;
  e.ok(0, {{"n", 500000, {{"a", 0}}}});
  e.ok(1, {{"n", 501000, {{"a", 30}}}});  // 30 events
  for (int t = 2; t < 40; ++t) e.fail();
  // Back at tick 40, up for 20 s, 20 events since: over (20, 40], all in the window.
  e.ok(40, {{"n", 20000, {{"a", 20}}}});
  EXPECT_EQ(e.count(40), 50);
  // At tick 70 the window is (10, 70]: the 30 of tick 1 are out, the 20 are in.
  for (int t = 41; t <= 70; ++t) e.ok(t, {{"n", 20000 + (t - 40) * 1000ULL, {{"a", 20}}}});
  EXPECT_EQ(e.count(70), 20);
}

TEST(SeriesStore, TheWindowFollowsTheUpdateInterval) {
  Engine e(7);  // window: 9 intervals = 63 s
  e.ok(0, {{"n", 7000, {{"a", 0}}}});
  e.ok(1, {{"n", 14000, {{"a", 6}}}});
  for (int t = 2; t <= 9; ++t) e.ok(t, {{"n", 7000 + t * 7000ULL, {{"a", 6}}}});
  EXPECT_EQ(e.count(9), 6);  // (0, 9] holds tick 1
  e.ok(10, {{"n", 77000, {{"a", 6}}}});
  EXPECT_EQ(e.count(10), 0);
}

TEST(SeriesStore, GoneLongerThanTheWindowIsForgottenAndReturnsAsABaseline) {
  Engine e;
  e.ok(0, {{"n1", 1000, {{"a", 0}}}, {"n2", 1000, {{"a", 0}}}});
  e.ok(1, {{"n1", 2000, {{"a", 0}}}, {"n2", 2000, {{"a", 5}}}});
  for (int t = 2; t <= 62; ++t) e.ok(t, {{"n1", 1000 + t * 1000ULL, {{"a", 0}}}});
  EXPECT_EQ(e.store.nodes().size(), 1u);  // n2 absent since tick 1 > 60 s: forgotten
  EXPECT_EQ(e.store.series().size(), 1u);
  e.ok(63, {{"n1", 64000, {{"a", 0}}}, {"n2", 64000, {{"a", 900}}}});
  EXPECT_EQ(e.count(63), 0);  // a baseline again, not 895 events
}

TEST(SeriesStore, AnUnusableBodyLeavesNothingBehind) {
  Engine e;
  e.ok(0, {{"n", 1000, {{"a", 1}}}});
  e.store.begin(1, kSec, kSec + 100);
  for (int i = 0; i < 1000; ++i) e.store.sample("junk" + std::to_string(i), 1, "x", 5);
  e.store.sample("n", 1, "a", 999);
  e.store.discard();
  EXPECT_EQ(e.store.nodes().size(), 1u);
  EXPECT_EQ(e.store.series().size(), 1u);
  e.ok(2, {{"n", 3000, {{"a", 3}}}});
  EXPECT_EQ(e.count(2), 2);  // 999 was never taken as a value
}

TEST(SeriesStore, RatesAreRestartSafe) {
  Engine e;
  e.ok(0, {{"n", 100000, {{"a", 1000}}}});
  EXPECT_FALSE(e.store.rate(0, 0).has_value());  // a baseline has no rate
  e.ok(1, {{"n", 101000, {{"a", 1050}}}});
  EXPECT_DOUBLE_EQ(*e.store.rate(0, 1), 50.0);
  e.ok(2, {{"n", 250, {{"a", 10}}}});           // restarted 0.25 s ago: 10 events since
  EXPECT_DOUBLE_EQ(*e.store.rate(0, 2), 40.0);  // never negative, never a spike of 1050
  e.fail();
  EXPECT_FALSE(e.store.rate(0, 3).has_value());
  e.ok(4, {{"n", 2250, {{"a", 90}}}});
  EXPECT_DOUBLE_EQ(*e.store.rate(0, 4), 40.0);  // 80 over the 2 s gap
}

}  // namespace
}  // namespace vmq

namespace vmq {
namespace {

TEST(SeriesStore, MemoryStaysBoundedHoweverLabelsChurn) {
  // Every scrape brings 5 series never seen before (a hostile or buggy exporter) and drops the
  // previous ones: the store holds at most a window's worth of them.
  Engine e;
  std::size_t most = 0;
  for (int t = 0; t < 1000; ++t) {
    std::map<std::string, std::uint64_t> values;
    for (int k = 0; k < 5; ++k) values["churn" + std::to_string(t) + "_" + std::to_string(k)] = 1;
    e.ok(t, {{"n" + std::to_string(t % 7), 1000 + t * 1000ULL, values}});
    most = std::max(most, e.store.series().size());
  }
  EXPECT_LE(most, 5u * 62u);  // 61 positions in a window of 60 ticks, plus this scrape's
  EXPECT_LE(e.store.nodes().size(), 7u);
}

}  // namespace
}  // namespace vmq
