// The composition root: reads the configuration, opens storage, wires the
// services to the HTTP application and runs the server.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "api/routes.hpp"
#include "app/config.hpp"
#include "auth/auth_service.hpp"
#include "calls/ice_servers.hpp"
#include "chat/chat_service.hpp"
#include "http/app.hpp"
#include "http/static_files.hpp"
#include "media/image_processing.hpp"
#include "media/media_service.hpp"
#include "media/media_store.hpp"
#include "media/periodic_task.hpp"
#include "net/http_server.hpp"
#include "obs/metrics.hpp"
#include "realtime/engine.hpp"
#include "realtime/hub.hpp"
#include "store/store.hpp"
#include "users/presence.hpp"
#include "users/user_service.hpp"

extern char** environ;

namespace samwaad::app {
namespace {

constexpr const char* kVersion = "0.1.0";
// TURN credentials outlive the longest call we expect; a call that outlasts
// them keeps its allocation (coturn checks them at allocation and refresh time).
constexpr int64_t kTurnCredentialTtlS = 24 * 3600;

constexpr const char* kUsage = R"(samwaad - self-hosted real-time chat and video calls

Usage: samwaad [serve|migrate] [--help] [--version]

  serve      run the server (default)
  migrate    apply database migrations and exit

Configuration comes from the environment and an optional .env file in the
working directory; see README.md for every variable.
)";

// The hub is built after the services that need to ask it who is online.
class LatePresence final : public users::PresenceView {
 public:
  bool is_online(const std::string& user_id) const override {
    return target_ && target_->is_online(user_id);
  }
  std::optional<int64_t> recent_last_seen(const std::string& user_id) const override {
    return target_ ? target_->recent_last_seen(user_id) : std::nullopt;
  }
  void attach(const users::PresenceView* target) { target_ = target; }

