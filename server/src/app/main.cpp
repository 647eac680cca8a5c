// The composition root: reads the configuration, opens storage, wires the
// services to the HTTP application and runs the server.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "api/routes.hpp"
#include "app/config.hpp"
#include "auth/auth_service.hpp"
#include "http/app.hpp"
#include "http/static_files.hpp"
#include "net/http_server.hpp"
#include "obs/metrics.hpp"
#include "store/store.hpp"
#include "users/presence.hpp"
#include "users/user_service.hpp"

extern char** environ;

namespace samwaad::app {
namespace {

constexpr const char* kVersion = "0.1.0";

constexpr const char* kUsage = R"(samwaad - self-hosted real-time chat and video calls

Usage: samwaad [serve|migrate] [--help] [--version]

  serve      run the server (default)
  migrate    apply database migrations and exit

Configuration comes from the environment and an optional .env file in the
working directory; see README.md for every variable.
)";

void setup_logging(const Config& config) {
  auto logger = spdlog::stdout_logger_mt("samwaad");
  // Every line is one JSON object; messages are JSON fragments built by callers.
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","event":%v})",
                      spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::flush_every(std::chrono::seconds(1));
}

int migrate(const Config& config) {
  auto store = store::open_store(config.database_url);
  int version = store->migrate();
  std::printf("database at schema version %d\n", version);
  return 0;
}

int serve(const Config& config) {
  setup_logging(config);
  auto store = store::open_store(config.database_url);
  int version = store->migrate();
  std::string secret = resolve_jwt_secret(config);

  obs::Metrics metrics;
  auth::RateLimiter limiter(config.rate_limits);
  auth::AuthService auth(*store, limiter,
                         {secret, config.token_expiry_s, config.bcrypt_cost});
  users::NobodyOnline presence;
  users::UserService users(*store, presence);

  http::Router router;
  api::ApiDeps deps{auth, users, *store, metrics};
  api::add_system_routes(router, deps);
  api::add_auth_routes(router, deps);
  api::add_user_routes(router, deps);

  http::StaticFiles web(config.web_dir);
  http::HttpApp app(std::move(router), {config.client_url},
                    [&web](http::Request& req) { return web.serve(req); });

  net::ServerOptions options;
  options.host = config.host;
  options.port = config.port;
  options.header_timeout = config.header_timeout;
  options.idle_timeout = config.idle_timeout;
  options.shutdown_timeout = config.shutdown_timeout;
  net::HttpServer server(options, app, metrics);

  spdlog::info(R"({{"msg":"listening","host":"{}","port":{},"schema_version":{},"rate_limits":{}}})",
               config.host, server.port(), version, config.rate_limits);
  std::printf("Samwaad is serving on http://localhost:%u\n", server.port());
  std::fflush(stdout);
  server.run();
  spdlog::info(R"({{"msg":"stopped"}})");
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
  } catch (const samwaad::store::StoreUnavailable& e) {
    std::fprintf(stderr, "samwaad: DATABASE_URL: cannot open the database: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "samwaad: fatal: %s\n", e.what());
    return 1;
  }
}
