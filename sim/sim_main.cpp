// SPDX-License-Identifier: GPL-3.0-or-later
// vernemq-sim: serves VerneMQ-format /metrics on loopback, one listener per scenario node, with
// counters that follow a scenario file. Arguments, signals and exit codes only; the rest is in
// vmq_sim.
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "scenario.h"
#include "sim_server.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

void usage(std::FILE* out) {
  std::fputs(
      "usage: vernemq-sim --scenario FILE [--port N]\n"
      "\n"
      "Serves VerneMQ-format /metrics (plus /health, /status.json and the read-only\n"
      "/api/v1/cluster/show and /api/v1/listener/show) on 127.0.0.1, one listener per node\n"
      "of the scenario, with PUBACK counters and cluster state that follow the scenario.\n"
      "\n"
      "  --scenario FILE  the scenario (YAML); see scenarios/demo.yaml for the format\n"
      "  --port N         first port; node k listens on N+k (default 0: ephemeral ports)\n"
      "  --help           this text\n"
      "\n"
      "Prints 'NODE_NAME http://127.0.0.1:PORT/metrics' per node, then 'ready', on stdout.\n"
      "Logs to stderr. Exits 0 on SIGTERM or SIGINT, 1 when it cannot listen, 2 on bad\n"
      "arguments or a bad scenario.\n",
      out);
}

bool parse_port(const char* s, std::uint16_t& port) {
  char* end = nullptr;
  errno = 0;
  const unsigned long v = std::strtoul(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v > 65535 || s[0] == '-') return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string scenario_path;
  std::uint16_t port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return kExitOk;
    }
    if ((arg == "--scenario" || arg == "--port") && i + 1 >= argc) {
      std::cerr << "vernemq-sim: " << arg << " needs a value\n";
      usage(stderr);
      return kExitUsage;
    }
    if (arg == "--scenario") {
      scenario_path = argv[++i];
    } else if (arg == "--port") {
      if (!parse_port(argv[++i], port)) {
        std::cerr << "vernemq-sim: --port expects a number from 0 to 65535, got '" << argv[i] << "'\n";
        return kExitUsage;
      }
    } else {
      std::cerr << "vernemq-sim: unknown argument '" << arg << "'\n";
      usage(stderr);
      return kExitUsage;
    }
  }
  if (scenario_path.empty()) {
    std::cerr << "vernemq-sim: --scenario FILE is required\n";
    usage(stderr);
    return kExitUsage;
  }

  vmq::sim::Scenario scenario;
  try {
    scenario = vmq::sim::load_scenario_file(scenario_path);
  } catch (const vmq::sim::ScenarioError& e) {
    std::cerr << "vernemq-sim: " << e.what() << '\n';
    return kExitUsage;
  }

  // Block the stop signals before any thread exists, so every thread inherits the mask and the
  // main thread alone receives them through sigwait(). A reader that goes away must not kill us
  // with SIGPIPE either (sockets use MSG_NOSIGNAL; this covers stdout/stderr pipes).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
    std::cerr << "vernemq-sim: cannot block signals\n";
    return kExitRuntime;
  }
  std::signal(SIGPIPE, SIG_IGN);

  try {
    vmq::sim::SimServer server(std::move(scenario), port, std::cerr);
    for (const auto& ep : server.endpoints()) std::cout << ep.node << ' ' << ep.url << '\n';
    std::cout << "ready" << std::endl;  // flushed: the parent waits for this line
    server.start_logging();

    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0) {
    }
    std::cerr << "vernemq-sim: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ", stopping" << std::endl;
    server.stop();
  } catch (const std::exception& e) {
    std::cerr << "vernemq-sim: " << e.what() << '\n';
    return kExitRuntime;
  }
  return kExitOk;
}
