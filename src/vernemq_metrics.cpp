// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/vernemq_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "vmq/catalogue.h"
#include "vmq/prometheus_text.h"

namespace vmq {

namespace {

std::string_view unescaped(const prom::Label* label, std::string& scratch) {
  if (label == nullptr) return {};
  if (!label->has_escapes) return label->raw_value;
  scratch.clear();
  prom::append_unescaped(label->raw_value, scratch);
  return scratch;
}

// The catalogue family of a name without prefix: a family, a histogram's `_bucket` series (its
// `_count` and `_sum` add nothing the +Inf bucket does not hold), or a family named after an
// instance (`instance` is then set to it; else cleared).
std::optional<std::size_t> family_of(std::string_view name, std::string& instance) {
  instance.clear();
  if (const auto f = catalogue::find_family(name)) {
    const catalogue::Family& family = catalogue::families()[*f];
    // A family named after an instance is never written without one.
    return family.type == catalogue::FamilyType::histogram || !family.named_by.empty() ? std::nullopt : f;
  }
  constexpr std::string_view kBucket = "_bucket";
  if (name.ends_with(kBucket)) {
    const auto f = catalogue::find_family(name.substr(0, name.size() - kBucket.size()));
    return f && catalogue::families()[*f].type == catalogue::FamilyType::histogram ? f : std::nullopt;
  }
  const auto named = catalogue::find_named_family(name);
  if (!named) return std::nullopt;
  instance.assign(named->instance);
  return named->family;
}

class VerneMQSink final : public prom::SampleSink {
 public:
  explicit VerneMQSink(VerneMQScrape& out) : out_(out) {
    // Room for what a VerneMQ body needs, at once (extract_vernemq() makes a sink per body).
    last_name_.reserve(128);
    labels_scratch_.reserve(256);
  }

  // A new body: clears `out` (keeping its storage). Lines before the body's identifying one are
  // read with `expected_prefix`, the prefix of the job's previous VerneMQ body, if any.
  void begin(std::optional<std::string_view> expected_prefix) {
    if (!expected_prefix) {
      expected_prefix_.reset();
    } else {
      if (!expected_prefix_) expected_prefix_.emplace();
      expected_prefix_->assign(*expected_prefix);  // no allocation: a prefix fits a short string
    }
    out_.is_vernemq = false;
    out_.prefix.clear();
    out_.n_nodes = 0;
    out_.n_series = 0;
    out_.label_text.clear();
    out_.lines = 0;
    out_.samples = 0;
    out_.problems_total = 0;
    out_.problems.clear();
    out_.found_names.clear();
    out_.rejected.clear();
    out_.unterminated = false;
    found_count_ = 0;
    last_found_at_ = 0;
    last_name_.clear();
    family_.reset();
  }

  void end(const prom::ParseStats& stats) {
    out_.lines = stats.lines;
    out_.unterminated = stats.unterminated;
    // A job keeps its storage for months: no slack left from growing (bodies are alike).
    if (out_.series.size() > out_.n_series + out_.n_series / 8 + 8) out_.series.resize(out_.n_series);
    if (out_.series.capacity() > out_.series.size() + out_.series.size() / 8 + 8) out_.series.shrink_to_fit();
    if (out_.label_text.capacity() > 2 * out_.label_text.size() + 256) out_.label_text.shrink_to_fit();
  }

  bool wants(std::string_view name) override {
    if (!out_.is_vernemq) {
      if (detect(name, kPubackSent) || detect(name, kPubackReceived) || detect(name, kPublishError)) {
        if (expected_prefix_ != out_.prefix) {
          // What was read under the previous body's prefix belongs to another naming: forget it.
          out_.n_nodes = 0;
          out_.n_series = 0;
          out_.label_text.clear();
          out_.samples = 0;
        }
      } else {
        note_found(name);
        // The lines before the identifying ones are read with the prefix of the job's previous
        // body (VerneMQ writes socket_open and others first).
        if (!expected_prefix_ || !name.starts_with(*expected_prefix_)) return false;
        last_name_.clear();
        family_ = family_of(name.substr(expected_prefix_->size()), instance_);
        return family_.has_value();
      }
    }
    // A family's series mostly come one after another: the previous line's answer first.
    if (name == last_name_) return family_.has_value();
    last_name_.assign(name);
    family_ = name.starts_with(out_.prefix) ? family_of(name.substr(out_.prefix.size()), instance_) : std::nullopt;
    return family_.has_value();
  }

