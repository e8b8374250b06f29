// SPDX-License-Identifier: GPL-3.0-or-later
// Process faults: signals in the middle of slow transfers, a reader that goes away, SIGHUP, and
// wall-clock steps (NTP) in either direction.
//
// Clock steps are tested in-process: run_plugin() takes a Clock, and here its wall time is the
// real one plus an offset the test moves by an hour back and a day forward while the loop runs
// (real HTTP on loopback, real output on a pipe). A process-level step would need root
// (clock_settime) or libfaketime; libfaketime also fakes the monotonic clock and the timeouts
// libcurl computes from it unless told otherwise, so what it tested would be libfaketime's
// model of time more than the plugin's. The fake Clock moves exactly the one thing an NTP step
// moves: CLOCK_REALTIME, with CLOCK_MONOTONIC untouched.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hostile_bodies.h"
#include "loopback_http.h"
#include "netdata_validator.h"
#include "subprocess.h"
#include "vmq/config.h"
#include "vmq/plugin.h"
#include "vmq/scheduler.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using loopback::Request;
using loopback::Response;
using testing::Subprocess;
using testing::TempDir;

std::string conf_for(const std::vector<std::pair<std::string, std::string>>& jobs, const std::string& extra = "") {
  std::string c = "jobs:\n";
  // These servers answer every path with their /metrics body: no cluster sources.
  for (const auto& [name, url] : jobs) {
    c += "  - name: " + name + "\n    url: " + url + "\n    cluster_sources: false\n" + extra;
  }
  return c;
}

std::vector<std::optional<long long>> series(const testing::NetdataValidator& v, const std::string& chart) {
  std::vector<std::optional<long long>> out;
  for (const auto& p : v.points_of(chart)) {
    const auto it = p.values.find("success");
    out.push_back(it == p.values.end() ? std::nullopt : it->second);
  }
  return out;
}

loopback::Server counting_server() {
  return loopback::Server([n = std::make_shared<std::atomic<std::uint64_t>>(0)](const Request&) {
    Response r;
    r.body = testing::vernemq_body(n->fetch_add(1));
    return r;
  });
}

TEST(HostileFaults, SigtermWhileFortyTransfersTrickleExitsZeroWithinASecond) {
  TempDir dir;
  // Headers at once, then the body a byte every 100 ms: every transfer is mid-body, receiving.
  loopback::Server slow([](const Request&) {
    Response r;
    r.body = testing::vernemq_body(1);
    r.mode = Response::Mode::trickle;
    r.trickle_interval = 100ms;
    return r;
  });
  std::vector<std::pair<std::string, std::string>> jobs;
  for (int i = 0; i < 40; ++i) jobs.emplace_back("slow" + std::to_string(i), slow.url());
  // Every second a new transfer replaces the one still trickling (its timeout is cut to the
  // interval), so at any moment forty transfers are receiving.
  // No transfer ever completes: with go.d's default autodetection_retry (0) every job would be
  // dropped at its first failed check; retried every second they stay under way.
  const std::string conf = dir.write("vernemq.conf", "autodetection_retry: 1\n" + conf_for(jobs, "    timeout: 30\n"));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  // The sign: all forty transfers are under way (a deadline, not a fixed wait).
  const auto ready_by = std::chrono::steady_clock::now() + 20s;
  while (slow.requests_served() < 40 && std::chrono::steady_clock::now() < ready_by) plugin.pump(50ms);
  ASSERT_GE(slow.requests_served(), 40u) << plugin.err();
  const auto t0 = std::chrono::steady_clock::now();
  plugin.signal(SIGTERM);
  const auto code = plugin.wait_exit(5s);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  if (!testing::plugin_wrapped()) {
    EXPECT_LT(took, 1s);
  }
  testing::NetdataValidator v;
  v.feed(plugin.out());
  v.finish();
  EXPECT_TRUE(v.ok()) << v.error_report();
  EXPECT_NE(plugin.err().find("stop requested; exiting"), std::string::npos) << plugin.err();
}

TEST(HostileFaults, SighupAndSigpipeDoNotStopIt) {
  TempDir dir;
  loopback::Server server = counting_server();
  const std::string conf = dir.write("vernemq.conf", conf_for({{"local", server.url()}}));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  ASSERT_TRUE(plugin.wait_for_stdout("BEGIN vernemq_local.mqtt_puback_sent_reason", 5s)) << plugin.err();
  plugin.signal(SIGHUP);
  plugin.signal(SIGPIPE);
  plugin.pump(2500ms);
  ASSERT_FALSE(plugin.raw_status().has_value()) << "killed by SIGHUP or SIGPIPE";
  const std::size_t before = testing::count_of(plugin.out(), "BEGIN vernemq_local.mqtt_puback_sent_reason");
  plugin.pump(1500ms);
  EXPECT_GT(testing::count_of(plugin.out(), "BEGIN vernemq_local.mqtt_puback_sent_reason"), before)
      << "it stopped ticking";
  plugin.signal(SIGTERM);
  EXPECT_EQ(plugin.wait_exit(5s), 0);
  testing::NetdataValidator v;
  v.feed(plugin.out());
  v.finish();
  EXPECT_TRUE(v.ok()) << v.error_report();
}

