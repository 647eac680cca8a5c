#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace samwaad::store {
namespace {

constexpr std::string_view kSeparator = "://";

// Lower-cased (schemes are case-insensitive), or empty when the URL has none.
std::string scheme_of(std::string_view url) {
  const auto end = url.find(kSeparator);
  if (end == std::string_view::npos) return {};
  std::string scheme(url.substr(0, end));
  for (char& c : scheme) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return scheme;
}

// Quoted in error messages only when it looks like a scheme: the rest of a
// URL can carry a password, and these messages are logged.
bool is_plain_scheme(std::string_view scheme) {
  if (scheme.empty() || scheme.size() > 32) return false;
  for (char c : scheme) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// A fresh deployment has no data directory yet; SQLite creates the file but
// not the directories above it.
void create_parent_directory(const std::filesystem::path& file) {
  const std::filesystem::path parent = file.parent_path();
  if (parent.empty()) return;
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) {
    throw StoreUnavailable("sqlite: cannot create directory " + parent.string() + ": " +
                           error.message());
  }
}

// `sqlite:///abs/x.db` is the absolute path /abs/x.db; `sqlite://./x.db` and
// `sqlite://x.db` are relative to the working directory. The path is taken
// literally (no percent-decoding); ":memory:" is a private in-memory database.
std::unique_ptr<Store> open_sqlite(std::string_view url, const StoreSettings& settings) {
  const std::string path(url.substr(url.find(kSeparator) + kSeparator.size()));
  if (path.empty()) {
    throw std::invalid_argument(
        "DATABASE_URL: sqlite:// needs a file path, e.g. sqlite://./data/samwaad.db");
  }
  if (path != ":memory:") create_parent_directory(path);
  SqliteOptions options;
  options.apply_delay = settings.apply_delay;
  options.quiet_apply_delay = settings.quiet_apply_delay;
  options.sync_interval = settings.sync_interval;
  options.quiet_sync_interval = settings.quiet_sync_interval;
  options.background_apply = settings.background_apply;
  return std::make_unique<SqliteStore>(path, std::move(options));
}

}  // namespace

std::unique_ptr<Store> open_store(const std::string& database_url, const StoreSettings& settings) {
  const std::string scheme = scheme_of(database_url);
  if (scheme == "sqlite") return open_sqlite(database_url, settings);
  if (scheme == "postgres" || scheme == "postgresql") {
    throw std::invalid_argument("DATABASE_URL: postgres is not supported by this build yet");
  }
  if (is_plain_scheme(scheme)) {
    throw std::invalid_argument("DATABASE_URL: unsupported scheme '" + scheme +
                                "' (use sqlite://<path> or postgres://...)");
  }
  throw std::invalid_argument("DATABASE_URL: expected sqlite://<path> or postgres://...");
}

}  // namespace samwaad::store
