// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/log.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "vmq/redact.h"

namespace vmq::log {

namespace {

struct State {
  std::mutex mu;
  Level level = Level::info;
  Format format = Format::netdata137;
  // Off until the environment (Netdata) asks for it: a plugin run by hand logs everything.
  FloodProtection flood{0, 0};
  std::vector<std::string> secrets;
};

State& state() {
  static State s;
  return s;
}

std::string_view level_name(Level l) {
  switch (l) {
    case Level::error: return "ERROR";
    case Level::warning: return "WARNING";
    case Level::info: return "INFO";
    case Level::debug: return "DEBUG";
  }
  return "INFO";
}

// Netdata's syslog-style level names, as its logfmt and JSON logs write them.
std::string_view level_field(Level l) {
  switch (l) {
    case Level::error: return "error";
    case Level::warning: return "warning";
    case Level::info: return "info";
    case Level::debug: return "debug";
  }
  return "info";
}

std::int64_t unix_now_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::int64_t mono_now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec);
}

// RFC 3339 with microseconds and the local offset, as Netdata's `time` field:
// 2026-12-01T22:56:14.123456+00:00.
std::string rfc3339(std::int64_t unix_us) {
  const auto secs = static_cast<std::time_t>(unix_us / 1000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[48];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  const long off_min = tm.tm_gmtoff / 60;
  const long abs_min = off_min < 0 ? -off_min : off_min;
  n += static_cast<std::size_t>(std::snprintf(buf + n, sizeof buf - n, ".%06ld%c%02ld:%02ld",
                                              static_cast<long>(unix_us % 1000000), off_min < 0 ? '-' : '+',
                                              abs_min / 60, abs_min % 60));
  return {buf, n};
}

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(v, &end, 10);
  return (errno != 0 || *end != '\0' || n < 0) ? fallback : n;
}

// Keeps a log line one line: control characters from scraped data or curl become spaces.
void append_clean(std::string& out, std::string_view text) {
  for (char c : text) out.push_back((static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c);
}

}  // namespace

void init_from_env() {
  set_format(format_for(std::getenv("NETDATA_LOG_FORMAT"), std::getenv("NETDATA_LOG_METHOD")));
  // Netdata passes both (1.37 and v2); without them (run by hand) nothing is held back.
  set_flood_protection(env_long("NETDATA_ERRORS_THROTTLE_PERIOD", 0), env_long("NETDATA_ERRORS_PER_PERIOD", 200));
  const char* v = std::getenv("NETDATA_LOG_LEVEL");
  if (v == nullptr) return;
  const std::string_view s(v);
  if (s == "debug") {
    set_level(Level::debug);
  } else if (s == "info" || s == "notice") {
    set_level(Level::info);
  } else if (s == "warning" || s == "warn") {
    set_level(Level::warning);
  } else if (s == "error" || s == "err" || s == "critical" || s == "crit" || s == "alert" || s == "emergency" ||
             s == "emerg") {
    set_level(Level::error);
  }
}

void set_level(Level level) {
  std::lock_guard lock(state().mu);
  state().level = level;
}

bool enabled(Level level) {
  std::lock_guard lock(state().mu);
  return static_cast<int>(level) <= static_cast<int>(state().level);
}

void add_secret(std::string_view secret) {
  if (secret.empty()) return;  // any other length: redact_secrets() keeps short ones to whole tokens
  std::lock_guard lock(state().mu);
  // Jobs often share a password, and a rotated bearer token is added again at each read.
  for (const std::string& known : state().secrets) {
    if (known == secret) return;
  }
  state().secrets.emplace_back(secret);
}

void replace_secret(std::string_view old_secret, std::string_view new_secret) {
  {
    std::lock_guard lock(state().mu);
    auto& secrets = state().secrets;
    for (auto it = secrets.begin(); it != secrets.end(); ++it) {
      if (!old_secret.empty() && *it == old_secret) {
        secrets.erase(it);
        break;
      }
    }
  }
  add_secret(new_secret);
}

std::string format_line(Level level, std::string_view component, std::string_view message, bool with_time) {
  std::string line;
  line.reserve(64 + message.size());
  if (with_time) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char buf[32];
    const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S: ", &tm);
    line.append(buf, n);
  }
  line += "vernemq.plugin ";
  line += level_name(level);
  line += " : ";
  append_clean(line, component);
  line += " : ";
  append_clean(line, message);
  std::lock_guard lock(state().mu);
  redact_secrets(line, state().secrets);
  line.push_back('\n');
  return line;
}

