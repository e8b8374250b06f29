// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/series_store.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>

namespace vmq {

namespace {
// splitmix64's finaliser: every input bit moves every output bit.
std::uint64_t mix64(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A node's start is estimated from each scrape as [request start, body end] - wallclock. It
// restarted when the new estimate lies later than the previous one could, by more than this
// (milliseconds of wallclock resolution, clock rate differences over one interval).
constexpr std::int64_t kRestartSlackUs = 1'000'000;
}  // namespace

SeriesStore::SeriesStore(int update_every_s)
    : step_us_(static_cast<std::int64_t>(update_every_s < 1 ? 1 : update_every_s) * 1'000'000),
      span_us_(window_span_us(update_every_s)) {}

std::uint64_t SeriesStore::key_of(int family, std::string_view labels) {
  // Seeded once per process from the address of a local and the clock: a body cannot aim at a
  // collision it cannot compute. 8 bytes at a time, each mixed by a multiply and a shift.
  static const std::uint64_t seed = [] {
    const std::uint64_t a = reinterpret_cast<std::uintptr_t>(&seed);
    const auto t = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return mix64(a ^ mix64(t));
  }();
  std::uint64_t h = mix64(seed ^ static_cast<std::uint64_t>(family));
  std::size_t i = 0;
  for (; i + 8 <= labels.size(); i += 8) {
    std::uint64_t chunk;
    std::memcpy(&chunk, labels.data() + i, 8);
    h = mix64(h ^ chunk);
  }
  std::uint64_t tail = labels.size();  // the length, so "a" and "a\0" differ
  for (std::size_t k = 0; i < labels.size(); ++i, ++k)
    tail ^= static_cast<std::uint64_t>(static_cast<unsigned char>(labels[i])) << (8 * k + 8);
  return mix64(h ^ tail);
}

void SeriesStore::begin(std::int64_t tick, std::int64_t start_mono_us, std::int64_t end_mono_us) {
  discard();
  tick_ = tick;
  start_us_ = start_mono_us;
  end_us_ = std::max(start_mono_us, end_mono_us);
  nodes_before_ = nodes_.size();
  cursor_ = 0;
  node_cursor_ = 0;
}

std::size_t SeriesStore::node_index(std::string_view name) {
  if (node_cursor_ < nodes_.size() && nodes_[node_cursor_].name == name) return node_cursor_;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].name == name) return node_cursor_ = i;
  }
  nodes_.push_back(Node{});
  nodes_.back().name.assign(name);
  return node_cursor_ = nodes_.size() - 1;
}

void SeriesStore::wallclock(std::string_view node, std::uint64_t ms) {
  Node& n = nodes_[node_index(node)];
  n.pending_wallclock_ms = ms;
  n.seen_now = true;
}

std::size_t SeriesStore::lookup(std::size_t node, std::uint64_t key) const {
  if (slots_.empty()) return kNone;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t h = mix64(key ^ node) & mask;; h = (h + 1) & mask) {
    const std::uint32_t v = slots_[h];
    if (v == 0) return kNone;
    const Series& s = series_[v - 1];
    if (s.key == key && s.node == node) return v - 1;
  }
}

std::size_t SeriesStore::slot(std::string_view node, int family, std::string_view labels) {
  const std::size_t ni = node_index(node);
  nodes_[ni].seen_now = true;
  const std::uint64_t key = key_of(family, labels);
  std::size_t i = kNone;
  if (cursor_ < series_.size() && series_[cursor_].node == ni && series_[cursor_].key == key) i = cursor_;
  if (i == kNone) i = lookup(ni, key);
  if (i == kNone) {
    i = series_.size();
    series_.push_back(Series{});
    Series& s = series_.back();
    s.node = static_cast<std::uint16_t>(ni);
    s.family = static_cast<std::uint16_t>(family);
    s.key = key;
    if (series_.size() * 4 > slots_.size() * 3) {
      reindex();
    } else {
      const std::size_t mask = slots_.size() - 1;
      std::size_t h = mix64(key ^ ni) & mask;
      while (slots_[h] != 0) h = (h + 1) & mask;
      slots_[h] = static_cast<std::uint32_t>(i + 1);
    }
  }
  cursor_ = i + 1;
  return i;
}

std::size_t SeriesStore::sample(std::string_view node, int family, std::string_view labels, std::uint64_t value) {
  const std::size_t i = slot(node, family, labels);
  Series& s = series_[i];
  // A repeated series in one body: the first value stands (the extraction reports repeats).
  if (!s.has_pending) {
    s.pending = value;
    s.has_pending = true;
  }
  return i;
}