  // Which lines the parser must read (prom::SampleSink::line_filters). Until the body is known
  // to be VerneMQ's, every line is read until a few names are noted for the "not VerneMQ"
  // message, then only lines holding "mqtt_pub", which every name that identifies VerneMQ
  // contains. After that, every line: the catalogue covers nearly every family.
  std::span<const std::string_view> line_filters() override {
    if (out_.is_vernemq || expected_prefix_) return {};
    if (found_count_ < kFoundNamesKept) return {};
    return std::span<const std::string_view>(&kDetectFilter, 1);
  }

  void on_sample(const prom::Sample& s) override {
    const catalogue::Family& family = catalogue::families()[*family_];
    if (family.type == catalogue::FamilyType::histogram && !s.value.is_u64) {
      problem(s, "has a bucket value that is not a non-negative 64-bit integer; ignored");
      return;
    }
    const bool is_counter = family.type == catalogue::FamilyType::counter;
    if (is_counter && !s.value.is_u64) {
      // A counter that is negative, fractional, NaN or beyond 64 bits cannot be turned into a
      // true count: the whole scrape is refused rather than charting a made-up number.
      problem(s, "has a value that is not a non-negative 64-bit integer counter");
      if (out_.rejected.empty()) out_.rejected = out_.problems.empty() ? "bad counter value" : out_.problems.back();
      return;
    }
    if (!is_counter && !std::isfinite(s.value.as_double)) {
      problem(s, "has a value that is not a finite number; ignored");
      return;
    }
    const std::size_t f = *family_;
    if (f == wallclock_family_ && !s.value.is_u64) {
      // It tells a restart from a gap: a made-up value would be worse than none.
      problem(s, "has a value that is not a whole number of milliseconds; ignored");
      return;
    }
    const prom::Label* node_label = canonical_labels(s);
    const std::string_view labels(labels_scratch_.data(), labels_size_);
    const std::size_t node_idx = find_node(unescaped(node_label, node_scratch_), s);
    if (node_idx == kNoNode) return;
    NodeMetrics& node = out_.nodes[node_idx];
    // Per-node values that only inform (restart detection, the `vernemq` Function).
    if (f == wallclock_family_ && s.value.is_u64) {
      node.wallclock_ms = s.value.as_u64;
      node.has_wallclock = true;
    } else if (f == connections_family_ && s.value.is_u64) {
      node.connections = s.value.as_u64;
      node.has_connections = true;
    }
    // Repeats are told by a hash of the labels first: a family's series are compared with
    // every earlier one of their node, and reason-code families have up to 29.
    const std::uint64_t hash = catalogue::text_hash(labels);
    for (std::int32_t i = node.last_of_family[f]; i >= 0; i = out_.series[static_cast<std::size_t>(i)].prev_same) {
      if (labels_hash_[static_cast<std::size_t>(i)] == hash &&
          out_.labels(out_.series[static_cast<std::size_t>(i)]) == labels) {
        problem(s, "repeats a series already seen (same node and labels); the repeat is ignored");
        return;
      }
    }
    if (node.series_of_family[f] == kMaxSeriesPerFamily) {
      problem(s, "brings more than 128 label sets of one family for one node; the extra series is dropped");
      return;
    }
    if (out_.n_series == out_.series.size()) out_.series.emplace_back();
    // As long as the series' storage (reused from body to body): one allocation, not a doubling.
    if (out_.n_series >= labels_hash_.size()) labels_hash_.resize(out_.series.capacity());
    labels_hash_[out_.n_series] = hash;
    ScrapedSeries& series = out_.series[out_.n_series];
    series.node = static_cast<std::uint8_t>(node_idx);
    series.family = static_cast<std::uint16_t>(f);
    series.labels_at = static_cast<std::uint32_t>(out_.label_text.size());
    series.labels_size = static_cast<std::uint32_t>(labels.size());
    out_.label_text.append(labels);
    series.value = s.value.as_double;
    series.u64 = s.value.as_u64;
    series.is_u64 = s.value.is_u64;
    series.prev_same = node.last_of_family[f];
    node.last_of_family[f] = static_cast<std::int32_t>(out_.n_series);
    ++node.series_of_family[f];
    ++out_.n_series;
    ++out_.samples;
  }

