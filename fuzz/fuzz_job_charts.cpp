// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzzes the VerneMQ mapping and the minute window together (JobCharts) with a sequence of
// scrapes, and checks what reaches Netdata: the whole output stream must pass the strict
// Netdata 1.37 validator, the first point must be a baseline (all zeros: never a lifetime
// counter), and no chart may grow past its dimension cap.
//
// Input: byte 0 picks the update interval, byte 1 the job name's shape; the rest is a list of
// bodies separated by "\n#SCRAPE\n". A body starting with "!FAIL" stands for a failed scrape;
// "!GAP" followed by a digit skips that many ticks (a stalled host) before the next body.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "netdata_validator.h"
#include "vmq/job_charts.h"
#include "vmq/vernemq_metrics.h"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
constexpr std::string_view kSeparator = "\n#SCRAPE\n";
constexpr std::string_view kJobNames[] = {"local",
                                          "a b=c'\"\\",
                                          "\xc3\xa9t\xc3\xa9",
                                          "",
                                          "x.y-z_0",
                                          "0123456789012345678901234567890123456789012345678901234567890123456789"
                                          "0123456789012345678901234567890123456789"};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int every = 1 + data[0] % 70;
  const std::string_view job = kJobNames[data[1] % std::size(kJobNames)];
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);

  vmq::JobCharts charts{std::string(job), every};
  vmq::VerneMQScrape scrape;
  std::string out;
  std::int64_t tick = 0;
  std::int64_t mono = 1'000'000;
  bool first_success = true;
  vmq::testing::NetdataValidator validator;
  // Through a failure a count only carries what was known: it never grows, it decays.
  std::vector<std::uint64_t> last;
  const auto carried = [&](std::int64_t t) {
    const std::vector<std::uint64_t> now = charts.per_minute(t);
    for (std::size_t i = 0; i < last.size() && i < now.size(); ++i) check(now[i] <= last[i]);
    if (!first_success) last = now;
  };
  while (true) {
    const std::size_t sep = rest.find(kSeparator);
    // A copy of exactly the body's bytes, so ASan sees any read past its end.
    const std::string body(rest.substr(0, sep));
    out.clear();
    if (body.starts_with("!GAP") && body.size() > 4 && body[4] >= '0' && body[4] <= '9') {
      const int skip = body[4] - '0';
      tick += skip;
      mono += static_cast<std::int64_t>(skip) * every * 1'000'000;
    } else if (body.starts_with("!FAIL")) {
      charts.on_failure(tick, mono, out);
      carried(tick);
    } else {
      vmq::extract_vernemq(body, scrape);
      check(scrape.n_nodes <= vmq::kMaxNodesPerJob);
      check(scrape.problems.size() <= vmq::kMaxProblemsKept && scrape.problems.size() <= scrape.problems_total);
      if (!scrape.is_vernemq) check(!vmq::not_vernemq_message(scrape).empty());
      if (scrape.is_vernemq && scrape.rejected.empty()) {
        charts.on_success(scrape, tick, mono, out);
        last = charts.per_minute(tick);
        if (first_success) {
          for (std::uint64_t v : last) check(v == 0);  // the baseline
          first_success = false;
        }
      } else {
        charts.on_failure(tick, mono, out);
        carried(tick);
      }
    }
    (void)charts.take_messages();
    check(charts.reasons().size() <= vmq::kMaxReasonDimensions);
    validator.feed(out);
    if (!validator.ok()) {
      fprintf(stderr, "%s\n--- output of this tick:\n%s\n", validator.error_report().c_str(), out.c_str());
      std::abort();
    }
    ++tick;
    mono += every * 1'000'000LL;
    if (sep == std::string_view::npos) break;
    rest.remove_prefix(sep + kSeparator.size());
  }
  validator.finish();
  check(validator.ok());
  return 0;
}
