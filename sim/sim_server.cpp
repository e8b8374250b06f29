// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim_server.h"

#include "cluster_http.h"

#include <cstdio>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace vmq::sim {
namespace {

using loopback::Request;
using loopback::Response;

bool contains_ci(std::string_view hay, std::string_view needle) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    bool match = true;
    for (std::size_t j = 0; j < needle.size() && match; ++j) match = lower(hay[i + j]) == lower(needle[j]);
    if (match) return true;
  }
  return false;
}

// VerneMQ's API key check (vmq_metrics_http with auth.mode = apikey): the key either as the
// Basic auth user name (password ignored) or in x-api-key.
bool authorized(const Scenario& sc, const Request& req) {
  if (sc.api_key.empty()) return true;
  if (req.header("x-api-key") == sc.api_key) return true;
  const std::string auth = req.header("authorization");
  if (auth.size() > 6 && contains_ci(auth.substr(0, 6), "basic ")) {
    const std::string decoded = loopback::base64_decode(auth.substr(6));
    return decoded.substr(0, decoded.find(':')) == sc.api_key;
  }
  return false;
}

// VerneMQ answers 406 when the client accepts neither text/plain nor a wildcard.
bool acceptable(const Request& req) {
  const std::string accept = req.header("accept");
  if (accept.empty()) return true;
  return contains_ci(accept, "text/plain") || contains_ci(accept, "*/*") || contains_ci(accept, "text/*");
}

Response json(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.emplace_back("content-type", "application/json");
  r.body = std::move(body);
  return r;
}

Response unauthorized() {
  Response r;
  r.status = 401;
  r.headers.emplace_back("www-authenticate", "Authorization realm=\"VerneMQ\"");
  return r;
}

// Bytes no text parser can accept: NULs, high bytes, broken UTF-8, stray line ends.
std::string garbage_body() {
  std::string out(4096, '\0');
  std::uint32_t x = 0x9E3779B9u;  // fixed seed: the fault is reproducible
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xFFu);
  }
  return out;
}

// A well-formed Prometheus body from some other exporter: no VerneMQ family at all.
std::string not_vernemq_body() {
  return "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
         "# TYPE process_cpu_seconds_total counter\n"
         "process_cpu_seconds_total 12.47\n"
         "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
         "# TYPE process_resident_memory_bytes gauge\n"
         "process_resident_memory_bytes 2.1430272e+07\n"
         "# HELP http_requests_total Requests served, by status code.\n"
         "# TYPE http_requests_total counter\n"
         "http_requests_total{code=\"200\",method=\"get\"} 1027\n"
         "http_requests_total{code=\"500\",method=\"get\"} 3\n"
         "# HELP queue_depth Items waiting in the work queue.\n"
         "# TYPE queue_depth gauge\n"
         "queue_depth{queue=\"default\"} 0\n";
}

Response fault_response(Fault fault, const VernemqBody& body, const NodeSnapshot& snap) {
  Response r;
  switch (fault) {
    case Fault::none:
    case Fault::hide:  // body faults: the body is rendered as usual, with the fault applied
    case Fault::corrupt:
    case Fault::absent: break;
    case Fault::http_503: return json(503, "{\"status\":\"DOWN\"}");
    case Fault::http_500: r.status = 500; return r;
    case Fault::http_401: return unauthorized();
    case Fault::hang: r.mode = Response::Mode::hang; return r;
    case Fault::close: r.mode = Response::Mode::close; return r;
    case Fault::garbage:
      r.headers.emplace_back("content-type", "text/plain");
      r.body = garbage_body();
      return r;
    case Fault::not_vernemq:
      r.headers.emplace_back("content-type", "text/plain; version=0.0.4");
      r.body = not_vernemq_body();
      return r;
    case Fault::trickle:
      // The true body with its true length, one byte a second: a 35 KB body takes ~10 hours.
      r.headers.emplace_back("content-type", "text/plain");
      body.render(snap, r.body);
      r.mode = Response::Mode::trickle;
      r.trickle_interval = std::chrono::milliseconds(1000);
      return r;
  }
  return r;
}

}  // namespace

Response respond(const Timeline& timeline, const VernemqBody& body, std::size_t node, const Request& req,
                 std::int64_t elapsed_ms, std::uint16_t http_port) {
  const Scenario& sc = timeline.scenario();
  const NodeSnapshot snap = timeline.snapshot(node, elapsed_ms);
  if (snap.fault != Fault::none && !is_body_fault(snap.fault)) return fault_response(snap.fault, body, snap);

  const std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
  if (req.method != "GET" && req.method != "HEAD") {
    Response r;
    r.status = 405;
    r.headers.emplace_back("allow", "GET, HEAD");
    return r;
  }
  if (path == "/metrics") {
    if (!authorized(sc, req)) return unauthorized();
    if (!acceptable(req)) {
      Response r;
      r.status = 406;
      return r;
    }
    Response r;
    r.headers.emplace_back("content-type", "text/plain");
    // Not something VerneMQ sends: the elapsed time this body was computed for, so a test can
    // tell exactly which instant of the scenario it saw.
    r.headers.emplace_back("x-vernemq-sim-elapsed-ms", std::to_string(elapsed_ms));
    body.render(snap, r.body);
    return r;
  }
  if (auto cluster = respond_cluster(timeline, node, req, elapsed_ms, http_port)) return std::move(*cluster);
  Response r;
  r.status = 404;
  return r;
}

