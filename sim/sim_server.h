// SPDX-License-Identifier: GPL-3.0-or-later
// vernemq-sim's HTTP side: one loopback listener per scenario node, answering like VerneMQ's
// HTTP listener (/metrics, /health, /status.json) or misbehaving while the scenario says so.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "loopback_http.h"
#include "scenario.h"
#include "vernemq_body.h"

namespace vmq::sim {

// The response to `req` for `node` at `elapsed_ms` since the timeline start: a pure function, so
// the model and the HTTP behaviour can be tested without a clock. `http_port` goes into
// /status.json's listener list.
[[nodiscard]] loopback::Response respond(const Timeline& timeline, const VernemqBody& body, std::size_t node,
                                         const loopback::Request& req, std::int64_t elapsed_ms,
                                         std::uint16_t http_port);

class SimServer {
 public:
  // Binds one listener per node: port 0 = ephemeral each, else base_port + node index.
  // Throws std::runtime_error when a port cannot be bound. The timeline starts at the next whole
  // wall-clock second + 0.5 s after construction. `log` receives one line per event.
  SimServer(Scenario scenario, std::uint16_t base_port, std::ostream& log);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  struct Endpoint {
    std::string node;
    std::string url;  // http://127.0.0.1:PORT/metrics
    std::uint16_t port;
  };
  [[nodiscard]] std::vector<Endpoint> endpoints() const;
  [[nodiscard]] std::chrono::system_clock::time_point start_time() const { return start_wall_; }
  [[nodiscard]] std::int64_t elapsed_ms() const;

  // Starts the thread that logs each step and each fault change as it happens.
  void start_logging();
  // Stops the listeners (even with hung connections) and the log thread. Idempotent.
  void stop();

 private:
  void log_loop();

  Timeline timeline_;
  std::vector<std::unique_ptr<VernemqBody>> bodies_;
  std::vector<std::atomic<std::uint16_t>> ports_;
  std::vector<std::unique_ptr<loopback::Server>> servers_;
  std::chrono::system_clock::time_point start_wall_;
  std::chrono::steady_clock::time_point start_steady_;
  std::ostream& log_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread log_thread_;
};

}  // namespace vmq::sim
