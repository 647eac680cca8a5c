#include "core/ids.hpp"

#include <openssl/rand.h>

#include <atomic>
#include <chrono>
#include <stdexcept>

namespace samwaad {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    auto b = static_cast<unsigned>((value >> (i * 8)) & 0xff);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
}

uint64_t random_u64() {
  uint64_t v = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return v;
}

}  // namespace

std::string make_object_id(uint32_t seconds, uint64_t random40, uint32_t counter24) {
  std::string out;
  out.reserve(24);
  append_hex(out, seconds, 4);
  append_hex(out, random40 & 0xffffffffffULL, 5);
  append_hex(out, counter24 & 0xffffff, 3);
  return out;
}

std::string new_object_id() {
  static const uint64_t process_random = random_u64();
  static std::atomic<uint32_t> counter{static_cast<uint32_t>(random_u64())};
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  return make_object_id(static_cast<uint32_t>(secs), process_random, counter.fetch_add(1));
}

bool is_object_id(std::string_view s) {
  if (s.size() != 24) return false;
  for (char c : s) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex) return false;
  }
  return true;
}

uint32_t object_id_seconds(std::string_view id) {
  return static_cast<uint32_t>(std::stoul(std::string(id.substr(0, 8)), nullptr, 16));
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

std::string random_hex(std::size_t n) {
  std::string raw = random_bytes(n);
  std::string out;
  out.reserve(2 * n);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

}  // namespace samwaad
