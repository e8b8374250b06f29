// SPDX-License-Identifier: GPL-3.0-or-later
// HTTP over libcurl. One easy handle per job, kept for the life of the client so that its
// connection stays in the multi handle's connection cache between scrapes (keep-alive); every
// job is driven by one multi handle so a slow or dead node never delays another job.
//
// Errors: add_job() runs at start-up and throws ConfigError; everything after that (start(),
// poll()) reports problems as failed FetchResults and never throws.
#include "vmq/http_fetch.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

#include "vmq/log.h"
#include "vmq/redact.h"

namespace vmq {
namespace {

using Clock = std::chrono::steady_clock;

constexpr long kMaxRedirects = 10;
constexpr std::size_t kMaxTokenFileSize = 64u * 1024u;  // a bearer token is a few KB at most
constexpr std::size_t kMaxReasonLength = 64;

// Prometheus text 0.0.4 first; anything else is acceptable. VerneMQ answers 406 to an Accept it
// cannot serve (e.g. only application/openmetrics-text).
constexpr const char* kAcceptHeader = "Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1";
constexpr const char* kUserAgent = "vernemq.plugin/" VMQ_VERSION;

// curl_global_init is not thread-safe before libcurl 7.84 and must run once per process before
// any other libcurl call; call_once makes it safe whoever constructs the first client.
CURLcode global_init_once() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const auto a = static_cast<unsigned char>(text[i]);
    const auto b = static_cast<unsigned char>(prefix[i]);
    if (std::tolower(a) != std::tolower(b)) return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) { return a.size() == b.size() && iequals_prefix(a, b); }

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(kSpace);
  return s.substr(first, last - first + 1);
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// "scheme://host:port" of an absolute URL (host lower-case, default port filled in), or "" when
// it cannot be parsed. Two URLs with the same origin reach the same server over the same scheme.
std::string origin_of(const char* url) {
  CURLU* u = curl_url();
  if (u == nullptr) return {};
  std::string origin;
  char* scheme = nullptr;
  char* host = nullptr;
  char* port = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    origin = std::string(scheme) + "://" + host + ":" + port;
    for (char& c : origin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return origin;
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Used when the server sent no reason phrase (HTTP/2 never does).
std::string_view standard_reason(long status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return {};
  }
}

}  // namespace

struct HttpClient::Impl {
  struct Job {
    std::size_t idx = 0;
    CURL* easy = nullptr;
    std::vector<std::string> secrets;
    std::string bearer_token_file;
    std::size_t max_body_size = kDefaultMaxBodySize;
    bool follow_redirects = true;
    // What make_easy() sets once on a handle (a handle released between transfers is made again).
    bool tls_skip_verify = false;
    std::string tls_ca, tls_cert, tls_key, proxy_url, proxy_username, proxy_password;
    std::string where;  // "job 'name' (url): ", before a setup error

    // Redirects are followed here, not by libcurl, which would forward x-api-key and every user
    // header to another host (it only drops Authorization and Cookie). Credentials go only to
    // the job's own origin; once a transfer has left it, none is sent for the rest of it.
    std::string url;       // the configured URL, where every scrape starts
    std::string origin;    // its scheme://host:port
    std::string username;  // basic auth, restored for the origin
    std::string password;
    curl_slist* public_headers = nullptr;  // Accept only: what another host gets
    int redirects = 0;                     // followed in the current transfer
    bool credentials_sent = true;          // the current request carries the credentials

    curl_slist* base_headers = nullptr;  // Accept, x-api-key, custom headers: set once
    curl_slist* bearer_node = nullptr;   // "Authorization: Bearer T", its next → base_headers
    std::string bearer_token;            // the token in bearer_node (to rebuild only on change)
    std::string token_buf;               // file read buffer, reused

    // Per transfer; reset by start(). body keeps its capacity across transfers.
    std::string body;
    BodyConsumer* consumer = nullptr;  // when set, the body goes there instead of into `body`
    std::size_t consumed = 0;          // bytes given to `consumer` for the current response
    char error_buf[CURL_ERROR_SIZE] = {};
    long status = 0;                     // from the last status line seen
    std::string reason;                  // its reason phrase (sanitised)
    long long content_length = -1;       // of the current response, -1 when absent
    long long announced_too_large = -1;  // Content-Length that exceeded the cap, else -1
    bool too_large = false;
    bool in_flight = false;
    long timeout_ms = 0;
    Clock::time_point started{};

    [[nodiscard]] std::size_t body_size() const { return consumer != nullptr ? consumed : body.size(); }
    void begin_body() {
      consumed = 0;
      if (consumer != nullptr) consumer->body_begin();
    }

