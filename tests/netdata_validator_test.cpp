// SPDX-License-Identifier: GPL-3.0-or-later
// The strict Netdata 1.37 protocol validator the other tests rely on: it must accept what this
// project sends, record it faithfully, and catch every class of mistake on a minimal stream.
#include "netdata_validator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmq::testing {
namespace {

using namespace std::string_literals;

// Two charts declared the way this project declares them, hand-written (not the writer's output).
constexpr std::string_view kValidStream =
    "CHART vernemq_local.mqtt_puback_sent_reason '' 'MQTT 5 PUBACK QoS 1 Sent by Reason in the Last Minute' "
    "'packets' 'mqtt publish' 'vernemq.mqtt_puback_sent_reason' 'stacked' 70100 1 '' 'vernemq.plugin' 'vernemq'\n"
    "DIMENSION success success absolute 1 1 ''\n"
    "DIMENSION not_authorized not_authorized absolute 1 1 ''\n"
    "CLABEL node 'VerneMQ@127.0.0.1' 1\n"
    "CLABEL _collect_job 'local' 1\n"
    "CLABEL_COMMIT\n"
    "CHART vernemq_local.mqtt_puback '' 'MQTT 3.1.1 and 5 QoS 1 PUBACK' 'packets/s' 'mqtt publish' "
    "'vernemq.mqtt_puback' 'line' 70101 1 '' 'vernemq.plugin' 'vernemq'\n"
    "DIMENSION received received incremental 1 1 ''\n"
    "DIMENSION sent sent incremental -1 1 ''\n"
    "\n"
    "BEGIN vernemq_local.mqtt_puback_sent_reason\n"
    "SET success = 12\n"
    "SET not_authorized = 0\n"
    "END\n"
    "BEGIN vernemq_local.mqtt_puback\n"
    "SET received = 1000\n"
    "SET sent = 998\n"
    "END\n"
    "\n"
    "BEGIN vernemq_local.mqtt_puback_sent_reason 1000000\n"
    "SET success = \n"
    "SET not_authorized = 3\n"
    "END\n"
    "BEGIN vernemq_local.mqtt_puback 1000123\n"
    "SET sent = 999\n"
    "SET received = 1001\n"
    "END\n";

constexpr std::string_view kReason = "vernemq_local.mqtt_puback_sent_reason";
constexpr std::string_view kPuback = "vernemq_local.mqtt_puback";

// A minimal chart (3 lines) and one complete tick for it (4 lines), for the error table.
const std::string kDef =
    "CHART t.c '' 'Title' 'units' 'fam' 'ctx.c' 'line' 1000 1\n"
    "DIMENSION a a absolute 1 1\n"
    "DIMENSION b b absolute 1 1\n";
const std::string kTick = "BEGIN t.c\nSET a = 1\nSET b = 2\nEND\n";

std::string with_crlf(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

TEST(NetdataValidator, ValidStreamPassesAndIsRecorded) {
  const NetdataValidator v = validate_netdata_stream(kValidStream);
  ASSERT_TRUE(v.ok()) << v.error_report();
  EXPECT_EQ(v.lines(), 27U);
  EXPECT_EQ(v.keepalives(), 2U);
  EXPECT_FALSE(v.disabled());
  ASSERT_EQ(v.charts().size(), 2U);

  const ChartDecl* reason = v.chart(kReason);
  ASSERT_NE(reason, nullptr);
  EXPECT_EQ(reason->type_id, kReason);
  EXPECT_EQ(reason->name, "");
  EXPECT_EQ(reason->title, "MQTT 5 PUBACK QoS 1 Sent by Reason in the Last Minute");
  EXPECT_EQ(reason->units, "packets");
  EXPECT_EQ(reason->family, "mqtt publish");
  EXPECT_EQ(reason->context, "vernemq.mqtt_puback_sent_reason");
  EXPECT_EQ(reason->chart_type, "stacked");
  EXPECT_EQ(reason->priority, 70100);
  EXPECT_EQ(reason->update_every, 1);
  EXPECT_EQ(reason->options, "");
  EXPECT_EQ(reason->plugin, "vernemq.plugin");
  EXPECT_EQ(reason->module, "vernemq");
  EXPECT_EQ(reason->times_defined, 1);
  EXPECT_EQ(reason->line, 1U);
  const std::vector<DimensionDecl> reason_dims{{"success", "success", "absolute", 1, 1, ""},
                                               {"not_authorized", "not_authorized", "absolute", 1, 1, ""}};
  EXPECT_EQ(reason->dims, reason_dims);
  const std::map<std::string, std::string> labels{{"node", "VerneMQ@127.0.0.1"}, {"_collect_job", "local"}};
  EXPECT_EQ(reason->labels, labels);

  const ChartDecl* puback = v.chart(kPuback);
  ASSERT_NE(puback, nullptr);
  EXPECT_EQ(puback->units, "packets/s");
  EXPECT_EQ(puback->chart_type, "line");
  EXPECT_EQ(puback->priority, 70101);
  EXPECT_TRUE(puback->labels.empty());
  ASSERT_NE(puback->dim("sent"), nullptr);
  EXPECT_EQ(puback->dim("sent")->multiplier, -1);
  EXPECT_EQ(puback->dim("sent")->algorithm, "incremental");
  EXPECT_EQ(puback->dim("nope"), nullptr);

  ASSERT_EQ(v.points().size(), 4U);
  const std::vector<Point> reason_points = v.points_of(kReason);
  ASSERT_EQ(reason_points.size(), 2U);
  EXPECT_FALSE(reason_points[0].usec.has_value());
  EXPECT_EQ(reason_points[0].line, 11U);
  EXPECT_EQ(reason_points[0].values.at("success"), 12);
  EXPECT_EQ(reason_points[0].values.at("not_authorized"), 0);
  EXPECT_EQ(reason_points[1].usec, 1000000U);
  EXPECT_FALSE(reason_points[1].values.at("success").has_value());  // "SET success = "
  EXPECT_EQ(reason_points[1].values.at("not_authorized"), 3);
  const std::vector<Point> puback_points = v.points_of(kPuback);
  ASSERT_EQ(puback_points.size(), 2U);
  EXPECT_EQ(puback_points[1].usec, 1000123U);
  const std::map<std::string, std::optional<long long>> last{{"received", 1001}, {"sent", 999}};
  EXPECT_EQ(puback_points[1].values, last);
  // points() keeps stream order across charts.
  EXPECT_EQ(v.points()[0].chart, kReason);
  EXPECT_EQ(v.points()[1].chart, kPuback);
  EXPECT_EQ(v.points()[2].chart, kReason);
  EXPECT_TRUE(v.points_of("vernemq_local.unknown").empty());
}

// ---------------------------------------------------------------------------------------------
// Every error class on a minimal stream: input → substring of the error, and its line.

struct ErrorCase {
  const char* name;
  std::string input;
  const char* expected;  // substring of one error
  std::size_t line;      // the line that error must name
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) { return os << c.name; }

std::string chart_with(std::string_view tail) { return "CHART t.c '' 'Title' 'units' " + std::string(tail) + "\n"; }
std::string dim_line(std::string_view line) { return "CHART t.c '' T u\n" + std::string(line) + "\n"; }
std::string tick_with(std::string_view set_lines) { return kDef + "BEGIN t.c\n" + std::string(set_lines) + "END\n"; }
std::string set_value(std::string_view v) { return tick_with("SET a = " + std::string(v) + "\nSET b = 1\n"); }
std::string clabel(std::string_view line) { return kDef + std::string(line) + "\nCLABEL_COMMIT\n"; }

const std::vector<ErrorCase> kErrorCases = {
    // Keywords: only what 1.37's plugins.d parser registers; nothing newer, no comments.
    {"unknown_keyword", "HOST_DEFINE h\n", "unknown keyword 'HOST_DEFINE'", 1},
    {"plugin_keepalive", "PLUGIN_KEEPALIVE\n", "unknown keyword 'PLUGIN_KEEPALIVE'", 1},
    {"exit", "EXIT\n", "unknown keyword 'EXIT'", 1},
    {"config", "CONFIG x create\n", "unknown keyword 'CONFIG'", 1},
    {"keywords_are_case_sensitive", "chart t.c '' T u\n", "unknown keyword 'chart'", 1},
    {"comment", "# a comment\n", "comment line", 1},
    {"function_result", "FUNCTION_RESULT_BEGIN x 200 text/plain 0\n", "answers no functions", 1},
    {"streaming_keyword", "RBEGIN t.c\n", "streaming", 1},
    {"quoted_keyword", "'END'\n", "quoted keyword", 1},
    {"unknown_after_valid", kDef + "BEGIN2 t.c\n", "unknown keyword 'BEGIN2'", 4},

    // Bytes and word splitting.
    {"crlf", kDef + "BEGIN t.c\r\n", "carriage return at byte 10", 4},
    {"control_char", "CHART t.c '' 'Ti\x01tle' u\n", "control character at byte 17", 1},
    {"del_char", "CHART t.c '' 'Ti\x7ftle' u\n", "control character", 1},
    {"nul_char", "END\0\n"s, "control character at byte 4", 1},
    {"backslash", "CHART t.c '' 'a\\ b' u\n", "backslash at byte 16", 1},
    {"non_ascii", "CHART t.c '' 'caf\xc3\xa9' u\n", "non-ASCII byte at byte 18", 1},
    {"tab_inside_quotes", "CHART t.c '' 'a\tb' u\n", "tab inside the quoted word at byte 16", 1},
    {"double_quote_inside_single", "CHART t.c '' 'say \"hi\"' u\n", "'\"' inside the quoted word", 1},
    {"unterminated_single", "CHART t.c '' 'Title u\n", "unterminated ' quote at byte 14", 1},
    {"unterminated_double", "CHART t.c '' \"Title u\n", "unterminated \" quote", 1},
    {"quote_inside_word", "CHART t.c '' Ti'tle u\n", "quote character inside the unquoted word", 1},
    {"text_after_quote", "CHART t.c '' 'Ti'tle u\n", "text right after the closing quote", 1},
    {"more_than_20_words", "CHART t.c '' T u f c line 1 1 '' p m x x x x x x x x\n", "more than 20 words", 1},
    {"line_too_long", "CHART t.c '' '" + std::string(15000, 'x') + "' u\n", "longer than 15000", 1},
    {"leading_whitespace", kDef + " BEGIN t.c\n", "leading whitespace", 4},
    {"whitespace_only", kDef + " \t \n", "whitespace-only", 4},
    {"trailing_whitespace", "CHART t.c '' T u \n", "trailing whitespace", 1},
    {"equals_between_words", "CHART t.c '' title=x u\n", "'=' before word 5", 1},

    // CHART
    {"chart_without_id", "CHART\n", "CHART without a valid type.id", 1},
    {"chart_without_dot", "CHART tc '' T u\n", "without a valid type.id 'tc'", 1},
    {"chart_empty_type", "CHART .c '' T u\n", "without a valid type.id '.c'", 1},
    {"chart_empty_id", "CHART t. '' T u\n", "without a valid type.id 't.'", 1},
    {"chart_id_200_chars", "CHART t." + std::string(198, 'c') + " '' T u\n", "type.id is 200 characters", 1},
    {"chart_id_chars", "CHART t.c/d '' T u\n", "type.id 't.c/d' has a character outside", 1},
    {"chart_too_few_words", "CHART t.c '' T\n", "too few words", 1},
    {"chart_too_many_words", chart_with("f c line 1 1 '' p m extra"), "too many words", 1},
    {"chart_empty_title", "CHART t.c '' '' u\n", "empty chart title", 1},
    {"chart_empty_units", "CHART t.c '' T ''\n", "empty chart units", 1},
    {"chart_name_chars", "CHART t.c 'my name' T u\n", "chart name 'my name'", 1},
    {"chart_context_chars", chart_with("f 'a context'"), "chart context 'a context'", 1},
    {"chart_type_unknown", chart_with("f c heatmap"), "chart type 'heatmap'", 1},
    {"chart_type_empty", chart_with("f c ''"), "chart type ''", 1},
    {"chart_priority_zero", chart_with("f c line 0"), "chart priority '0'", 1},
    {"chart_priority_negative", chart_with("f c line -5"), "chart priority '-5'", 1},
    {"chart_priority_octal", chart_with("f c line 010"), "chart priority '010'", 1},
    {"chart_priority_text", chart_with("f c line high"), "chart priority 'high'", 1},
    {"chart_priority_too_big", chart_with("f c line 2147483648"), "chart priority", 1},
    {"chart_update_every_zero", chart_with("f c line 1000 0"), "chart update_every '0'", 1},
    {"chart_update_every_float", chart_with("f c line 1000 1.5"), "chart update_every '1.5'", 1},
    {"chart_options_unknown", chart_with("f c line 1000 1 shiny"), "chart options 'shiny'", 1},
    {"chart_options_comma", chart_with("f c line 1000 1 'hidden,detail'"), "chart options", 1},
    {"chart_inside_data", kDef + "BEGIN t.c\nCHART t.d '' T u\n", "CHART inside BEGIN..END", 5},

    // DIMENSION
    {"dimension_without_chart", "DIMENSION a a absolute 1 1\n", "DIMENSION without a preceding CHART", 1},
    {"dimension_after_tick", kDef + kTick + "DIMENSION c c absolute 1 1\n", "without a preceding CHART", 8},
    {"dimension_after_flush", kDef + "FLUSH\nDIMENSION c\n", "without a preceding CHART", 5},
    {"dimension_after_variable", kDef + "VARIABLE CHART v = 1\nDIMENSION c\n", "without a preceding CHART", 5},
    {"dimension_inside_data", kDef + "BEGIN t.c\nDIMENSION c\n", "DIMENSION inside BEGIN..END", 5},
    {"dimension_before_commit", kDef + "CLABEL a b 1\nDIMENSION c\n", "DIMENSION before CLABEL_COMMIT", 5},
    {"dimension_id_chars", dim_line("DIMENSION a/b"), "dimension id 'a/b'", 2},
    {"dimension_id_empty", dim_line("DIMENSION ''"), "dimension id ''", 2},
    {"dimension_name_chars", dim_line("DIMENSION a 'a b'"), "dimension name 'a b'", 2},
    {"dimension_algorithm", dim_line("DIMENSION a a average"), "dimension algorithm 'average'", 2},
    {"dimension_multiplier_zero", dim_line("DIMENSION a a absolute 0 1"), "dimension multiplier '0'", 2},
    {"dimension_multiplier_hex", dim_line("DIMENSION a a absolute 0x10 1"), "dimension multiplier '0x10'", 2},
    {"dimension_divisor_zero", dim_line("DIMENSION a a absolute 1 0"), "dimension divisor '0'", 2},
    {"dimension_divisor_octal", dim_line("DIMENSION a a absolute 1 010"), "dimension divisor '010'", 2},
    {"dimension_divisor_text", dim_line("DIMENSION a a absolute 1 x"), "dimension divisor 'x'", 2},
    {"dimension_divisor_too_big", dim_line("DIMENSION a a absolute 1 4294967296"), "dimension divisor", 2},
    {"dimension_options", dim_line("DIMENSION a a absolute 1 1 secret"), "dimension options 'secret'", 2},
    {"dimension_too_many_words", dim_line("DIMENSION a a absolute 1 1 '' x"), "too many words", 2},
    {"dimension_duplicate", dim_line("DIMENSION a\nDIMENSION a"), "duplicate dimension 'a'", 3},

    // CLABEL / CLABEL_COMMIT
    {"clabel_without_chart", "CLABEL node n1 1\n", "CLABEL without a preceding CHART", 1},
    {"clabel_after_tick", kDef + kTick + "CLABEL node n1 1\n", "CLABEL without a preceding CHART", 8},
    {"clabel_inside_data", kDef + "BEGIN t.c\nCLABEL node n1 1\n", "CLABEL inside BEGIN..END", 5},
    {"clabel_name_uppercase", clabel("CLABEL Node n1 1"), "label name 'Node'", 4},
    {"clabel_name_chars", clabel("CLABEL no:de n1 1"), "label name 'no:de'", 4},
    {"clabel_name_underscores", clabel("CLABEL __ n1 1"), "label name '__'", 4},
    {"clabel_value_empty", clabel("CLABEL node '' 1"), "label value ''", 4},
    {"clabel_value_chars", clabel("CLABEL node 'a!b' 1"), "label value 'a!b'", 4},
    {"clabel_value_equals", clabel("CLABEL node 'a=b' 1"), "label value 'a=b'", 4},
    {"clabel_value_double_space", clabel("CLABEL node 'a  b' 1"), "label value 'a  b'", 4},
    {"clabel_value_leading_space", clabel("CLABEL node ' a' 1"), "label value ' a'", 4},
    {"clabel_value_non_ascii", clabel("CLABEL node 'caf\xc3\xa9' 1"), "non-ASCII byte", 4},
    {"clabel_value_brackets", clabel("CLABEL node '[x]' 1"), "label value '[x]'", 4},
    {"clabel_value_comma", clabel("CLABEL node 'a,b' 1"), "label value 'a,b'", 4},
    {"clabel_source_text", clabel("CLABEL node n1 auto"), "label source 'auto'", 4},
    {"clabel_missing_source", clabel("CLABEL node n1"), "CLABEL without a source", 4},
    {"clabel_too_many_words", clabel("CLABEL node n1 1 x"), "too many words", 4},
    {"clabel_duplicate", kDef + "CLABEL a b 1\nCLABEL a c 1\nCLABEL_COMMIT\n", "label 'a' sent twice", 5},
    {"clabel_commit_bare", kDef + "CLABEL_COMMIT\n", "CLABEL_COMMIT without a CLABEL before it", 4},
    {"clabel_commit_twice", kDef + "CLABEL a b 1\nCLABEL_COMMIT\nCLABEL_COMMIT\n", "CLABEL_COMMIT without", 6},
    {"clabel_commit_args", kDef + "CLABEL a b 1\nCLABEL_COMMIT now\n", "too many words", 5},
    {"clabel_not_committed_begin", kDef + "CLABEL a b 1\n" + kTick, "BEGIN before CLABEL_COMMIT", 5},
    {"clabel_not_committed_chart", kDef + "CLABEL a b 1\nCHART t.d '' T u\n", "CHART before CLABEL_COMMIT", 5},
    {"clabel_not_committed_eof", kDef + "CLABEL a b 1\n", "never committed", 4},

    // BEGIN
    {"begin_unknown_chart", "BEGIN t.c\nEND\n", "BEGIN of chart 't.c' that no CHART declared", 1},
    {"begin_without_id", kDef + "BEGIN\n", "too few words", 4},
    {"begin_too_many_words", kDef + "BEGIN t.c 1 2\n", "too many words", 4},
    {"begin_usec_text", kDef + "BEGIN t.c soon\nSET a = 1\nSET b = 1\nEND\n", "BEGIN microseconds 'soon'", 4},
    {"begin_usec_negative", kDef + "BEGIN t.c -1\nSET a = 1\nSET b = 1\nEND\n", "BEGIN microseconds '-1'", 4},
    {"begin_usec_float", kDef + "BEGIN t.c 1.5\nSET a = 1\nSET b = 1\nEND\n", "BEGIN microseconds '1.5'", 4},
    {"begin_usec_leading_zero", kDef + "BEGIN t.c 0100\nSET a = 1\nSET b = 1\nEND\n", "BEGIN microseconds", 4},
    {"begin_usec_overflow", kDef + "BEGIN t.c 18446744073709551616\nSET a = 1\nSET b = 1\nEND\n", "BEGIN microseconds",
     4},
    {"begin_inside_begin", kDef + "BEGIN t.c\nBEGIN t.c\n", "BEGIN inside BEGIN..END", 5},
    {"begin_open_at_end", kDef + "BEGIN t.c\nSET a = 1\nSET b = 1\n", "has no END before the end of the stream", 4},

    // SET
    {"set_outside_begin", kDef + "SET a = 1\n", "SET outside BEGIN..END", 4},
    {"set_after_end", kDef + kTick + "SET a = 1\n", "SET outside BEGIN..END", 8},
    {"set_unknown_dimension", tick_with("SET a = 1\nSET b = 1\nSET c = 1\n"), "'c', which is not a declared dimension",
     7},
    {"set_without_equals", tick_with("SET a 1\nSET b = 1\n"), "malformed SET", 5},
    {"set_without_spaces", tick_with("SET a=1\nSET b = 1\n"), "malformed SET", 5},
    {"set_double_space", tick_with("SET a  = 1\nSET b = 1\n"), "malformed SET", 5},
    {"set_tab", tick_with("SET a =\t1\nSET b = 1\n"), "malformed SET", 5},
    {"set_empty_without_space", tick_with("SET a =\nSET b = 1\n"), "malformed SET", 5},
    {"set_extra_word", tick_with("SET a = 1 2\nSET b = 1\n"), "malformed SET", 5},
    {"set_quoted_value", tick_with("SET a = '1'\nSET b = 1\n"), "quoted word in SET", 5},
    {"set_quoted_empty_value", tick_with("SET a = ''\nSET b = 1\n"), "quoted word in SET", 5},
    {"set_octal", set_value("010"), "SET value '010' is not a plain decimal integer", 5},
    {"set_hex", set_value("0x10"), "SET value '0x10'", 5},
    {"set_plus", set_value("+5"), "SET value '+5'", 5},
    {"set_float", set_value("1.5"), "SET value '1.5'", 5},
    {"set_exponent", set_value("1e3"), "SET value '1e3'", 5},
    {"set_minus_zero", set_value("-0"), "SET value '-0'", 5},
    {"set_minus_only", set_value("-"), "SET value '-'", 5},
    {"set_text", set_value("NaN"), "SET value 'NaN'", 5},
    {"set_overflow", set_value("9223372036854775808"), "SET value '9223372036854775808'", 5},
    {"set_underflow", set_value("-9223372036854775809"), "SET value '-9223372036854775809'", 5},
    {"set_twice", tick_with("SET a = 1\nSET b = 1\nSET a = 2\n"), "dimension 'a' SET twice", 7},
    {"set_twice_empty", tick_with("SET a = \nSET b = 1\nSET a = \n"), "dimension 'a' SET twice", 7},

    // END
    {"end_missing_dimension", tick_with("SET a = 1\n"), "dimension(s) b got no SET since the BEGIN at line 4", 6},
    {"end_missing_all", tick_with(""), "dimension(s) a, b got no SET", 5},
    {"end_without_begin", "END\n", "END without BEGIN", 1},
    {"end_twice", kDef + kTick + "END\n", "END without BEGIN", 8},
    {"end_with_words", kDef + "BEGIN t.c\nSET a = 1\nSET b = 1\nEND now\n", "too many words", 7},

    // Stream level
    {"incomplete_last_line", kDef + "BEGIN t.c\nSET a = 1\nSET b = 1\nEND", "incomplete last line", 7},
    {"resent_chart_missing_dimension",
     kDef + kTick + "CHART t.c '' 'Title' 'units'\nDIMENSION a a absolute 1 1\n" + kTick,
     "dimension(s) b of 't.c' were not re-sent after the CHART at line 8", 10},
    {"line_after_disable", kDef + "DISABLE\nEND\n", "line after DISABLE", 5},
    {"disable_with_reason", "DISABLE misconfigured\n", "too many words", 1},
    {"flush_inside_data", kDef + "BEGIN t.c\nFLUSH\n", "FLUSH inside BEGIN..END", 5},
    {"flush_with_words", "FLUSH all\n", "too many words", 1},

    // VARIABLE
    {"variable_without_value", "VARIABLE HOST x =\n", "malformed VARIABLE", 1},
    {"variable_without_equals", "VARIABLE HOST x 1\n", "malformed VARIABLE", 1},
    {"variable_without_name", "VARIABLE HOST\n", "malformed VARIABLE", 1},
    {"variable_text_value", "VARIABLE HOST x = lots\n", "variable value 'lots'", 1},
    {"variable_octal_value", "VARIABLE HOST x = 010\n", "variable value '010'", 1},
    {"variable_bad_name", "VARIABLE HOST x-y = 1\n", "variable name 'x-y'", 1},
    {"variable_chart_scope_without_chart", "VARIABLE CHART x = 1\n", "chart VARIABLE without a current chart", 1},
    {"variable_chart_scope_after_end", kDef + kTick + "VARIABLE LOCAL x = 1\n", "chart VARIABLE without", 8},

    // LABEL / OVERWRITE / FUNCTION (1.37 knows them; this project does not use them)
    {"label_order", "LABEL name value 1\n", "host label source 'value'", 1},
    {"label_value_chars", "LABEL name 1 'a!'\n", "host label value 'a!'", 1},
    {"overwrite_with_words", "OVERWRITE all\n", "too many words", 1},
    {"function_timeout_zero", "FUNCTION GLOBAL f 0 'help'\n", "function timeout '0'", 1},
    {"function_without_chart", "FUNCTION f 10 'help'\n", "chart FUNCTION without a current chart", 1},
    {"function_malformed", "FUNCTION GLOBAL f 10\n", "malformed FUNCTION", 1},
};

class NetdataValidatorErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(NetdataValidatorErrors, CaughtWithItsLine) {
  const ErrorCase& c = GetParam();
  const NetdataValidator v = validate_netdata_stream(c.input);
  ASSERT_FALSE(v.ok()) << "accepted: " << c.input;
  const std::string prefix = "line " + std::to_string(c.line) + ": ";
  const bool found = std::any_of(v.errors().begin(), v.errors().end(), [&](const std::string& e) {
    return e.rfind(prefix, 0) == 0 && e.find(c.expected) != std::string::npos;
  });
  EXPECT_TRUE(found) << "expected an error starting with '" << prefix << "' containing '" << c.expected << "', got:\n"
                     << v.error_report();
}

INSTANTIATE_TEST_SUITE_P(Table, NetdataValidatorErrors, ::testing::ValuesIn(kErrorCases),
                         [](const ::testing::TestParamInfo<ErrorCase>& p) { return std::string(p.param.name); });

// ---------------------------------------------------------------------------------------------

TEST(NetdataValidator, ErrorNamesLineWhatAndTheLineItself) {
  const NetdataValidator v = validate_netdata_stream(kDef + "BEGIN t.c\nSET c = 1\nSET a = 1\nSET b = 1\nEND\n");
  ASSERT_EQ(v.errors().size(), 1U) << v.error_report();
  EXPECT_EQ(
      v.errors()[0],
      "line 5: SET of 'c', which is not a declared dimension of 't.c': 1.37 disables the plugin (got: SET c = 1)");
}

TEST(NetdataValidator, ErrorShowsControlCharactersEscapedAndLongLinesCut) {
  const NetdataValidator v = validate_netdata_stream("END\x01\n" + std::string(300, 'X') + "\n");
  ASSERT_EQ(v.errors().size(), 2U) << v.error_report();
  EXPECT_NE(v.errors()[0].find("(got: END\\x01)"), std::string::npos) << v.errors()[0];
  EXPECT_NE(v.errors()[1].find("... (300 bytes))"), std::string::npos) << v.errors()[1];
}

TEST(NetdataValidator, QuotesKeepSpacesAndEqualsInsideOneWord) {
  const std::string stream =
      "CHART\tt.c \"\" \"ratio = a/b, in % (it's fine)\" 'x = y z' 'a family' c.x stacked 5 2 'hidden detail' "
      "\"my plugin\" ''\n"
      "DIMENSION a '' incremental 1 1000 'hidden noreset'\n"
      "CLABEL node 'VerneMQ@10.0.0.1 (primary)' 1\n"
      "CLABEL zone 'eu-west-1:a/b+c' 2\n"
      "CLABEL_COMMIT\n"
      "BEGIN t.c\n"
      "SET a = 5\n"
      "END\n";
  const NetdataValidator v = validate_netdata_stream(stream);
  ASSERT_TRUE(v.ok()) << v.error_report();
  const ChartDecl* c = v.chart("t.c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "");
  EXPECT_EQ(c->title, "ratio = a/b, in % (it's fine)");
  EXPECT_EQ(c->units, "x = y z");
  EXPECT_EQ(c->family, "a family");
  EXPECT_EQ(c->context, "c.x");
  EXPECT_EQ(c->priority, 5);
  EXPECT_EQ(c->update_every, 2);
  EXPECT_EQ(c->options, "hidden detail");
  EXPECT_EQ(c->plugin, "my plugin");
  EXPECT_EQ(c->module, "");
  const std::vector<DimensionDecl> dims{{"a", "", "incremental", 1, 1000, "hidden noreset"}};
  EXPECT_EQ(c->dims, dims);
  const std::map<std::string, std::string> labels{{"node", "VerneMQ@10.0.0.1 (primary)"}, {"zone", "eu-west-1:a/b+c"}};
  EXPECT_EQ(c->labels, labels);
}

TEST(NetdataValidator, MinimalDeclarationsUseDefaultsAndBoundaryValuesPass) {
  const std::string long_id = "t." + std::string(197, 'c');  // 199 characters: the most 1.37 keeps
  const std::string stream = "CHART " + long_id + " name 'T' 'u'\nDIMENSION a\nDIMENSION b\nBEGIN " + long_id +
                             " 0\nSET a = -9223372036854775808\nSET b = 9223372036854775807\nEND\n";
  const NetdataValidator v = validate_netdata_stream(stream);
  ASSERT_TRUE(v.ok()) << v.error_report();
  const ChartDecl* c = v.chart(long_id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "name");
  EXPECT_EQ(c->family, "");
  EXPECT_EQ(c->chart_type, "");
  EXPECT_EQ(c->priority, 0);
  EXPECT_EQ(c->update_every, 0);
  const std::vector<DimensionDecl> dims{{"a", "", "", 1, 1, ""}, {"b", "", "", 1, 1, ""}};
  EXPECT_EQ(c->dims, dims);
  ASSERT_EQ(v.points().size(), 1U);
  EXPECT_EQ(v.points()[0].usec, 0U);
  EXPECT_EQ(v.points()[0].values.at("a"), std::numeric_limits<long long>::min());
  EXPECT_EQ(v.points()[0].values.at("b"), std::numeric_limits<long long>::max());
}

TEST(NetdataValidator, ResentChartWithEveryDimensionAddsTheNewOne) {
  const std::string redefine =
      "CHART t.c '' 'Title 2' 'units' 'fam' 'ctx.c' 'line' 1000 1\n"
      "DIMENSION b b absolute 1 1\n"
      "DIMENSION a a absolute 1 1\n"
      "DIMENSION c c absolute 1 1\n"
      "CLABEL job two 1\n"
      "CLABEL_COMMIT\n";
  const std::string stream = kDef + "CLABEL job one 1\nCLABEL node n1 1\nCLABEL_COMMIT\n" + kTick + redefine +
                             "BEGIN t.c 1000000\nSET a = 1\nSET b = 2\nSET c = 3\nEND\n";
  const NetdataValidator v = validate_netdata_stream(stream);
  ASSERT_TRUE(v.ok()) << v.error_report();
  const ChartDecl* c = v.chart("t.c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->times_defined, 2);
  EXPECT_EQ(c->title, "Title 2");
  std::vector<std::string> ids;
  for (const auto& d : c->dims) ids.push_back(d.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "c"}));  // order of first declaration
  // 1.37 drops the labels a commit did not re-send.
  EXPECT_EQ(c->labels, (std::map<std::string, std::string>{{"job", "two"}}));
  ASSERT_EQ(v.points_of("t.c").size(), 2U);
  EXPECT_EQ(v.points_of("t.c")[1].values.at("c"), 3);

  // Once c is declared, every tick must give it a value too.
  const NetdataValidator missing = validate_netdata_stream(kDef + redefine + kTick);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error_report().find("dimension(s) c got no SET"), std::string::npos) << missing.error_report();
}

TEST(NetdataValidator, VariableFlushDisableAndKeepalivesAreAccepted) {
  const std::string stream = "\n" + kDef + "VARIABLE CHART limit = 10\n" + "VARIABLE HOST ratio = -1.5\n" + kTick +
                             "VARIABLE GLOBAL g = 0\nFLUSH\n\n\n" + kTick + "DISABLE\n\n";
  const NetdataValidator v = validate_netdata_stream(stream);
  ASSERT_TRUE(v.ok()) << v.error_report();
  EXPECT_TRUE(v.disabled());
  EXPECT_EQ(v.keepalives(), 4U);
  EXPECT_EQ(v.points().size(), 2U);
}

TEST(NetdataValidator, CrlfIsRejectedOnEveryLine) {
  const std::string crlf = with_crlf(kValidStream);
  const NetdataValidator v = validate_netdata_stream(crlf);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.lines(), 27U);
  EXPECT_EQ(v.errors().size(), 27U) << v.error_report();  // empty lines become "\r" lines too
  for (const auto& e : v.errors()) EXPECT_NE(e.find("carriage return"), std::string::npos) << e;
  EXPECT_EQ(v.keepalives(), 0U);
}

