// SPDX-License-Identifier: GPL-3.0-or-later
// Logging to stderr, in the format the running Netdata asks for (netdata-v2.md §4):
//  - Netdata 1.37 (no NETDATA_LOG_FORMAT): its plugins' line format, into error.log:
//    "YYYY-MM-DD HH:MM:SS: vernemq.plugin LEVEL : JOB : message";
//  - Netdata v1.44+ (NETDATA_LOG_FORMAT=logfmt, or the journal asked for by NETDATA_LOG_METHOD or
//    NETDATA_LOG_FORMAT): logfmt, Netdata's own fields,
//    "time=... comm=vernemq.plugin source=collector level=error job=JOB msg=\"...\"";
//    NETDATA_LOG_FORMAT=json: the same fields as one JSON object a line.
// NETDATA_LOG_LEVEL and Netdata's flood protection (NETDATA_ERRORS_THROTTLE_PERIOD seconds,
// NETDATA_ERRORS_PER_PERIOD lines) apply to both. Secrets registered with add_secret() are
// replaced by "***" in every line, whatever produced the message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vmq::log {

enum class Level { error = 0, warning = 1, info = 2, debug = 3 };
enum class Format { netdata137, logfmt, json };

// Reads NETDATA_LOG_LEVEL (Netdata's names: emergency, alert, critical, error, warning, notice,
// info, debug; default info), NETDATA_LOG_FORMAT / NETDATA_LOG_METHOD (the format) and the
// flood-protection variables.
void init_from_env();
// The format the environment asks for: `log_format` / `log_method` are the variables' values,
// nullptr when unset.
[[nodiscard]] Format format_for(const char* log_format, const char* log_method);
void set_level(Level level);
void set_format(Format format);
// 0 seconds: no flood protection; 0 lines: nothing is logged (as Netdata).
void set_flood_protection(long period_s, long lines_per_period);

// Netdata's log flood protection (libnetdata's error_log_limit()): at most `lines` lines per
// `period_s` seconds; the first line refused, and the first one after the period, come with a
// notice to log in its place/before it. Monotonic seconds are passed in, so tests need no clock.
class FloodProtection {
 public:
  FloodProtection(long period_s, long lines) : period_s_(period_s), lines_(lines) {}
  // Whether a line may be written at `now_s`; `notice` is set to a line to log first, or "".
  bool admit(std::int64_t now_s, std::string& notice);

 private:
  long period_s_;
  long lines_;
  std::int64_t start_ = -1;
  unsigned long counter_ = 0;
  unsigned long prevented_ = 0;
};
[[nodiscard]] bool enabled(Level level);
void add_secret(std::string_view secret);
// For a credential that rotates (a bearer token file): forgets the old value, so months of
// rotations do not grow the list, and adds the new one.
void replace_secret(std::string_view old_secret, std::string_view new_secret);

// `component` is the job name, or "main".
void write(Level level, std::string_view component, std::string_view message);

// Formats a line without writing it (for tests): no timestamp when `with_time` is false.
std::string format_line(Level level, std::string_view component, std::string_view message, bool with_time);
// The same in `format`, stamped `unix_us` (microseconds since the epoch, shown in local time).
std::string format_line(Format format, Level level, std::string_view component, std::string_view message,
                        std::int64_t unix_us);
// One logfmt value as Netdata writes it: quoted when it holds anything but printable ASCII
// without space, `=`, `"` or `\`; inside, `"` `\` and control characters escaped as in JSON.
std::string logfmt_value(std::string_view value);

inline void error(std::string_view c, std::string_view m) { write(Level::error, c, m); }
inline void warning(std::string_view c, std::string_view m) { write(Level::warning, c, m); }
inline void info(std::string_view c, std::string_view m) { write(Level::info, c, m); }
inline void debug(std::string_view c, std::string_view m) { write(Level::debug, c, m); }

}  // namespace vmq::log