    ~Job() {
      if (bearer_node != nullptr) {
        bearer_node->next = nullptr;  // base_headers is freed on its own
        curl_slist_free_all(bearer_node);
      }
      curl_slist_free_all(base_headers);
      curl_slist_free_all(public_headers);
      if (easy != nullptr) curl_easy_cleanup(easy);
    }
  };

  CURLM* multi = nullptr;
  std::vector<std::unique_ptr<Job>> jobs;
  std::size_t in_flight = 0;
  // Results decided outside libcurl (aborted transfer, unreadable token file, setopt failure),
  // delivered by the next poll(). Two vectors swapped so done() may call start() safely.
  std::vector<std::pair<std::size_t, FetchResult>> pending;
  std::vector<std::pair<std::size_t, FetchResult>> delivering;

  // ---- libcurl callbacks -------------------------------------------------------------------

  // Header lines of every response, including redirects, 1xx and proxy CONNECT answers: a status
  // line starts a new response. At the blank line ending the final response's headers, a
  // Content-Length over the cap stops the transfer before any body byte is read.
  static std::size_t on_header(char* data, std::size_t size, std::size_t nmemb, void* user) {
    auto* job = static_cast<Job*>(user);
    const std::size_t n = size * nmemb;
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
      job->status = 0;
      job->reason.clear();
      job->content_length = -1;
      job->body.clear();
      job->begin_body();
      // "HTTP/1.1 503 Service Unavailable\r\n" or "HTTP/2 200 \r\n"
      const auto sp = line.find(' ');
      if (sp != std::string_view::npos && line.size() >= sp + 4) {
        long code = 0;
        bool digits = true;
        for (std::size_t i = sp + 1; i < sp + 4; ++i) {
          if (line[i] < '0' || line[i] > '9')
            digits = false;
          else
            code = code * 10 + (line[i] - '0');
        }
        if (digits) job->status = code;
        const auto reason = trim(line.substr(sp + 4));
        for (char c : reason) {
          if (job->reason.size() >= kMaxReasonLength) break;
          // Network input: keep printable ASCII only, it ends up in logs and charts.
          if (c >= 0x20 && c < 0x7f) job->reason.push_back(c);
        }
      }
      return n;
    }
    if (iequals_prefix(line, "content-length:")) {
      const auto value = trim(line.substr(std::strlen("content-length:")));
      long long v = 0;
      bool valid = !value.empty();
      for (char c : value) {
        if (c < '0' || c > '9' || v > (1LL << 53)) {
          valid = false;
          break;
        }
        v = v * 10 + (c - '0');
      }
      if (valid) job->content_length = v;
      return n;
    }
    if (trim(line).empty()) {
      const bool interim = job->status >= 100 && job->status < 200;
      const bool will_follow = job->follow_redirects && job->status >= 300 && job->status < 400;
      if (!interim && !will_follow && job->content_length >= 0 &&
          static_cast<unsigned long long>(job->content_length) > job->max_body_size) {
        job->too_large = true;
        job->announced_too_large = job->content_length;
        return 0;  // any other count aborts the transfer (CURLE_WRITE_ERROR)
      }
    }
    return n;
  }

  // Decoded body bytes (CURLOPT_ACCEPT_ENCODING makes libcurl inflate gzip/deflate before this
  // callback), so the cap bounds memory even for a gzip bomb or an endless body.
  static std::size_t on_body(char* data, std::size_t size, std::size_t nmemb, void* user) {
    auto* job = static_cast<Job*>(user);
    const std::size_t n = size * nmemb;
    if (n > job->max_body_size - job->body_size()) {
      job->too_large = true;
      return 0;  // CURL_WRITEFUNC_ERROR in newer headers: aborts with CURLE_WRITE_ERROR
    }
    if (job->consumer != nullptr) {
      job->consumer->body_data(std::string_view(data, n));
      job->consumed += n;
      return n;
    }
    job->body.append(data, n);
    return n;
  }

  // ---- helpers -----------------------------------------------------------------------------

  FetchResult failed(const Job& job, std::string error) const {
    FetchResult r;
    r.ok = false;
    r.error = std::move(error);
    // Every error message: curl's error buffer is built from network input and URL parts.
    redact_secrets(r.error, job.secrets, job.bearer_token);
    r.seconds = std::chrono::duration<double>(Clock::now() - job.started).count();
    return r;
  }

  void queue_failure(Job& job, std::string error) {
    FetchResult r = failed(job, std::move(error));
    r.seconds = 0;
    pending.emplace_back(job.idx, std::move(r));
  }

