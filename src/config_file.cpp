// SPDX-License-Identifier: GPL-3.0-or-later
// Which configuration file, and reading it without hanging on a FIFO or swallowing a core dump.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "vmq/config.h"

namespace vmq {
namespace {

// A config file is a few KiB; refusing huge ones keeps a wrong --config (a log, a core) cheap.
constexpr std::size_t kMaxConfigFileBytes = 4u * 1024u * 1024u;

}  // namespace

Config load_config_file(const std::string& path) {
  auto os_error = [&](std::string_view what, int err) {
    return ConfigError(path + ": " + std::string(what) + ": " + std::system_category().message(err));
  };
  // O_NONBLOCK: opening a FIFO given by mistake must not hang start-up.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) throw os_error("cannot open the configuration file", errno);
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw os_error("cannot stat the configuration file", errno);
  if (S_ISDIR(st.st_mode)) {
    throw ConfigError(path + ": is a directory; expected a YAML configuration file");
  }
  if (!S_ISREG(st.st_mode)) {
    throw ConfigError(path + ": is not a regular file; expected a YAML configuration file");
  }
  std::string text;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw os_error("cannot read the configuration file", errno);
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxConfigFileBytes) {
      throw ConfigError(path + ": is larger than " + std::to_string(kMaxConfigFileBytes) +
                        " bytes; expected a small YAML configuration file");
    }
  }
  return parse_config(text, path);
}

std::optional<std::string> find_config_file(const std::optional<std::string>& cli_path,
                                            const char* (*getenv_fn)(const char*)) {
  if (cli_path) return cli_path;
  for (const char* var : {"NETDATA_USER_CONFIG_DIR", "NETDATA_STOCK_CONFIG_DIR"}) {
    const char* dir = getenv_fn != nullptr ? getenv_fn(var) : std::getenv(var);
    if (dir == nullptr || *dir == '\0') continue;
    std::string candidate(dir);
    if (candidate.back() != '/') candidate += '/';
    candidate += "vernemq.conf";
    // Existence only: a file we cannot read must be reported by load_config_file, not skipped
    // in favour of the stock one.
    std::error_code ec;
    if (std::filesystem::exists(candidate, ec)) return candidate;
  }
  return std::nullopt;
}

}  // namespace vmq