void expect_same(const NetdataValidator& a, const NetdataValidator& b, const std::string& how) {
  EXPECT_EQ(a.errors(), b.errors()) << how;
  EXPECT_EQ(a.charts(), b.charts()) << how;
  EXPECT_EQ(a.points(), b.points()) << how;
  EXPECT_EQ(a.keepalives(), b.keepalives()) << how;
  EXPECT_EQ(a.lines(), b.lines()) << how;
  EXPECT_EQ(a.disabled(), b.disabled()) << how;
}

TEST(NetdataValidator, ChunkedFeedingGivesTheSameResultAtEverySplit) {
  // One valid stream and one with errors on several lines, including an incomplete last line.
  const std::vector<std::string> streams = {
      std::string(kValidStream),
      kDef + "BEGIN t.c 010\nSET a = 010\nSET b = \nEND\nCLABEL x y 1\n'quoted' x\n" + kTick + "BEGIN t.c\nSET a"};
  for (const auto& stream : streams) {
    const NetdataValidator whole = validate_netdata_stream(stream);
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
      NetdataValidator v;
      v.feed(std::string_view(stream).substr(0, cut));
      v.feed(std::string_view(stream).substr(cut));
      v.finish();
      expect_same(whole, v, "split at " + std::to_string(cut));
      if (::testing::Test::HasFailure()) return;
    }
    NetdataValidator bytewise;
    for (const char c : stream) bytewise.feed(std::string_view(&c, 1));
    bytewise.finish();
    expect_same(whole, bytewise, "byte by byte");
  }
}

