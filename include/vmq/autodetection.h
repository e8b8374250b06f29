// SPDX-License-Identifier: GPL-3.0-or-later
// go.d's autodetection_retry for one job: until its first good scrape (the "check") a job is not
// scraped every tick. A failed check is retried every `retry_s` seconds, or, with 0, the job is
// dropped for good. Once a check succeeded the job collects for the life of the process, its
// later failures are ordinary failed ticks. Times are monotonic microseconds.
#pragma once

#include <cstdint>
#include <string_view>

namespace vmq {

class AutodetectionRetry {
 public:
  enum class Verdict { collect, retry_later, drop };

  explicit AutodetectionRetry(int retry_s)
      : retry_us_(static_cast<std::int64_t>(retry_s < 0 ? 0 : retry_s) * 1'000'000) {}

  // Whether the job may start a scrape at this tick.
  [[nodiscard]] bool may_scrape(std::int64_t mono_us) const {
    return !dropped_ && (detected_ || mono_us >= next_try_us_);
  }

  // The outcome of a scrape (ok: fetched and usable). While undetected: a success detects the
  // job; a failure schedules the next check `retry_s` from now, or drops the job when retry_s is 0.
  Verdict on_result(bool ok, std::int64_t mono_us) {
    if (dropped_) return Verdict::drop;
    if (detected_ || ok) {
      detected_ = true;
      return Verdict::collect;
    }
    if (retry_us_ == 0) {
      dropped_ = true;
      return Verdict::drop;
    }
    next_try_us_ = mono_us + retry_us_;
    return Verdict::retry_later;
  }

  [[nodiscard]] bool detected() const { return detected_; }
  [[nodiscard]] bool dropped() const { return dropped_; }
  [[nodiscard]] std::int64_t next_try_us() const { return next_try_us_; }

 private:
  std::int64_t retry_us_;
  std::int64_t next_try_us_ = 0;
  bool detected_ = false;
  bool dropped_ = false;
};

// Feeds a scrape's outcome to `detect` and logs what it decided (a drop, a retry), naming the job.
AutodetectionRetry::Verdict autodetection_result(std::string_view job, AutodetectionRetry& detect, bool ok,
                                                 std::int64_t mono_us, int retry_s);

}  // namespace vmq
