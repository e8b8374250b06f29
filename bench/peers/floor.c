// SPDX-License-Identifier: GPL-3.0-or-later
//
// Benchmark reference, not a collector: the least work that can fetch and read the MQTT 5
// PUBACK counters of one VerneMQ node. One raw keep-alive socket, a fixed request, the body read
// into a static buffer by Content-Length, a substring scan for the lines of the one family, the
// last number of each line summed. No validation, no TLS, no chunked encoding, no name prefix
// detection: the floor a real collector is measured against.
//
//   vmq-floor HOST PORT PATH            paced: one scrape at every whole second, forever;
//                                       prints "SCRAPE 0 <sum>" per scrape
//   vmq-floor HOST PORT PATH COUNT      back to back: COUNT scrapes, then exits
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char buf[64 << 20];

static int connect_to(const char* host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 || connect(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    perror("connect");
    exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// One request on the open connection; returns the body length in buf, or -1.
static long fetch(int fd, const char* req, size_t req_len) {
  if (write(fd, req, req_len) != (ssize_t)req_len) return -1;
  size_t have = 0;
  char* body = NULL;
  long length = -1;
  for (;;) {
    ssize_t n = read(fd, buf + have, sizeof buf - have);
    if (n <= 0) return -1;
    have += (size_t)n;
    if (body == NULL) {
      char* end = memmem(buf, have, "\r\n\r\n", 4);
      if (end == NULL) continue;
      body = end + 4;
      char* cl = memmem(buf, (size_t)(end - buf), "Content-Length: ", 16);
      if (cl == NULL) return -1;
      length = strtol(cl + 16, NULL, 10);
    }
    if (have - (size_t)(body - buf) >= (size_t)length) {
      memmove(buf, body, (size_t)length);
      return length;
    }
  }
}

static unsigned long long sum_family(const char* body, size_t len) {
  static const char needle[] = "\nvernemq_mqtt_puback_sent{";
  unsigned long long sum = 0;
  const char* p = body;
  const char* end = body + len;
  const char* hit;
  while ((hit = memmem(p, (size_t)(end - p), needle, sizeof needle - 1)) != NULL) {
    const char* nl = memchr(hit + 1, '\n', (size_t)(end - hit - 1));
    const char* line_end = nl ? nl : end;
    const char* v = line_end;
    while (v > hit && v[-1] != ' ') --v;
    unsigned long long x = 0;
    for (; v < line_end; ++v) x = x * 10 + (unsigned long long)(*v - '0');
    sum += x;
    p = line_end;
  }
  return sum;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fputs("usage: vmq-floor HOST PORT PATH [COUNT]\n", stderr);
    return 2;
  }
  char req[512];
  int req_len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/plain\r\n\r\n", argv[3], argv[1]);
  int fd = connect_to(argv[1], atoi(argv[2]));
  long count = argc > 4 ? atol(argv[4]) : 0;
  if (count > 0) {
    unsigned long long s = 0;
    for (long i = 0; i < count; ++i) {
      long n = fetch(fd, req, (size_t)req_len);
      if (n < 0) return 1;
      s += sum_family(buf, (size_t)n);
    }
    printf("SCRAPE 0 %llu\n", s / (unsigned long long)count);
    return 0;
  }
  for (;;) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct timespec next = {.tv_sec = now.tv_sec + 1, .tv_nsec = 0};
    clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &next, NULL);
    long n = fetch(fd, req, (size_t)req_len);
    if (n < 0) {
      close(fd);
      fd = connect_to(argv[1], atoi(argv[2]));
      printf("ERROR 0 fetch\n");
    } else {
      printf("SCRAPE 0 %llu\n", sum_family(buf, (size_t)n));
    }
    fflush(stdout);
  }
}
