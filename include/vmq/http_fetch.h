// SPDX-License-Identifier: GPL-3.0-or-later
// HTTP over libcurl: one reusable easy handle per job (keep-alive), every job driven by one
// multi handle, so a slow or dead node never delays another job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vmq/config.h"

namespace vmq {

// The result of one transfer. `body` points into the client's buffer for that job and stays
// valid until that job's next start().
struct FetchResult {
  bool ok = false;        // transport fine AND HTTP status 200 AND body within the cap
  long http_status = 0;   // 0 when no HTTP answer was received
  std::string error;      // empty when ok; else e.g. "HTTP 503 Service Unavailable",
                          // "connection refused: ...", "timed out after 1000 ms",
                          // "body larger than the 16777216-byte limit"; never holds a secret
  std::string_view body;  // decoded (gzip) body when ok
  std::size_t bytes = 0;  // body bytes received (decoded)
  double seconds = 0;     // wall time from start() to completion
};

// Takes a job's response body as it arrives, instead of the client keeping it: a process with a
// thousand jobs then never holds a thousand bodies (see HttpClient::set_body_consumer).
class BodyConsumer {
 public:
  virtual ~BodyConsumer() = default;
  // A response body starts (a transfer starts, or a new response follows a redirect or a
  // 1xx): forget anything given before.
  virtual void body_begin() = 0;
  // Its next decoded bytes.
  virtual void body_data(std::string_view data) = 0;
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Registers a job; returns its index (0, 1, …). Sets every option once on the job's easy
  // handle. Throws ConfigError for an option libcurl refuses (e.g. an unsupported scheme).
  std::size_t add_job(const JobConfig& job);

  // Starts a transfer for job `idx` with a total timeout of `timeout_ms`. If one is still in
  // flight it is aborted first (and reported as failed through poll()).
  void start(std::size_t idx, long timeout_ms);

  // Job `idx`'s transfers start at `url` from its next start() on (a job's cluster sources share
  // one handle and connection: same host, same credentials, one request after another).
  void set_url(std::size_t idx, std::string_view url);

  // Frees job `idx`'s easy handle (~5 KB) until its next start() makes it again, unless a
  // transfer is in flight. For jobs that transfer rarely (a job's cluster round every 10 s):
  // the connection stays cached in the multi handle, so the next transfer still reuses it.
  void release_handle(std::size_t idx);

  [[nodiscard]] bool in_flight(std::size_t idx) const;
  [[nodiscard]] std::size_t in_flight_count() const;

  // Waits at most `max_wait_ms` for network activity, drives the transfers, and calls `done`
  // once for every transfer that finished (ok or not). Returns the number completed.
  // Returns early when wakeup() is called from another thread or a signal handler, or when
  // `extra_fd` (>= 0: Netdata's calls on stdin) becomes readable.
  std::size_t poll(int max_wait_ms, const std::function<void(std::size_t idx, const FetchResult&)>& done,
                   int extra_fd = -1);

  // Async-signal-safe: makes a blocked poll() return at once.
  void wakeup();

  // From now on job `idx`'s body goes to `consumer` as it arrives (nullptr: kept, the default).
  // Its FetchResult then has an empty `body`; `bytes` still counts it, and the size cap holds.
  // The consumer must outlive the client's use of the job.
  void set_body_consumer(std::size_t idx, BodyConsumer* consumer);

  // Replaces in `text` every credential of job `idx` (its configured secrets and the bearer
  // token last read from its file) by "***", so that what a server echoes back never reaches
  // the output. The rule is redact_secrets() (vmq/redact.h), as in the log.
  void redact(std::size_t idx, std::string& text) const;
  // False when job `idx` has no credential at all (nothing redact() could mask).
  [[nodiscard]] bool has_secrets(std::size_t idx) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vmq