std::string logfmt_value(std::string_view value) {
  bool quote = value.empty();
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '=' || c == '"' || c == '\\') quote = true;
  }
  if (!quote) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", u);
          out += esc;
        } else {
          out.push_back(c);  // UTF-8 stays as it is
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string format_line(Format format, Level level, std::string_view component, std::string_view message,
                        std::int64_t unix_us) {
  if (format == Format::netdata137) {
    // The 1.37 format stamps the current local time itself.
    (void)unix_us;
    return format_line(level, component, message, true);
  }
  // The raw fields are redacted before escaping: an escaped secret would no longer match.
  std::string comp(component);
  std::string msg(message);
  {
    std::lock_guard lock(state().mu);
    redact_secrets(comp, state().secrets);
    redact_secrets(msg, state().secrets);
  }
  const bool has_job = !comp.empty() && comp != "main";
  std::string line;
  if (format == Format::json) {
    nlohmann::ordered_json j;
    j["time"] = rfc3339(unix_us);
    j["comm"] = "vernemq.plugin";
    j["source"] = "collector";
    j["level"] = level_field(level);
    if (has_job) j["job"] = comp;
    j["msg"] = msg;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line.reserve(96 + msg.size());
    line += "time=" + rfc3339(unix_us);
    line += " comm=vernemq.plugin source=collector level=";
    line += level_field(level);
    if (has_job) line += " job=" + logfmt_value(comp);
    line += " msg=" + logfmt_value(msg);
  }
  std::lock_guard lock(state().mu);
  redact_secrets(line, state().secrets);
  line.push_back('\n');
  return line;
}

Format format_for(const char* log_format, const char* log_method) {
  const std::string_view f = log_format != nullptr ? log_format : "";
  const std::string_view m = log_method != nullptr ? log_method : "";
  if (f == "json") return Format::json;
  // logfmt on stderr also for the journal: stderr reaches it too (netdata-v2.md §4), and any
  // NETDATA_LOG_FORMAT means a Netdata (1.44+) that reads logfmt.
  if (!f.empty() || m == "journal") return Format::logfmt;
  return Format::netdata137;
}

void set_format(Format format) {
  std::lock_guard lock(state().mu);
  state().format = format;
}

void set_flood_protection(long period_s, long lines_per_period) {
  std::lock_guard lock(state().mu);
  state().flood = FloodProtection(period_s, lines_per_period);
}

bool FloodProtection::admit(std::int64_t now_s, std::string& notice) {
  notice.clear();
  if (period_s_ == 0) return true;
  if (lines_ == 0) return false;
  if (start_ < 0) start_ = now_s;
  ++counter_;
  if (now_s - start_ > period_s_) {
    if (prevented_ > 0) {
      notice = "LOG FLOOD PROTECTION resuming logging (prevented " + std::to_string(prevented_) + " logs in the last " +
               std::to_string(now_s - start_) + " seconds)";
    }
    start_ = now_s;
    counter_ = 1;
    prevented_ = 0;
    return true;
  }
  if (counter_ > static_cast<unsigned long>(lines_)) {
    if (prevented_ == 0) {
      notice = "LOG FLOOD PROTECTION too many logs (" + std::to_string(counter_) + " logs in " +
               std::to_string(now_s - start_) + " seconds, threshold is set to " + std::to_string(lines_) +
               " logs in " + std::to_string(period_s_) + " seconds); preventing more logs for " +
               std::to_string(period_s_ - (now_s - start_)) + " seconds";
    }
    ++prevented_;
    return false;
  }
  return true;
}

namespace {

void write_stderr(const std::string& line) {
  std::size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to: never let logging stop the plugin
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

void write(Level level, std::string_view component, std::string_view message) {
  if (!enabled(level)) return;
  Format format;
  bool admitted;
  std::string notice;
  {
    std::lock_guard lock(state().mu);
    format = state().format;
    admitted = state().flood.admit(mono_now_s(), notice);
  }
  const std::int64_t now_us = unix_now_us();
  if (!notice.empty()) write_stderr(format_line(format, Level::warning, "main", notice, now_us));
  if (admitted) write_stderr(format_line(format, level, component, message, now_us));
}

}  // namespace vmq::log
