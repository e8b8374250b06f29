// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/autodetection.h"

#include <gtest/gtest.h>

namespace vmq {
namespace {

constexpr std::int64_t kSecond = 1'000'000;
using Verdict = AutodetectionRetry::Verdict;

TEST(AutodetectionRetry, FirstCheckFailingWithZeroDropsTheJobForGood) {
  AutodetectionRetry a(0);
  EXPECT_TRUE(a.may_scrape(0));
  EXPECT_EQ(a.on_result(false, 0), Verdict::drop);
  EXPECT_TRUE(a.dropped());
  EXPECT_FALSE(a.may_scrape(1000 * kSecond));
  EXPECT_EQ(a.on_result(true, 1000 * kSecond), Verdict::drop);  // a late result changes nothing
}

TEST(AutodetectionRetry, FailedCheckIsRetriedEveryNSecondsNotEveryTick) {
  AutodetectionRetry a(10);
  EXPECT_EQ(a.on_result(false, 5 * kSecond), Verdict::retry_later);
  EXPECT_EQ(a.next_try_us(), 15 * kSecond);
  EXPECT_FALSE(a.may_scrape(6 * kSecond));
  EXPECT_FALSE(a.may_scrape(15 * kSecond - 1));
  EXPECT_TRUE(a.may_scrape(15 * kSecond));
  EXPECT_EQ(a.on_result(false, 15 * kSecond), Verdict::retry_later);
  EXPECT_FALSE(a.may_scrape(24 * kSecond));
  EXPECT_TRUE(a.may_scrape(25 * kSecond));
  EXPECT_EQ(a.on_result(true, 25 * kSecond), Verdict::collect);
  EXPECT_TRUE(a.detected());
  EXPECT_TRUE(a.may_scrape(25 * kSecond + 1));
}

TEST(AutodetectionRetry, AfterTheFirstGoodCheckFailuresNeverDropNorSlowTheJob) {
  AutodetectionRetry a(0);
  EXPECT_EQ(a.on_result(true, 0), Verdict::collect);
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(a.on_result(false, i * kSecond), Verdict::collect);
    EXPECT_TRUE(a.may_scrape(i * kSecond + 1));
  }
  EXPECT_FALSE(a.dropped());
}

TEST(AutodetectionRetry, NegativeRetryIsNever) {
  AutodetectionRetry a(-5);
  EXPECT_EQ(a.on_result(false, 0), Verdict::drop);
}

}  // namespace
}  // namespace vmq
