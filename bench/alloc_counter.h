// SPDX-License-Identifier: GPL-3.0-or-later
// Counts heap allocations made by the benchmark process (alloc_counter.cpp replaces the global
// operator new), so each benchmark can report allocations per iteration: the per-scrape path
// must allocate nothing in steady state (design.md, "Performance principles").
#pragma once

#include <cstdint>

namespace vmq::bench {

std::uint64_t allocations();

}  // namespace vmq::bench
