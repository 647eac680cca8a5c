// Uses the sqlite3 C API directly: it is SQLite's own interface, stable and
// maintained with the library, whereas the C++ wrappers are thinner-maintained
// layers we would have to trust on top of it. The small classes below only add
// RAII (close, finalize, reset, rollback) and turn result codes into the
// store's typed exceptions.
#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <iterator>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/time.hpp"

namespace samwaad::store {
namespace sqlite_detail {
namespace {

// Schema history, oldest first; version N is kMigrations[N - 1]. Never edit a
// released entry: databases in the field have already applied it. Append.
constexpr const char* kMigrations[] = {
    // 1: users and sessions.
    // name_lower is kept by the store (ASCII lower-casing) so that prefix search
    // can use an index range; email is stored lower-case by the caller already.
    // `TEXT PRIMARY KEY` allows NULL in SQLite unless NOT NULL is spelled out.
    R"sql(
CREATE TABLE users (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  name_lower TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  bio TEXT NOT NULL DEFAULT '',
  avatar_json TEXT,
  last_seen_ms INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX users_name_lower_idx ON users (name_lower, id);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  revoked_ms INTEGER
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_ms_idx ON sessions (expires_ms);
)sql",
};
constexpr int kLatestVersion = static_cast<int>(std::size(kMigrations));

// Every failure becomes StoreUnavailable except a violated constraint: with
// this schema that is a duplicate key (or a session for a missing user), which
// is the caller's conflict rather than a broken database.
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  std::string message = "sqlite: ";
  message += what;
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if ((rc & 0xff) == SQLITE_CONSTRAINT) throw StoreConflict(message);
  throw StoreUnavailable(message);
}

// ASCII only: SQLite has no Unicode case tables without ICU, and the same rule
// must hold for stored names and search input. "Émile" is found by "Ém" but not
// by "ém".
std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The smallest string greater than every string that starts with `prefix`, or
// nullopt if there is none. Incrementing the last byte is enough because byte
// 0xff never occurs in UTF-8, so no valid continuation can pass it.
std::optional<std::string> prefix_upper_bound(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) {
    prefix.pop_back();
  }
  if (prefix.empty()) return std::nullopt;
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, DbClose>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

}  // namespace

// One database connection. Not thread-safe: the store hands each connection
// to one thread at a time (writer mutex or reader pool), which is why it is
// opened with SQLITE_OPEN_NOMUTEX.
class Connection {
 public:
  enum class Role { writer, reader };

  Connection(const std::string& path, Role role);

  sqlite3* handle() const { return db_.get(); }
  // Runs one or more statements that return nothing of interest.
  void exec(const char* sql);
  // A prepared statement for `sql`, prepared once per connection and reused.
  sqlite3_stmt* cached(std::string_view sql);

 private:
  void enable_wal();

  DbPtr db_;  // declared first so the cached statements are finalized before it closes
  std::unordered_map<std::string, StmtPtr> statements_;
};

namespace {

// A cached statement borrowed for one call. Resetting on scope exit matters: a
// statement left mid-step keeps its read snapshot (or, on the writer, its write
// lock) and would stall WAL checkpoints and other writers.
class Query {
 public:
  Query(Connection& conn, std::string_view sql) : db_(conn.handle()), stmt_(conn.cached(sql)) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  // SQLITE_TRANSIENT copies the value, so temporaries are safe to bind.
  Query& bind_text(int index, std::string_view value) {
    check(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                              SQLITE_UTF8));
    return *this;
  }
  Query& bind_optional_text(int index, const std::optional<std::string>& value) {
    return value ? bind_text(index, *value) : bind_null(index);
  }
  Query& bind_int(int index, int64_t value) {
    check(sqlite3_bind_int64(stmt_, index, value));
    return *this;
  }
  Query& bind_null(int index) {
    check(sqlite3_bind_null(stmt_, index));
    return *this;
  }
  // SQLite orders every BLOB after every TEXT value, so an empty blob is an
  // upper bound no stored text reaches.
  Query& bind_above_all_text(int index) {
    check(sqlite3_bind_zeroblob(stmt_, index, 0));
    return *this;
  }

