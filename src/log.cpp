// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/log.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <vector>

#include "vmq/redact.h"

namespace vmq::log {

namespace {

struct State {
  std::mutex mu;
  Level level = Level::info;
  std::vector<std::string> secrets;
};

State& state() {
  static State s;
  return s;
}

std::string_view level_name(Level l) {
  switch (l) {
    case Level::error:
      return "ERROR";
    case Level::warning:
      return "WARNING";
    case Level::info:
      return "INFO";
    case Level::debug:
      return "DEBUG";
  }
  return "INFO";
}

// Keeps a log line one line: control characters from scraped data or curl become spaces.
void append_clean(std::string& out, std::string_view text) {
  for (char c : text) out.push_back((static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c);
}

}  // namespace

void init_from_env() {
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

void write(Level level, std::string_view component, std::string_view message) {
  if (!enabled(level)) return;
  const std::string line = format_line(level, component, message, true);
  std::size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to: never let logging stop the plugin
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace vmq::log
