// What the rest of the server may ask of persistent storage. Every call blocks
// (disk or network I/O) and must never run on a network I/O thread. Each
// backend (sqlite/, later postgres/) implements this interface, and one
// contract test suite (store_contract_test.cpp) runs against every backend.
//
// Failure modes: a violated uniqueness rule throws StoreConflict; the backend
// being unreachable or broken throws StoreUnavailable; nothing else is thrown
// for expected situations ("not found" is an empty optional).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace samwaad::store {

struct StoreConflict : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct StoreUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct User {
  std::string id;             // ObjectId hex
  std::string name;
  std::string email;          // lower-case
  std::string password_hash;  // bcrypt $2b$
  std::string bio;
  std::optional<std::string> avatar_json;  // serialized avatar metadata, or none
  int64_t last_seen_ms = 0;                // 0: never seen online
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct Session {
  std::string id;  // the JWT `sid`
  std::string user_id;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
  std::optional<int64_t> revoked_ms;
};

struct ProfileChange {
  std::optional<std::string> name;
  std::optional<std::string> bio;
  // Outer optional: whether to change it; inner: the new value (nullopt clears it).
  std::optional<std::optional<std::string>> avatar_json;
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies pending schema migrations; idempotent. Returns the schema version.
  virtual int migrate() = 0;
  virtual int schema_version() = 0;
  // True when the database answers a trivial query.
  virtual bool ping() = 0;

  // Throws StoreConflict if the (lower-case) email is taken.
  virtual void insert_user(const User& user) = 0;
  virtual std::optional<User> find_user_by_id(const std::string& id) = 0;
  virtual std::optional<User> find_user_by_email(const std::string& email) = 0;
  // Applies the change and sets updated_ms; returns the updated user, or
  // nullopt if the user does not exist.
  virtual std::optional<User> update_profile(const std::string& id, const ProfileChange& change,
                                             int64_t now_ms) = 0;
  // Users whose name or email starts with `prefix` (case-insensitive; an empty
  // prefix matches everyone), never `exclude_id`, ordered by name then id.
  virtual std::vector<User> search_users(const std::string& prefix, const std::string& exclude_id,
                                         int limit) = 0;
  virtual void set_last_seen(const std::string& user_id, int64_t ms) = 0;

  virtual void insert_session(const Session& session) = 0;
  virtual std::optional<Session> find_session(const std::string& id) = 0;
  // Marks the session revoked; returns false if it did not exist.
  virtual bool revoke_session(const std::string& id, int64_t now_ms) = 0;
  // Removes sessions that expired before `now_ms`; returns how many.
  virtual int purge_expired_sessions(int64_t now_ms) = 0;
};

// Opens the backend named by a DATABASE_URL (`sqlite:///path/to.db` or
// `sqlite://relative/path.db`). Throws std::invalid_argument for an
// unsupported scheme and StoreUnavailable if it cannot be opened.
std::unique_ptr<Store> open_store(const std::string& database_url);

}  // namespace samwaad::store