static Response respond_merged(const Timeline& timeline, const std::vector<std::unique_ptr<VernemqBody>>& bodies,
                               const Request& req, std::int64_t elapsed_ms, std::uint16_t http_port) {
  // The first node answers (its faults are the endpoint's); every other node's series follow.
  Response r = respond(timeline, *bodies[0], 0, req, elapsed_ms, http_port);
  const std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
  if (path != "/metrics" || r.status != 200 || r.mode != Response::Mode::normal) return r;
  std::string piece;
  for (std::size_t i = 1; i < bodies.size(); ++i) {
    bodies[i]->render(timeline.snapshot(i, elapsed_ms), piece);
    r.body += piece;
  }
  return r;
}

SimServer::SimServer(Scenario scenario, std::uint16_t base_port, std::ostream& log)
    : timeline_(std::move(scenario)), log_(log) {
  const Scenario& sc = timeline_.scenario();
  if (base_port != 0 && static_cast<std::size_t>(base_port) + sc.nodes.size() - 1 > 65535) {
    throw std::runtime_error("--port " + std::to_string(base_port) + " leaves no room for " +
                             std::to_string(sc.nodes.size()) + " nodes below 65536");
  }
  // Align the timeline: start = next whole wall-clock second + 0.5 s, so every scenario change
  // lands on a half second while wall-clock-aligned scrapes happen just after whole seconds.
  // Time is then measured on the steady clock so a wall-clock jump cannot reorder events.
  const auto now_wall = std::chrono::system_clock::now();
  const auto now_steady = std::chrono::steady_clock::now();
  const auto next_second = std::chrono::floor<std::chrono::seconds>(now_wall) + std::chrono::seconds(1);
  start_wall_ = next_second + std::chrono::milliseconds(500);
  start_steady_ = now_steady + std::chrono::duration_cast<std::chrono::steady_clock::duration>(start_wall_ - now_wall);

  for (std::size_t i = 0; i < sc.nodes.size(); ++i) bodies_.push_back(std::make_unique<VernemqBody>(sc, i));
  // Sized before any listener exists: a handler may run before the next listener is created.
  ports_ = std::vector<std::atomic<std::uint16_t>>(sc.nodes.size());
  // With `merge`, one listener (the first node's) serves them all.
  const std::size_t listeners = sc.merge ? 1 : sc.nodes.size();
  for (std::size_t i = 0; i < listeners; ++i) {
    const auto port = static_cast<std::uint16_t>(base_port == 0 ? 0 : base_port + i);
    ports_[i].store(port);
    auto server = std::make_unique<loopback::Server>(
        [this, i](const Request& req) {
          if (timeline_.scenario().merge)
            return respond_merged(timeline_, bodies_, req, elapsed_ms(), ports_[i].load());
          return respond(timeline_, *bodies_[i], i, req, elapsed_ms(), ports_[i].load());
        },
        port);
    ports_[i].store(server->port());
    servers_.push_back(std::move(server));
  }
}

SimServer::~SimServer() { stop(); }

std::vector<SimServer::Endpoint> SimServer::endpoints() const {
  std::vector<Endpoint> out;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    out.push_back({timeline_.scenario().nodes[i], servers_[i]->url("/metrics"), servers_[i]->port()});
  }
  return out;
}

std::int64_t SimServer::elapsed_ms() const {
  return std::chrono::floor<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_steady_).count();
}

void SimServer::start_logging() {
  std::lock_guard lock(mutex_);
  if (log_thread_.joinable() || stopping_) return;
  log_thread_ = std::thread([this] { log_loop(); });
}

void SimServer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (log_thread_.joinable()) log_thread_.join();
  for (auto& s : servers_) s->stop();
}

void SimServer::log_loop() {
  const Scenario& sc = timeline_.scenario();
  {
    const std::time_t t = std::chrono::system_clock::to_time_t(start_wall_);
    std::tm tm{};
    (void)gmtime_r(&t, &tm);
    std::ostringstream line;
    const auto unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(start_wall_.time_since_epoch()).count();
    line << "vernemq-sim: timeline starts at " << std::put_time(&tm, "%Y-%m-%dT%H:%M:%S") << ".500Z (unix "
         << unix_ms / 1000 << '.' << std::setw(3) << std::setfill('0') << unix_ms % 1000 << ")";
    if (sc.repeat > 0) line << ", repeating every " << sc.repeat << " s";
    log_ << line.str() << std::endl;
  }
  std::vector<Fault> faults(sc.nodes.size(), Fault::none);
  for (std::int64_t k = 0;; ++k) {
    {
      std::unique_lock lock(mutex_);
      // Wake 50 ms after the event instant so the state read below already includes it.
      const auto when = start_steady_ + std::chrono::seconds(k) + std::chrono::milliseconds(50);
      if (wake_.wait_until(lock, when, [this] { return stopping_; })) return;
    }
    for (const Step* step : timeline_.steps_at(k)) {
      log_ << "vernemq-sim: t=" << k << " s: " << timeline_.describe(*step) << std::endl;
    }
    for (const std::string& line : describe_cluster_steps_at(sc, k))
      log_ << "vernemq-sim: t=" << k << " s: " << line << std::endl;
    for (std::size_t n = 0; n < faults.size(); ++n) {
      const Fault now = timeline_.snapshot(n, k * 1000).fault;
      if (now == faults[n]) continue;
      log_ << "vernemq-sim: t=" << k << " s: node " << sc.nodes[n] << ": ";
      if (faults[n] != Fault::none)
        log_ << "fault " << fault_name(faults[n]) << " ends" << (now != Fault::none ? "; " : "");
      if (now != Fault::none) log_ << "fault " << fault_name(now) << " begins";
      log_ << std::endl;
      faults[n] = now;
    }
  }
}

}  // namespace vmq::sim
