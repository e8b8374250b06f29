// SPDX-License-Identifier: GPL-3.0-or-later
// The parser and the VerneMQ extraction on generated bodies: one node (~40 KB, what a VerneMQ
// node serves) and an aggregating proxy's 149 nodes (~4 MB). Reports bytes/s, lines/s and heap
// allocations per scrape. Two references beside them: a full tokenisation of every sample line
// (what a general-purpose client parser must at least do) and the floor (a substring scan for
// the one family needed, nothing validated).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "alloc_counter.h"
#include "bench_bodies.h"
#include "vmq/prometheus_text.h"
#include "vmq/vernemq_metrics.h"

namespace {

const std::string& body_1() {
  static const std::string b = vmq::bench::node_body();
  return b;
}
const std::string& body_1_no_prefix() {
  static const std::string b = vmq::bench::node_body("");
  return b;
}
const std::string& body_149() {
  static const std::string b = vmq::bench::multi_node_body(149);
  return b;
}

std::size_t count_lines(std::string_view b) {
  return static_cast<std::size_t>(std::count(b.begin(), b.end(), '\n')) + (b.empty() || b.back() == '\n' ? 0 : 1);
}

void report(benchmark::State& state, std::string_view body, std::uint64_t allocs_before) {
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  state.SetBytesProcessed(iterations * static_cast<std::int64_t>(body.size()));
  state.SetItemsProcessed(iterations * static_cast<std::int64_t>(count_lines(body)));  // lines
  state.counters["body_bytes"] = static_cast<double>(body.size());
  state.counters["allocs_per_scrape"] = benchmark::Counter(
      static_cast<double>(vmq::bench::allocations() - allocs_before) / static_cast<double>(iterations));
}

// Everything the plugin charts, out of one body: what runs per scrape.
void extract(benchmark::State& state, const std::string& body) {
  vmq::VerneMQScrape scrape;
  vmq::extract_vernemq(body, scrape);  // warm: storage reaches its steady-state size
  if (!scrape.is_vernemq || scrape.n_nodes == 0 || !scrape.rejected.empty()) state.SkipWithError("body not usable");
  const std::uint64_t before = vmq::bench::allocations();
  for (auto _ : state) {
    vmq::extract_vernemq(body, scrape);
    benchmark::DoNotOptimize(scrape.nodes.data());
    benchmark::ClobberMemory();
  }
  report(state, body, before);
  state.counters["nodes_kept"] = static_cast<double>(scrape.n_nodes);
}

void BM_Extract_Node40KB(benchmark::State& state) { extract(state, body_1()); }
void BM_Extract_Node40KB_NoPrefix(benchmark::State& state) { extract(state, body_1_no_prefix()); }
void BM_Extract_149Nodes4MB(benchmark::State& state) { extract(state, body_149()); }

// What the plugin does: the body parsed as it arrives, in libcurl's 16 KB pieces.
void stream(benchmark::State& state, const std::string& body) {
  vmq::VerneMQScrape scrape;
  vmq::VerneMQStream extractor(scrape);
  std::string prefix;
  constexpr std::size_t kPiece = 16 * 1024;  // CURL_MAX_WRITE_SIZE
  const auto run = [&] {
    extractor.begin(scrape.is_vernemq ? std::optional<std::string_view>(prefix) : std::nullopt);
    for (std::size_t at = 0; at < body.size(); at += kPiece) extractor.feed(std::string_view(body).substr(at, kPiece));
    extractor.finish();
    if (scrape.is_vernemq) prefix = scrape.prefix;  // as a job keeps it
  };
  run();  // warm: storage reaches its steady-state size
  if (!scrape.is_vernemq || scrape.n_nodes == 0 || !scrape.rejected.empty()) state.SkipWithError("body not usable");
  const std::uint64_t before = vmq::bench::allocations();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(scrape.nodes.data());
    benchmark::ClobberMemory();
  }
  report(state, body, before);
}

void BM_Stream_Node40KB(benchmark::State& state) { stream(state, body_1()); }
void BM_Stream_149Nodes4MB(benchmark::State& state) { stream(state, body_149()); }

// Reference: every sample line of the body tokenised (name, labels, value) by this project's
// parser, as a general client library must.
class EverySample final : public vmq::prom::SampleSink {
 public:
  bool wants(std::string_view) override { return true; }
  void on_sample(const vmq::prom::Sample& s) override { sum_ += s.value.as_u64 + s.labels.size(); }
  void on_error(const vmq::prom::ParseError&) override { ++errors_; }
  std::uint64_t sum_ = 0;
  std::uint64_t errors_ = 0;
};

void BM_TokeniseEverySample_Node40KB(benchmark::State& state) {
  const std::string& body = body_1();
  const std::uint64_t before = vmq::bench::allocations();
  for (auto _ : state) {
    EverySample sink;
    benchmark::DoNotOptimize(vmq::prom::parse(body, sink));
    benchmark::DoNotOptimize(sink.sum_);
  }
  report(state, body, before);
}

// The floor: find the lines of the one family needed with a substring scan and read their last
// number; no validation, no line numbers, no prefix detection.
std::uint64_t floor_scan(std::string_view body, std::string_view needle) {
  std::uint64_t sum = 0;
  const char* p = body.data();
  const char* const end = body.data() + body.size();
  while (const char* hit =
             static_cast<const char*>(memmem(p, static_cast<std::size_t>(end - p), needle.data(), needle.size()))) {
    const char* name = hit + 1;  // the needle starts with the '\n' before the name
    const char* nl = static_cast<const char*>(std::memchr(name, '\n', static_cast<std::size_t>(end - name)));
    const char* line_end = nl != nullptr ? nl : end;
    const char* v = line_end;
    while (v > name && v[-1] != ' ') --v;
    std::uint64_t x = 0;
    for (; v < line_end; ++v) x = x * 10 + static_cast<std::uint64_t>(*v - '0');
    sum += x;
    p = line_end;
  }
  return sum;
}

void BM_FloorScan_Node40KB(benchmark::State& state) {
  const std::string& body = body_1();
  const std::uint64_t before = vmq::bench::allocations();
  for (auto _ : state) benchmark::DoNotOptimize(floor_scan(body, "\nvernemq_mqtt_puback_sent{"));
  report(state, body, before);
}

void BM_FloorScan_149Nodes4MB(benchmark::State& state) {
  const std::string& body = body_149();
  const std::uint64_t before = vmq::bench::allocations();
  for (auto _ : state) benchmark::DoNotOptimize(floor_scan(body, "\nvernemq_mqtt_puback_sent{"));
  report(state, body, before);
}

}  // namespace

BENCHMARK(BM_Extract_Node40KB);
BENCHMARK(BM_Extract_Node40KB_NoPrefix);
BENCHMARK(BM_Extract_149Nodes4MB)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Stream_Node40KB);
BENCHMARK(BM_Stream_149Nodes4MB)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TokeniseEverySample_Node40KB);
BENCHMARK(BM_FloorScan_Node40KB);
BENCHMARK(BM_FloorScan_149Nodes4MB)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
