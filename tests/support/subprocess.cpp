// SPDX-License-Identifier: GPL-3.0-or-later
#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace vmq::testing {

namespace {

bool is_plugin(const std::string& path) {
  const std::string name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  return name == "vernemq.plugin";
}

// The first word of a wrapper, as a path execve() can use (PATH is searched here, before fork).
std::string resolve(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, end - start) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return program;
}

}  // namespace

std::vector<std::string> with_wrapper(const std::vector<std::string>& argv) {
  const char* wrapper = std::getenv("VMQ_PLUGIN_WRAPPER");
  if (wrapper == nullptr || *wrapper == '\0' || argv.empty() || !is_plugin(argv[0])) return argv;
  std::vector<std::string> out;
  std::string word;
  for (const char* p = wrapper;; ++p) {
    if (*p == ' ' || *p == '\0') {
      if (!word.empty()) out.push_back(word);
      word.clear();
      if (*p == '\0') break;
    } else {
      word.push_back(*p);
    }
  }
  if (out.empty()) return argv;
  out[0] = resolve(out[0]);
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

Subprocess::Subprocess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                       bool pipe_stdin) {
  int out[2];
  int err[2];
  int in[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  if (pipe_stdin && pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  // Build argv/envp before fork: the child only calls async-signal-safe functions.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv(*e);
    const std::string key = kv.substr(0, kv.find('='));
    if (env.count(key) == 0) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  // VMQ_PLUGIN_WRAPPER (e.g. "valgrind --error-exitcode=99 --leak-check=full") runs the plugin,
  // and only the plugin, under a tool: scripts/test-sanitizers.sh uses it for memcheck.
  const std::vector<std::string> full_argv = with_wrapper(argv);
  std::vector<char*> cargv;
  for (const std::string& a : full_argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  for (const std::string& e : env_strings) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int devnull = in[0] >= 0 ? in[0] : open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    // Default signal dispositions for the child, whatever the test runner set.
    ::signal(SIGPIPE, SIG_DFL);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  if (in[0] >= 0) close(in[0]);
  in_fd_ = in[1];
  out_fd_ = out[0];
  err_fd_ = err[0];
  fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  fcntl(err_fd_, F_SETFL, O_NONBLOCK);
}

Subprocess::~Subprocess() {
  if (!status_ && pid_ > 0) {
    // SIGTERM first: a script such as demo.sh stops its own children on it (a SIGKILL would
    // leave its Netdata and simulator running after a failed test). SIGKILL after 5 s.
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!status_ && std::chrono::steady_clock::now() < deadline) {
      pump(std::chrono::milliseconds(20));  // keeps its pipes from filling while it stops
      reap(false);
    }
    if (!status_) kill(pid_, SIGKILL);
    reap(true);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
  if (in_fd_ >= 0) close(in_fd_);
}

bool Subprocess::write_stdin(const std::string& text) {
  std::size_t off = 0;
  while (in_fd_ >= 0 && off < text.size()) {
    const ssize_t n = ::write(in_fd_, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return in_fd_ >= 0;
}

void Subprocess::close_stdin() {
  if (in_fd_ >= 0) close(in_fd_);
  in_fd_ = -1;
}

void Subprocess::reap(bool block) {
  if (status_ || pid_ <= 0) return;
  int st = 0;
  const pid_t r = waitpid(pid_, &st, block ? 0 : WNOHANG);
  if (r == pid_) status_ = st;
}

void Subprocess::pump(std::chrono::milliseconds d) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  for (;;) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out_fd_ >= 0) fds[n++] = pollfd{out_fd_, POLLIN, 0};
    if (err_fd_ >= 0) fds[n++] = pollfd{err_fd_, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (n == 0) {
      reap(false);
      return;
    }
    const int r = poll(fds, n, static_cast<int>(std::max<long long>(0, left.count())));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      reap(false);
      return;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buf[65536];
      const ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        (fds[i].fd == out_fd_ ? out_ : err_).append(buf, static_cast<std::size_t>(got));
      } else if (got == 0) {
        if (fds[i].fd == out_fd_) {
          close(out_fd_);
          out_fd_ = -1;
        } else {
          close(err_fd_);
          err_fd_ = -1;
        }
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      reap(false);
      return;
    }
  }
}

bool Subprocess::wait_for_stdout(const std::string& needle, std::chrono::milliseconds d) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  while (out_.find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    pump(std::chrono::milliseconds(50));
    if (out_fd_ < 0 && out_.find(needle) == std::string::npos) return false;
  }
  return true;
}

bool Subprocess::wait_for_stderr(const std::string& needle, std::chrono::milliseconds d) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  while (err_.find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    pump(std::chrono::milliseconds(50));
    if (err_fd_ < 0 && err_.find(needle) == std::string::npos) return false;
  }
  return true;
}

std::optional<int> Subprocess::wait_exit(std::chrono::milliseconds d) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  while (!status_) {
    reap(false);
    if (status_) break;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    pump(std::chrono::milliseconds(20));
  }
  pump(std::chrono::milliseconds(0));
  if (WIFEXITED(*status_)) return WEXITSTATUS(*status_);
  return 128 + WTERMSIG(*status_);
}

void Subprocess::signal(int sig) {
  if (pid_ > 0 && !status_) kill(pid_, sig);
}

void Subprocess::close_stdout_reader() {
  if (out_fd_ >= 0) {
    close(out_fd_);
    out_fd_ = -1;
  }
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "vmq-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const std::string p = path_ + "/" + name;
  std::ofstream f(p, std::ios::binary);
  f << content;
  if (!f) throw std::runtime_error("cannot write " + p);
  return p;
}

}  // namespace vmq::testing