  // Steps once; true if a row is available.
  bool next() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, rc, "step");
  }
  // Steps to completion. Writes must get here: the commit of an autocommit
  // statement (and so any fsync error) is reported by its last step.
  void finish() {
    while (next()) {
    }
  }

  std::string text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (data == nullptr) return {};
    return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  std::optional<std::string> optional_text(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return text(column);
  }
  int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::optional<int64_t> optional_integer(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return integer(column);
  }
  int changes() const { return sqlite3_changes(db_); }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) fail(db_, rc, "bind");
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE takes the write lock up front, so a transaction that reads
// before writing cannot fail half-way with SQLITE_BUSY.
class Transaction {
 public:
  explicit Transaction(Connection& conn) : conn_(conn) { conn_.exec("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!committed_) sqlite3_exec(conn_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit() {
    conn_.exec("COMMIT");
    committed_ = true;
  }

 private:
  Connection& conn_;
  bool committed_ = false;
};

}  // namespace

Connection::Connection(const std::string& path, Role role) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (role == Role::writer) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_.reset(raw);  // a handle comes back even on failure and must be closed
  if (rc != SQLITE_OK) {
    throw StoreUnavailable("sqlite: cannot open " + path + ": " +
                           (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  // FULL: in WAL mode NORMAL may lose the last commits on power loss, and a
  // message acknowledged to its sender must survive that.
  exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;");
  if (role == Role::writer) {
    if (sqlite3_db_readonly(raw, "main") == 1) {
      throw StoreUnavailable("sqlite: " + path + " is read-only");
    }
    enable_wal();
  } else {
    // A guard against a write slipping onto a reader, where it would bypass the
    // writer mutex and contend on the file lock instead.
    exec("PRAGMA query_only = ON;");
  }
}

void Connection::exec(const char* sql) {
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(db_.get(), rc, "exec");
}

sqlite3_stmt* Connection::cached(std::string_view sql) {
  auto it = statements_.find(std::string(sql));
  if (it != statements_.end()) return it->second.get();
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) fail(db_.get(), rc, "prepare");
  return statements_.emplace(std::string(sql), std::move(stmt)).first->second.get();
}

// Also the first read of the file, so a file that is not a database fails here.
void Connection::enable_wal() {
  Query query(*this, "PRAGMA journal_mode = WAL");
  const std::string mode = query.next() ? query.text(0) : std::string();
  if (mode != "wal" && mode != "memory") {
    throw StoreUnavailable("sqlite: cannot use WAL journal mode (got '" + mode + "')");
  }
}

namespace {

// Column order of every user SELECT / RETURNING below.
User read_user(const Query& q) {
  User user;
  user.id = q.text(0);
  user.name = q.text(1);
  user.email = q.text(2);
  user.password_hash = q.text(3);
  user.bio = q.text(4);
  user.avatar_json = q.optional_text(5);
  user.last_seen_ms = q.integer(6);
  user.created_ms = q.integer(7);
  user.updated_ms = q.integer(8);
  return user;
}

std::optional<User> first_user(Query& q) {
  if (!q.next()) return std::nullopt;
  return read_user(q);
}

std::vector<User> all_users(Query& q) {
  std::vector<User> users;
  while (q.next()) users.push_back(read_user(q));
  return users;
}

int read_schema_version(Connection& conn) {
  Query exists(conn,
               "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (!exists.next()) return 0;
  Query query(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
  return query.next() ? static_cast<int>(query.integer(0)) : 0;
}

bool is_applied(Connection& conn, int version) {
  Query query(conn, "SELECT 1 FROM schema_migrations WHERE version = ?1");
  query.bind_int(1, version);
  return query.next();
}

void apply_migration(Connection& conn, int version) {
  Transaction tx(conn);
  // Another process sharing the file may have applied it since we looked.
  if (!is_applied(conn, version)) {
    conn.exec(kMigrations[version - 1]);
    Query record(conn, "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)");
    record.bind_int(1, version).bind_int(2, now_ms()).finish();
  }
  tx.commit();
}

}  // namespace
}  // namespace sqlite_detail

using sqlite_detail::Connection;
using sqlite_detail::Query;

SqliteStore::SqliteStore(const std::string& path, SqliteOptions options) {
  if (sqlite3_threadsafe() == 0) {
    throw StoreUnavailable("sqlite: the library was built without thread support");
  }
  writer_ = std::make_unique<Connection>(path, Connection::Role::writer);
  const bool private_to_connection = path.empty() || path == ":memory:";
  const int reader_count = private_to_connection ? 0 : std::max(0, options.reader_connections);
  for (int i = 0; i < reader_count; ++i) {
    readers_.push_back(std::make_unique<Connection>(path, Connection::Role::reader));
    idle_readers_.push_back(readers_.back().get());
  }
}

// Out of line because Connection is incomplete in the header.
SqliteStore::~SqliteStore() = default;

template <typename F>
auto SqliteStore::with_writer(F&& f) {
  std::lock_guard lock(writer_mutex_);
  return f(*writer_);
}

template <typename F>
auto SqliteStore::with_reader(F&& f) {
  if (readers_.empty()) return with_writer(std::forward<F>(f));
  struct Lease {
    SqliteStore* store;
    Connection* conn;
    ~Lease() { store->release_reader(conn); }
  } lease{this, acquire_reader()};
  return f(*lease.conn);
}

Connection* SqliteStore::acquire_reader() {
  std::unique_lock lock(pool_mutex_);
  reader_returned_.wait(lock, [this] { return !idle_readers_.empty(); });
  Connection* reader = idle_readers_.back();
  idle_readers_.pop_back();
  return reader;
}

void SqliteStore::release_reader(Connection* reader) {
  {
    std::lock_guard lock(pool_mutex_);
    idle_readers_.push_back(reader);
  }
  reader_returned_.notify_one();
}

int SqliteStore::migrate() {
  return with_writer([](Connection& conn) {
    conn.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    // Refuse to touch a database written by a newer build: its schema may
    // mean something this code does not know about.
    const int current = sqlite_detail::read_schema_version(conn);
    if (current > sqlite_detail::kLatestVersion) {
      throw StoreUnavailable("sqlite: database schema version " + std::to_string(current) +
                             " is newer than this build supports (" +
                             std::to_string(sqlite_detail::kLatestVersion) + ")");
    }
    for (int version = 1; version <= sqlite_detail::kLatestVersion; ++version) {
      if (!sqlite_detail::is_applied(conn, version)) sqlite_detail::apply_migration(conn, version);
    }
    return sqlite_detail::read_schema_version(conn);
  });
}

int SqliteStore::schema_version() {
  return with_reader([](Connection& conn) { return sqlite_detail::read_schema_version(conn); });
}

bool SqliteStore::ping() {
  try {
    // Reads the schema page, so it touches the file, unlike a bare SELECT 1.
    return with_reader([](Connection& conn) {
      Query query(conn, "SELECT count(*) FROM sqlite_master");
      return query.next();
    });
  } catch (const StoreUnavailable&) {
    return false;
  }
}

void SqliteStore::insert_user(const User& user) {
  with_writer([&](Connection& conn) {
    Query query(conn,
                "INSERT INTO users (id, name, name_lower, email, password_hash, bio, avatar_json, "
                "last_seen_ms, created_ms, updated_ms) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    query.bind_text(1, user.id)
        .bind_text(2, user.name)
        .bind_text(3, sqlite_detail::ascii_lower(user.name))
        .bind_text(4, user.email)
        .bind_text(5, user.password_hash)
        .bind_text(6, user.bio)
        .bind_optional_text(7, user.avatar_json)
        .bind_int(8, user.last_seen_ms)
        .bind_int(9, user.created_ms)
        .bind_int(10, user.updated_ms)
        .finish();
  });
}

std::optional<User> SqliteStore::find_user_by_id(const std::string& id) {
  return with_reader([&](Connection& conn) {
    Query query(conn,
                "SELECT id, name, email, password_hash, bio, avatar_json, last_seen_ms, "
                "created_ms, updated_ms FROM users WHERE id = ?1");
    query.bind_text(1, id);
    return sqlite_detail::first_user(query);
  });
}

std::optional<User> SqliteStore::find_user_by_email(const std::string& email) {
  return with_reader([&](Connection& conn) {
    Query query(conn,
                "SELECT id, name, email, password_hash, bio, avatar_json, last_seen_ms, "
                "created_ms, updated_ms FROM users WHERE email = ?1");
    query.bind_text(1, email);
    return sqlite_detail::first_user(query);
  });
}

std::optional<User> SqliteStore::update_profile(const std::string& id, const ProfileChange& change,
                                                int64_t now_ms) {
  return with_writer([&](Connection& conn) {
    // One statement, so the change and the returned row are atomic without an
    // explicit transaction. A NULL parameter means "leave as is".
    Query query(conn,
                "UPDATE users SET name = coalesce(?2, name), "
                "name_lower = coalesce(?3, name_lower), bio = coalesce(?4, bio), "
                "avatar_json = CASE WHEN ?5 THEN ?6 ELSE avatar_json END, updated_ms = ?7 "
                "WHERE id = ?1 "
                "RETURNING id, name, email, password_hash, bio, avatar_json, last_seen_ms, "
                "created_ms, updated_ms");
    query.bind_text(1, id).bind_optional_text(2, change.name).bind_optional_text(4, change.bio);
    if (change.name) query.bind_text(3, sqlite_detail::ascii_lower(*change.name));
    query.bind_int(5, change.avatar_json.has_value() ? 1 : 0)
        .bind_optional_text(6, change.avatar_json.value_or(std::nullopt))
        .bind_int(7, now_ms);
    std::optional<User> user = sqlite_detail::first_user(query);
    query.finish();
    return user;
  });
}

std::vector<User> SqliteStore::search_users(const std::string& prefix,
                                            const std::string& exclude_id, int limit) {
  if (limit <= 0) return {};
  return with_reader([&](Connection& conn) {
    if (prefix.empty()) {
      Query query(conn,
                  "SELECT id, name, email, password_hash, bio, avatar_json, last_seen_ms, "
                  "created_ms, updated_ms FROM users WHERE id <> ?1 "
                  "ORDER BY name_lower, id LIMIT ?2");
      query.bind_text(1, exclude_id).bind_int(2, limit);
      return sqlite_detail::all_users(query);
    }
    // A half-open range rather than LIKE: it uses the indexes, and '%' and '_'
    // in the input are ordinary characters with no escaping to get wrong.
    Query query(conn,
                "SELECT id, name, email, password_hash, bio, avatar_json, last_seen_ms, "
                "created_ms, updated_ms FROM users "
                "WHERE id <> ?3 AND ((name_lower >= ?1 AND name_lower < ?2) "
                "OR (email >= ?1 AND email < ?2)) "
                "ORDER BY name_lower, id LIMIT ?4");
    const std::string low = sqlite_detail::ascii_lower(prefix);
    const std::optional<std::string> high = sqlite_detail::prefix_upper_bound(low);
    query.bind_text(1, low);
    if (high) {
      query.bind_text(2, *high);
    } else {
      query.bind_above_all_text(2);
    }
    query.bind_text(3, exclude_id).bind_int(4, limit);
    return sqlite_detail::all_users(query);
  });
}

void SqliteStore::set_last_seen(const std::string& user_id, int64_t ms) {
  with_writer([&](Connection& conn) {
    Query query(conn, "UPDATE users SET last_seen_ms = ?2 WHERE id = ?1");
    query.bind_text(1, user_id).bind_int(2, ms).finish();
  });
}

void SqliteStore::insert_session(const Session& session) {
  with_writer([&](Connection& conn) {
    Query query(conn,
                "INSERT INTO sessions (id, user_id, created_ms, expires_ms, revoked_ms) "
                "VALUES (?1, ?2, ?3, ?4, ?5)");
    query.bind_text(1, session.id)
        .bind_text(2, session.user_id)
        .bind_int(3, session.created_ms)
        .bind_int(4, session.expires_ms);
    if (session.revoked_ms) query.bind_int(5, *session.revoked_ms);
    query.finish();
  });
}

std::optional<Session> SqliteStore::find_session(const std::string& id) {
  return with_reader([&](Connection& conn) -> std::optional<Session> {
    Query query(conn,
                "SELECT id, user_id, created_ms, expires_ms, revoked_ms FROM sessions "
                "WHERE id = ?1");
    query.bind_text(1, id);
    if (!query.next()) return std::nullopt;
    Session session;
    session.id = query.text(0);
    session.user_id = query.text(1);
    session.created_ms = query.integer(2);
    session.expires_ms = query.integer(3);
    session.revoked_ms = query.optional_integer(4);
    return session;
  });
}

bool SqliteStore::revoke_session(const std::string& id, int64_t now_ms) {
  return with_writer([&](Connection& conn) {
    // Keeps the first revocation time: a repeated logout is not a new event.
    Query query(conn, "UPDATE sessions SET revoked_ms = coalesce(revoked_ms, ?2) WHERE id = ?1");
    query.bind_text(1, id).bind_int(2, now_ms).finish();
    return query.changes() > 0;
  });
}

int SqliteStore::purge_expired_sessions(int64_t now_ms) {
  return with_writer([&](Connection& conn) {
    Query query(conn, "DELETE FROM sessions WHERE expires_ms < ?1");
    query.bind_int(1, now_ms).finish();
    return query.changes();
  });
}

}  // namespace samwaad::store
