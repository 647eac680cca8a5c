// Uses the sqlite3 C API directly: it is SQLite's own interface, stable and
// maintained with the library, whereas the C++ wrappers are thinner-maintained
// layers we would have to trust on top of it. The small classes below only add
// RAII (close, finalize, reset, rollback) and turn result codes into the
// store's typed exceptions.
#include "store/sqlite/sqlite_store.hpp"

#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/ids.hpp"
#include "core/thread_priority.hpp"
#include "core/time.hpp"
#include "store/sqlite/message_journal.hpp"

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
    // 2: conversations and messages.
    // The CHECK keeps each pair in one order, so UNIQUE (user_a, user_b) means
    // one conversation per pair, and nobody talks to themselves. NULL
    // client_ids are distinct in SQLite, so messages without one never
    // collide. The partial indexes hold only what the hot paths look for:
    // undelivered messages of a recipient (offline delivery) and unread ones
    // of a conversation (unread counts, read-up-to).
    R"sql(
CREATE TABLE conversations (
  id TEXT PRIMARY KEY NOT NULL,
  user_a TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  user_b TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  last_message_id TEXT,
  CHECK (user_a < user_b),
  UNIQUE (user_a, user_b)
);
CREATE INDEX conversations_user_b_idx ON conversations (user_b);
CREATE TABLE messages (
  id TEXT PRIMARY KEY NOT NULL,
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  from_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  to_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  text TEXT,
  image_json TEXT,
  call_json TEXT,
  client_id TEXT,
  delivered_ms INTEGER,
  read_ms INTEGER,
  created_ms INTEGER NOT NULL,
  UNIQUE (from_id, client_id)
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);
CREATE INDEX messages_undelivered_idx ON messages (to_id, id) WHERE delivered_ms IS NULL;
CREATE INDEX messages_unread_idx ON messages (conversation_id, to_id, id) WHERE read_ms IS NULL;
)sql",
    // 3: uploaded images (their files live in the media store).
    // used_ms stays NULL until a message or a profile uses the image; the
    // partial index holds only those, for the sweep of abandoned uploads.
    R"sql(
CREATE TABLE images (
  public_id TEXT PRIMARY KEY NOT NULL,
  owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose TEXT NOT NULL CHECK (purpose IN ('chat', 'avatar')),
  format TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  used_ms INTEGER
);
CREATE INDEX images_owner_idx ON images (owner_id, purpose);
CREATE INDEX images_unused_idx ON images (created_ms) WHERE used_ms IS NULL;
)sql",
    // 4: unread counts and read marks on the conversation instead of the
    // unread index. That index was a quarter of the committer's CPU per
    // message (bench/store): one more b-tree insert per message, at ~200
    // scattered places (one per conversation and recipient), so about one
    // more page written per message. The conversation row is written by every batch that adds to
    // it anyway (last message), so counting there adds no page. Per member
    // (a, b): unread_x counts the messages to x with read_ms NULL, and every
    // message to x with id <= read_mark_x is read (NULL: no such bound), so
    // marking read only looks at messages after the mark. The marks are
    // back-filled to just below each member's oldest unread message (x'', a
    // blob, sorts above every text: with none unread, no bound).
    R"sql(
ALTER TABLE conversations ADD COLUMN unread_a INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN unread_b INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN read_mark_a TEXT;
ALTER TABLE conversations ADD COLUMN read_mark_b TEXT;
UPDATE conversations SET
  unread_a = (SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id
              AND m.to_id = conversations.user_a AND m.read_ms IS NULL),
  unread_b = (SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id
              AND m.to_id = conversations.user_b AND m.read_ms IS NULL),
  read_mark_a = (SELECT max(m.id) FROM messages m WHERE m.conversation_id = conversations.id
                 AND m.id < coalesce((SELECT min(u.id) FROM messages u
                                      WHERE u.conversation_id = conversations.id
                                      AND u.to_id = conversations.user_a AND u.read_ms IS NULL),
                                     x'')),
  read_mark_b = (SELECT max(m.id) FROM messages m WHERE m.conversation_id = conversations.id
                 AND m.id < coalesce((SELECT min(u.id) FROM messages u
                                      WHERE u.conversation_id = conversations.id
                                      AND u.to_id = conversations.user_b AND u.read_ms IS NULL),
                                     x''));
DROP INDEX messages_unread_idx;
)sql",
    // 5: the idempotency index led by the client id. Led by the sender, each
    // sender's ids had a range of their own, so every batch of the committer
    // wrote one leaf page of it per sender; the web client's UUIDv7s begin
    // with the time, so led by them a batch's new entries sort together at
    // the index's end (bench/store/index_order.sh: 1.38 against 0.68 WAL pages
    // per message; docs/benchmarks.md). The constraint is the table's, which
    // SQLite cannot alter: the table is rebuilt. The journal's bound per
    // sender (the highest client id stored, see above_stored_client_ids) can
    // no longer come from this index, so it is kept in a table of its own,
    // raised in the transaction that stores the messages; it starts from the
    // old index here, before the rebuild.
    R"sql(
