// SPDX-License-Identifier: GPL-3.0-or-later
// Logging to stderr (Netdata's error.log), in the line format of Netdata 1.37's own plugins:
// "YYYY-MM-DD HH:MM:SS: vernemq.plugin LEVEL : JOB : message". Secrets registered with
// add_secret() are replaced by "***" in every line, whatever produced the message.
#pragma once

#include <string>
#include <string_view>

namespace vmq::log {

enum class Level { error = 0, warning = 1, info = 2, debug = 3 };

// Reads NETDATA_LOG_LEVEL (Netdata's names: emergency, alert, critical, error, warning, notice,
// info, debug); default info.
void init_from_env();
void set_level(Level level);
[[nodiscard]] bool enabled(Level level);
void add_secret(std::string_view secret);
// For a credential that rotates (a bearer token file): forgets the old value, so months of
// rotations do not grow the list, and adds the new one.
void replace_secret(std::string_view old_secret, std::string_view new_secret);

// `component` is the job name, or "main".
void write(Level level, std::string_view component, std::string_view message);

// Formats a line without writing it (for tests): no timestamp when `with_time` is false.
std::string format_line(Level level, std::string_view component, std::string_view message, bool with_time);

inline void error(std::string_view c, std::string_view m) { write(Level::error, c, m); }
inline void warning(std::string_view c, std::string_view m) { write(Level::warning, c, m); }
inline void info(std::string_view c, std::string_view m) { write(Level::info, c, m); }
inline void debug(std::string_view c, std::string_view m) { write(Level::debug, c, m); }

}  // namespace vmq::log
