// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzzes the Prometheus text parser. Properties beyond "no crash, no sanitizer report": every
// view it hands out lies inside the body, every error points at an existing line and column,
// and counts add up.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vmq/prometheus_text.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

class CheckingSink final : public vmq::prom::SampleSink {
 public:
  CheckingSink(std::string_view body, bool want_all) : body_(body), want_all_(want_all) {}

  bool wants(std::string_view name) override {
    check(!name.empty() && inside(name, body_));
    // Half the runs take only names ending like VerneMQ's, to also cover the scan-speed skip.
    return want_all_ || name.ends_with("mqtt_puback_sent") || name.ends_with("mqtt_puback_received");
  }

  void on_sample(const vmq::prom::Sample& s) override {
    ++samples;
    check(inside(s.name, body_) && s.line >= 1);
    check(s.labels.size() <= vmq::prom::kMaxLabels);
    for (const auto& l : s.labels) {
      check(!l.name.empty() && inside(l.name, body_) && inside(l.raw_value, body_));
      check(s.label(l.name) != nullptr);
      scratch_.clear();
      vmq::prom::append_unescaped(l.raw_value, scratch_);
      check(scratch_.size() <= l.raw_value.size());
      if (!l.has_escapes) check(scratch_ == l.raw_value);
    }
    if (s.value.is_u64) check(s.value.as_double >= 0);
  }

  void on_error(const vmq::prom::ParseError& e) override {
    ++errors;
    check(e.line >= 1 && e.column >= 1 && e.message != nullptr && e.message[0] != '\0');
    check(!vmq::prom::format_error(e).empty());
  }

  std::size_t samples = 0;
  std::size_t errors = 0;

 private:
  std::string_view body_;
  bool want_all_;
  std::string scratch_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A copy of exactly `size` bytes, so ASan catches any read past the end of the body.
  const std::string body(reinterpret_cast<const char*>(data), size);
  for (const bool want_all : {true, false}) {
    CheckingSink sink(body, want_all);
    const vmq::prom::ParseStats stats = vmq::prom::parse(body, sink);
    check(stats.samples == sink.samples && stats.errors == sink.errors);
    std::size_t newlines = 0;
    for (char c : body) newlines += c == '\n' ? 1 : 0;
    check(stats.lines == newlines + (body.empty() || body.back() == '\n' ? 0 : 1));
  }
  return 0;
}
