// SPDX-License-Identifier: GPL-3.0-or-later
// A strict validator of the external-plugin protocol as Netdata 1.37 reads it
// (the shared docs/netdata-plugin-protocol.md, checked against Netdata v1.37.1's
// collectors/plugins.d/pluginsd_parser.c, parser/parser.c and libnetdata's
// quoted_strings_splitter()). It is deliberately *stricter* than 1.37: whatever it accepts,
// 1.37 accepts and stores as sent. It also records what was declared and sent, so tests can
// assert values without re-parsing the plugin's output themselves.
//
// Profiles: the Netdata version the stream is for (a vmq::NetdataVersion, as the plugin reads it
// from NETDATA_VERSION). 1.37 (the default) is the grammar above. v2 (netdata-v2.md §1-2) is the
// same strict grammar, plus: 30 words a line instead of 20; v2's keyword set, each only from the
// version that introduced it (EXIT, HOST_* 1.39; FUNCTION_PROGRESS, CONFIG 1.45; PLUGIN_KEEPALIVE,
// TRUST_DURATIONS 2.7; FUNCTION_DEL 2.11); FUNCTION with v2's arguments; and replies to function
// calls, FUNCTION_RESULT_BEGIN ... FUNCTION_RESULT_END, whose payload lines are recorded, never
// inside a BEGIN..END or CLABEL block. CLABEL's rules are the same in both (v2 disables the
// plugin where 1.37 crashes). Streaming-only keywords are refused in both.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "vmq/netdata_version.h"

namespace vmq::testing {

struct DimensionDecl {
  std::string id;
  std::string name;       // as sent ("" when absent or '')
  std::string algorithm;  // as sent ("" when absent; 1.37 then uses absolute)
  long long multiplier = 1;
  long long divisor = 1;
  std::string options;  // as sent, e.g. "" or "hidden"
  friend bool operator==(const DimensionDecl&, const DimensionDecl&) = default;
};

struct ChartDecl {
  std::string type_id;  // "type.id", the key of charts()
  std::string name, title, units, family, context, chart_type, options, plugin, module;  // "" when absent
  long long priority = 0;                                                                // 0 when absent
  int update_every = 0;                                                                  // 0 when absent
  // Every dimension 1.37 knows for this chart, in order of first declaration. A re-sent CHART
  // never removes a dimension in 1.37, so this is the union of all declarations.
  std::vector<DimensionDecl> dims;
  // From the last committed CLABEL ... CLABEL_COMMIT block of this chart (1.37 drops labels a
  // commit did not re-send: rrdlabels_unmark_all / rrdlabels_remove_all_unmarked).
  std::map<std::string, std::string> labels;
  int times_defined = 0;
  std::size_t line = 0;  // line of the latest CHART for it

  [[nodiscard]] const DimensionDecl* dim(std::string_view id) const;
  friend bool operator==(const ChartDecl&, const ChartDecl&) = default;
};

struct Point {
  std::string chart;
  std::optional<unsigned long long> usec;  // BEGIN's microseconds, if given
  // nullopt = "SET id = " (empty: not collected this time)
  std::map<std::string, std::optional<long long>> values;
  std::size_t line = 0;  // line of the BEGIN
  friend bool operator==(const Point&, const Point&) = default;
};

// A reply to a function call (v2 profile).
struct FunctionResult {
  std::string transaction;
  int status = 0;
  std::string content_type;
  long long expires = 0;
  std::string body;      // the payload lines, each with its '\n'
  std::size_t line = 0;  // line of FUNCTION_RESULT_BEGIN
};

// A FUNCTION registration.
struct FunctionDecl {
  bool global = false;
  std::string name, help, tags, access;  // "" when absent
  int timeout = 0;
  long long priority = 0, version = 0;
  std::size_t line = 0;
};

class NetdataValidator {
 public:
  NetdataValidator() = default;
  explicit NetdataValidator(NetdataVersion profile) : profile_(profile) {}
  [[nodiscard]] const NetdataVersion& profile() const { return profile_; }
  [[nodiscard]] const std::vector<FunctionResult>& function_results() const { return results_; }
  [[nodiscard]] const std::vector<FunctionDecl>& functions() const { return functions_; }
  // Every keyword seen at the start of a line (payload lines excluded), for "never sent" checks.
  [[nodiscard]] const std::set<std::string>& keywords_seen() const { return keywords_seen_; }

  // Any chunking: a partial last line is kept until more bytes (or finish()) arrive.
  void feed(std::string_view bytes);
  // End of stream: a partial line, an open BEGIN or an uncommitted CLABEL block is an error.
  // Calling it again does nothing.
  void finish();