  // Reads bearer_token_file and links "Authorization: Bearer TOKEN" in front of the job's
  // headers. Read at every scrape, as go.d does, so a rotated token is picked up.
  bool refresh_bearer(Job& job, std::string& error) {
    const int fd = ::open(job.bearer_token_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error = "cannot read bearer_token_file " + job.bearer_token_file + ": " + std::strerror(errno);
      return false;
    }
    // Read through a small stack buffer so token_buf's capacity is the token's size, not 64 KiB
    // per job.
    job.token_buf.clear();
    int read_errno = 0;
    char chunk[4096];
    for (;;) {
      const ssize_t r = ::read(fd, chunk, sizeof chunk);
      if (r < 0) {
        if (errno == EINTR) continue;
        read_errno = errno;
        break;
      }
      if (r == 0) break;
      job.token_buf.append(chunk, static_cast<std::size_t>(r));
      if (job.token_buf.size() > kMaxTokenFileSize) break;
    }
    ::close(fd);
    if (read_errno != 0) {
      error = "cannot read bearer_token_file " + job.bearer_token_file + ": " + std::strerror(read_errno);
      return false;
    }
    if (job.token_buf.size() > kMaxTokenFileSize) {
      error = "bearer_token_file " + job.bearer_token_file + " is larger than 64 KiB";
      return false;
    }
    const std::string_view token = trim(job.token_buf);
    if (token.empty()) {
      error = "bearer_token_file " + job.bearer_token_file + " is empty";
      return false;
    }
    for (char c : token) {
      // A header value cannot hold control characters (CR/LF would inject headers).
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        error = "bearer_token_file " + job.bearer_token_file + " holds control characters or several lines";
        return false;
      }
    }
    if (job.bearer_node != nullptr && token == job.bearer_token) return true;  // unchanged

