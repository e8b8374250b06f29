// SPDX-License-Identifier: GPL-3.0-or-later
// The cluster sources' request URLs. URLs are taken apart and put together by libcurl's own URL
// parser (CURLU), the one that later makes the request, so this check and the request can never
// read a URL differently.
#include "vmq/cluster_sources.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

#include "vmq/config.h"

namespace vmq {
namespace {

struct CurluFree {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using Curlu = std::unique_ptr<CURLU, CurluFree>;

// The parts of a parsed URL that matter here. `error` is set when it did not parse.
struct UrlParts {
  std::string error;
  std::string scheme;
  std::string host;  // lower-cased
  std::string port;  // as written; empty = the scheme's default
  std::string path;
  bool has_userinfo = false;
  bool has_query = false;
  bool has_fragment = false;
};

// One part, or nullopt when the URL does not have it.
std::optional<std::string> part(CURLU* u, CURLUPart which) {
  char* value = nullptr;
  if (curl_url_get(u, which, &value, 0) != CURLUE_OK || value == nullptr) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

UrlParts parse(std::string_view url) {
  UrlParts p;
  Curlu u(curl_url());
  if (!u) {
    p.error = "out of memory";
    return p;
  }
  // A NUL would end the C string early: what is checked must be the whole input.
  if (url.find('\0') != std::string_view::npos) {
    p.error = "the URL contains a NUL byte";
    return p;
  }
  const std::string text(url);
  const CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0);
  if (rc != CURLUE_OK) {
    p.error = std::string("not a valid URL (") + curl_url_strerror(rc) + ")";
    return p;
  }
  p.scheme = part(u.get(), CURLUPART_SCHEME).value_or("");
  p.host = part(u.get(), CURLUPART_HOST).value_or("");
  std::transform(p.host.begin(), p.host.end(), p.host.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  p.port = part(u.get(), CURLUPART_PORT).value_or("");
  p.path = part(u.get(), CURLUPART_PATH).value_or("/");
  p.has_userinfo =
      part(u.get(), CURLUPART_USER) || part(u.get(), CURLUPART_PASSWORD) || part(u.get(), CURLUPART_OPTIONS);
  p.has_query = part(u.get(), CURLUPART_QUERY).has_value();
  p.has_fragment = part(u.get(), CURLUPART_FRAGMENT).has_value();
  if (p.scheme != "http" && p.scheme != "https")
    p.error = "expected an http:// or https:// URL, got scheme '" + p.scheme + "'";
  else if (p.host.empty())
    p.error = "the URL has no host";
  return p;
}

std::string_view default_port(std::string_view scheme) { return scheme == "https" ? "443" : "80"; }

}  // namespace

std::optional<ClusterSource> cluster_source_from_key(std::string_view key) {
  for (const ClusterSourceSpec& s : kClusterSources) {
    if (s.key == key) return s.id;
  }
  return std::nullopt;
}

std::string check_cluster_request(std::string_view url, std::string_view metrics_url) {
  const UrlParts job = parse(metrics_url);
  if (!job.error.empty()) return "the job's url " + redact_url(metrics_url) + ": " + job.error;
  const UrlParts req = parse(url);
  const std::string shown = redact_url(url);
  if (!req.error.empty()) return "request " + shown + ": " + req.error;
  if (req.has_userinfo)
    return "request " + shown + ": has user information; credentials never go in a cluster source URL";
  if (req.has_query) return "request " + shown + ": has a query string; the allow-listed paths take none";
  if (req.has_fragment) return "request " + shown + ": has a fragment";
  if (req.host != job.host) {
    return "request " + shown + ": host '" + req.host + "' is not the job's host '" + job.host +
           "'; a cluster source is only ever read from the node of the job";
  }
  const bool listed = std::any_of(kClusterSources.begin(), kClusterSources.end(),
                                  [&req](const ClusterSourceSpec& s) { return s.path == req.path; });
  if (!listed) {
    std::string paths;
    for (const ClusterSourceSpec& s : kClusterSources) paths += (paths.empty() ? "" : ", ") + std::string(s.path);
    return "request " + shown + ": path '" + req.path + "' is not on the read-only allow-list (" + paths + ")";
  }
  return {};
}

ClusterSourceUrl cluster_source_url(ClusterSource source, std::string_view metrics_url,
                                    const ClusterSourceSetting& setting) {
  ClusterSourceUrl out;
  const ClusterSourceSpec& spec = cluster_source_spec(source);
  if (!setting.enabled) {
    out.disabled = true;
    return out;
  }
  const UrlParts job = parse(metrics_url);
  if (!job.error.empty()) {
    out.error = std::string(spec.key) + ": the job's url " + redact_url(metrics_url) + ": " + job.error;
    return out;
  }
  // The origin the request goes to: the job's own, or the override's, which must be the same host.
  UrlParts origin = job;
  if (!setting.url.empty()) {
    origin = parse(setting.url);
    const std::string where = std::string(spec.key) + ": url " + redact_url(setting.url) + ": ";
    if (!origin.error.empty()) {
      out.error = where + origin.error;
      return out;
    }
    if (origin.has_userinfo) {
      out.error = where + "has user information; expected scheme://host[:port][" + std::string(spec.path) +
                  "] (the job's credentials are used)";
      return out;
    }
    if (origin.has_query || origin.has_fragment) {
      out.error =
          where + "has a query string or fragment; expected scheme://host[:port][" + std::string(spec.path) + "]";
      return out;
    }
    if (origin.host != job.host) {
      out.error = where + "host '" + origin.host + "' differs from the job's host '" + job.host +
                  "'; expected the same host (only the port or scheme may differ)";
      return out;
    }
    if (origin.path != "/" && origin.path != spec.path) {
      out.error = where + "path '" + origin.path + "' is not this source's path; expected none or exactly '" +
                  std::string(spec.path) + "'";
      return out;
    }
  }

  Curlu u(curl_url());
  if (!u) {
    out.error = std::string(spec.key) + ": out of memory";
    return out;
  }
  const std::string path(spec.path);
  bool ok = curl_url_set(u.get(), CURLUPART_SCHEME, origin.scheme.c_str(), 0) == CURLUE_OK &&
            curl_url_set(u.get(), CURLUPART_HOST, origin.host.c_str(), 0) == CURLUE_OK &&
            curl_url_set(u.get(), CURLUPART_PATH, path.c_str(), 0) == CURLUE_OK;
  // The default port stays implicit, as the job wrote it; an explicit one is kept as written.
  if (ok && !origin.port.empty() && origin.port != default_port(origin.scheme)) {
    ok = curl_url_set(u.get(), CURLUPART_PORT, origin.port.c_str(), 0) == CURLUE_OK;
  }
  const std::optional<std::string> built = ok ? part(u.get(), CURLUPART_URL) : std::nullopt;
  if (!built) {
    out.error = std::string(spec.key) + ": cannot build a URL from the origin of " + redact_url(metrics_url);
    return out;
  }
  // Belt and braces: whatever happened above, nothing off the list or off the host leaves here.
  if (std::string why = check_cluster_request(*built, metrics_url); !why.empty()) {
    out.error = std::string(spec.key) + ": " + why;
    return out;
  }
  out.url = *built;
  return out;
}

}  // namespace vmq