TEST(NetdataValidator, FinishIsIdempotentAndFeedAfterItIsAnError) {
  NetdataValidator v;
  v.feed(kDef);
  v.feed("BEGIN t.c\nSET a = 1\n");
  EXPECT_TRUE(v.ok()) << v.error_report();  // nothing wrong yet: the block may still be closed
  v.finish();
  ASSERT_EQ(v.errors().size(), 1U) << v.error_report();
  v.finish();
  EXPECT_EQ(v.errors().size(), 1U);
  v.feed("END\n");
  ASSERT_EQ(v.errors().size(), 2U);
  EXPECT_NE(v.errors()[1].find("feed() after finish()"), std::string::npos);
}

TEST(NetdataValidator, OneMistakeDoesNotCascade) {
  // A CHART interrupting a tick is reported once; the stream after it is judged on its own.
  const std::string stream = kDef + "BEGIN t.c\nSET a = 1\n" + kDef + kTick;
  const NetdataValidator v = validate_netdata_stream(stream);
  ASSERT_EQ(v.errors().size(), 1U) << v.error_report();
  EXPECT_NE(v.errors()[0].find("line 6: CHART inside BEGIN..END"), std::string::npos) << v.errors()[0];
  EXPECT_EQ(v.points().size(), 1U);  // the interrupted block is not recorded
}

}  // namespace
}  // namespace vmq::testing