    std::string line = "Authorization: Bearer ";
    line.append(token);
    curl_slist* node = curl_slist_append(nullptr, line.c_str());
    if (node == nullptr) {
      error = "out of memory building the Authorization header";
      return false;
    }
    node->next = job.base_headers;
    if (CURLcode rc = curl_easy_setopt(job.easy, CURLOPT_HTTPHEADER, node); rc != CURLE_OK) {
      node->next = nullptr;
      curl_slist_free_all(node);
      error = std::string("libcurl refused CURLOPT_HTTPHEADER: ") + curl_easy_strerror(rc);
      return false;
    }
    if (job.bearer_node != nullptr) {
      job.bearer_node->next = nullptr;
      curl_slist_free_all(job.bearer_node);
    }
    job.bearer_node = node;
    // The log redacts what it knows; a token only this client has read must be known too.
    log::replace_secret(job.bearer_token, token);
    job.bearer_token.assign(token);
    return true;
  }

  // A handle with the job's options that never change; URL, timeouts and credentials are set by
  // start() for each transfer. Throws ConfigError when libcurl refuses one.
  static CURL* make_easy(Job& job) {
    CURL* const easy = curl_easy_init();
    if (easy == nullptr) throw ConfigError(job.where + "curl_easy_init failed");
    struct Guard {  // a refused option frees the half-made handle
      CURL* easy;
      ~Guard() {
        if (easy != nullptr) curl_easy_cleanup(easy);
      }
    } guard{easy};

    auto set = [&](CURLoption opt, const char* name, auto value) {
      if (const CURLcode rc = curl_easy_setopt(easy, opt, value); rc != CURLE_OK) {
        throw ConfigError(job.where + "libcurl refused " + name + ": " + curl_easy_strerror(rc));
      }
    };
    auto set_str = [&](CURLoption opt, const char* name, const std::string& value) {
      if (!value.empty()) set(opt, name, value.c_str());
    };
#define VMQ_SET(opt, value) set(opt, #opt, value)

    VMQ_SET(CURLOPT_URL, job.url.c_str());
    VMQ_SET(CURLOPT_PRIVATE, static_cast<void*>(&job));
    VMQ_SET(CURLOPT_ERRORBUFFER, static_cast<char*>(job.error_buf));
    VMQ_SET(CURLOPT_NOSIGNAL, 1L);  // never SIGALRM from the resolver; we own the signals
    VMQ_SET(CURLOPT_PROTOCOLS_STR, "http,https");
    VMQ_SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    VMQ_SET(CURLOPT_FOLLOWLOCATION, 0L);   // followed in follow_redirect(), credentials kept home
    VMQ_SET(CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl can decode
    VMQ_SET(CURLOPT_USERAGENT, kUserAgent);
    VMQ_SET(CURLOPT_TCP_KEEPALIVE, 1L);
    // libcurl reads one buffer per handle per pass: 4 KB made a 40 KB body ten poll/read rounds
    // (+0.05 ms a scrape), for 4 MB less at 1 000 jobs. libcurl's default, measured (BENCHMARKS.md).
    VMQ_SET(CURLOPT_BUFFERSIZE, 16384L);
    VMQ_SET(CURLOPT_WRITEFUNCTION, &Impl::on_body);
    VMQ_SET(CURLOPT_WRITEDATA, static_cast<void*>(&job));
    VMQ_SET(CURLOPT_HEADERFUNCTION, &Impl::on_header);
    VMQ_SET(CURLOPT_HEADERDATA, static_cast<void*>(&job));

    VMQ_SET(CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));  // user and password: set_credentials()

    VMQ_SET(CURLOPT_SSL_VERIFYPEER, job.tls_skip_verify ? 0L : 1L);
    VMQ_SET(CURLOPT_SSL_VERIFYHOST, job.tls_skip_verify ? 0L : 2L);
    set_str(CURLOPT_CAINFO, "CURLOPT_CAINFO (tls_ca)", job.tls_ca);
    set_str(CURLOPT_SSLCERT, "CURLOPT_SSLCERT (tls_cert)", job.tls_cert);
    set_str(CURLOPT_SSLKEY, "CURLOPT_SSLKEY (tls_key)", job.tls_key);

    // proxy_url when set; else, like go.d, the environment: libcurl reads http_proxy,
    // https_proxy (or HTTPS_PROXY), all_proxy and no_proxy itself when CURLOPT_PROXY is never set.
    set_str(CURLOPT_PROXY, "CURLOPT_PROXY (proxy_url)", job.proxy_url);
    set_str(CURLOPT_PROXYUSERNAME, "CURLOPT_PROXYUSERNAME (proxy_username)", job.proxy_username);
    set_str(CURLOPT_PROXYPASSWORD, "CURLOPT_PROXYPASSWORD (proxy_password)", job.proxy_password);

    VMQ_SET(CURLOPT_HTTPHEADER, job.base_headers);
#undef VMQ_SET
    guard.easy = nullptr;
    return easy;
  }

  // Puts the job's credentials on its easy handle (`on`) or takes every one of them off: basic
  // auth, and the header list (x-api-key, the bearer token, the user's headers) swapped for
  // one holding only Accept.
  static bool set_credentials(Job& job, bool on, std::string& error) {
    curl_slist* headers = on ? (job.bearer_node != nullptr ? job.bearer_node : job.base_headers) : job.public_headers;
    const bool basic = on && !job.username.empty();
    CURLcode rc = curl_easy_setopt(job.easy, CURLOPT_HTTPHEADER, headers);
    if (rc == CURLE_OK) rc = curl_easy_setopt(job.easy, CURLOPT_USERNAME, basic ? job.username.c_str() : nullptr);
    if (rc == CURLE_OK) rc = curl_easy_setopt(job.easy, CURLOPT_PASSWORD, basic ? job.password.c_str() : nullptr);
    if (rc != CURLE_OK) {
      error = std::string("libcurl refused the credentials' options: ") + curl_easy_strerror(rc);
      return false;
    }
    job.credentials_sent = on;
    return true;
  }

  // After a finished 3xx: starts the request to its Location on the same easy handle, with the
  // credentials only when it stays on the origin. True when the transfer goes on; false when it
  // ends: with `error` set when following failed, without when there is nowhere to go.
  bool follow_redirect(Job& job, std::string& error) {
    if (++job.redirects > kMaxRedirects) {
      error = "too many redirects (more than " + std::to_string(kMaxRedirects) + ")";
      return false;
    }
    char* location = nullptr;
    if (curl_easy_getinfo(job.easy, CURLINFO_REDIRECT_URL, &location) != CURLE_OK || location == nullptr) {
      return false;  // no Location: the 3xx is the answer ("HTTP 302 Found"), as libcurl had it
    }
    const std::string next_origin = origin_of(location);
    if (next_origin.empty()) {
      error = "a redirect to an invalid URL";
      return false;
    }
    if (!next_origin.starts_with("http://") && !next_origin.starts_with("https://")) {
      error = "a redirect to an unsupported protocol (only http and https)";
      return false;
    }
    const long elapsed_ms =
        static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - job.started).count());
    const long left_ms = job.timeout_ms - elapsed_ms;
    if (left_ms <= 0) {
      error = "timed out after " + std::to_string(job.timeout_ms) + " ms";
      return false;
    }
    // Copied: `location` belongs to the handle and changes with the next transfer.
    const std::string next(location);
    const bool keep = job.credentials_sent && next_origin == job.origin;
    if (!set_credentials(job, keep, error)) return false;
    CURLcode rc = curl_easy_setopt(job.easy, CURLOPT_URL, next.c_str());
    if (rc == CURLE_OK) rc = curl_easy_setopt(job.easy, CURLOPT_TIMEOUT_MS, left_ms);
    if (rc == CURLE_OK) rc = curl_easy_setopt(job.easy, CURLOPT_CONNECTTIMEOUT_MS, left_ms);
    if (rc != CURLE_OK) {
      error = std::string("libcurl refused the redirect: ") + curl_easy_strerror(rc);
      return false;
    }
    job.error_buf[0] = '\0';
    if (const CURLMcode mrc = curl_multi_add_handle(multi, job.easy); mrc != CURLM_OK) {
      error = std::string("libcurl could not follow the redirect: ") + curl_multi_strerror(mrc);
      return false;
    }
    return true;
  }

  std::string describe_transport_error(const Job& job, CURLcode code) const {
    const std::string_view detail(job.error_buf);
    const std::string detail_suffix = detail.empty() ? std::string() : " (" + std::string(detail) + ")";
    switch (code) {
      case CURLE_COULDNT_CONNECT: {
        long os_errno = 0;
        if (curl_easy_getinfo(job.easy, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno == ECONNREFUSED) {
          return "connection refused" + detail_suffix;
        }
        return "could not connect" + detail_suffix;
      }
      case CURLE_OPERATION_TIMEDOUT: return "timed out after " + std::to_string(job.timeout_ms) + " ms" + detail_suffix;
      case CURLE_COULDNT_RESOLVE_HOST: return "could not resolve host" + detail_suffix;
      case CURLE_COULDNT_RESOLVE_PROXY: return "could not resolve proxy" + detail_suffix;
      case CURLE_GOT_NOTHING: return "the server closed the connection without answering" + detail_suffix;
      case CURLE_PARTIAL_FILE: return "the body ended before its Content-Length" + detail_suffix;
      case CURLE_RECV_ERROR: return "network receive error" + detail_suffix;
      case CURLE_SEND_ERROR: return "network send error" + detail_suffix;
      case CURLE_TOO_MANY_REDIRECTS: return "too many redirects" + detail_suffix;
      case CURLE_WEIRD_SERVER_REPLY: return "not an HTTP answer" + detail_suffix;
      case CURLE_BAD_CONTENT_ENCODING: return "could not decode the compressed body" + detail_suffix;
      case CURLE_UNSUPPORTED_PROTOCOL: return "unsupported protocol (only http and https)" + detail_suffix;
      case CURLE_PEER_FAILED_VERIFICATION: return "TLS certificate verification failed" + detail_suffix;
      case CURLE_SSL_CONNECT_ERROR: return "TLS handshake failed" + detail_suffix;
      case CURLE_SSL_CACERT_BADFILE: return "cannot use tls_ca" + detail_suffix;
      case CURLE_SSL_CERTPROBLEM: return "cannot use tls_cert/tls_key" + detail_suffix;
      case CURLE_LOGIN_DENIED: return "login denied" + detail_suffix;
      default: return std::string(curl_easy_strerror(code)) + detail_suffix;
    }
  }

  std::string describe_status(const Job& job, long status) const {
    std::string e = "HTTP " + std::to_string(status);
    std::string_view reason = job.reason;
    if (reason.empty()) reason = standard_reason(status);
    if (!reason.empty()) {
      e += ' ';
      e.append(reason);
    }
    if (status == 401) e += " (check username/password or api_key)";
    if (status == 406) e += " (the server refused the Accept header)";
    if (status >= 300 && status < 400 && !job.follow_redirects) {
      e += " (redirects are not followed: not_follow_redirects is set)";
    }
    return e;
  }

  void finish(Job& job, CURLcode code, std::size_t& completed,
              const std::function<void(std::size_t, const FetchResult&)>& done) {
    const CURLMcode mrc = curl_multi_remove_handle(multi, job.easy);

    long status = 0;
    if (curl_easy_getinfo(job.easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) status = job.status;

    std::string redirect_error;
    if (mrc == CURLM_OK && code == CURLE_OK && job.follow_redirects && is_redirect(status)) {
      if (follow_redirect(job, redirect_error)) return;  // still in flight, at the next URL
    }
    job.in_flight = false;
    --in_flight;

    FetchResult r;
    if (!redirect_error.empty()) {
      r = failed(job, std::move(redirect_error));
    } else if (mrc != CURLM_OK) {
      r = failed(job, std::string("libcurl could not release the transfer: ") + curl_multi_strerror(mrc));
    } else if (status != 0 && status != 200 && (code == CURLE_OK || job.too_large)) {
      // The status says more than "body too large" when both apply (e.g. an endless 500 page).
      r = failed(job, describe_status(job, status));
    } else if (code == CURLE_WRITE_ERROR && job.too_large) {
      std::string e = "body larger than the " + std::to_string(job.max_body_size) + "-byte limit";
      if (job.announced_too_large >= 0) e += " (Content-Length: " + std::to_string(job.announced_too_large) + ")";
      r = failed(job, std::move(e));
    } else if (code != CURLE_OK) {
      r = failed(job, describe_transport_error(job, code));
    } else {
      r.ok = true;
      r.body = job.body;
      r.seconds = std::chrono::duration<double>(Clock::now() - job.started).count();
    }
    r.http_status = status;
    r.bytes = job.body_size();
    ++completed;
    done(job.idx, r);
  }

  // After a multi-handle failure no transfer can be trusted to progress: end them all, so the
  // caller gets a result for each instead of waiting for timeouts that may never fire.
  void fail_all_in_flight(const std::string& error) {
    for (auto& job : jobs) {
      if (!job->in_flight) continue;
      (void)curl_multi_remove_handle(multi, job->easy);
      job->in_flight = false;
      --in_flight;
      pending.emplace_back(job->idx, failed(*job, error));
    }
  }

  void drive(std::size_t& completed, const std::function<void(std::size_t, const FetchResult&)>& done) {
    int running = 0;
    if (const CURLMcode rc = curl_multi_perform(multi, &running); rc != CURLM_OK) {
      fail_all_in_flight(std::string("libcurl multi error: ") + curl_multi_strerror(rc));
      return;
    }
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      char* priv = nullptr;  // CURLOPT_PRIVATE: the Job, so finding it is O(1) with 1000 jobs
      if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv) != CURLE_OK || priv == nullptr) continue;
      Job* job = reinterpret_cast<Job*>(priv);
      if (!job->in_flight) continue;
      finish(*job, msg->data.result, completed, done);
    }
  }

  std::size_t deliver_pending(const std::function<void(std::size_t, const FetchResult&)>& done) {
    if (pending.empty()) return 0;
    delivering.clear();
    std::swap(delivering, pending);
    for (const auto& [idx, result] : delivering) done(idx, result);
    const std::size_t n = delivering.size();
    delivering.clear();
    return n;
  }
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {
  if (const CURLcode rc = global_init_once(); rc != CURLE_OK) {
    throw ConfigError(std::string("cannot initialise libcurl: ") + curl_easy_strerror(rc));
  }
  impl_->multi = curl_multi_init();
  if (impl_->multi == nullptr) throw ConfigError("cannot initialise libcurl: curl_multi_init failed");
}