  // "line N: <what was wrong; what was expected> (got: <the line>)", in stream order.
  [[nodiscard]] const std::vector<std::string>& errors() const { return errors_; }
  [[nodiscard]] bool ok() const { return errors_.empty(); }
  // All errors, one per line; "" when ok(). Handy as a gtest failure message.
  [[nodiscard]] std::string error_report() const;

  [[nodiscard]] const std::map<std::string, ChartDecl>& charts() const { return charts_; }
  [[nodiscard]] const ChartDecl* chart(std::string_view type_id) const;
  // Every complete BEGIN..END block, in stream order.
  [[nodiscard]] const std::vector<Point>& points() const { return points_; }
  [[nodiscard]] std::vector<Point> points_of(std::string_view chart) const;
  [[nodiscard]] std::size_t keepalives() const { return keepalives_; }  // empty lines seen
  [[nodiscard]] bool disabled() const { return disabled_; }             // DISABLE seen
  [[nodiscard]] std::size_t lines() const { return line_no_; }          // complete lines seen

 private:
  // What the stricter grammar allows next. 1.37 itself only tracks a "current chart"
  // (user->st: set by CHART and BEGIN, cleared by END and FLUSH); `st_` mirrors that.
  enum class Phase {
    kIdle,      // between blocks
    kDefining,  // right after CHART / DIMENSION / CLABEL_COMMIT: DIMENSION and CLABEL may follow
    kLabeling,  // after CLABEL: only CLABEL or CLABEL_COMMIT may follow
    kInData,    // between BEGIN and END
  };
  struct Word {
    std::string_view text;
    bool quoted = false;
    std::string_view sep_before;  // the separator run before this word
  };
  struct Split {
    std::vector<Word> words;
    std::string_view trailing;  // separator run after the last word
  };
  struct Redeclare {
    std::size_t chart_line = 0;
    std::set<std::string> seen;
  };

  void process_line(std::string_view line);
  bool check_bytes(std::string_view line);
  bool split(std::string_view line, Split& out);
  bool check_separators(const Split& s, std::string_view line);
  void dispatch(const Split& s, std::string_view line);

  void on_chart(const Split& s, std::string_view line);
  void on_dimension(const Split& s, std::string_view line);
  void on_clabel(const Split& s, std::string_view line);
  void on_clabel_commit(const Split& s, std::string_view line);
  void on_begin(const Split& s, std::string_view line);
  void on_set(const Split& s, std::string_view line);
  void on_end(const Split& s, std::string_view line);
  void on_flush(const Split& s, std::string_view line);
  void on_disable(const Split& s, std::string_view line);
  void on_variable(const Split& s, std::string_view line);
  void on_label(const Split& s, std::string_view line);
  void on_overwrite(const Split& s, std::string_view line);
  void on_function(const Split& s, std::string_view line);
  void on_function_result_begin(const Split& s, std::string_view line);
  void on_v2_keyword(const Split& s, std::string_view line, int major, int minor);

  bool expect_word_count(const Split& s, std::size_t min, std::size_t max, std::string_view form,
                         std::string_view line);
  bool leave_labeling_or_data(std::string_view keyword, std::string_view line);
  void fail(std::string_view line, const std::string& what);
  void fail_at(std::size_t line_no, std::string_view line, const std::string& what);

  NetdataVersion profile_ = NetdataVersion::v1_37();
  std::optional<FunctionResult> open_result_;  // inside FUNCTION_RESULT_BEGIN..END
  std::vector<FunctionResult> results_;
  std::vector<FunctionDecl> functions_;
  std::set<std::string> keywords_seen_;

  std::string partial_;
  std::size_t line_no_ = 0;
  std::size_t keepalives_ = 0;
  bool disabled_ = false;
  bool finished_ = false;
  std::vector<std::string> errors_;

  Phase phase_ = Phase::kIdle;
  std::optional<std::string> st_;  // 1.37's current chart
  std::string block_chart_;        // chart of the current CHART block (kDefining / kLabeling)
  std::set<std::string> block_dims_;
  std::map<std::string, std::string> block_labels_;
  std::size_t label_line_ = 0;
  std::string label_text_;
  bool data_chart_known_ = false;
  std::set<std::string> data_set_;  // dimensions SET in the open BEGIN..END
  Point open_point_;
  std::string begin_text_;
  std::map<std::string, Redeclare> redeclare_;

  std::map<std::string, ChartDecl> charts_;
  std::vector<Point> points_;
};

// Validates a whole buffer: feed(all) then finish().
NetdataValidator validate_netdata_stream(std::string_view all, NetdataVersion profile = NetdataVersion::v1_37());

}  // namespace vmq::testing