CREATE TABLE client_id_bounds (
  from_id TEXT PRIMARY KEY NOT NULL,
  highest TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO client_id_bounds (from_id, highest)
  SELECT from_id, max(client_id) FROM messages WHERE client_id IS NOT NULL GROUP BY from_id;
CREATE TABLE messages_v5 (
  id TEXT PRIMARY KEY NOT NULL,
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  from_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  to_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  text TEXT,
  image_json TEXT,
  call_json TEXT,
  client_id TEXT,
  delivered_ms INTEGER,
  read_ms INTEGER,
  created_ms INTEGER NOT NULL,
  UNIQUE (client_id, from_id)
);
INSERT INTO messages_v5 (id, conversation_id, from_id, to_id, text, image_json, call_json,
                         client_id, delivered_ms, read_ms, created_ms)
  SELECT id, conversation_id, from_id, to_id, text, image_json, call_json,
         client_id, delivered_ms, read_ms, created_ms FROM messages ORDER BY id;
DROP TABLE messages;
ALTER TABLE messages_v5 RENAME TO messages;
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);
CREATE INDEX messages_undelivered_idx ON messages (to_id, id) WHERE delivered_ms IS NULL;
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
  // Runs one cached statement that returns no rows (no re-parsing per call).
  void run_cached(std::string_view sql);

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
  // Binds without a copy: `value` must outlive this Query (the destructor
  // resets the statement and clears its bindings). Each copy is an
  // allocation by SQLite's allocator, behind its global mutex.
  Query& bind_lasting_text(int index, const std::string& value) {
    check(
        sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8));
    return *this;
  }
  Query& bind_lasting_optional_text(int index, const std::optional<std::string>& value) {
    return value ? bind_lasting_text(index, *value) : bind_null(index);
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

// SQLite's reference checks off for one transaction. The pragma does
// nothing inside a transaction, so this is made before BEGIN and destroyed
// after the COMMIT or ROLLBACK.
class UncheckedReferences {
 public:
  UncheckedReferences(Connection& conn, bool unchecked) : conn_(conn), unchecked_(unchecked) {
    if (unchecked_) conn_.run_cached("PRAGMA foreign_keys = OFF");
  }
  ~UncheckedReferences() {
    if (unchecked_)
      sqlite3_exec(conn_.handle(), "PRAGMA foreign_keys = ON", nullptr, nullptr, nullptr);
  }
  UncheckedReferences(const UncheckedReferences&) = delete;
  UncheckedReferences& operator=(const UncheckedReferences&) = delete;

 private:
  Connection& conn_;
  bool unchecked_;
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
  // The default 2 MB page cache made every group commit re-read index pages
  // with pread (measured: ~160 preads and ~300 pwrites per commit, 45 ms
  // commits at 2,000 msg/s). Keep the hot part of the database in memory,
  // and let readers map the file instead of copying pages.
  exec("PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 268435456;");
  if (role == Role::writer) {
    if (sqlite3_db_readonly(raw, "main") == 1) {
      throw StoreUnavailable("sqlite: " + path + " is read-only");
    }
    enable_wal();
    // A checkpoint copies every page changed since the last one back into the
    // database file. Message inserts keep changing the same index pages, so a
    // longer interval copies each of them once instead of many times
    // (measured: ~20 % less CPU per insert than the default 1,000 pages).
    exec("PRAGMA wal_autocheckpoint = 10000; PRAGMA journal_size_limit = 67108864;");
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

void Connection::run_cached(std::string_view sql) {
  sqlite3_stmt* stmt = cached(sql);
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) fail(db_.get(), rc, "step");
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

// Column order of every image SELECT / RETURNING below.
constexpr const char* kImageColumns =
    "public_id, owner_id, purpose, format, width, height, bytes, created_ms, used_ms";

const char* purpose_name(ImagePurpose purpose) {
  return purpose == ImagePurpose::avatar ? "avatar" : "chat";
}

Image read_image(const Query& q) {
  Image image;
  image.public_id = q.text(0);
  image.owner_id = q.text(1);
  image.purpose = q.text(2) == "avatar" ? ImagePurpose::avatar : ImagePurpose::chat;
  image.format = q.text(3);
  image.width = static_cast<int>(q.integer(4));
  image.height = static_cast<int>(q.integer(5));
  image.bytes = q.integer(6);
  image.created_ms = q.integer(7);
  image.used_ms = q.optional_integer(8);
  return image;
}

std::vector<Image> all_images(Query& q) {
  std::vector<Image> images;
  while (q.next()) images.push_back(read_image(q));
  return images;
}

void insert_image_row(Connection& conn, const Image& image) {
  Query query(conn, std::string("INSERT INTO images (") + kImageColumns +
                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  query.bind_text(1, image.public_id)
      .bind_text(2, image.owner_id)
      .bind_text(3, purpose_name(image.purpose))
      .bind_text(4, image.format)
      .bind_int(5, image.width)
      .bind_int(6, image.height)
      .bind_int(7, image.bytes)
      .bind_int(8, image.created_ms);
  if (image.used_ms) query.bind_int(9, *image.used_ms);
  query.finish();
}

// One statement, so the change and the returned row are atomic without an
// explicit transaction. A NULL parameter means "leave as is".
std::optional<User> update_profile_row(Connection& conn, const std::string& id,
                                       const ProfileChange& change, int64_t now_ms) {
  Query query(conn,
              "UPDATE users SET name = coalesce(?2, name), "
              "name_lower = coalesce(?3, name_lower), bio = coalesce(?4, bio), "
              "avatar_json = CASE WHEN ?5 THEN ?6 ELSE avatar_json END, updated_ms = ?7 "
              "WHERE id = ?1 "
              "RETURNING id, name, email, password_hash, bio, avatar_json, last_seen_ms, "
              "created_ms, updated_ms");
  query.bind_text(1, id).bind_optional_text(2, change.name).bind_optional_text(4, change.bio);
  if (change.name) query.bind_text(3, ascii_lower(*change.name));
  query.bind_int(5, change.avatar_json.has_value() ? 1 : 0)
      .bind_optional_text(6, change.avatar_json.value_or(std::nullopt))
      .bind_int(7, now_ms);
  std::optional<User> user = first_user(query);
  query.finish();
  return user;
}

// Column order of every message SELECT / RETURNING below.
constexpr const char* kMessageColumns =
    "id, conversation_id, from_id, to_id, text, image_json, call_json, client_id, "
    "delivered_ms, read_ms, created_ms";
constexpr const char* kConversationColumns =
    "id, user_a, user_b, created_ms, updated_ms, last_message_id";

std::string select_messages(std::string_view rest) {
  std::string sql = "SELECT ";
  sql += kMessageColumns;
  sql += " FROM messages ";
  sql += rest;
  return sql;
}

Message read_message(const Query& q, int first = 0) {
  Message m;
  m.id = q.text(first + 0);
  m.conversation_id = q.text(first + 1);
  m.from = q.text(first + 2);
  m.to = q.text(first + 3);
  m.text = q.optional_text(first + 4);
  m.image_json = q.optional_text(first + 5);
  m.call_json = q.optional_text(first + 6);
  m.client_id = q.optional_text(first + 7);
  m.delivered_ms = q.optional_integer(first + 8);
  m.read_ms = q.optional_integer(first + 9);
  m.created_ms = q.integer(first + 10);
  return m;
}

std::vector<Message> all_messages(Query& q) {
  std::vector<Message> messages;
  while (q.next()) messages.push_back(read_message(q));
  return messages;
}

Conversation read_conversation(const Query& q) {
  Conversation c;
  c.id = q.text(0);
  c.user_a = q.text(1);
  c.user_b = q.text(2);
  c.created_ms = q.integer(3);
  c.updated_ms = q.integer(4);
  c.last_message_id = q.optional_text(5);
  return c;
}

std::optional<Conversation> find_conversation_by_pair(Connection& conn, const std::string& a,
                                                      const std::string& b) {
  Query q(conn, std::string("SELECT ") + kConversationColumns +
                    " FROM conversations WHERE user_a = ?1 AND user_b = ?2");
  q.bind_text(1, a).bind_text(2, b);
  if (!q.next()) return std::nullopt;
  return read_conversation(q);
}

Conversation get_or_create_conversation(Connection& conn, const std::string& x,
                                        const std::string& y, int64_t now,
                                        bool* was_created = nullptr) {
  const auto [a, b] = std::minmax(x, y);
  if (auto existing = find_conversation_by_pair(conn, a, b)) return *existing;
  if (was_created) *was_created = true;
  Conversation created{new_object_id(), a, b, now, now, std::nullopt};
  Query insert(conn,
               "INSERT INTO conversations (id, user_a, user_b, created_ms, updated_ms) "
               "VALUES (?1, ?2, ?3, ?4, ?5)");
  insert.bind_text(1, created.id)
      .bind_text(2, a)
      .bind_text(3, b)
      .bind_int(4, now)
      .bind_int(5, now)
      .finish();
  return created;
}

std::optional<Message> find_by_client_id(Connection& conn, const std::string& from,
                                         const std::string& client_id) {
  Query q(conn, select_messages("WHERE from_id = ?1 AND client_id = ?2"));
  q.bind_text(1, from).bind_text(2, client_id);
  if (!q.next()) return std::nullopt;
  return read_message(q);
}

// Adds one to a lower-case hex number of fixed width (wrapping at the top,
// which 96 bits of ids never reach).
std::string hex_increment(std::string hex) {
  for (auto it = hex.rbegin(); it != hex.rend(); ++it) {
    if (*it == 'f') {
      *it = '0';
      continue;
    }
    *it = *it == '9' ? 'a' : static_cast<char>(*it + 1);
    break;
  }
  return hex;
}

// False, with nothing written, if the sender's client_id is already stored:
// the unique index finds that out during the insert, which spares every
// (non-repeated) message a look-up of its own.
// With `any_conflict` (applying a journaled message, maybe again after a
// crash) a row with the same id counts as already stored too.
// `delivered_ms`, when set, is stored instead of the message's own (a receipt
// folded into the insert, see SqliteStore::fold_receipts).
bool insert_message_row(Connection& conn, const Message& m, bool any_conflict = false,
                        std::optional<int64_t> delivered_ms = std::nullopt) {
  Query insert(conn, any_conflict
                         ? "INSERT INTO messages (id, conversation_id, from_id, to_id, text, "
                           "image_json, call_json, client_id, delivered_ms, read_ms, created_ms) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                           "ON CONFLICT DO NOTHING"
                         : "INSERT INTO messages (id, conversation_id, from_id, to_id, text, "
                           "image_json, call_json, client_id, delivered_ms, read_ms, created_ms) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                           "ON CONFLICT (client_id, from_id) DO NOTHING");
  // `m` outlives `insert`.
  insert.bind_lasting_text(1, m.id)
      .bind_lasting_text(2, m.conversation_id)
      .bind_lasting_text(3, m.from)
      .bind_lasting_text(4, m.to)
      .bind_lasting_optional_text(5, m.text)
      .bind_lasting_optional_text(6, m.image_json)
      .bind_lasting_optional_text(7, m.call_json)
      .bind_lasting_optional_text(8, m.client_id);
  if (!delivered_ms) delivered_ms = m.delivered_ms;
  if (delivered_ms) insert.bind_int(9, *delivered_ms);
  if (m.read_ms) insert.bind_int(10, *m.read_ms);
  insert.bind_int(11, m.created_ms).finish();
  return insert.changes() > 0;
}

// The id comparison keeps the newest message last even if messages with
// explicit (older) ids arrive later. An unread message at or below a
// member's read mark (an explicit id, or a mark set past the newest message)
// clears the mark: the next read then looks at the whole conversation once.
void touch_conversation(Connection& conn, const std::string& conversation_id, int64_t updated_ms,
                        const std::string& last_message_id, const int64_t (&unread)[2],
                        const std::string (&lowest_unread)[2]) {
  Query update(conn,
               "UPDATE conversations SET updated_ms = max(updated_ms, ?2), "
               "last_message_id = CASE WHEN last_message_id IS NULL OR last_message_id < ?3 "
               "THEN ?3 ELSE last_message_id END, "
               "unread_a = unread_a + ?4, unread_b = unread_b + ?5, "
               "read_mark_a = CASE WHEN read_mark_a >= ?6 THEN NULL ELSE read_mark_a END, "
               "read_mark_b = CASE WHEN read_mark_b >= ?7 THEN NULL ELSE read_mark_b END "
               "WHERE id = ?1");
  update.bind_text(1, conversation_id)
      .bind_int(2, updated_ms)
      .bind_text(3, last_message_id)
      .bind_int(4, unread[0])
      .bind_int(5, unread[1]);
  // Unbound (NULL) when there is none: the comparison is then NULL, not true.
  if (unread[0] > 0) update.bind_text(6, lowest_unread[0]);
  if (unread[1] > 0) update.bind_text(7, lowest_unread[1]);
  update.finish();
}

// A member's side of a conversation row: 0 for user_a, 1 for user_b.
struct ReadMark {
  int side = 0;
  std::optional<std::string> mark;
};

std::optional<ReadMark> find_read_mark(Connection& conn, const std::string& conversation_id,
                                       const std::string& member_id) {
  Query q(conn,
          "SELECT user_a = ?2, read_mark_a, read_mark_b FROM conversations "
          "WHERE id = ?1 AND (user_a = ?2 OR user_b = ?2)");
  q.bind_text(1, conversation_id).bind_text(2, member_id);
  if (!q.next()) return std::nullopt;
  const int side = q.integer(0) != 0 ? 0 : 1;
  return ReadMark{side, q.optional_text(1 + side)};
}

// Lowers the member's unread count by what was just read and moves the mark
// up to `up_to`: every message to them at or below it is read now.
void advance_read_mark(Connection& conn, const std::string& conversation_id, int side,
                       const std::string& up_to, int newly_read) {
  Query update(conn, side == 0 ? "UPDATE conversations SET unread_a = unread_a - ?3, "
                                 "read_mark_a = CASE WHEN read_mark_a IS NULL OR "
                                 "read_mark_a < ?2 THEN ?2 ELSE read_mark_a END WHERE id = ?1"
                               : "UPDATE conversations SET unread_b = unread_b - ?3, "
                                 "read_mark_b = CASE WHEN read_mark_b IS NULL OR "
                                 "read_mark_b < ?2 THEN ?2 ELSE read_mark_b END WHERE id = ?1");
  update.bind_text(1, conversation_id).bind_text(2, up_to).bind_int(3, newly_read).finish();
}
}  // namespace
}  // namespace sqlite_detail

using sqlite_detail::Connection;
using sqlite_detail::Query;

// A journaled message's key among the pending ones: views of its sender and
// client id. Only for messages with a client id; in pending_by_client_ the
// views are of the message the entry holds.
SqliteStore::PendingKey SqliteStore::pending_key(const Message& message) {
  const std::hash<std::string_view> hash;
  return {hash(message.from) * 31 + hash(*message.client_id), message.from, *message.client_id};
}

SqliteStore::SqliteStore(const std::string& path, SqliteOptions options)
    : apply_delay_(options.apply_delay),
      quiet_apply_delay_(std::min(options.quiet_apply_delay, options.apply_delay)),
      sync_interval_(std::max(options.sync_interval, std::chrono::microseconds::zero())),
      quiet_sync_interval_(std::clamp(options.quiet_sync_interval,
                                      std::chrono::microseconds::zero(), sync_interval_)),
      quiet_messages_per_second_(options.quiet_messages_per_second),
      max_unapplied_(std::max<std::size_t>(options.max_unapplied, 2)),
      on_group_commit_(std::move(options.on_group_commit)) {
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
  if (options.message_journal && !private_to_connection) {
    try {
      journal_ = std::make_unique<sqlite_detail::MessageJournal>(path + "-messages");
    } catch (const sqlite_detail::MessageJournal::JournalBusy&) {
      // Another process (a second server on the same file) journals; this
      // one commits its messages directly, which SQLite's locking orders.
      journal_.reset();
    } catch (const std::exception& e) {
      throw StoreUnavailable(std::string("sqlite: ") + e.what());
    }
  }
  if (journal_) {
    try {
      for (auto& record : journal_->recover()) {
        auto message =
            std::make_shared<const Message>(sqlite_detail::decode_message(record.payload));
        if (message->id > last_journaled_id_) last_journaled_id_ = message->id;
        if (message->client_id) pending_by_client_.emplace(pending_key(*message), message);
        recovered_.emplace_back(record.seq, std::move(message));
      }
    } catch (const std::exception& e) {
      // A record that passed its checksum but cannot be read is not one to
      // skip: it was acknowledged to someone.
      throw StoreUnavailable(std::string("sqlite: ") + e.what());
    }
    journal_reader_ = std::make_unique<Connection>(path, Connection::Role::reader);
  }
  // Only journaled applies are lazy enough to wait for an idle CPU.
  background_apply_ = options.background_apply && journal_ && can_leave_background();
  // Named, so that per-thread tools (top -H, perf, /proc/<pid>/task) tell
  // the store's threads from the I/O thread.
  committer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "store-commit");
    commit_loop();
  });
  if (journal_) {
    journal_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "store-journal");
      journal_loop();
    });
  }
}

