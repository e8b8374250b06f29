// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/autodetection.h"

#include <string>

#include "vmq/log.h"

namespace vmq {

AutodetectionRetry::Verdict autodetection_result(std::string_view job, AutodetectionRetry& detect, bool ok,
                                                 std::int64_t mono_us, int retry_s) {
  const bool was_detected = detect.detected();
  const bool was_dropped = detect.dropped();
  const AutodetectionRetry::Verdict v = detect.on_result(ok, mono_us);
  if (was_detected || was_dropped) return v;
  if (v == AutodetectionRetry::Verdict::drop) {
    log::error(job,
               "the first check failed and autodetection_retry is 0: the job is dropped (as go.d does; "
               "set autodetection_retry to a number of seconds to keep retrying)");
  } else if (v == AutodetectionRetry::Verdict::retry_later) {
    log::info(job, "check failed; next check in " + std::to_string(retry_s) + " s (autodetection_retry)");
  }
  return v;
}

}  // namespace vmq
