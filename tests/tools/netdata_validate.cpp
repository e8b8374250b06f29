// SPDX-License-Identifier: GPL-3.0-or-later
// netdata_validate: the strict Netdata 1.37 protocol validator as a command, for shell-based
// end-to-end tests, e.g. `timeout -s TERM 5 vernemq.plugin 1 | netdata_validate --dump`.
//
//   netdata_validate [--dump] [FILE|-]
//
// Reads FILE (or stdin) as it arrives, validates it, and at the end of the stream prints every
// error to stderr. With --dump, prints what was declared and sent as JSON to stdout.
// Exit status: 0 valid, 1 protocol errors, 2 usage or I/O error.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "netdata_validator.h"

namespace {

nlohmann::json to_json(const vmq::testing::NetdataValidator& v) {
  nlohmann::json charts = nlohmann::json::object();
  for (const auto& [id, c] : v.charts()) {
    nlohmann::json dims = nlohmann::json::array();
    for (const auto& d : c.dims)
      dims.push_back({{"id", d.id},
                      {"name", d.name},
                      {"algorithm", d.algorithm},
                      {"multiplier", d.multiplier},
                      {"divisor", d.divisor},
                      {"options", d.options}});
    charts[id] = {{"name", c.name},         {"title", c.title},
                  {"units", c.units},       {"family", c.family},
                  {"context", c.context},   {"chart_type", c.chart_type},
                  {"priority", c.priority}, {"update_every", c.update_every},
                  {"options", c.options},   {"plugin", c.plugin},
                  {"module", c.module},     {"dimensions", dims},
                  {"labels", c.labels},     {"times_defined", c.times_defined}};
  }
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : v.points()) {
    nlohmann::json values = nlohmann::json::object();
    for (const auto& [dim, value] : p.values) values[dim] = value ? nlohmann::json(*value) : nlohmann::json(nullptr);
    points.push_back({{"chart", p.chart},
                      {"line", p.line},
                      {"usec", p.usec ? nlohmann::json(*p.usec) : nlohmann::json(nullptr)},
                      {"values", values}});
  }
  return {{"ok", v.ok()},
          {"errors", v.errors()},
          {"lines", v.lines()},
          {"keepalives", v.keepalives()},
          {"disabled", v.disabled()},
          {"charts", charts},
          {"points", points}};
}

}  // namespace

int main(int argc, char** argv) {
  bool dump = false;
  std::string path = "-";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--dump") {
      dump = true;
    } else if (arg == "-h" || arg == "--help") {
      std::cout << "usage: netdata_validate [--dump] [FILE|-]\n";
      return 0;
    } else if (path == "-" && (arg == "-" || arg.front() != '-')) {
      path = std::string(arg);
    } else {
      std::cerr << "netdata_validate: unexpected argument '" << arg << "'\nusage: netdata_validate [--dump] [FILE|-]\n";
      return 2;
    }
  }

  int fd = STDIN_FILENO;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::cerr << "netdata_validate: cannot open '" << path << "': " << std::strerror(errno) << "\n";
      return 2;
    }
  }

  vmq::testing::NetdataValidator v;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      std::cerr << "netdata_validate: read failed: " << std::strerror(errno) << "\n";
      return 2;
    }
    v.feed(std::string_view(buf, static_cast<std::size_t>(n)));
  }
  if (fd != STDIN_FILENO) ::close(fd);
  v.finish();

  for (const auto& e : v.errors()) std::cerr << e << "\n";
  if (dump) std::cout << to_json(v).dump(2) << "\n";
  if (!v.ok()) {
    std::cerr << "netdata_validate: " << v.errors().size() << " error(s) in " << v.lines() << " line(s)\n";
    return 1;
  }
  if (!dump)
    std::cout << "ok: " << v.lines() << " lines, " << v.charts().size() << " charts, " << v.points().size()
              << " points, " << v.keepalives() << " keepalives" << (v.disabled() ? ", DISABLE" : "") << "\n";
  return 0;
}