 private:
  const users::PresenceView* target_ = nullptr;
};

void setup_logging(const Config& config) {
  auto logger = spdlog::stdout_logger_mt("samwaad");
  // Every line is one JSON object; messages are JSON fragments built by callers.
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","event":%v})",
                      spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::flush_every(std::chrono::seconds(1));
}

store::StoreSettings store_settings(const Config& config) {
  store::StoreSettings settings;
  settings.apply_delay = config.message_apply_delay;
  settings.quiet_apply_delay = config.message_apply_delay_quiet;
  settings.sync_interval = config.message_sync_interval;
  settings.quiet_sync_interval = config.message_sync_interval_quiet;
  settings.background_apply = config.message_apply_background;
  return settings;
}

int migrate(const Config& config) {
  auto store = store::open_store(config.database_url, store_settings(config));
  int version = store->migrate();
  std::printf("database at schema version %d\n", version);
  return 0;
}

media::MediaSettings media_settings(const Config& config) {
  media::MediaSettings settings;
  settings.max_image_bytes = static_cast<std::size_t>(config.max_chat_image_mb * 1024 * 1024);
  settings.unused_ttl = std::chrono::seconds(config.unused_upload_ttl_s);
  return settings;
}

// Often enough that an unused upload goes within a quarter of its TTL of
// expiring, rarely enough to cost nothing (the query reads a partial index).
std::chrono::milliseconds sweep_interval(const Config& config) {
  const std::chrono::milliseconds quarter(config.unused_upload_ttl_s * 1000 / 4);
  return std::clamp(quarter, std::chrono::milliseconds(500),
                    std::chrono::milliseconds(15 * 60 * 1000));
}

int serve(const Config& config) {
  setup_logging(config);
  auto store = store::open_store(config.database_url, store_settings(config));
  int version = store->migrate();
  std::string secret = resolve_jwt_secret(config);

  obs::Metrics metrics;
  auth::RateLimiter limiter(config.rate_limits);
  auth::AuthService auth(*store, limiter, {secret, config.token_expiry_s, config.bcrypt_cost});
  LatePresence presence;
  users::UserService users(*store, presence);
  media::start_image_library();
  auto media_files = media::open_media_store(config.media_url);
  media::MediaService media(*store, *media_files, limiter, media_settings(config));
  chat::ChatService chat(*store, users, &media);
  realtime::Hub* hub = nullptr;  // set below, before the server accepts anything

  http::Router router;
  api::ApiDeps deps{auth, users, *store, metrics};
  api::add_system_routes(router, deps);
  api::add_auth_routes(router, deps);
  api::add_user_routes(router, deps, &media,
                       [&hub](const nlohmann::json& user) { hub->profile_changed(user); });
  api::add_media_routes(router, deps, media);
  api::add_chat_routes(
      router, deps, chat,
      [&hub](const chat::SendResult& sent) { hub->message_sent_elsewhere(sent); },
      [&hub](const chat::ReadUpdate& read) { hub->messages_read_elsewhere(read); });
  api::add_call_routes(router, deps,
                       {config.turn_urls, config.turn_secret.value_or(""), kTurnCredentialTtlS});

  http::StaticFiles web(config.web_dir);
  http::HttpApp app(std::move(router), {config.client_url}, [&web](http::Request& req) {
    if (api::is_media_path(req.path)) return api::media_not_found();
    return web.serve(req);
  });

  net::ServerOptions options;
  options.host = config.host;
  options.port = config.port;
  options.header_timeout = config.header_timeout;
  options.idle_timeout = config.idle_timeout;
  options.shutdown_timeout = config.shutdown_timeout;
  // Storage calls block until their group commit, and a batch can only be as
  // large as the number of workers waiting on it: with 8 workers the writes
  // per second were capped near 8 per fsync (measured: ~1,500 msg/s). A
  // waiting thread costs only its stack, so let many wait.
  options.general_workers = config.storage_workers;
  net::HttpServer server(options, app, metrics);

  realtime::HubOptions hub_options;
  hub_options.ring_timeout = std::chrono::milliseconds(config.call_ring_timeout_ms);
  realtime::Hub realtime_hub({server.runtime(), auth, chat, users, *store}, hub_options);
  hub = &realtime_hub;
  presence.attach(&realtime_hub);
  auth.on_revoke([&realtime_hub](const std::string& sid) { realtime_hub.session_revoked(sid); });
  realtime::EngineOptions engine_options;
  engine_options.queue_limit_bytes = config.realtime_queue_bytes;
  server.attach_engine("/socket.io/", engine_options, realtime_hub, config.client_url);

  media::PeriodicTask upload_sweep("unused-uploads", sweep_interval(config), [&media] {
    if (int removed = media.sweep_unused(); removed > 0) {
      spdlog::info(R"({{"msg":"removed unused uploads","count":{}}})", removed);
    }
  });

  spdlog::info(
      R"({{"msg":"listening","host":"{}","port":{},"schema_version":{},"rate_limits":{}}})",
      config.host, server.port(), version, config.rate_limits);
  std::printf("Samwaad is serving on http://localhost:%u\n", server.port());
  std::fflush(stdout);
  server.run();
  spdlog::info(R"({{"msg":"{}"}})", "stopped");
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace
}  // namespace samwaad::app

int main(int argc, char** argv) {
  using namespace samwaad::app;
  std::string command = "serve";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("samwaad %s\n", kVersion);
      return 0;
    }
    if (arg == "serve" || arg == "migrate") {
      command = arg;
    } else {
      std::fprintf(stderr, "samwaad: unknown argument '%s' (try --help)\n", arg.c_str());
      return 2;
    }
  }
  try {
    Config config = load_config(gather_env(environ, ".env"));
    return command == "migrate" ? migrate(config) : serve(config);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "samwaad: %s\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "samwaad: %s\n", e.what());
    return 2;
  } catch (const samwaad::media::MediaStoreError& e) {
    std::fprintf(stderr, "samwaad: MEDIA_URL: cannot use the media directory: %s\n", e.what());
    return 1;
  } catch (const samwaad::store::StoreUnavailable& e) {
    std::fprintf(stderr, "samwaad: DATABASE_URL: cannot open the database: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "samwaad: fatal: %s\n", e.what());
    return 1;
  }
}