// Out of line because Connection is incomplete in the header.
SqliteStore::~SqliteStore() {
  if (journal_thread_.joinable()) {
    {
      std::lock_guard lock(journal_mutex_);
      journal_stopping_ = true;
    }
    journal_ready_.notify_one();
    journal_thread_.join();  // journals what is still queued first
  }
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_ready_.notify_one();
  committer_.join();  // commits what is still queued first
  if (journal_ && recovered_.empty() && applied_seq_.load() >= acknowledged_seq_.load()) {
    try {
      journal_->reset();
    } catch (const std::exception&) {
      // Deliberately ignored: a journal that could not be emptied is replayed
      // at the next start, and replaying an applied message changes nothing.
    }
  }
}

template <typename F>
auto SqliteStore::with_writer(F&& f) {
  wait_applied();
  std::lock_guard lock(writer_mutex_);
  return f(*writer_);
}

template <typename F>
auto SqliteStore::with_reader(F&& f) {
  if (readers_.empty()) return with_writer(std::forward<F>(f));
  wait_applied();
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
  const int version = migrate_to(sqlite_detail::kLatestVersion);
  apply_recovered();
  return version;
}

int SqliteStore::migrate_to(int target) {
  return with_writer([target](Connection& conn) {
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
    for (int version = 1; version <= std::min(target, sqlite_detail::kLatestVersion); ++version) {
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
    return sqlite_detail::update_profile_row(conn, id, change, now_ms);
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

namespace {
void store_last_seen(Connection& conn, const std::string& user_id, int64_t ms) {
  Query query(conn, "UPDATE users SET last_seen_ms = ?2 WHERE id = ?1");
  query.bind_text(1, user_id).bind_int(2, ms).finish();
}
}  // namespace

// Through the group commit, not a transaction of its own: nothing about a
// user's last-seen time depends on the journaled messages, so it need not
// wait for them to be applied, and concurrent ones share a commit.
void SqliteStore::set_last_seen(const std::string& user_id, int64_t ms) {
  group_commit([&](Connection& conn) { store_last_seen(conn, user_id, ms); });
}

// Nobody waits for it (the hub answers from memory meanwhile), so with the
// journal it waits for the next batch like a receipt.
void SqliteStore::set_last_seen_async(const std::string& user_id, int64_t ms, WriteDone done) {
  group_commit_async([user_id, ms](Connection& conn) { store_last_seen(conn, user_id, ms); },
                     std::move(done), journal_ != nullptr);
}

// --- Uploaded images.

void SqliteStore::insert_image(const Image& image) {
  with_writer([&](Connection& conn) { sqlite_detail::insert_image_row(conn, image); });
}

std::optional<Image> SqliteStore::find_image(const std::string& public_id) {
  return with_reader([&](Connection& conn) -> std::optional<Image> {
    Query query(conn, std::string("SELECT ") + sqlite_detail::kImageColumns +
                          " FROM images WHERE public_id = ?1");
    query.bind_text(1, public_id);
    if (!query.next()) return std::nullopt;
    return sqlite_detail::read_image(query);
  });
}

std::optional<Image> SqliteStore::claim_image(const std::string& public_id,
                                              const std::string& owner_id, ImagePurpose purpose,
                                              int64_t now_ms) {
  return with_writer([&](Connection& conn) -> std::optional<Image> {
    Query query(conn, std::string("UPDATE images SET used_ms = coalesce(used_ms, ?4) "
                                  "WHERE public_id = ?1 AND owner_id = ?2 AND purpose = ?3 "
                                  "RETURNING ") +
                          sqlite_detail::kImageColumns);
    query.bind_text(1, public_id)
        .bind_text(2, owner_id)
        .bind_text(3, sqlite_detail::purpose_name(purpose))
        .bind_int(4, now_ms);
    std::optional<Image> image;
    if (query.next()) image = sqlite_detail::read_image(query);
    query.finish();
    return image;
  });
}

std::optional<ProfileUpdate> SqliteStore::update_profile_and_avatar(
    const std::string& id, const ProfileChange& change, const std::optional<Image>& new_avatar,
    int64_t now_ms) {
  return with_writer([&](Connection& conn) -> std::optional<ProfileUpdate> {
    sqlite_detail::Transaction tx(conn);
    std::optional<User> user = sqlite_detail::update_profile_row(conn, id, change, now_ms);
    if (!user) return std::nullopt;  // rolled back: nothing to undo, but nothing to keep
    ProfileUpdate update{std::move(*user), {}};
    if (new_avatar) {
      Image avatar = *new_avatar;
      avatar.owner_id = id;
      avatar.purpose = ImagePurpose::avatar;
      avatar.used_ms = now_ms;
      sqlite_detail::insert_image_row(conn, avatar);
    }
    if (change.avatar_json) {
      Query release(conn, std::string("DELETE FROM images WHERE owner_id = ?1 AND purpose = "
                                      "'avatar' AND public_id <> ?2 RETURNING ") +
                              sqlite_detail::kImageColumns);
      release.bind_text(1, id).bind_text(2, new_avatar ? new_avatar->public_id : std::string());
      update.released_images = sqlite_detail::all_images(release);
    }
    tx.commit();
    return update;
  });
}

std::vector<Image> SqliteStore::delete_unused_images(int64_t created_before_ms, int limit) {
  if (limit <= 0) return {};
  return with_writer([&](Connection& conn) {
    Query query(conn, std::string("DELETE FROM images WHERE public_id IN (SELECT public_id FROM "
                                  "images WHERE used_ms IS NULL AND created_ms < ?1 "
                                  "ORDER BY created_ms LIMIT ?2) RETURNING ") +
                          sqlite_detail::kImageColumns);
    query.bind_int(1, created_before_ms).bind_int(2, limit);
    return sqlite_detail::all_images(query);
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

// --- Group commit.

// Above this many queued writes the committer stops waiting for more.
constexpr std::size_t kApplyBatch = 8192;
// Below this many writes per second (a message and its receipt are two) the
// committer applies after quiet_apply_delay instead of apply_delay.
constexpr double kQuietWritesPerSecond = 8000;
// How many apply delays a message may wait for its receipt while the journal
// has more than half its room (one delay otherwise; see
// hold_back_for_receipts). Near saturation receipts come back hundreds of
// milliseconds after their message; held for one delay, most then missed it,
// each was written as an update costing about an insert, and the committer,
// now the bottleneck, fell further behind: delivered msg/s fell by a quarter
// past ~100,000 offered (docs/benchmarks.md).
constexpr int kReceiptHoldDelays = 20;

void SqliteStore::enqueue_write(std::shared_ptr<PendingWrite> write) {
  std::vector<std::shared_ptr<PendingWrite>> one{std::move(write)};
  enqueue_writes(one);
}

void SqliteStore::enqueue_writes(std::vector<std::shared_ptr<PendingWrite>>& writes) {
  bool wake = false;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(queue_mutex_);
    for (auto& write : writes) {
      write->queued_at = now;
      // The committer takes the whole queue at once: only the first write
      // queued since then needs to wake it, unless it is waiting for
      // company and this write should not wait. Messages held back for
      // their receipts are not new: they neither wake it nor count
      // towards a batch (they would make bursts of tiny commits).
      wake = wake || fresh_queued_ == 0 || !write->lazy || fresh_queued_ + 1 == kApplyBatch;
      if (fresh_queued_++ == 0) first_fresh_at_ = now;
      if (!write->lazy) ++urgent_queued_;
      if (write->journal_seq != 0) {
        unapplied_.insert(write->journal_seq);
        highest_queued_seq_ = std::max(highest_queued_seq_, write->journal_seq);
      }
      queue_.push_back(std::move(write));
    }
    if (urgent_queued_ > 0 || unapplied_.size() >= backlog_for_foreground()) {
      committer_to_foreground();
    }
  }
  if (wake) queue_ready_.notify_one();
}

void SqliteStore::group_commit(std::function<void(Connection&)> write) {
  auto mine = std::make_shared<PendingWrite>();
  mine->run = std::move(write);
  enqueue_write(mine);
  mine->finished.acquire();
  if (mine->error) std::rethrow_exception(mine->error);
}

void SqliteStore::group_commit_async(std::function<void(Connection&)> write,
                                     std::function<void(std::exception_ptr)> done, bool lazy) {
  auto mine = std::make_shared<PendingWrite>();
  mine->run = std::move(write);
  mine->done = std::move(done);
  mine->lazy = lazy;
  enqueue_write(std::move(mine));
}

// One thread commits, callers only wait for their own write. The first design
// (the first waiting caller leads the batch, the others wait on one condition
// variable) woke every waiting thread after each batch; under load that
// wake-up storm and the many small batches it caused cost more CPU than the
// database work.
void SqliteStore::commit_loop() {
  std::unique_lock lock(queue_mutex_);
  for (;;) {
    queue_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    // Only lazy writes so far: gather more of them, so that each hot index
    // page is written once for many (docs/benchmarks.md), until the delay is
    // up or someone needs them.
    const auto needed = [this] {
      return stopping_ || urgent_queued_ > 0 || barrier_waiters_ > 0 || room_waiters_ > 0 ||
             fresh_queued_ >= kApplyBatch;
    };
    const auto delay = quiet_ ? quiet_apply_delay_ : apply_delay_;
    const auto hold = unapplied_.size() < max_unapplied_ / 2 ? kReceiptHoldDelays * delay : delay;
    // New writes go once the oldest of them has waited the delay; messages
    // held back for their receipts once the oldest has waited the hold.
    const auto due = [&] {
      return fresh_queued_ > 0 ? first_fresh_at_ + delay : held_since_ + hold;
    };
    while (!needed()) {
      const auto until = due();
      if (std::chrono::steady_clock::now() >= until) break;
      queue_ready_.wait_until(lock, until);
    }
    std::vector<std::shared_ptr<PendingWrite>> batch;
    const bool someone_waits =
        stopping_ || urgent_queued_ > 0 || barrier_waiters_ > 0 || room_waiters_ > 0;
    const auto oldest_queued_at = queue_.front()->queued_at;
    batch.swap(queue_);
    urgent_queued_ = 0;
    fresh_queued_ = 0;
    // Not while someone waits for every acknowledged message to be applied,
    // nor at shutdown; the journal thread waiting for room is served by the
    // older messages first.
    if (!stopping_ && barrier_waiters_ == 0) {
      hold_back_for_receipts(batch, hold);
      if (batch.empty() && room_waiters_ > 0) {
        // The journal waits for room: an idle committer would only stall it.
        batch.swap(queue_);
      } else if (batch.empty()) {
        continue;  // only messages still waiting for their receipts
      }
    }
    // While writes arrive slowly the CPU is there to spare, and what a batch
    // costs the messages is its commit: its WAL frames and their sync go to
    // the disk ahead of the journal's next sync, which every message waits
    // for. Small batches keep that short (docs/benchmarks.md); at higher rates
    // large batches save the CPU the messages then need. The rate is taken
    // over a second or more: batches of 10 ms vary too much.
    rate_writes_ += batch.size();
    if (const auto now = std::chrono::steady_clock::now();
        now - rate_since_ >= std::chrono::seconds(1)) {
      quiet_ = static_cast<double>(rate_writes_) <
               kQuietWritesPerSecond * std::chrono::duration<double>(now - rate_since_).count();
      rate_writes_ = 0;
      rate_since_ = now;
    }
    // A message held back for its receipt has waited up to the hold and one
    // more delay when it is taken (hold_back_for_receipts).
    const bool behind = std::chrono::steady_clock::now() - oldest_queued_at >= hold + 2 * delay ||
                        unapplied_.size() >= backlog_for_foreground();
    foreground_wanted_.store(false);  // whoever wants it from now on says so again
    const bool background = background_apply_ && !someone_waits && !behind;
    lock.unlock();
    // Only SQLite's work runs in the background: what follows takes locks
    // the journal and I/O threads wait for, and a background thread holding
    // one would keep them waiting until a CPU fell idle.
    const bool went_background = background && committer_to_background();
    fold_receipts(batch);
    run_batch(batch);
    if (went_background) {
      set_background(pthread_self(), false);
      committer_background_.store(false);
      background_transactions_.fetch_add(1, std::memory_order_relaxed);
    }
    note_applied(batch);
    // In queue order, so one thread's asynchronous writes complete in the
    // order it queued them.
    for (const auto& write : batch) {
      if (write->done) {
        write->done(write->error);
      } else {
        write->finished.release();
      }
    }
    batch.clear();
    lock.lock();
  }
}

// The committer announces its move before making it and looks for a
// request after; a requester asks before looking whether the committer has
// moved. Whichever order the two run in, one of them sees the other, so the
// committer never stays in the background past a request.
bool SqliteStore::committer_to_background() {
  committer_background_.store(true);
  if (!set_background(pthread_self(), true)) {
    committer_background_.store(false);
    return false;
  }
  if (foreground_wanted_.load()) {
    set_background(pthread_self(), false);
    committer_background_.store(false);
    return false;
  }
  return true;
}

void SqliteStore::committer_to_foreground() {
  if (!background_apply_) return;
  foreground_wanted_.store(true);
  if (committer_background_.load()) set_background(committer_.native_handle(), false);
}

// With the apply delay, a recipient's ack nearly always arrives before its
// message is applied, so both are in one batch. Inserting the row delivered
// spares the receipt's own update (an index look-up, the row written again)
// and the row's entry in the undelivered index, added and removed in one
// commit: together a third of the committer's CPU at 10,000 msg/s (perf).
void SqliteStore::fold_receipts(const std::vector<std::shared_ptr<PendingWrite>>& batch) {
  std::unordered_map<std::string_view, PendingWrite*> inserted;  // by message id
  inserted.reserve(batch.size());
  uint64_t folded = 0;
  for (const auto& write : batch) {
    if (write->applies) {
      inserted[write->applies->id] = write.get();
    } else if (write->receipt) {
      const auto& receipt = *write->receipt;
      auto it = inserted.find(receipt.message_id);
      if (it == inserted.end()) continue;  // applied already: its update runs
      PendingWrite& apply = *it->second;
      const Message& message = *apply.applies;
      // Otherwise (not theirs, or delivered already) the update would find
      // no row, and the result stays empty.
      if (message.to == receipt.recipient_id && !message.delivered_ms &&
          !apply.folded_delivered_ms) {
        apply.folded_delivered_ms = receipt.now_ms;
        *receipt.result = message;
        (*receipt.result)->delivered_ms = receipt.now_ms;
      }
      write->run = nullptr;
      ++folded;
    } else {
      // Any other write may change these messages (a read mark): nothing
      // folds across it, so that each write sees what the earlier ones did.
      inserted.clear();
    }
  }
  folded_receipts_.fetch_add(folded, std::memory_order_relaxed);
}

// A message's receipt comes back a few milliseconds after its ack, so the
// messages queued last before the delay ran out would nearly all be applied
// without it, and their receipts then updated on their own: an update costs
// about as much as the insert (the row written again, its undelivered index
// entry added and removed, the returned row; 1.15 inserts in `perf` at
// 30,000 msg/s), and at 10,000 msg/s one receipt in nine was written so.
// Held back for one more delay, such a message is still durable in the
// journal and its receipt folds in. Under load receipts come later, and
// while the journal has room they are waited for longer (kReceiptHoldDelays).
//
// Only the messages after the batch's last write of another kind are held:
// such a write (a read mark, say) may depend on the ones before it, and
// must not run before them.
void SqliteStore::hold_back_for_receipts(std::vector<std::shared_ptr<PendingWrite>>& batch,
                                         std::chrono::steady_clock::duration window) {
  std::size_t first = batch.size();
  while (first > 0 && (batch[first - 1]->applies || batch[first - 1]->receipt)) --first;
  // A receipt is queued after its message, so only these can be theirs.
  std::unordered_set<std::string_view> receipted;
  receipted.reserve(batch.size() - first);
  for (std::size_t i = first; i < batch.size(); ++i) {
    if (batch[i]->receipt) receipted.insert(batch[i]->receipt->message_id);
  }
  const auto young = std::chrono::steady_clock::now() - window;
  std::vector<std::shared_ptr<PendingWrite>> now;
  std::vector<std::shared_ptr<PendingWrite>> held;
  now.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& write = batch[i];
    const bool hold = i >= first && write->applies && write->queued_at > young &&
                      !receipted.contains(write->applies->id);
    (hold ? held : now).push_back(std::move(write));
  }
  held_back_.fetch_add(held.size(), std::memory_order_relaxed);
  batch = std::move(now);
  if (!held.empty()) {
    held_since_ = held.front()->queued_at;
    queue_ = std::move(held);
  }
}

void SqliteStore::note_applied(const std::vector<std::shared_ptr<PendingWrite>>& batch) {
  if (!journal_) return;
  std::vector<std::shared_ptr<PendingWrite>> failed;
  {
    std::lock_guard lock(pending_mutex_);
    for (const auto& write : batch) {
      // Only now, committed: a repeat looks here first and in SQLite next,
      // so the message is always in one of the two.
      if (write->journal_seq != 0 && !write->error && write->pending) {
        pending_by_client_.erase(*write->pending);
      }
    }
  }
  {
    std::lock_guard lock(queue_mutex_);
    for (const auto& write : batch) {
      if (write->journal_seq == 0) continue;
      if (!write->error) {
        unapplied_.erase(write->journal_seq);
      } else if (!stopping_) {
        failed.push_back(write);
      }
    }
    // Acknowledged already and kept in the journal: try again (first, to
    // keep the order); at shutdown the next start replays them.
    for (const auto& write : failed) write->error = nullptr;
    queue_.insert(queue_.begin(), failed.begin(), failed.end());
    if (!failed.empty()) ++urgent_queued_;
    applied_seq_.store(unapplied_.empty() ? highest_queued_seq_ : *unapplied_.begin() - 1,
                       std::memory_order_release);
  }
  applied_.notify_all();
  // A failing disk must not turn the committer into a busy loop.
  if (!failed.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

void SqliteStore::wait_applied() {
  if (!journal_) return;
  const uint64_t target = acknowledged_seq_.load(std::memory_order_acquire);
  if (applied_seq_.load(std::memory_order_acquire) >= target) return;
  std::unique_lock lock(queue_mutex_);
  ++barrier_waiters_;
  committer_to_foreground();
  queue_ready_.notify_one();  // the committer may be gathering lazy writes
  const bool applied = applied_.wait_for(lock, std::chrono::seconds(30), [&] {
    return applied_seq_.load(std::memory_order_acquire) >= target;
  });
  --barrier_waiters_;
  if (!applied) throw StoreUnavailable("sqlite: journaled messages are not being applied");
}

// The batch runs as one transaction. A failing write (a conflict) must be
// undone alone and reported to its own caller while the rest commit; that
// needs a savepoint around each write, which costs two statements per write.
// So the batch first runs without them, and only if a write fails is it
// rolled back and run again, isolated. A failure of the transaction itself
// fails every write in it; each caller gets its own exception object, as
// they rethrow on different threads.
void SqliteStore::run_batch(const std::vector<std::shared_ptr<PendingWrite>>& batch) {
  commit_transactions_.fetch_add(1, std::memory_order_relaxed);
  commit_writes_.fetch_add(batch.size(), std::memory_order_relaxed);
  if (on_group_commit_) on_group_commit_(batch.size());
  try {
    std::lock_guard lock(writer_mutex_);
    if (!try_batch(batch, false)) try_batch(batch, true);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    for (const auto& write : batch) {
      if (!write->error) write->error = std::make_exception_ptr(StoreUnavailable(what));
    }
  } catch (...) {
    for (const auto& write : batch) {
      if (!write->error) {
        write->error = std::make_exception_ptr(StoreUnavailable("sqlite: group commit failed"));
      }
    }
  }
}

// True once committed. Without `isolate`, false (rolled back) if any write
// threw; with it, a throwing write is undone alone and keeps its error.
bool SqliteStore::try_batch(const std::vector<std::shared_ptr<PendingWrite>>& batch, bool isolate) {
  for (const auto& write : batch) write->error = nullptr;
  // A journaled message's references were true when it was journaled: its
  // conversation was committed first, with both users checked
  // (journal_conversation_for), and nothing deletes users or a conversation
  // with messages. Checked again, they were three index look-ups per insert,
  // ~15 % of the committer's CPU per message (bench/store). Receipts change
  // no reference. Any other write in the batch keeps them checked.
  const bool journaled_only = std::all_of(batch.begin(), batch.end(), [](const auto& write) {
    return write->applies || write->receipt;
  });
  sqlite_detail::UncheckedReferences references(*writer_, journaled_only);
  sqlite_detail::Transaction tx(*writer_);
  try {
    for (const auto& write : batch) {
      if (!write->run) continue;  // folded into an earlier write
      if (!isolate) {
        write->run(*writer_);
        continue;
      }
      writer_->run_cached("SAVEPOINT group_write");
      try {
        write->run(*writer_);
      } catch (...) {
        write->error = std::current_exception();
        writer_->run_cached("ROLLBACK TO group_write");
        // It may have created (and cached) a conversation that is gone again;
        // the touches recorded so far belong to writes that stay.
        conversation_ids_.clear();
      }
      writer_->run_cached("RELEASE group_write");
    }
    flush_touches(*writer_);
    tx.commit();
    return true;
  } catch (...) {
    forget_uncommitted();  // `tx` rolls the transaction back
    if (isolate) throw;
    return false;
  }
}

std::vector<Store::Gauge> SqliteStore::gauges() {
  std::size_t queued = 0;
  std::size_t unapplied = 0;
  {
    std::lock_guard lock(queue_mutex_);
    queued = queue_.size();
    unapplied = unapplied_.size();
  }
  const GroupCommitStats stats = group_commit_stats();
  const auto total = [](uint64_t n) { return static_cast<double>(n); };
  return {
      {"samwaad_store_writes_queued", "Writes waiting for the SQLite committer",
       static_cast<double>(queued)},
      {"samwaad_store_messages_unapplied",
       "Acknowledged messages in the message journal not yet applied to SQLite",
       static_cast<double>(unapplied)},
      // Says whether MESSAGE_APPLY_PRIORITY=background took effect: without
      // the right to return to normal priority it silently does not.
      {"samwaad_store_background_apply",
       "1 if the committer may apply journaled messages at background CPU priority",
       background_apply_ ? 1.0 : 0.0},
      // Divided by each other, these say how much each sync and each commit
      // carries, and how many receipts cost no update of their own.
      {"samwaad_store_journal_syncs_total", "Message journal rounds: one append and one sync each",
       total(stats.journal_rounds), true},
      {"samwaad_store_journaled_messages_total", "Messages acknowledged through the journal",
       total(stats.journaled_messages), true},
      {"samwaad_store_commits_total", "SQLite group-commit transactions", total(stats.transactions),
       true},
      {"samwaad_store_commit_writes_total", "Writes carried by the group-commit transactions",
       total(stats.writes), true},
      {"samwaad_store_folded_receipts_total",
       "Delivered receipts written with their message's insert instead of as an update",
       total(stats.folded_receipts), true},
      {"samwaad_store_background_commits_total",
       "Group-commit transactions run at background CPU priority",
       total(stats.background_transactions), true},
  };
}

GroupCommitStats SqliteStore::group_commit_stats() const {
  return {commit_transactions_.load(std::memory_order_relaxed),
          commit_writes_.load(std::memory_order_relaxed),
          folded_receipts_.load(std::memory_order_relaxed),
          client_id_lookups_.load(std::memory_order_relaxed),
          held_back_.load(std::memory_order_relaxed),
          journal_rounds_.load(std::memory_order_relaxed),
          journaled_messages_.load(std::memory_order_relaxed),
          background_transactions_.load(std::memory_order_relaxed)};
}

std::size_t SqliteStore::queued_writes() {
  std::lock_guard lock(queue_mutex_);
  return queue_.size();
}

// A fresh ObjectId, bumped past the newest stored one when the clock or the
// id counter (24 bits, wrapping) would put it earlier: message ids must grow
// in commit order for `after=` catch-up to miss nothing.
std::string SqliteStore::next_message_id(Connection& writer) {
  if (last_message_id_.empty()) {
    Query query(writer, "SELECT max(id) FROM messages");
    if (query.next()) last_message_id_ = query.text(0);
  }
  std::string id = new_object_id();
  if (id <= last_message_id_) id = sqlite_detail::hex_increment(last_message_id_);
  last_message_id_ = id;
  return id;
}

// --- Conversations and messages.

Conversation SqliteStore::get_or_create_conversation(const std::string& user_x,
                                                     const std::string& user_y, int64_t now_ms) {
  Conversation result;
  group_commit([&](Connection& conn) {
    result = sqlite_detail::get_or_create_conversation(conn, user_x, user_y, now_ms);
  });
  return result;
}

std::optional<Conversation> SqliteStore::find_conversation(const std::string& id) {
  return with_reader([&](Connection& conn) -> std::optional<Conversation> {
    Query query(conn, std::string("SELECT ") + sqlite_detail::kConversationColumns +
                          " FROM conversations WHERE id = ?1");
    query.bind_text(1, id);
    if (!query.next()) return std::nullopt;
    return sqlite_detail::read_conversation(query);
  });
}

InsertedMessage SqliteStore::insert_message_now(Connection& conn, const Message& message) {
  // Set before the row can be seen (see above_stored_client_ids).
  if (journal_ && message.client_id) direct_client_ids_.store(true, std::memory_order_release);
  Message stored = message;
  bool created = false;
  stored.conversation_id =
      conversation_for(conn, message.from, message.to, message.created_ms, created);
  if (stored.id.empty()) stored.id = next_message_id(conn);
  if (!sqlite_detail::insert_message_row(conn, stored)) {
    // A repeat sent to someone else than the first time must not leave an
    // empty conversation behind.
    if (created) {
      Query drop(conn, "DELETE FROM conversations WHERE id = ?1");
      drop.bind_text(1, stored.conversation_id).finish();
      conversation_ids_.clear();
    }
    auto first = sqlite_detail::find_by_client_id(conn, message.from, *message.client_id);
    if (!first) throw StoreUnavailable("sqlite: a repeated client id without its message");
    return {std::move(*first), true};
  }
  note_inserted(stored);
  return {std::move(stored), false};
}

void SqliteStore::apply_journaled(Connection& conn, const Message& stored,
                                  std::optional<int64_t> delivered_ms) {
  if (sqlite_detail::insert_message_row(conn, stored, true, delivered_ms)) note_inserted(stored);
}

void SqliteStore::note_inserted(const Message& stored) {
  if (stored.client_id) {
    auto& highest = pending_bounds_[stored.from];
    if (*stored.client_id > highest) highest = *stored.client_id;
  }
  // The conversation's row is updated once per batch (flush_touches): a busy
  // conversation gets many messages in one commit.
  auto& touch = pending_touches_[stored.conversation_id];
  if (stored.id > touch.last_message_id) {
    touch.updated_ms = std::max(touch.updated_ms, stored.created_ms);
    touch.last_message_id = stored.id;
  }
  if (!stored.read_ms) {
    const int side = stored.to < stored.from ? 0 : 1;  // user_a is the lower id
    if (touch.unread[side]++ == 0 || stored.id < touch.lowest_unread[side]) {
      touch.lowest_unread[side] = stored.id;
    }
  }
}

std::string SqliteStore::conversation_for(Connection& conn, const std::string& x,
                                          const std::string& y, int64_t now_ms, bool& created) {
  const auto& [a, b] = std::minmax(x, y);
  std::string key = a + b;
  if (auto it = conversation_ids_.find(key); it != conversation_ids_.end()) return it->second;
  std::string id = sqlite_detail::get_or_create_conversation(conn, a, b, now_ms, &created).id;
  // Bounded: a cold pair costs one look-up again.
  if (conversation_ids_.size() >= 100000) conversation_ids_.clear();
  conversation_ids_.emplace(std::move(key), id);
  return id;
}

void SqliteStore::flush_touches(Connection& conn) {
  for (const auto& [conversation_id, touch] : pending_touches_) {
    sqlite_detail::touch_conversation(conn, conversation_id, touch.updated_ms,
                                      touch.last_message_id, touch.unread, touch.lowest_unread);
  }
  pending_touches_.clear();
  // Only ever raised: a bound above what is stored costs a look-up, one
  // below it would let a repeat through.
  for (const auto& [from, highest] : pending_bounds_) {
    Query raise(conn,
                "INSERT INTO client_id_bounds (from_id, highest) VALUES (?1, ?2) "
                "ON CONFLICT (from_id) DO UPDATE SET highest = excluded.highest "
                "WHERE excluded.highest > highest");
    raise.bind_text(1, from).bind_text(2, highest).finish();
  }
  pending_bounds_.clear();
}

void SqliteStore::forget_uncommitted() {
  pending_touches_.clear();
  pending_bounds_.clear();
  // A conversation created by the rolled-back work is gone again.
  conversation_ids_.clear();
}

InsertedMessage SqliteStore::insert_message(const Message& message) {
  if (journal_ && message.id.empty()) {
    // Shared with the journal thread, which may still be inside release()
    // when this caller wakes and returns.
    struct Outcome {
      InsertedMessage result;
      std::exception_ptr error;
      std::binary_semaphore finished{0};
    };
    auto outcome = std::make_shared<Outcome>();
    insert_message_async(message, [outcome](InsertedMessage result, std::exception_ptr error) {
      outcome->result = std::move(result);
      outcome->error = std::move(error);
      outcome->finished.release();
    });
    outcome->finished.acquire();
    if (outcome->error) std::rethrow_exception(outcome->error);
    return std::move(outcome->result);
  }
  InsertedMessage result;
  group_commit([&](Connection& conn) { result = insert_message_now(conn, message); });
  return result;
}

void SqliteStore::insert_message_async(Message message, InsertDone done) {
  // A message with an id of the caller's choosing skips the journal: its
  // id must be checked against what SQLite holds, in commit order.
  if (journal_ && message.id.empty()) {
    bool wake = false;
    {
      std::lock_guard lock(journal_mutex_);
      wake = journal_queue_.empty();
      journal_queue_.push_back({std::move(message), std::move(done)});
    }
    if (wake) journal_ready_.notify_one();
    return;
  }
  auto result = std::make_shared<InsertedMessage>();
  group_commit_async([this, message = std::move(message),
                      result](Connection& conn) { *result = insert_message_now(conn, message); },
                     [result, done = std::move(done)](const std::exception_ptr& error) {
                       done(error ? InsertedMessage{} : std::move(*result), error);
                     });
}

// --- The message journal (see the header and message_journal.hpp).

// The rate that decides between sync_interval_ and quiet_sync_interval_ is
// taken over windows of this length: short enough that a burst is paced
// within a few rounds' worth of messages, long enough to count hundreds.
constexpr auto kSyncRateWindow = std::chrono::milliseconds(100);

// Rounds are paced from the start of one to the start of the next: a message
// after a pause is synced at once, and under load a round carries what came
// during the last one plus the rest of the interval. Measured at 10,000 msg/s
// (docs/benchmarks.md): unpaced, a round carried ~6 messages and the syncs
// took 0.14-0.15 cores of kernel time; at 1 ms, ~18 and 0.04-0.07. While
// messages come slowly (below quiet_messages_per_second) the quiet interval
// applies instead.
void SqliteStore::journal_loop() {
  std::unique_lock lock(journal_mutex_);
  std::chrono::steady_clock::time_point last_round{};
  auto window_start = std::chrono::steady_clock::now();
  std::size_t window_messages = 0;
  bool quiet = quiet_messages_per_second_ > 0;
  for (;;) {
    journal_ready_.wait(lock, [this] { return journal_stopping_ || !journal_queue_.empty(); });
    if (journal_queue_.empty()) return;  // stopping, nothing left
    const auto due = last_round + (quiet ? quiet_sync_interval_ : sync_interval_);
    if (std::chrono::steady_clock::now() < due) {
      // Woken early only to stop; the messages queued by then go now.
      journal_ready_.wait_until(lock, due, [this] { return journal_stopping_; });
    }
    last_round = std::chrono::steady_clock::now();
    std::vector<JournalInsert> batch;
    batch.swap(journal_queue_);
    window_messages += batch.size();
    if (const auto elapsed = last_round - window_start; elapsed >= kSyncRateWindow) {
      quiet = static_cast<double>(window_messages) <
              quiet_messages_per_second_ * std::chrono::duration<double>(elapsed).count();
      window_start = last_round;
      window_messages = 0;
    }
    lock.unlock();
    wait_for_room();
    journal_batch(batch);
    lock.lock();
  }
}

void SqliteStore::wait_for_room() {
  std::unique_lock lock(queue_mutex_);
  if (unapplied_.size() < max_unapplied_) return;
  ++room_waiters_;  // no gathering: apply now
  committer_to_foreground();
  queue_ready_.notify_one();
  applied_.wait(lock, [this] { return unapplied_.size() < max_unapplied_ / 2 || stopping_; });
  --room_waiters_;
}

void SqliteStore::journal_batch(std::vector<JournalInsert>& batch) {
  const std::size_t count = batch.size();
  std::vector<InsertedMessage> results(count);
  std::vector<std::exception_ptr> errors(count);
  std::vector<char> repeated(count, 0);
  std::vector<std::shared_ptr<const Message>> stored(count);  // the journaled ones
  // Repeats of messages not applied yet. Looked up before SQLite's snapshot
  // below is taken: a message leaves this map only once committed, so one
  // that leaves after this look-up is in the snapshot.
  {
    std::lock_guard lock(pending_mutex_);
    for (std::size_t i = 0; i < count; ++i) {
      const Message& m = batch[i].message;
      if (!m.client_id) continue;
      if (auto it = pending_by_client_.find(pending_key(m)); it != pending_by_client_.end()) {
        results[i] = {*it->second, true};
        repeated[i] = 1;
      }
    }
  }
  std::vector<std::size_t> journaled;  // indexes into batch
  std::vector<std::string> payloads;
  {
    struct EndRead {
      SqliteStore* store;
      ~EndRead() { store->end_journal_read(); }
    } end_read{this};
    for (std::size_t i = 0; i < count; ++i) {
      if (repeated[i]) continue;
      try {
        results[i] = prepare_journaled(batch[i].message, stored[i]);
        if (!results[i].duplicate) {
          journaled.push_back(i);
          payloads.push_back(sqlite_detail::encode_message(*stored[i]));
        }
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  }
  uint64_t last = 0;
  if (!payloads.empty()) {
    try {
      journal_->release(applied_seq_.load(std::memory_order_acquire));
      last = journal_->append(payloads);
      journal_rounds_.fetch_add(1, std::memory_order_relaxed);
      journaled_messages_.fetch_add(payloads.size(), std::memory_order_relaxed);
    } catch (const std::exception& e) {
      // Nothing of this batch is durable; a repeat in it may have been
      // answered from a message of this batch, so every write fails.
      std::fill(errors.begin(), errors.end(),
                std::make_exception_ptr(StoreUnavailable(std::string("sqlite: ") + e.what())));
      std::lock_guard lock(pending_mutex_);
      for (std::size_t i : journaled) {
        const Message& m = results[i].message;
        if (m.client_id) pending_by_client_.erase(pending_key(m));
      }
      journaled.clear();
    }
  }
  // Queued for SQLite before anyone hears of them: whatever a caller does
  // next with a message (a receipt, a read) is queued behind its insert.
  std::vector<std::shared_ptr<PendingWrite>> applies;
  applies.reserve(journaled.size());
  uint64_t seq = last + 1 - journaled.size();
  for (std::size_t i : journaled) applies.push_back(apply_write(std::move(stored[i]), seq++));
  enqueue_writes(applies);
  if (!journaled.empty()) acknowledged_seq_.store(last, std::memory_order_release);
  for (std::size_t i = 0; i < count; ++i) {
    batch[i].done(errors[i] ? InsertedMessage{} : std::move(results[i]), errors[i]);
  }
}

InsertedMessage SqliteStore::prepare_journaled(const Message& message,
                                               std::shared_ptr<const Message>& shared) {
  if (message.client_id && !above_stored_client_ids(message.from, *message.client_id)) {
    client_id_lookups_.fetch_add(1, std::memory_order_relaxed);
    if (auto first =
            sqlite_detail::find_by_client_id(journal_read(), message.from, *message.client_id)) {
      return {std::move(*first), true};
    }
  }
  auto stored = std::make_shared<Message>(message);
  stored->conversation_id = journal_conversation_for(message.from, message.to, message.created_ms);
  stored->id = next_journaled_id();
  if (stored->client_id) {
    std::lock_guard lock(pending_mutex_);
    auto [it, added] = pending_by_client_.emplace(pending_key(*stored), stored);
    if (!added) return {*it->second, true};  // repeated within the batch
  }
  shared = stored;
  return {*stored, false};
}

// The journal thread's reads of a round share one read transaction (one
// snapshot, one round of SQLite's read locks), begun at the first read: a
// round that needs none (known pairs, client ids above the stored ones)
// takes none. Begun after the round's look-up in pending_by_client_, as
// journal_batch requires.
sqlite_detail::Connection& SqliteStore::journal_read() {
  if (!journal_read_open_) {
    journal_reader_->exec("BEGIN");
    journal_read_open_ = true;
  }
  return *journal_reader_;
}

void SqliteStore::end_journal_read() {
  if (!journal_read_open_) return;
  journal_read_open_ = false;
  sqlite3_exec(journal_reader_->handle(), "COMMIT", nullptr, nullptr, nullptr);
}

// True when no stored message of the sender has a client id at or above this
// one, so it cannot repeat one: the SQLite look-up is skipped. Clients that
// make their ids grow with time (the web client's UUIDv7s) then cost no
// look-up per message; random ids still get one about half the time. Holds
// because, while direct_client_ids_ is false, every message with a client id
// reaches SQLite through this thread (or through recovery, applied before
// the first round), and the bound is raised before its message is journaled.
// The stored bound is client_id_bounds' (migration 5), written in the
// transaction that stores the messages, so a snapshot has both or neither.
bool SqliteStore::above_stored_client_ids(const std::string& from, const std::string& client_id) {
  if (direct_client_ids_.load(std::memory_order_acquire)) return false;
  auto it = highest_client_id_.find(from);
  if (it == highest_client_id_.end()) {
    // Bounded: a sender that comes back costs one look-up again.
    if (highest_client_id_.size() >= 100000) highest_client_id_.clear();
    Query query(journal_read(), "SELECT highest FROM client_id_bounds WHERE from_id = ?1");
    query.bind_text(1, from);
    std::string highest;
    if (query.next()) highest = query.optional_text(0).value_or("");
    it = highest_client_id_.emplace(from, std::move(highest)).first;
  }
  if (client_id <= it->second) return false;
  it->second = client_id;
  return true;
}

std::string SqliteStore::journal_conversation_for(const std::string& x, const std::string& y,
                                                  int64_t now_ms) {
  const auto& [a, b] = std::minmax(x, y);
  std::string key = a + b;
  if (auto it = journal_conversations_.find(key); it != journal_conversations_.end()) {
    return it->second;
  }
  auto existing = sqlite_detail::find_conversation_by_pair(journal_read(), a, b);
  // A new pair is committed at once (and checked: both users must exist and
  // differ), so that the journaled message's conversation is durable first.
  std::string id = existing ? existing->id : get_or_create_conversation(a, b, now_ms).id;
  // Bounded: a cold pair costs one look-up again.
  if (journal_conversations_.size() >= 100000) journal_conversations_.clear();
  journal_conversations_.emplace(std::move(key), id);
  return id;
}

// As next_message_id, for the journal: ids grow in journal order, which is
// the order in which messages are acknowledged and applied.
std::string SqliteStore::next_journaled_id() {
  if (!journaled_id_loaded_) {
    Query query(journal_read(), "SELECT max(id) FROM messages");
    if (query.next()) {
      auto stored = query.optional_text(0);
      if (stored && *stored > last_journaled_id_) last_journaled_id_ = *stored;
    }
    journaled_id_loaded_ = true;
  }
  std::string id = new_object_id();
  if (id <= last_journaled_id_) id = sqlite_detail::hex_increment(last_journaled_id_);
  last_journaled_id_ = id;
  return id;
}

std::shared_ptr<SqliteStore::PendingWrite> SqliteStore::apply_write(
    std::shared_ptr<const Message> stored, uint64_t seq) {
  auto write = std::make_shared<PendingWrite>();
  write->lazy = true;
  write->journal_seq = seq;
  write->applies = std::move(stored);
  if (write->applies->client_id) write->pending = pending_key(*write->applies);
  // The write owns `run`, so it outlives every call of it.
  write->run = [this, apply = write.get()](Connection& conn) {
    apply_journaled(conn, *apply->applies, apply->folded_delivered_ms);
  };
  write->done = [](const std::exception_ptr&) {};  // note_applied handles the outcome
  return write;
}

void SqliteStore::apply_recovered() {
  if (recovered_.empty()) return;
  uint64_t last = 0;
  std::vector<std::shared_ptr<PendingWrite>> applies;
  for (const auto& [seq, message] : recovered_) {
    applies.push_back(apply_write(message, seq));
    last = std::max(last, seq);
  }
  enqueue_writes(applies);
  recovered_.clear();
  uint64_t acknowledged = acknowledged_seq_.load();
  while (acknowledged < last && !acknowledged_seq_.compare_exchange_weak(acknowledged, last)) {
  }
  wait_applied();
}

std::optional<Message> SqliteStore::find_message(const std::string& id) {
  return with_reader([&](Connection& conn) -> std::optional<Message> {
    Query query(conn, sqlite_detail::select_messages("WHERE id = ?1"));
    query.bind_text(1, id);
    if (!query.next()) return std::nullopt;
    return sqlite_detail::read_message(query);
  });
}

namespace {
std::optional<Message> mark_delivered_now(Connection& conn, const std::string& message_id,
                                          const std::string& recipient_id, int64_t now_ms) {
  Query query(conn, std::string("UPDATE messages SET delivered_ms = ?3 "
                                "WHERE id = ?1 AND to_id = ?2 AND delivered_ms IS NULL "
                                "RETURNING ") +
                        sqlite_detail::kMessageColumns);
  query.bind_text(1, message_id).bind_text(2, recipient_id).bind_int(3, now_ms);
  std::optional<Message> result;
  if (query.next()) result = sqlite_detail::read_message(query);
  query.finish();
  return result;
}
}  // namespace

std::optional<Message> SqliteStore::mark_delivered(const std::string& message_id,
                                                   const std::string& recipient_id,
                                                   int64_t now_ms) {
  std::optional<Message> result;
  group_commit([&](Connection& conn) {
    result = mark_delivered_now(conn, message_id, recipient_id, now_ms);
  });
  return result;
}

void SqliteStore::mark_delivered_async(std::string message_id, std::string recipient_id,
                                       int64_t now_ms, DeliveredDone done) {
  auto write = std::make_shared<PendingWrite>();
  write->receipt = PendingWrite::Receipt{std::move(message_id), std::move(recipient_id), now_ms,
                                         std::make_shared<std::optional<Message>>()};
  // The write owns `run`, so it outlives every call of it.
  write->run = [receipt = &*write->receipt](Connection& conn) {
    *receipt->result =
        mark_delivered_now(conn, receipt->message_id, receipt->recipient_id, receipt->now_ms);
  };
  write->done = [result = write->receipt->result,
                 done = std::move(done)](const std::exception_ptr& error) {
    done(error ? std::nullopt : std::move(*result), error);
  };
  // The sender's tick may wait for company: nobody is blocked on it, and
  // batched with the journaled messages it writes the same pages (or folds
  // into their inserts).
  write->lazy = journal_ != nullptr;
  enqueue_write(std::move(write));
}

ReadResult SqliteStore::mark_read_up_to(const std::string& reader_id,
                                        const std::string& conversation_id,
                                        const std::string& up_to_message_id, int64_t now_ms) {
  ReadResult result;
  group_commit([&](Connection& conn) {
    result = {};  // a retried write must not count twice
    auto mark = sqlite_detail::find_read_mark(conn, conversation_id, reader_id);
    if (!mark) return;  // not a conversation of theirs: nothing is addressed to them
    // Only after the mark: everything to the reader up to it is read. The
    // empty string sorts below every id.
    Query query(conn,
                "UPDATE messages SET read_ms = ?4, delivered_ms = coalesce(delivered_ms, ?4) "
                "WHERE conversation_id = ?1 AND id > ?5 AND id <= ?3 AND to_id = ?2 "
                "AND read_ms IS NULL RETURNING id");
    query.bind_text(1, conversation_id)
        .bind_text(2, reader_id)
        .bind_text(3, up_to_message_id)
        .bind_int(4, now_ms)
        .bind_text(5, mark->mark.value_or(std::string()));
    while (query.next()) {
      ++result.count;
      std::string id = query.text(0);
      if (!result.newest_id || *result.newest_id < id) result.newest_id = std::move(id);
    }
    if (result.count > 0 || !mark->mark || *mark->mark < up_to_message_id) {
      sqlite_detail::advance_read_mark(conn, conversation_id, mark->side, up_to_message_id,
                                       result.count);
    }
  });
  return result;
}

std::vector<Message> SqliteStore::list_undelivered(const std::string& user_id, int limit,
                                                   const std::optional<std::string>& after) {
  if (limit <= 0) return {};
  return with_reader([&](Connection& conn) {
    Query query(conn, sqlite_detail::select_messages(
                          "WHERE to_id = ?1 AND delivered_ms IS NULL AND (?3 IS NULL OR id > ?3) "
                          "ORDER BY id LIMIT ?2"));
    query.bind_text(1, user_id).bind_int(2, limit).bind_optional_text(3, after);
    return sqlite_detail::all_messages(query);
  });
}

std::vector<ConversationSummary> SqliteStore::list_conversations(
    const std::string& user_id, int limit, const std::optional<ConversationCursor>& before) {
  if (limit <= 0) return {};
  return with_reader([&](Connection& conn) {
    // The unread count is kept on the conversation (see migration 4).
    Query query(conn,
                "SELECT c.id, c.user_a, c.user_b, c.created_ms, c.updated_ms, c.last_message_id, "
                "CASE WHEN c.user_a = ?1 THEN c.unread_a ELSE c.unread_b END, "
                "m.id, m.conversation_id, m.from_id, m.to_id, m.text, m.image_json, m.call_json, "
                "m.client_id, m.delivered_ms, m.read_ms, m.created_ms "
                "FROM conversations c LEFT JOIN messages m ON m.id = c.last_message_id "
                "WHERE (c.user_a = ?1 OR c.user_b = ?1) AND (?2 IS NULL OR c.updated_ms < ?2 "
                "OR (c.updated_ms = ?2 AND c.id < ?3)) "
                "ORDER BY c.updated_ms DESC, c.id DESC LIMIT ?4");
    query.bind_text(1, user_id);
    if (before) query.bind_int(2, before->updated_ms).bind_text(3, before->id);
    query.bind_int(4, limit);
    std::vector<ConversationSummary> summaries;
    while (query.next()) {
      ConversationSummary summary;
      summary.conversation = sqlite_detail::read_conversation(query);
      summary.unread_count = query.integer(6);
      if (query.optional_text(7)) summary.last_message = sqlite_detail::read_message(query, 7);
      summaries.push_back(std::move(summary));
    }
    return summaries;
  });
}

MessagePage SqliteStore::list_messages(const std::string& conversation_id, int limit,
                                       const std::optional<std::string>& before_id,
                                       const std::optional<std::string>& after_id) {
  if (before_id && after_id) {
    throw std::invalid_argument("list_messages: before and after are exclusive");
  }
  if (limit <= 0) return {};
  return with_reader([&](Connection& conn) {
    // One row beyond the page tells whether there is more.
    const bool forward = after_id.has_value();
    std::string rest = "WHERE conversation_id = ?1";
    if (before_id) rest += " AND id < ?2";
    if (after_id) rest += " AND id > ?2";
    rest += forward ? " ORDER BY id ASC LIMIT ?3" : " ORDER BY id DESC LIMIT ?3";
    Query query(conn, sqlite_detail::select_messages(rest));
    query.bind_text(1, conversation_id);
    if (before_id) query.bind_text(2, *before_id);
    if (after_id) query.bind_text(2, *after_id);
    query.bind_int(3, static_cast<int64_t>(limit) + 1);
    MessagePage page;
    page.messages = sqlite_detail::all_messages(query);
    if (page.messages.size() > static_cast<std::size_t>(limit)) {
      page.has_more = true;
      page.messages.pop_back();
    }
    if (!forward) std::reverse(page.messages.begin(), page.messages.end());
    return page;
  });
}

}  // namespace samwaad::store
