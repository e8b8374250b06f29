// SPDX-License-Identifier: GPL-3.0-or-later
#include "hostile_bodies.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <span>
#include <stdexcept>

#include "vmq/catalogue.h"

namespace vmq::testing {

namespace {

// The body a VerneMQ node serves holds every PUBACK reason the catalogue declares.
const std::span<const std::string_view> kReasons = catalogue::reason_codes("mqtt_puback_sent");

std::uint32_t crc32_of_zeros(std::size_t n) {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) crc = table[(crc ^ 0u) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

void put_le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::uint16_t port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) throw std::runtime_error("getsockname");
  return ntohs(a.sin_port);
}

}  // namespace

std::string puback_line(std::string_view node, std::string_view reason, std::string_view value,
                        std::string_view prefix) {
  std::string l(prefix);
  l += "mqtt_puback_sent{node=\"";
  l += node;
  l += "\",mqtt_version=\"5\",reason_code=\"";
  l += reason;
  l += "\"} ";
  l += value;
  l += '\n';
  return l;
}

std::string vernemq_body(std::uint64_t n, std::string_view node, std::string_view extra,
                         std::string_view success_value) {
  const std::string nd(node);
  std::string b;
  b += "# HELP vernemq_mqtt_puback_sent The number of PUBACK packets sent.\n";
  b += "# TYPE vernemq_mqtt_puback_sent counter\n";
  b += "vernemq_mqtt_puback_sent{node=\"" + nd + "\",mqtt_version=\"4\"} " + std::to_string(5 * n) + "\n";
  for (std::string_view r : kReasons) {
    std::string v = "0";
    if (r == "success")
      v = success_value.empty() ? std::to_string(kSuccessBase + kSuccessStep * n) : std::string(success_value);
    if (r == "not_authorized") v = std::to_string(kNotAuthorizedStep * n);
    b += puback_line(node, r, v);
  }
  b += "# HELP vernemq_mqtt_puback_received The number of PUBACK packets received.\n";
  b += "# TYPE vernemq_mqtt_puback_received counter\n";
  b += "vernemq_mqtt_puback_received{node=\"" + nd + "\",mqtt_version=\"5\",reason_code=\"success\"} " +
       std::to_string(2 * n) + "\n";
  b += "# HELP vernemq_mqtt_publish_error The number of times a PUBLISH operation failed.\n";
  b += "# TYPE vernemq_mqtt_publish_error counter\n";
  b += "vernemq_mqtt_publish_error{node=\"" + nd + "\"} 0\n";
  b += "# TYPE vernemq_system_process_count gauge\n";
  b += "vernemq_system_process_count{node=\"" + nd + "\"} 321\n";
  b += extra;
  return b;
}

std::string vernemq_body_without_puback(std::string_view node) {
  const std::string nd(node);
  return "# TYPE vernemq_mqtt_publish_error counter\nvernemq_mqtt_publish_error{node=\"" + nd +
         "\"} 0\n# TYPE vernemq_system_process_count gauge\nvernemq_system_process_count{node=\"" + nd + "\"} 321\n";
}

std::string gzip_zeros(std::size_t repeats) {
  std::string deflate;
  std::uint32_t acc = 0;
  int nbits = 0;
  auto put = [&](std::uint32_t v, int n) {  // deflate packs fields LSB first
    acc |= v << nbits;
    nbits += n;
    while (nbits >= 8) {
      deflate.push_back(static_cast<char>(acc & 0xFFu));
      acc >>= 8;
      nbits -= 8;
    }
  };
  auto put_code = [&](std::uint32_t code, int n) {  // ...but Huffman codes MSB first
    std::uint32_t r = 0;
    for (int i = 0; i < n; ++i) r |= ((code >> i) & 1u) << (n - 1 - i);
    put(r, n);
  };
  put(1, 1);          // BFINAL
  put(1, 2);          // BTYPE 01: fixed Huffman codes
  put_code(0x30, 8);  // literal 0 (literals 0-143: 8 bits from 00110000)
  for (std::size_t i = 0; i < repeats; ++i) {
    put_code(0xC0 + 5, 8);  // length code 285 = 258 bytes (280-287: 8 bits from 11000000)
    put_code(0, 5);         // distance code 0 = 1 byte back
  }
  put_code(0, 7);  // end of block (256: 7 bits 0000000)
  if (nbits > 0) deflate.push_back(static_cast<char>(acc & 0xFFu));

  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);  // magic, deflate, no flags, OS unknown
  out += deflate;
  const std::size_t decoded = 1 + 258 * repeats;
  put_le32(out, crc32_of_zeros(decoded));
  put_le32(out, static_cast<std::uint32_t>(decoded & 0xFFFFFFFFu));
  return out;
}

std::string garbage_bytes(std::size_t n, std::uint32_t seed) {
  std::string out;
  out.reserve(n);
  std::uint32_t x = seed;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    out.push_back(static_cast<char>(x >> 24));
  }
  return out;
}

FullBacklogListener::FullBacklogListener() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket");
  const sockaddr_in any = loopback(0);
  if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0) throw std::runtime_error("bind");
  // Backlog 0: Linux queues one connection; with it queued and never accepted, every further
  // SYN is dropped.
  if (::listen(listen_fd_, 0) != 0) throw std::runtime_error("listen");
  port_ = port_of(listen_fd_);
  const sockaddr_in to = loopback(port_);
  for (int i = 0; i < 3; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw std::runtime_error("socket");
    (void)::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);  // EINPROGRESS
    fillers_.push_back(fd);
  }
  usleep(50'000);  // let the handshakes that can complete, complete
}

FullBacklogListener::~FullBacklogListener() {
  for (int fd : fillers_) ::close(fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string FullBacklogListener::url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/metrics"; }

std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket");
  const sockaddr_in any = loopback(0);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0) {
    ::close(fd);
    throw std::runtime_error("bind");
  }
  const std::uint16_t port = port_of(fd);
  ::close(fd);
  return port;
}

Memory memory_of(int pid) {
  Memory m;
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (f >> key) {
    std::size_t v = 0;
    if (key == "VmRSS:" && f >> v) m.rss_kib = v;
    if (key == "VmHWM:" && f >> v) m.hwm_kib = v;
  }
  return m;
}

std::size_t count_of(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t p = haystack.find(needle); p != std::string_view::npos; p = haystack.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace vmq::testing
