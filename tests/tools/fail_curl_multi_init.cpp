// SPDX-License-Identifier: GPL-3.0-or-later
// LD_PRELOAD fault injection: libcurl's curl_multi_init() fails (as it does when out of memory
// or descriptors), so HttpClient's constructor throws. Used by tests/startup_faults_test.cpp to
// run that path in the real plugin process, as root or not.
#include <curl/curl.h>

extern "C" CURLM* curl_multi_init() { return nullptr; }