HttpClient::~HttpClient() {
  for (auto& job : impl_->jobs) {
    if (job->in_flight) (void)curl_multi_remove_handle(impl_->multi, job->easy);
  }
  impl_->jobs.clear();  // easy handles before the multi handle
  (void)curl_multi_cleanup(impl_->multi);
}

std::size_t HttpClient::add_job(const JobConfig& cfg) {
  auto job = std::make_unique<Impl::Job>();
  job->idx = impl_->jobs.size();
  job->secrets = cfg.secrets();
  job->bearer_token_file = cfg.bearer_token_file;
  job->max_body_size = cfg.max_body_size;
  job->follow_redirects = !cfg.not_follow_redirects;
  job->url = cfg.url;
  job->origin = origin_of(cfg.url.c_str());
  job->username = cfg.username;
  job->password = cfg.password;
  if (job->username.empty()) {
    // Userinfo in the URL is basic auth too (libcurl's and go.d's reading): kept here so that a
    // redirect within the origin still carries it, and one elsewhere does not.
    if (CURLU* u = curl_url(); u != nullptr) {
      char* user = nullptr;
      char* password = nullptr;
      if (curl_url_set(u, CURLUPART_URL, cfg.url.c_str(), 0) == CURLUE_OK &&
          curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE) == CURLUE_OK) {
        job->username = user;
        if (curl_url_get(u, CURLUPART_PASSWORD, &password, CURLU_URLDECODE) == CURLUE_OK) job->password = password;
      }
      curl_free(user);
      curl_free(password);
      curl_url_cleanup(u);
    }
  }

  const std::string where = "job '" + cfg.name + "' (" + redact_url(cfg.url) + "): ";

  // CURLOPT_URL only stores the string; parse it now so a bad URL is a start-up error.
  {
    CURLU* u = curl_url();
    if (u == nullptr) throw ConfigError(where + "out of memory");
    const CURLUcode uc = curl_url_set(u, CURLUPART_URL, cfg.url.c_str(), 0);
    char* scheme = nullptr;
    std::string scheme_s;
    if (uc == CURLUE_OK && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK) {
      scheme_s = scheme;
      curl_free(scheme);
    }
    curl_url_cleanup(u);
    if (uc != CURLUE_OK) throw ConfigError(where + "invalid url: " + curl_url_strerror(uc));
    if (scheme_s != "http" && scheme_s != "https") {
      throw ConfigError(where + "unsupported url scheme '" + scheme_s + "' (only http and https)");
    }
  }

  // Request headers: ours first, then the user's in order. A user header of the same name
  // replaces ours rather than being sent twice.
  auto append = [&](const std::string& line) {
    curl_slist* l = curl_slist_append(job->base_headers, line.c_str());
    if (l == nullptr) throw ConfigError(where + "out of memory building request headers");
    job->base_headers = l;
  };
  const bool user_accept = std::any_of(cfg.headers.begin(), cfg.headers.end(),
                                       [](const auto& h) { return iequals(trim(h.first), "Accept"); });
  if (!user_accept) append(kAcceptHeader);
  job->public_headers = curl_slist_append(nullptr, kAcceptHeader);
  if (job->public_headers == nullptr) throw ConfigError(where + "out of memory building request headers");
  if (!cfg.api_key.empty()) {
    if (has_line_break(cfg.api_key)) throw ConfigError(where + "api_key holds a line break");
    append("x-api-key: " + cfg.api_key);
  }
  for (const auto& [raw_name, value] : cfg.headers) {
    const std::string_view name = trim(raw_name);
    if (name.empty() || name.find(':') != std::string_view::npos || has_line_break(name) || has_line_break(value)) {
      throw ConfigError(where + "invalid header '" + std::string(name) + "'");
    }
    // "Name:" with nothing after it would make libcurl drop the header; "Name;" sends it empty.
    const std::string_view v = trim(value);
    append(v.empty() ? std::string(name) + ";" : std::string(name) + ": " + std::string(v));
  }
  job->tls_skip_verify = cfg.tls_skip_verify;
  job->tls_ca = cfg.tls_ca;
  job->tls_cert = cfg.tls_cert;
  job->tls_key = cfg.tls_key;
  job->proxy_url = cfg.proxy_url;
  job->proxy_username = cfg.proxy_username;
  job->proxy_password = cfg.proxy_password;
  job->where = where;
  job->easy = Impl::make_easy(*job);  // throws ConfigError: a refused option stops the job at start-up

  impl_->jobs.push_back(std::move(job));
  // Keep one idle connection per job in the cache (libcurl's default scales with the handles
  // currently added, which drops when transfers finish between scrapes).
  if (const CURLMcode rc = curl_multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS, static_cast<long>(impl_->jobs.size()));
      rc != CURLM_OK) {
    impl_->jobs.pop_back();
    throw ConfigError(where + "libcurl refused CURLMOPT_MAXCONNECTS: " + curl_multi_strerror(rc));
  }
  return impl_->jobs.size() - 1;
}

