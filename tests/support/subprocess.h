// SPDX-License-Identifier: GPL-3.0-or-later
// Runs a real executable with pipes on stdin/stdout/stderr, for process-level tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vmq::testing {

// `argv` with the words of $VMQ_PLUGIN_WRAPPER in front when argv[0] is the plugin
// (vernemq.plugin) and the variable is set, e.g. "valgrind --error-exitcode=99"; else `argv`.
std::vector<std::string> with_wrapper(const std::vector<std::string>& argv);

// Whether the plugin runs under such a wrapper (tools like valgrind make it many times slower).
inline bool plugin_wrapped() {
  const char* w = std::getenv("VMQ_PLUGIN_WRAPPER");
  return w != nullptr && *w != '\0';
}

class Subprocess {
 public:
  // Starts `argv[0]` with `argv`; `env` entries are added to (or replace in) the environment.
  // The plugin runs under $VMQ_PLUGIN_WRAPPER when that is set (see with_wrapper()).
  // `pipe_stdin`: the child's stdin is a pipe fed by write_stdin() (else /dev/null).
  Subprocess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
             bool pipe_stdin = false);
  ~Subprocess();  // SIGKILL and reap if still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Reads what is available on stdout/stderr for up to `d` (or until the process exits).
  void pump(std::chrono::milliseconds d);
  // Pumps until stdout holds `needle` or `d` passes; true when found.
  bool wait_for_stdout(const std::string& needle, std::chrono::milliseconds d);
  // Pumps until stderr holds `needle` or `d` passes; true when found. A readiness sign (a log
  // line) to wait for, instead of a fixed sleep that a slow start (valgrind) outlasts.
  bool wait_for_stderr(const std::string& needle, std::chrono::milliseconds d);
  // Pumps until the process exits or `d` passes; the exit status when it exited.
  std::optional<int> wait_exit(std::chrono::milliseconds d);
  void signal(int sig);
  void close_stdout_reader();                 // the reader goes away: the child's writes now fail with EPIPE
  bool write_stdin(const std::string& text);  // false when there is no stdin pipe or it broke
  void close_stdin();

  [[nodiscard]] const std::string& out() const { return out_; }
  [[nodiscard]] const std::string& err() const { return err_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  // "exited N" or "killed by signal N"; the raw status from waitpid.
  [[nodiscard]] std::optional<int> raw_status() const { return status_; }

 private:
  void reap(bool block);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  int in_fd_ = -1;
  std::string out_;
  std::string err_;
  std::optional<int> status_;
};

// A path under a fresh temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const;  // returns the full path

 private:
  std::string path_;
};

}  // namespace vmq::testing