TEST(HostileFaults, ReaderGoneWhileJobsFailExitsZeroQuietly) {
  TempDir dir;
  loopback::Server server = counting_server();
  // A failing job beside a good one: the exit must not drown in failure or write errors.
  const std::string conf = dir.write(
      "vernemq.conf", conf_for({{"good", server.url()},
                                {"dead", "http://127.0.0.1:" + std::to_string(testing::closed_port()) + "/metrics"}}));
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  ASSERT_TRUE(plugin.wait_for_stdout("BEGIN vernemq_good", 5s)) << plugin.err();
  plugin.close_stdout_reader();
  const auto code = plugin.wait_exit(5s);
  ASSERT_TRUE(code.has_value()) << "still running after its reader went away";
  EXPECT_EQ(*code, 0);  // not 141 (SIGPIPE): a closed stdout is a normal way to be told to stop
  EXPECT_EQ(testing::count_of(plugin.err(), "stdout closed by the reader; exiting"), 1u) << plugin.err();
  EXPECT_LT(testing::count_of(plugin.err(), "\n"), 10u) << plugin.err();
}

// ---------------------------------------------------------------- wall-clock steps, in-process

// CLOCK_MONOTONIC as it is, CLOCK_REALTIME moved by an offset the test steps.
class SteppedClock final : public Clock {
 public:
  [[nodiscard]] std::int64_t wall_us() const override { return real_.wall_us() + offset_us.load(); }
  [[nodiscard]] std::int64_t mono_us() const override { return real_.mono_us(); }
  std::atomic<std::int64_t> offset_us{0};

 private:
  SystemClock real_;
};

TEST(HostileFaults, WallClockStepsNeitherStallNorBurstNorGoNegative) {
  loopback::Server server = counting_server();
  Config config;
  config.source = "test";
  JobConfig job;
  job.name = "local";
  job.url = server.url();
  for (std::size_t i = 0; i < kClusterSourceCount; ++i) {  // the server answers every path as /metrics
    job.cluster.sources[i].enabled = false;
    job.cluster.given[i] = true;
  }
  config.jobs.push_back(job);

  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  // The reader thread appends while this thread counts: `out` is only touched under `out_mu`.
  std::mutex out_mu;
  std::string out;
  std::thread reader([&] {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      const std::lock_guard lock(out_mu);
      out.append(buf, static_cast<std::size_t>(n));
    }
  });
  SteppedClock clock;
  std::atomic<bool> stop{false};
  RunOptions options;
  options.netdata_update_every = 1;
  options.out_fd = fds[1];
  int code = -1;
  std::thread loop([&] { code = run_plugin(config, options, clock, stop); });

  auto begins = [&] {
    const std::lock_guard lock(out_mu);
    return testing::count_of(out, "BEGIN vernemq_local.mqtt_puback_sent_reason");
  };
  // Running: the first three points are the sign (a deadline, not a fixed sleep).
  const auto ready_by = std::chrono::steady_clock::now() + 15s;
  while (begins() < 3 && std::chrono::steady_clock::now() < ready_by) std::this_thread::sleep_for(20ms);
  auto end_run = [&] {
    stop.store(true);
    wake_running_plugin();
    loop.join();
    ::close(fds[1]);
    reader.join();
    ::close(fds[0]);
  };
  if (begins() < 3) {
    end_run();
    FAIL() << "no three points within 15 s:\n" << out;
  }
  // After each step: two more ticks within 20 s (a stall would wait an hour: the old next tick),
  // and no more ticks than whole seconds passed, + 2 (a burst would be a day of missed ticks).
  // Deadlines, not fixed sleeps: a loaded machine (a sanitizer build beside) only slows it.
  const auto two_more = [&](std::size_t from) {
    const auto start = std::chrono::steady_clock::now();
    while (begins() < from + 2 && std::chrono::steady_clock::now() - start < 20s) std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(1000ms);  // room for a burst to show
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
    return std::pair{begins() - from, static_cast<std::size_t>(secs.count())};
  };
  const std::size_t before_back = begins();
  clock.offset_us.store(-3600LL * 1'000'000);  // an hour back
  const auto [back_ticks, back_secs] = two_more(before_back);
  const std::size_t after_back = begins();
  clock.offset_us.store(86400LL * 1'000'000);  // then a day forward
  const auto [forward_ticks, forward_secs] = two_more(after_back);
  end_run();
  EXPECT_EQ(code, 0);

  EXPECT_GE(back_ticks, 2u) << "stalled after the clock went back";
  EXPECT_LE(back_ticks, back_secs + 2) << "a burst of ticks after the clock went back";
  EXPECT_GE(forward_ticks, 2u) << "stalled after the clock went forward";
  EXPECT_LE(forward_ticks, forward_secs + 2) << "a burst of ticks after the clock went forward";

  testing::NetdataValidator v;
  v.feed(out);
  v.finish();
  ASSERT_TRUE(v.ok()) << v.error_report();
  const auto points = v.points_of("vernemq_local.mqtt_puback_sent_reason");
  ASSERT_GE(points.size(), 7u);
  for (std::size_t i = 1; i < points.size(); ++i) {
    // BEGIN's microseconds come from the monotonic clock: never negative or huge, whatever
    // the wall clock did.
    ASSERT_TRUE(points[i].usec.has_value()) << "point " << i;
    EXPECT_GT(*points[i].usec, 0u) << "point " << i;
    EXPECT_LT(*points[i].usec, 3'000'000u) << "point " << i;
  }
  // The minute window is counted in monotonic ticks: the values stay exact through both steps.
  const auto s = series(v, "vernemq_local.mqtt_puback_sent_reason");
  for (std::size_t i = 0; i < s.size(); ++i)
    EXPECT_EQ(s[i], std::optional<long long>(7 * static_cast<long long>(i))) << "point " << i;
}

}  // namespace
}  // namespace vmq