void HttpClient::start(std::size_t idx, long timeout_ms) {
  if (idx >= impl_->jobs.size()) return;  // not a job: nothing to start, nothing to report
  Impl::Job& job = *impl_->jobs[idx];

  if (job.in_flight) {
    if (const CURLMcode rc = curl_multi_remove_handle(impl_->multi, job.easy); rc != CURLM_OK) {
      // The old transfer is still attached: leave it to finish (or time out) on its own.
      impl_->queue_failure(job, std::string("could not abort the previous transfer: ") + curl_multi_strerror(rc));
      return;
    }
    job.in_flight = false;
    --impl_->in_flight;
    impl_->pending.emplace_back(idx, impl_->failed(job, "aborted: a new scrape started before this one finished"));
  }

  if (job.easy == nullptr) {  // released since its last transfer (release_handle)
    try {
      job.easy = Impl::make_easy(job);
    } catch (const ConfigError& e) {
      impl_->queue_failure(job, e.what());
      return;
    }
  }
  job.body.clear();  // keeps its capacity: no allocation in steady state
  job.begin_body();
  job.error_buf[0] = '\0';
  job.status = 0;
  job.reason.clear();
  job.content_length = -1;
  job.announced_too_large = -1;
  job.too_large = false;
  job.timeout_ms = std::max(timeout_ms, 1L);  // 0 would mean "no timeout" to libcurl
  job.started = Clock::now();

  std::string error;
  if (!job.bearer_token_file.empty() && !impl_->refresh_bearer(job, error)) {
    impl_->queue_failure(job, std::move(error));
    return;
  }
  // Every scrape starts at the configured URL with the credentials, whatever the last redirect.
  job.redirects = 0;
  if (!Impl::set_credentials(job, true, error)) {
    impl_->queue_failure(job, std::move(error));
    return;
  }
  if (const CURLcode rc = curl_easy_setopt(job.easy, CURLOPT_URL, job.url.c_str()); rc != CURLE_OK) {
    impl_->queue_failure(job, std::string("libcurl refused CURLOPT_URL: ") + curl_easy_strerror(rc));
    return;
  }
  if (const CURLcode rc = curl_easy_setopt(job.easy, CURLOPT_TIMEOUT_MS, job.timeout_ms); rc != CURLE_OK) {
    impl_->queue_failure(job, std::string("libcurl refused CURLOPT_TIMEOUT_MS: ") + curl_easy_strerror(rc));
    return;
  }
  if (const CURLcode rc = curl_easy_setopt(job.easy, CURLOPT_CONNECTTIMEOUT_MS, job.timeout_ms); rc != CURLE_OK) {
    impl_->queue_failure(job, std::string("libcurl refused CURLOPT_CONNECTTIMEOUT_MS: ") + curl_easy_strerror(rc));
    return;
  }
  if (const CURLMcode rc = curl_multi_add_handle(impl_->multi, job.easy); rc != CURLM_OK) {
    impl_->queue_failure(job, std::string("libcurl could not start the transfer: ") + curl_multi_strerror(rc));
    return;
  }
  job.in_flight = true;
  ++impl_->in_flight;
}

