#include "app/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/ids.hpp"
#include "core/utf8.hpp"

namespace samwaad::app {
namespace {

std::optional<std::string> get(const Env& env, const std::string& key) {
  auto it = env.find(key);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::optional<long long> parse_int(const std::string& s) {
  long long value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

long long int_var(const Env& env, const std::string& key, long long fallback, long long min,
                  long long max) {
  auto raw = get(env, key);
  if (!raw) return fallback;
  auto value = parse_int(*raw);
  if (!value || *value < min || *value > max) {
    throw ConfigError(key + ": must be an integer from " + std::to_string(min) + " to " +
                      std::to_string(max));
  }
  return *value;
}

// A variable spelled one of two words: true for `yes`, false for `no`.
bool two_word_var(const Env& env, const std::string& key, bool fallback, const std::string& yes,
                  const std::string& no) {
  auto raw = get(env, key);
  if (!raw) return fallback;
  if (*raw == yes) return true;
  if (*raw == no) return false;
  throw ConfigError(key + ": must be " + yes + " or " + no);
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    item = trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

std::optional<int64_t> parse_duration_s(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t unit = 1;
  std::string digits = text;
  switch (text.back()) {
    case 's':
      unit = 1;
      digits.pop_back();
      break;
    case 'm':
      unit = 60;
      digits.pop_back();
      break;
    case 'h':
      unit = 3600;
      digits.pop_back();
      break;
    case 'd':
      unit = 86400;
      digits.pop_back();
      break;
    default: break;
  }
  auto value = parse_int(digits);
  if (!value || *value <= 0 || *value > 10LL * 365 * 86400 / unit) return std::nullopt;
  return *value * unit;
}

Env parse_dotenv(const std::string& text) {
  Env env;
  std::stringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    if (starts_with(t, "export ")) t = trim(t.substr(7));
    auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw ConfigError(".env: line " + std::to_string(number) + " is not KEY=value");
    }
    std::string key = trim(t.substr(0, eq));
    std::string value = trim(t.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(value.substr(0, hash));
    }
    env[key] = value;
  }
  return env;
}

Env gather_env(char** environ_ptr, const std::string& dotenv_path) {
  Env env;
  std::ifstream file(dotenv_path);
  if (file) {
    std::stringstream buffer;
    buffer << file.rdbuf();
    env = parse_dotenv(buffer.str());
  }
  for (char** p = environ_ptr; p && *p; ++p) {
    std::string entry(*p);
    auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

Config load_config(const Env& env) {
  if (get(env, "MONGODB_URI")) {
    throw ConfigError(
        "MONGODB_URI: MongoDB is not supported; set DATABASE_URL (sqlite://... or postgres://...)");
  }
  if (get(env, "CLOUDINARY_URL")) {
    throw ConfigError(
        "CLOUDINARY_URL: Cloudinary is not supported; set MEDIA_URL (file://...) instead");
  }
  Config c;
  c.port = static_cast<uint16_t>(int_var(env, "PORT", 3000, 0, 65535));
  if (auto host = get(env, "HOST")) c.host = *host;

  if (auto url = get(env, "CLIENT_URL")) {
    if (!starts_with(*url, "http://") && !starts_with(*url, "https://")) {
      throw ConfigError("CLIENT_URL: must be an http:// or https:// origin");
    }
    std::string origin = *url;
    while (!origin.empty() && origin.back() == '/') origin.pop_back();
    if (origin.find('/', origin.find("//") + 2) != std::string::npos) {
      throw ConfigError("CLIENT_URL: must be an origin (scheme://host[:port]) without a path");
    }
    c.client_url = origin;
  }

  if (auto secret = get(env, "JWT_SECRET")) {
    if (secret->size() < 32) throw ConfigError("JWT_SECRET: must be at least 32 characters");
    c.jwt_secret = *secret;
  }
  if (auto expiry = get(env, "TOKEN_EXPIRY")) {
    auto seconds = parse_duration_s(*expiry);
    if (!seconds) {
      throw ConfigError("TOKEN_EXPIRY: must be a positive duration like 7d, 12h, 30m or 45s");
    }
    c.token_expiry_s = *seconds;
  }
  if (auto mb = get(env, "MAX_CHAT_IMAGE_MB")) {
    char* end = nullptr;
    errno = 0;
    double value = std::strtod(mb->c_str(), &end);
    if (errno != 0 || end != mb->c_str() + mb->size() || !(value > 0) || value > 100) {
      throw ConfigError("MAX_CHAT_IMAGE_MB: must be a number greater than 0 and at most 100");
    }
    c.max_chat_image_mb = value;
  }
  if (auto dir = get(env, "DATA_DIR")) c.data_dir = *dir;

  c.database_url = get(env, "DATABASE_URL").value_or("sqlite://" + c.data_dir + "/samwaad.db");
  if (starts_with(c.database_url, "postgres://") || starts_with(c.database_url, "postgresql://")) {
    throw ConfigError(
        "DATABASE_URL: postgres:// is not supported by this build yet; use sqlite://");
  }
  if (!starts_with(c.database_url, "sqlite://") || c.database_url.size() <= 9) {
    throw ConfigError("DATABASE_URL: must be sqlite://<path> (or postgres://...)");
  }
  c.media_url = get(env, "MEDIA_URL").value_or("file://" + c.data_dir + "/media");
  if (!starts_with(c.media_url, "file://") || c.media_url.size() <= 7) {
    throw ConfigError("MEDIA_URL: must be file://<directory>");
  }
  if (auto redis = get(env, "REDIS_URL")) {
    throw ConfigError("REDIS_URL: Redis fan-out is not supported by this build yet; unset it");
  }
  if (auto urls = get(env, "TURN_URLS")) {
    c.turn_urls = split_csv(*urls);
    for (const auto& url : c.turn_urls) {
      if (!starts_with(url, "turn:") && !starts_with(url, "turns:") && !starts_with(url, "stun:")) {
        throw ConfigError("TURN_URLS: each entry must start with turn:, turns: or stun:");
      }
    }
  }
  c.turn_secret = get(env, "TURN_SECRET");
  bool has_turn = false;
  for (const auto& url : c.turn_urls) has_turn = has_turn || !starts_with(url, "stun:");
  if (has_turn && !c.turn_secret) {
    throw ConfigError("TURN_SECRET: required when TURN_URLS lists a turn: server");
  }
  c.call_ring_timeout_ms =
      static_cast<int>(int_var(env, "CALL_RING_TIMEOUT_MS", 30000, 100, 600000));
  c.rate_limits = two_word_var(env, "RATE_LIMITS", c.rate_limits, "on", "off");

  if (auto web = get(env, "WEB_DIR")) c.web_dir = *web;
  if (auto level = get(env, "LOG_LEVEL")) {
    static const std::vector<std::string> levels{"trace", "debug", "info", "warn", "error", "off"};
    if (std::find(levels.begin(), levels.end(), *level) == levels.end()) {
      throw ConfigError("LOG_LEVEL: must be one of trace, debug, info, warn, error, off");
    }
    c.log_level = *level;
  }
  c.bcrypt_cost = static_cast<int>(int_var(env, "BCRYPT_COST", 12, 4, 16));
  c.header_timeout =
      std::chrono::milliseconds(int_var(env, "HTTP_HEADER_TIMEOUT_MS", 10000, 100, 600000));
  c.idle_timeout =
      std::chrono::milliseconds(int_var(env, "HTTP_IDLE_TIMEOUT_MS", 60000, 100, 3600000));
  c.shutdown_timeout =
      std::chrono::milliseconds(int_var(env, "SHUTDOWN_TIMEOUT_MS", 10000, 0, 600000));
  c.realtime_queue_bytes = static_cast<std::size_t>(
      int_var(env, "REALTIME_QUEUE_BYTES", 4LL * 1024 * 1024, 64LL * 1024, 256LL * 1024 * 1024));
  c.storage_workers = static_cast<int>(int_var(env, "STORAGE_WORKERS", 64, 2, 512));
  c.message_apply_delay =
      std::chrono::milliseconds(int_var(env, "MESSAGE_APPLY_DELAY_MS", 100, 0, 60000));
  c.message_apply_delay_quiet =
      std::chrono::milliseconds(int_var(env, "MESSAGE_APPLY_DELAY_QUIET_MS", 10, 0, 60000));
  c.message_sync_interval =
      std::chrono::microseconds(int_var(env, "MESSAGE_SYNC_INTERVAL_US", 1000, 0, 100000));
  c.message_sync_interval_quiet =
      std::chrono::microseconds(int_var(env, "MESSAGE_SYNC_INTERVAL_QUIET_US", 0, 0, 100000));
  c.message_apply_background = two_word_var(env, "MESSAGE_APPLY_PRIORITY",
                                            c.message_apply_background, "background", "normal");
  if (auto ttl = get(env, "UNUSED_UPLOAD_TTL")) {
    auto seconds = parse_duration_s(*ttl);
    if (!seconds) {
      throw ConfigError("UNUSED_UPLOAD_TTL: must be a positive duration like 1d, 12h, 30m or 45s");
    }
    c.unused_upload_ttl_s = *seconds;
  }
  return c;
}

std::string resolve_jwt_secret(const Config& config) {
  if (config.jwt_secret) return *config.jwt_secret;
  std::filesystem::create_directories(config.data_dir);
  auto path = std::filesystem::path(config.data_dir) / "jwt_secret";
  {
    std::ifstream in(path);
    std::string secret;
    if (in && std::getline(in, secret) && secret.size() >= 32) return secret;
  }
  std::string secret = random_hex(48);
  auto tmp = path;
  tmp += ".tmp";
  // Created 0600 from the start: the secret is never readable by others, even briefly.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0)
    throw ConfigError("JWT_SECRET: cannot write a secret into DATA_DIR " + config.data_dir);
  std::string line = secret + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok) throw ConfigError("JWT_SECRET: cannot write a secret into DATA_DIR " + config.data_dir);
  std::filesystem::rename(tmp, path);
  return secret;
}

}  // namespace samwaad::app
