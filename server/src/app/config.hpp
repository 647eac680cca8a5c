// Configuration, declared once and validated at start-up: from the process
// environment, then an optional `.env` file (the environment wins). A bad value
// is a ConfigError whose message names the variable; main prints it on one line.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace samwaad::app {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Env = std::map<std::string, std::string>;

struct Config {
  std::string host = "0.0.0.0";
  uint16_t port = 3000;
  std::optional<std::string> client_url;
  std::optional<std::string> jwt_secret;  // unset: generated and kept in the data dir
  int64_t token_expiry_s = 7LL * 24 * 3600;
  double max_chat_image_mb = 5;
  std::string data_dir = "./data";
  std::string database_url;  // default derived from data_dir
  std::string media_url;     // default derived from data_dir
  std::optional<std::string> redis_url;
  std::vector<std::string> turn_urls;
  std::optional<std::string> turn_secret;
  int call_ring_timeout_ms = 30000;
  bool rate_limits = true;
  // Project extensions (docs/configuration in README).
  std::string web_dir = "./web/dist";
  std::string log_level = "info";
  int bcrypt_cost = 12;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  std::size_t realtime_queue_bytes =
      std::size_t{4} * 1024 * 1024;  // per socket, then it is dropped
  // Journaled messages and receipts wait at most this long for the database.
  std::chrono::milliseconds message_apply_delay{100};
  // The same while messages arrive slowly (at most message_apply_delay).
  std::chrono::milliseconds message_apply_delay_quiet{10};
  // Journal rounds (an append and its sync) start at most once per this
  // interval; messages arriving within it share the next round's sync.
  std::chrono::microseconds message_sync_interval{1000};
  // The interval instead while messages arrive slowly (at most
  // message_sync_interval): 0, each message is synced as it comes.
  std::chrono::microseconds message_sync_interval_quiet{0};
  // Journaled messages are applied to the database at background CPU
  // priority while that keeps up (MESSAGE_APPLY_PRIORITY=background), or
  // always at normal priority (=normal).
  bool message_apply_background = true;
  int storage_workers = 64;                   // threads that may wait on the database at once
  int64_t unused_upload_ttl_s = 24LL * 3600;  // uploads nothing used by then are removed
};

// Parses `KEY=value` lines; `#` comments, blank lines, optional `export `, and
// single- or double-quoted values. Throws ConfigError on a malformed line.
Env parse_dotenv(const std::string& text);
// The process environment merged over the .env file at `dotenv_path` (if any).
Env gather_env(char** environ_ptr, const std::string& dotenv_path);
Config load_config(const Env& env);

// "7d", "12h", "30m", "45s" or plain seconds.
std::optional<int64_t> parse_duration_s(const std::string& text);

// Returns the JWT secret from config or from `<data_dir>/jwt_secret`, creating
// that file (mode 0600) with a fresh random secret the first time.
std::string resolve_jwt_secret(const Config& config);

}  // namespace samwaad::app