void HttpClient::set_url(std::size_t idx, std::string_view url) {
  if (idx >= impl_->jobs.size()) return;
  Impl::Job& job = *impl_->jobs[idx];
  if (job.url == url) return;
  job.url.assign(url);
  job.origin = origin_of(job.url.c_str());
}

void HttpClient::release_handle(std::size_t idx) {
  if (idx >= impl_->jobs.size()) return;
  Impl::Job& job = *impl_->jobs[idx];
  if (job.in_flight || job.easy == nullptr) return;
  curl_easy_cleanup(job.easy);  // its connection stays in the multi handle's cache
  job.easy = nullptr;
}

void HttpClient::set_body_consumer(std::size_t idx, BodyConsumer* consumer) {
  if (idx < impl_->jobs.size()) impl_->jobs[idx]->consumer = consumer;
}

bool HttpClient::in_flight(std::size_t idx) const { return idx < impl_->jobs.size() && impl_->jobs[idx]->in_flight; }

std::size_t HttpClient::in_flight_count() const { return impl_->in_flight; }

std::size_t HttpClient::poll(int max_wait_ms, const std::function<void(std::size_t idx, const FetchResult&)>& done,
                             int extra_fd) {
  std::size_t completed = impl_->deliver_pending(done);
  impl_->drive(completed, done);  // starts newly added transfers, collects finished ones
  if (completed == 0 && impl_->pending.empty()) {
    // curl_multi_poll also returns early for curl_multi_wakeup() and caps the wait at libcurl's
    // own next timeout, so transfer timeouts fire on time.
    int numfds = 0;
    curl_waitfd extra{extra_fd, CURL_WAIT_POLLIN, 0};
    if (const CURLMcode rc = curl_multi_poll(impl_->multi, extra_fd >= 0 ? &extra : nullptr, extra_fd >= 0 ? 1 : 0,
                                             std::max(max_wait_ms, 0), &numfds);
        rc != CURLM_OK) {
      impl_->fail_all_in_flight(std::string("libcurl poll error: ") + curl_multi_strerror(rc));
    } else {
      impl_->drive(completed, done);
    }
  }
  completed += impl_->deliver_pending(done);
  return completed;
}

void HttpClient::redact(std::size_t idx, std::string& text) const {
  if (idx >= impl_->jobs.size()) return;
  const Impl::Job& job = *impl_->jobs[idx];
  redact_secrets(text, job.secrets, job.bearer_token);
}

bool HttpClient::has_secrets(std::size_t idx) const {
  if (idx >= impl_->jobs.size()) return false;
  const Impl::Job& job = *impl_->jobs[idx];
  return !job.bearer_token_file.empty() || !job.secrets.empty();
}

// libcurl documents curl_multi_wakeup as callable from any thread. It does not document it as
// async-signal-safe, but in libcurl 7.68 to 8.x it only checks the handle's magic number and
// writes one byte with a non-blocking send() to a socketpair (retrying on EINTR); send() is
// async-signal-safe (POSIX), nothing is allocated and no lock is taken. errno is preserved for
// the interrupted code.
void HttpClient::wakeup() {
  const int saved_errno = errno;
  (void)curl_multi_wakeup(impl_->multi);
  errno = saved_errno;
}

}  // namespace vmq
