// SPDX-License-Identifier: GPL-3.0-or-later
//
// Benchmark reference: the resident memory any process that uses Debian's libcurl (OpenSSL
// flavour) starts with, before it does any work of its own. Prints VmHWM, RssFile and RssAnon
// (KB) at the start of main() (the shared libraries mapped and initialised by the loader), after
// curl_global_init(), and after one easy handle joined a multi handle.
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

static void show(const char* when) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  long hwm = 0, file = 0, anon = 0;
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "VmHWM:", 6) == 0) sscanf(line + 6, "%ld", &hwm);
    if (strncmp(line, "RssFile:", 8) == 0) sscanf(line + 8, "%ld", &file);
    if (strncmp(line, "RssAnon:", 8) == 0) sscanf(line + 8, "%ld", &anon);
  }
  if (f != NULL) fclose(f);
  printf("%s VmHWM=%ld RssFile=%ld RssAnon=%ld\n", when, hwm, file, anon);
}

int main(void) {
  show("loaded");
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
  show("global_init");
  CURL* easy = curl_easy_init();
  CURLM* multi = curl_multi_init();
  if (easy == NULL || multi == NULL || curl_multi_add_handle(multi, easy) != CURLM_OK) return 1;
  show("one_handle");
  return 0;
}
