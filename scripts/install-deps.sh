#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages this project builds and tests with, when any is missing.
# Usage: scripts/install-deps.sh [--with-netdata]
set -euo pipefail

packages=(g++ cmake make pkg-config libcurl4-openssl-dev libyaml-cpp-dev nlohmann-json3-dev
          libgtest-dev libgmock-dev libbenchmark-dev ca-certificates
          dpkg-dev                             # cpack -G DEB (dpkg-shlibdeps)
          openssl                              # tests/tls_process_test.cpp makes certificates, runs s_server
          clang libclang-rt-14-dev valgrind    # scripts/fuzz.sh (libFuzzer), scripts/test-sanitizers.sh
          locales                              # de_DE.UTF-8 (below): tests/netdata_writer_test.cpp
          clang-format clang-tidy              # .clang-format, .clang-tidy, scripts/check-format.sh
          ccache)                              # one compile per source across build trees
if [[ "${1:-}" == "--with-netdata" ]]; then
  # netdata-web: the dashboard the demo serves; chromium: the e2e test that renders it.
  packages+=(netdata-core netdata-web curl chromium)
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A comma-decimal locale, so the test that output ignores the locale has one to set (Debian's
# images ship only C and C.UTF-8). localedef takes about 3 s of CPU (14 s wall on a busy 2-core
# machine), once.
if ! locale -a 2>/dev/null | grep -qix 'de_DE.utf8'; then
  echo "generating the de_DE.UTF-8 locale" >&2
  $sudo localedef -i de_DE -f UTF-8 de_DE.UTF-8
fi
