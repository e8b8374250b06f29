// SPDX-License-Identifier: GPL-3.0-or-later
//
// Benchmark reference: libcurl alone, used the way the plugin uses it (one easy handle kept for
// keep-alive, driven by a multi handle and curl_multi_poll), fetching the body at every whole
// second and throwing it away. What vernemq.plugin costs beyond this is its own work.
//
//   vmq-libcurl-paced URL        prints "SCRAPE 0 <bytes>" per scrape, forever
#include <curl/curl.h>
#include <stdio.h>
#include <time.h>

static size_t discard(char* data, size_t size, size_t nmemb, void* user) {
  (void)data;
  *(size_t*)user += size * nmemb;
  return size * nmemb;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fputs("usage: vmq-libcurl-paced URL\n", stderr);
    return 2;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
  CURLM* multi = curl_multi_init();
  CURL* easy = curl_easy_init();
  size_t bytes = 0;
  if (multi == NULL || easy == NULL) return 1;
  curl_easy_setopt(easy, CURLOPT_URL, argv[1]);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &bytes);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 950L);
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  for (;;) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct timespec next = {.tv_sec = now.tv_sec + 1, .tv_nsec = 0};
    clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &next, NULL);
    bytes = 0;
    if (curl_multi_add_handle(multi, easy) != CURLM_OK) return 1;
    int running = 1;
    while (running > 0) {
      if (curl_multi_perform(multi, &running) != CURLM_OK) return 1;
      if (running > 0 && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK) return 1;
    }
    int left = 0;
    CURLMsg* msg;
    CURLcode result = CURLE_OK;
    while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
      if (msg->msg == CURLMSG_DONE) result = msg->data.result;
    }
    curl_multi_remove_handle(multi, easy);
    if (result == CURLE_OK) {
      printf("SCRAPE 0 %zu\n", bytes);
    } else {
      printf("ERROR 0 %s\n", curl_easy_strerror(result));
    }
    fflush(stdout);
  }
}
