// SPDX-License-Identifier: GPL-3.0-or-later
// vmq-bench-body [NODES] [PREFIX]: writes a VerneMQ /metrics body to stdout, for the process
// benchmark's web server and the peers' parse benchmarks. NODES 1 (default): one node (~40 KB);
// more: an aggregating proxy's body (149 → ~4 MB).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench_bodies.h"

int main(int argc, char** argv) {
  const long nodes = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1;
  const std::string prefix = argc > 2 ? argv[2] : "vernemq_";
  if (nodes < 1 || nodes > 100000) {
    std::fputs("usage: vmq-bench-body [NODES (1..100000)] [PREFIX]\n", stderr);
    return 2;
  }
  const std::string body =
      nodes == 1 ? vmq::bench::node_body(prefix) : vmq::bench::multi_node_body(static_cast<std::size_t>(nodes), prefix);
  return std::fwrite(body.data(), 1, body.size(), stdout) == body.size() ? 0 : 1;
}
