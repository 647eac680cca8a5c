// The embedded backend: one SQLite file in WAL mode. Writes go through a single
// connection behind a mutex (SQLite allows one writer at a time anyway, and
// queueing on our mutex is cheaper than spinning in busy_timeout); reads use a
// small pool of connections that WAL lets run alongside the writer.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace samwaad::store {

namespace sqlite_detail {
class Connection;
}  // namespace sqlite_detail

struct SqliteOptions {
  // Read connections besides the writer. 0 sends every read through the writer,
  // which ":memory:" needs: each connection would otherwise get its own empty
  // database.
  int reader_connections = 4;
};

class SqliteStore final : public Store {
 public:
  // `path` is a file name (created if missing) or ":memory:". Throws
  // StoreUnavailable if the database cannot be opened or is not a database.
  explicit SqliteStore(const std::string& path, SqliteOptions options = {});
  ~SqliteStore() override;

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  int migrate() override;
  int schema_version() override;
  bool ping() override;

  void insert_user(const User& user) override;
  std::optional<User> find_user_by_id(const std::string& id) override;
  std::optional<User> find_user_by_email(const std::string& email) override;
  std::optional<User> update_profile(const std::string& id, const ProfileChange& change,
                                     int64_t now_ms) override;
  std::vector<User> search_users(const std::string& prefix, const std::string& exclude_id,
                                 int limit) override;
  void set_last_seen(const std::string& user_id, int64_t ms) override;

  void insert_session(const Session& session) override;
  std::optional<Session> find_session(const std::string& id) override;
  bool revoke_session(const std::string& id, int64_t now_ms) override;
  int purge_expired_sessions(int64_t now_ms) override;

 private:
  template <typename F>
  auto with_writer(F&& f);
  template <typename F>
  auto with_reader(F&& f);
  sqlite_detail::Connection* acquire_reader();
  void release_reader(sqlite_detail::Connection* reader);

  std::mutex writer_mutex_;
  std::unique_ptr<sqlite_detail::Connection> writer_;  // guarded by writer_mutex_

  std::vector<std::unique_ptr<sqlite_detail::Connection>> readers_;  // fixed after construction
  std::mutex pool_mutex_;
  std::condition_variable reader_returned_;
  std::vector<sqlite_detail::Connection*> idle_readers_;  // guarded by pool_mutex_
};

}  // namespace samwaad::store