  [[nodiscard]] std::size_t retained_bytes() const {
    std::size_t n = last_name_.capacity() + instance_.capacity() + node_scratch_.capacity() +
                    labels_scratch_.capacity() + value_scratch_.capacity() +
                    labels_hash_.capacity() * sizeof(std::uint64_t) + out_.series.capacity() * sizeof(ScrapedSeries) +
                    out_.label_text.capacity() + out_.nodes.capacity() * sizeof(NodeMetrics) +
                    out_.found_names.capacity() + out_.rejected.capacity() + out_.prefix.capacity();
    for (const NodeMetrics& node : out_.nodes) {
      n += node.node.capacity() + node.last_of_family.capacity() * sizeof(std::int32_t) +
           node.series_of_family.capacity() * sizeof(std::uint16_t);
    }
    for (const std::string& p : out_.problems) n += p.capacity();
    return n;
  }

  void on_error(const prom::ParseError& e) override {
    ++out_.problems_total;
    if (out_.problems.size() < kMaxProblemsKept) out_.problems.push_back(prom::format_error(e));
  }

 private:
  static constexpr std::size_t kFoundNamesKept = 5;
  static constexpr std::string_view kDetectFilter = "mqtt_pub";

  bool detect(std::string_view name, std::string_view suffix) {
    if (!name.ends_with(suffix)) return false;
    out_.is_vernemq = true;
    out_.prefix.assign(name.substr(0, name.size() - suffix.size()));
    return true;
  }

  void note_found(std::string_view name) {
    // A short list of what the body does hold, for the "not VerneMQ" message. (The previous
    // name is compared as stored: a streamed body's earlier pieces are gone.)
    name = name.substr(0, 80);
    if (found_count_ >= kFoundNamesKept ||
        (found_count_ > 0 && std::string_view(out_.found_names).substr(last_found_at_) == name)) {
      return;
    }
    if (!out_.found_names.empty()) out_.found_names += ", ";
    last_found_at_ = out_.found_names.size();
    out_.found_names.append(name);
    ++found_count_;
  }

  std::size_t find_node(std::string_view name, const prom::Sample& s) {
    for (std::size_t i = 0; i < out_.n_nodes; ++i) {
      if (out_.nodes[i].node == name) return i;
    }
    if (out_.n_nodes == kMaxNodesPerJob) {
      problem(s, "brings more than 16 node names in one body; the extra node is dropped");
      return kNoNode;
    }
    if (out_.n_nodes == out_.nodes.size()) out_.nodes.emplace_back();
    NodeMetrics& n = out_.nodes[out_.n_nodes];
    n.node.assign(name);
    n.has_wallclock = false;
    n.has_connections = false;
    n.last_of_family.assign(catalogue::families().size(), -1);
    n.series_of_family.assign(catalogue::families().size(), 0);
    return out_.n_nodes++;
  }

  // Writes every label but `node`, unescaped, as catalogue::label_value() reads them, to
  // labels_scratch_ (its first labels_size_ bytes); returns the `node` label (the first, as
  // Sample::label finds it), or nullptr. The scratch only grows: no allocation once warm.
  const prom::Label* canonical_labels(const prom::Sample& s) {
    // A family named after an instance: the instance first, as the label the catalogue names.
    const std::string_view instance_label =
        instance_.empty() ? std::string_view() : catalogue::families()[*family_].named_by;
    std::size_t room = instance_label.size() + instance_.size() + 2;  // unescaping never lengthens a value
    for (const prom::Label& l : s.labels) room += l.name.size() + l.raw_value.size() + 2;
    if (labels_scratch_.size() < room) labels_scratch_.resize(std::max(room, labels_scratch_.capacity()));
    char* const start = labels_scratch_.data();
    char* at = start;
    if (!instance_label.empty()) {
      std::memcpy(at, instance_label.data(), instance_label.size());
      at += instance_label.size();
      *at++ = '=';
      std::memcpy(at, instance_.data(), instance_.size());
      at += instance_.size();
    }
    const prom::Label* node = nullptr;
    for (const prom::Label& l : s.labels) {
      if (l.name == kLabelNode) {
        if (node == nullptr) node = &l;
        continue;
      }
      if (at != start) *at++ = catalogue::kLabelSeparator;
      std::memcpy(at, l.name.data(), l.name.size());
      at += l.name.size();
      *at++ = '=';
      if (l.has_escapes) {
        const std::string_view v = unescaped(&l, value_scratch_);
        std::memcpy(at, v.data(), v.size());
        at += v.size();
      } else {
        std::memcpy(at, l.raw_value.data(), l.raw_value.size());
        at += l.raw_value.size();
      }
    }
    labels_size_ = static_cast<std::size_t>(at - start);
    return node;
  }