std::size_t SeriesStore::sample_gauge(std::string_view node, int family, std::string_view labels, double value) {
  const std::size_t i = slot(node, family, labels);
  Series& s = series_[i];
  if (!s.has_pending) {
    s.gauge = true;
    s.pending = std::bit_cast<std::uint64_t>(value);
    s.has_pending = true;
  }
  return i;
}

void SeriesStore::decide_restart(Node& node, std::size_t node_idx) {
  node.restarted_now = false;
  const std::int64_t now = pos(tick_);
  bool restarted = false;
  std::optional<std::int64_t> start_pos;
  if (node.pending_wallclock_ms) {
    const auto w_new =
        static_cast<std::int64_t>(std::min<std::uint64_t>(*node.pending_wallclock_ms, 1ULL << 52)) * 1000;
    start_pos = now - w_new;
    if (node.wallclock_ms) {
      const auto w_old = static_cast<std::int64_t>(std::min<std::uint64_t>(*node.wallclock_ms, 1ULL << 52)) * 1000;
      const std::int64_t new_start_earliest = start_us_ - w_new;
      const std::int64_t old_start_latest = node.scrape_end_us - w_old;
      restarted = w_new < w_old || new_start_earliest > old_start_latest + kRestartSlackUs;
    }
  }
  if (!node.pending_wallclock_ms || !node.wallclock_ms) {
    // No wallclock to compare: any counter of the node going down means it restarted.
    for (const Series& s : series_) {
      if (s.node == node_idx && !s.gauge && s.has_pending && s.last_pos != kNever && s.pending < s.last) {
        restarted = true;
        break;
      }
    }
    if (!node.wallclock_ms) start_pos.reset();  // a start seen only now says nothing of the gap
  }
  if (!restarted) return;
  node.restarted_now = true;
  ++node.epoch;
  // The events since the restart happened after it and after the node's previous sample.
  node.restart_pos = std::max(node.last_pos, start_pos.value_or(node.last_pos));
}

void SeriesStore::apply(Series& s, const Node& node, bool node_is_new) {
  const std::int64_t now = pos(tick_);
  s.fresh = true;
  if (s.gauge) {
    s.last = s.pending;
    s.last_pos = now;
    s.has_pending = false;
    return;
  }
  std::optional<std::uint64_t> delta;
  std::int64_t from = s.last_pos;
  if (s.last_pos == kNever) {
    // First seen: a baseline, unless its (known) node restarted now: then all of it is new.
    if (!node_is_new && node.restarted_now) {
      delta = s.pending;
      from = node.restart_pos;
    }
  } else if (s.epoch != node.epoch) {
    delta = s.pending;  // the node restarted since this series' last sample
    from = std::max(s.last_pos, node.restart_pos);
  } else {
    delta = s.pending >= s.last ? s.pending - s.last : s.pending;  // down alone: that series reset
  }
  s.rate = kNoRate;
  if (delta) {
    from = std::min(from, now - 1);  // a restart reported at this very instant
    if (s.windowed && *delta > 0) {
      if (!s.window) {
        // One interval ends at each commit, so the window holds at most one per step of what it
        // keeps (+ 2: the one that straddles its start, and the new one before forget_until):
        // room for exactly that, never a vector's doubling (a 5-minute window: 4.8 KB, not 8).
        s.window = std::make_unique<CountWindow>(step_us_);
        const std::int64_t kept = s.keep_long ? std::max(span_us_, long_span_us_) : span_us_;
        s.window->reserve(static_cast<std::size_t>(kept / step_us_) + 2);
      }
      s.window->add(*delta, from, now);
    }
    s.rate = static_cast<double>(*delta) * 1e6 / static_cast<double>(now - from);
  }
  s.last = s.pending;
  s.last_pos = now;
  s.epoch = node.epoch;
  s.has_pending = false;
}

void SeriesStore::commit() {
  const std::int64_t now = pos(tick_);
  for (std::size_t ni = 0; ni < nodes_.size(); ++ni) {
    Node& n = nodes_[ni];
    if (!n.seen_now) continue;
    const bool is_new = n.last_pos == kNever;
    if (!is_new) decide_restart(n, ni);
  }
  for (Series& s : series_) {
    s.fresh = false;
    if (s.window) {
      s.window->forget_until(now - (s.keep_long ? std::max(span_us_, long_span_us_) : span_us_));
      if (s.window->empty()) s.window.reset();  // memory only while there are events
    }
    if (!s.has_pending) continue;
    const Node& n = nodes_[s.node];
    // A node is new when it never was in a commit; at the job's first commit that is every node.
    apply(s, n, n.last_pos == kNever);
  }
  for (Node& n : nodes_) {
    if (!n.seen_now) continue;
    n.last_pos = now;
    n.wallclock_ms = n.pending_wallclock_ms;
    n.scrape_start_us = start_us_;
    n.scrape_end_us = end_us_;
    n.pending_wallclock_ms.reset();
    n.seen_now = false;
  }
  committed_once_ = true;
  commit_pos_ = now;
  prune();
  // A job keeps its series for months: no slack left from growing (the set is mostly stable).
  if (series_.capacity() > series_.size() + series_.size() / 8 + 8) series_.shrink_to_fit();
}

