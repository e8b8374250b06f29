// SPDX-License-Identifier: GPL-3.0-or-later
// The per-tick work after parsing: the minute window of every series and the rendering of the
// tick's protocol lines (JobCharts::on_success / on_failure). Reports ticks/s, output bytes/s
// and heap allocations per tick (steady state must be zero).
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alloc_counter.h"
#include "bench_bodies.h"
#include "vmq/job_charts.h"
#include "vmq/series_store.h"
#include "vmq/vernemq_metrics.h"

namespace {

// One node's nine reason series through the counting engine: stage the new values, commit,
// then sum each series' last minute.
void BM_WindowTick_9Series(benchmark::State& state) {
  vmq::SeriesStore store(1);
  const std::string labels[9] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
  std::int64_t tick = 0;
  std::uint64_t value = 1'000'000;
  const auto one_tick = [&] {
    ++tick;
    value += 5200;
    store.begin(tick, tick * 1'000'000, tick * 1'000'000 + 1000);
    store.wallclock("n", static_cast<std::uint64_t>(tick) * 1000 + 5000);
    for (const std::string& l : labels) store.sample("n", 1, l, value);
    store.commit();
    vmq::Share total;
    for (std::size_t i = 0; i < store.series().size(); ++i) store.count(i, tick, total);
    return total.rounded();
  };
  for (int i = 0; i < 70; ++i) one_tick();  // a full window: storage at its steady size
  const std::uint64_t before = vmq::bench::allocations();
  for (auto _ : state) benchmark::DoNotOptimize(one_tick());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 9);  // series
  state.counters["allocs_per_tick"] =
      static_cast<double>(vmq::bench::allocations() - before) / static_cast<double>(state.iterations());
}

// A whole successful tick of one job: windows + the two charts' BEGIN/SET/END lines.
void on_success(benchmark::State& state, const std::string& body) {
  vmq::VerneMQScrape scrape;
  vmq::extract_vernemq(body, scrape);
  vmq::JobCharts charts("bench", 1);
  std::string out;
  std::int64_t tick = 0;
  // Warm up: the chart definitions go out once, storage reaches its steady size.
  for (; tick < 3; ++tick) {
    out.clear();
    charts.on_success(scrape, tick, tick * 1'000'000, out);
  }
  std::size_t bytes = 0;
  const std::uint64_t before = vmq::bench::allocations();
  for (auto _ : state) {
    out.clear();
    charts.on_success(scrape, tick, tick * 1'000'000, out);
    ++tick;
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));  // ticks
  state.counters["out_bytes_per_tick"] = static_cast<double>(bytes) / static_cast<double>(state.iterations());
  state.counters["allocs_per_tick"] =
      static_cast<double>(vmq::bench::allocations() - before) / static_cast<double>(state.iterations());
}

void BM_ChartsOnSuccess_1Node(benchmark::State& state) {
  static const std::string body = vmq::bench::node_body();
  on_success(state, body);
}

void BM_ChartsOnSuccess_16Nodes(benchmark::State& state) {
  static const std::string body = vmq::bench::multi_node_body(16);
  on_success(state, body);
}

void BM_ChartsOnFailure(benchmark::State& state) {
  vmq::VerneMQScrape scrape;
  vmq::extract_vernemq(vmq::bench::node_body(), scrape);
  vmq::JobCharts charts("bench", 1);
  std::string out;
  charts.on_success(scrape, 0, 0, out);
  std::int64_t tick = 1;
  const std::uint64_t before = vmq::bench::allocations();
  for (auto _ : state) {
    out.clear();
    charts.on_failure(tick, tick * 1'000'000, out);
    ++tick;
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["allocs_per_tick"] =
      static_cast<double>(vmq::bench::allocations() - before) / static_cast<double>(state.iterations());
}

// What one job's state costs in heap once it runs (our code only: the counting engine and the
// charts; libcurl's handle is not in it, and the extraction is shared, as the plugin's jobs
// share it): 100 jobs fed bodies the way the plugin feeds them (16 KB pieces), measured with
// mallinfo2(). `bodies`: one body read again and again (nothing moves: the process benchmark's
// case), or a busy broker's bodies a second apart, for 6 minutes (every counted series that
// moves holds its events in the window, the ratio charts' for 5 minutes).
void job_state_heap(benchmark::State& state, const std::vector<std::string>& bodies, int jobs) {
  for (auto _ : state) {
    struct Job {
      std::optional<std::string> prefix;
      std::unique_ptr<vmq::JobCharts> charts;
    };
    vmq::VerneMQScrape scrape;
    vmq::VerneMQStream stream(scrape);
    std::vector<Job> all(static_cast<std::size_t>(jobs));
    std::string out;
    out.reserve(1 << 20);
    const std::size_t before = mallinfo2().uordblks;
    for (std::size_t j = 0; j < all.size(); ++j) {
      all[j].charts = std::make_unique<vmq::JobCharts>("job" + std::to_string(j), 1);
    }
    for (std::size_t tick = 0; tick < std::max<std::size_t>(bodies.size(), 3); ++tick) {
      const std::string& body = bodies[tick % bodies.size()];
      for (Job& job : all) {
        stream.begin(job.prefix);
        for (std::size_t at = 0; at < body.size(); at += 16384) stream.feed(std::string_view(body).substr(at, 16384));
        stream.finish();
        if (scrape.is_vernemq) job.prefix = scrape.prefix;
        out.clear();
        job.charts->on_success(scrape, static_cast<std::int64_t>(tick), static_cast<std::int64_t>(tick) * 1'000'000,
                               out);
      }
    }
    state.counters["heap_bytes_per_job"] = static_cast<double>(mallinfo2().uordblks - before) / jobs;
    state.counters["series_per_job"] = static_cast<double>(all[0].charts->store().series().size());
  }
}

void BM_JobState_HeapBytes(benchmark::State& state) {
  static const std::vector<std::string> bodies{vmq::bench::node_body()};
  job_state_heap(state, bodies, 100);
}

void BM_JobState_HeapBytes_Busy(benchmark::State& state) {
  static const std::vector<std::string> bodies = vmq::bench::node_bodies_over_time(360);
  job_state_heap(state, bodies, 10);
}

}  // namespace

BENCHMARK(BM_WindowTick_9Series);
BENCHMARK(BM_ChartsOnSuccess_1Node);
BENCHMARK(BM_ChartsOnSuccess_16Nodes);
BENCHMARK(BM_ChartsOnFailure);
BENCHMARK(BM_JobState_HeapBytes)->Iterations(1);
BENCHMARK(BM_JobState_HeapBytes_Busy)->Iterations(1)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