  void problem(const prom::Sample& s, const char* what) {
    ++out_.problems_total;
    if (out_.problems.size() < kMaxProblemsKept) {
      out_.problems.push_back("line " + std::to_string(s.line) + ": " + std::string(s.name) + " sample " + what);
    }
  }

  static constexpr std::size_t kNoNode = static_cast<std::size_t>(-1);
  // Families whose values also fill NodeMetrics.
  const std::size_t wallclock_family_ = catalogue::find_family(kSystemWallclock).value_or(kNoNode);
  const std::size_t connections_family_ = catalogue::find_family(kTotalActiveConnections).value_or(kNoNode);

  VerneMQScrape& out_;
  std::optional<std::size_t> family_;  // the catalogue family of the line being parsed
  std::string instance_;               // its instance, when the family is named after one
  std::string last_name_;              // the metric name family_ was found for
  std::string node_scratch_;
  std::string labels_scratch_;  // canonical_labels() writes here
  std::string value_scratch_;
  std::size_t labels_size_ = 0;
  std::vector<std::uint64_t> labels_hash_;  // per series of out_: catalogue::text_hash() of its labels
  std::size_t last_found_at_ = 0;           // where the last noted name starts in found_names
  std::size_t found_count_ = 0;
  std::optional<std::string> expected_prefix_;  // given at begin(); set when this body's is found
};

}  // namespace

std::optional<std::uint64_t> sum_of(const VerneMQScrape& scrape, std::size_t node, std::string_view family,
                                    std::string_view match) {
  const std::optional<std::size_t> f = catalogue::find_family(family);
  if (!f || node >= scrape.n_nodes) return std::nullopt;
  std::optional<std::uint64_t> sum;
  for (std::int32_t i = scrape.nodes[node].last_of_family[*f]; i >= 0;
       i = scrape.series[static_cast<std::size_t>(i)].prev_same) {
    const ScrapedSeries& s = scrape.series[static_cast<std::size_t>(i)];
    if (!s.is_u64 || !catalogue::labels_match(scrape.labels(s), match)) continue;
    const std::uint64_t v = sum.value_or(0);
    sum = v > UINT64_MAX - s.u64 ? UINT64_MAX : v + s.u64;
  }
  return sum;
}

void extract_vernemq(std::string_view body, VerneMQScrape& out) {
  VerneMQSink sink(out);
  sink.begin(std::nullopt);
  sink.end(prom::parse(body, sink));
  if (out.is_vernemq) {
    // The prefix is known only once an identifying line is read: read the body again with it,
    // so the families before that line are kept too.
    const std::string prefix = out.prefix;
    sink.begin(prefix);
    sink.end(prom::parse(body, sink));
  }
}

struct VerneMQStream::Impl {
  explicit Impl(VerneMQScrape& out) : sink(out) {}
  VerneMQSink sink;
  prom::StreamParser parser;
  bool begun = false;
};

VerneMQStream::VerneMQStream(VerneMQScrape& out) : impl_(std::make_unique<Impl>(out)) {}
VerneMQStream::~VerneMQStream() = default;

void VerneMQStream::begin(std::optional<std::string_view> expected_prefix) {
  impl_->sink.begin(expected_prefix);
  impl_->parser.begin(impl_->sink);
  impl_->begun = true;
}

void VerneMQStream::feed(std::string_view piece) {
  if (impl_->begun) impl_->parser.feed(piece);
}

void VerneMQStream::finish() {
  if (!impl_->begun) begin(std::nullopt);  // no body at all: an empty one
  impl_->sink.end(impl_->parser.finish());
  impl_->begun = false;
}

std::size_t VerneMQStream::retained_bytes() const {
  return sizeof(Impl) + impl_->sink.retained_bytes() + impl_->parser.retained_bytes();
}

std::string not_vernemq_message(const VerneMQScrape& scrape) {
  std::string m =
      "not VerneMQ metrics: no metric named *mqtt_puback_sent, *mqtt_puback_received or "
      "*mqtt_publish_error";
  if (scrape.found_names.empty()) {
    m += scrape.lines == 0 ? " (the body is empty)" : " (no valid sample line found)";
  } else {
    m += "; found: " + scrape.found_names;
  }
  return m;
}

}  // namespace vmq