void SeriesStore::discard() {
  bool dropped = false;
  for (Series& s : series_) {
    s.has_pending = false;
    dropped = dropped || s.last_pos == kNever;
  }
  for (Node& n : nodes_) {
    n.seen_now = false;
    n.pending_wallclock_ms.reset();
    dropped = dropped || n.last_pos == kNever;
  }
  if (dropped) {
    // What only this unusable body brought is forgotten, so it cannot grow the state.
    series_.erase(std::remove_if(series_.begin(), series_.end(), [](const Series& s) { return s.last_pos == kNever; }),
                  series_.end());
    std::vector<std::size_t> remap(nodes_.size(), kNone);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].last_pos != kNever) remap[i] = kept++;
    }
    nodes_.erase(std::remove_if(nodes_.begin(), nodes_.end(), [](const Node& n) { return n.last_pos == kNever; }),
                 nodes_.end());
    for (Series& s : series_) s.node = static_cast<std::uint16_t>(remap[s.node]);
    reindex();
  }
}

void SeriesStore::prune() {
  const std::int64_t now = pos(tick_);
  const auto gone = [&](std::int64_t last_pos, std::int64_t kept_us) {
    return last_pos != kNever && last_pos < now - kept_us;
  };
  // A series whose events are kept longer (the 5-minute ratios) is remembered as long: forgotten
  // after a minute, it would come back as a baseline and its gap's events would be lost.
  const auto series_gone = [&](const Series& s) {
    return gone(s.last_pos, s.keep_long ? std::max(span_us_, long_span_us_) : span_us_);
  };
  bool any = false;
  for (const Series& s : series_) any = any || series_gone(s);
  for (const Node& n : nodes_) any = any || gone(n.last_pos, span_us_);
  if (!any) return;
  series_.erase(std::remove_if(series_.begin(), series_.end(), series_gone), series_.end());
  std::vector<bool> used(nodes_.size(), false);
  for (const Series& s : series_) used[s.node] = true;
  std::vector<std::size_t> remap(nodes_.size(), kNone);
  std::vector<Node> kept;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (gone(nodes_[i].last_pos, span_us_) && !used[i]) continue;
    remap[i] = kept.size();
    kept.push_back(std::move(nodes_[i]));
  }
  nodes_.swap(kept);
  for (Series& s : series_) s.node = static_cast<std::uint16_t>(remap[s.node]);
  reindex();
}

void SeriesStore::reindex() {
  std::size_t size = 16;
  while (size * 3 < series_.size() * 4 + 4) size *= 2;
  slots_.assign(size, 0);
  const std::size_t mask = size - 1;
  for (std::size_t i = 0; i < series_.size(); ++i) {
    std::size_t h = mix64(series_[i].key ^ series_[i].node) & mask;
    while (slots_[h] != 0) h = (h + 1) & mask;
    slots_[h] = static_cast<std::uint32_t>(i + 1);
  }
  cursor_ = 0;
  node_cursor_ = 0;
}

void SeriesStore::count(std::size_t i, std::int64_t tick, Share& acc) const {
  const std::int64_t hi = pos(tick);
  if (series_[i].window) series_[i].window->share(hi - span_us_, hi, acc);
}

void SeriesStore::count_over(std::size_t i, std::int64_t tick, std::int64_t span_us, Share& acc) const {
  const std::int64_t hi = pos(tick);
  if (series_[i].window) series_[i].window->share(hi - span_us, hi, acc);
}

std::optional<double> SeriesStore::rate(std::size_t i, std::int64_t tick) const {
  const Series& s = series_[i];
  if (!fresh(i, tick) || s.rate == kNoRate) return std::nullopt;
  return s.rate;
}

std::optional<double> SeriesStore::level(std::size_t i, std::int64_t tick) const {
  const Series& s = series_[i];
  if (!fresh(i, tick)) return std::nullopt;
  return s.gauge ? std::bit_cast<double>(s.last) : static_cast<double>(s.last);
}

bool SeriesStore::fresh(std::size_t i, std::int64_t tick) const { return series_[i].fresh && commit_pos_ == pos(tick); }

}  // namespace vmq
