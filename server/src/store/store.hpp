// What the rest of the server may ask of persistent storage. Every call blocks
// (disk or network I/O) and must never run on a network I/O thread. Each
// backend (sqlite/, later postgres/) implements this interface, and one
// contract test suite (store_contract_test.cpp) runs against every backend.
//
// Failure modes: a violated uniqueness rule throws StoreConflict; the backend
// being unreachable or broken throws StoreUnavailable; nothing else is thrown
// for expected situations ("not found" is an empty optional).
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
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
  std::string id;  // ObjectId hex
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

// One message of a one-to-one conversation. Optional text columns hold JSON
// documents (image, call) serialized by the chat layer; the store does not
// look inside them.
struct Message {
  std::string id;  // ObjectId hex; sorts in commit order (see insert_message)
  std::string conversation_id;
  std::string from;
  std::string to;
  std::optional<std::string> text;
  std::optional<std::string> image_json;
  std::optional<std::string> call_json;
  std::optional<std::string> client_id;  // the sender's idempotency key
  std::optional<int64_t> delivered_ms;
  std::optional<int64_t> read_ms;
  int64_t created_ms = 0;

  friend bool operator==(const Message&, const Message&) = default;
};

// The conversation between two users; there is at most one per pair, stored
// with the pair sorted (user_a < user_b) so that the pair is one unique key.
struct Conversation {
  std::string id;
  std::string user_a;
  std::string user_b;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;  // created_ms, or the newest message's created_ms
  std::optional<std::string> last_message_id;
};

struct InsertedMessage {
  Message message;
  // The sender's client_id was already stored: `message` is the first one,
  // and nothing was written.
  bool duplicate = false;
};

struct ConversationSummary {
  Conversation conversation;
  std::optional<Message> last_message;
  int64_t unread_count = 0;  // messages to the listing user with read_ms unset
};

// Position in the "most recently updated first" order of conversations.
struct ConversationCursor {
  int64_t updated_ms = 0;
  std::string id;
};

struct MessagePage {
  std::vector<Message> messages;  // oldest first
  bool has_more = false;          // more exist beyond this page in the direction asked
};

struct ReadResult {
  int count = 0;                         // messages newly marked read
  std::optional<std::string> newest_id;  // the newest of them
};

struct ProfileChange {
  std::optional<std::string> name;
  std::optional<std::string> bio;
  // Outer optional: whether to change it; inner: the new value (nullopt clears it).
  std::optional<std::optional<std::string>> avatar_json;
};

// What an uploaded image is for: a chat upload waits for a message to use it;
// an avatar is used by its profile from the start.
enum class ImagePurpose { chat, avatar };

// An uploaded image as stored: its files are in the media store, under keys
// the media service derives from public_id and format.
struct Image {
  std::string public_id;  // random, unguessable
  std::string owner_id;   // the uploader
  ImagePurpose purpose = ImagePurpose::chat;
  std::string format;  // file extension: jpg, png, webp, gif
  int width = 0;
  int height = 0;
  int64_t bytes = 0;
  int64_t created_ms = 0;
  std::optional<int64_t> used_ms;  // first used by a message or profile; unset: unused
};

struct ProfileUpdate {
  User user;
  // Avatar images the change made unused: their rows are deleted, their files
  // are the caller's to remove.
  std::vector<Image> released_images;
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies pending schema migrations; idempotent. Returns the schema version.
  virtual int migrate() = 0;
  virtual int schema_version() = 0;
  // True when the database answers a trivial query.
  virtual bool ping() = 0;

  // Point-in-time figures of the backend for GET /metrics (name, help,
  // value); never blocks on the database.
  struct Gauge {
    std::string name;
    std::string help;
    double value = 0;
    bool counter = false;  // a total since start, published as a Prometheus counter
  };
  virtual std::vector<Gauge> gauges() { return {}; }

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
  // set_last_seen without blocking the caller: `done` runs on a thread of
  // the store's once the time is durable, with the error if it is not; as
  // for insert_message_async, it must be quick, must not throw, and must
  // not call into the store. A backend may hold it back to share a
  // transaction (SQLite: up to the apply delay), so that a burst of
  // disconnects costs a few commits, not one each.
  using WriteDone = std::function<void(std::exception_ptr)>;
  virtual void set_last_seen_async(const std::string& user_id, int64_t ms, WriteDone done) = 0;

  // --- Uploaded images.

  // Throws StoreConflict if the public_id exists or the owner does not.
  virtual void insert_image(const Image& image) = 0;
  virtual std::optional<Image> find_image(const std::string& public_id) = 0;
  // The image, if `owner_id` uploaded it for `purpose`, marked used at
  // `now_ms` unless it already was (the first use is kept). nullopt if there
  // is no such image of that owner and purpose: nothing changes then.
  virtual std::optional<Image> claim_image(const std::string& public_id,
                                           const std::string& owner_id, ImagePurpose purpose,
                                           int64_t now_ms) = 0;
  // update_profile, plus the avatar's image rows, in one transaction: when
  // `new_avatar` is given it is inserted (an avatar, used at `now_ms`); when
  // change.avatar_json is set, every other avatar image of the user is
  // deleted and returned. nullopt if the user does not exist (nothing
  // changes). Throws StoreConflict if new_avatar's public_id exists.
  virtual std::optional<ProfileUpdate> update_profile_and_avatar(
      const std::string& id, const ProfileChange& change, const std::optional<Image>& new_avatar,
      int64_t now_ms) = 0;
  // Deletes up to `limit` images never used and created before
  // `created_before_ms`, oldest first, and returns them (their files are the
  // caller's to remove).
  virtual std::vector<Image> delete_unused_images(int64_t created_before_ms, int limit) = 0;

  virtual void insert_session(const Session& session) = 0;
  virtual std::optional<Session> find_session(const std::string& id) = 0;
  // Marks the session revoked; returns false if it did not exist.
  virtual bool revoke_session(const std::string& id, int64_t now_ms) = 0;
  // Removes sessions that expired before `now_ms`; returns how many.
  virtual int purge_expired_sessions(int64_t now_ms) = 0;

  // --- Conversations and messages. Writes are durable when they return.

  // The conversation between two distinct users (either order), created with
  // a new id at `now_ms` if there is none yet. Throws StoreConflict if the
  // users are the same or one does not exist.
  virtual Conversation get_or_create_conversation(const std::string& user_x,
                                                  const std::string& user_y, int64_t now_ms) = 0;
  virtual std::optional<Conversation> find_conversation(const std::string& id) = 0;

  // Stores a message from `message.from` to `message.to`, creating their
  // conversation if needed (`message.conversation_id` is ignored and filled
  // in), and makes it the conversation's last message. An empty `message.id`
  // is assigned by the store in commit order, so a client that has seen a
  // message id has seen every earlier one of this server (`after=` catch-up
  // relies on it). Idempotent on (from, client_id): a repeat returns the
  // stored message with duplicate = true. Throws StoreConflict if a user does
  // not exist, or the users are the same. Concurrent calls share one
  // transaction (group commit).
  virtual InsertedMessage insert_message(const Message& message) = 0;
  virtual std::optional<Message> find_message(const std::string& id) = 0;

  // insert_message without blocking the caller, for the realtime server's
  // network thread: `done` runs on a thread of the store's once the write is
  // durable, with the result, or with what insert_message would have thrown
  // (the result is then empty). Inserts queued from one thread are stored,
  // and complete, in the order they were queued; so are receipts
  // (mark_delivered_async) among themselves, and a receipt is stored after
  // every insert that completed before it was queued. `done` must be quick,
  // must not throw, and must not call into the store.
  using InsertDone = std::function<void(InsertedMessage, std::exception_ptr)>;
  virtual void insert_message_async(Message message, InsertDone done) = 0;

  // Sets delivered_ms if the message is addressed to `recipient_id` and not
  // delivered yet; returns the updated message, or nullopt if nothing changed.
  virtual std::optional<Message> mark_delivered(const std::string& message_id,
                                                const std::string& recipient_id,
                                                int64_t now_ms) = 0;
  // mark_delivered without blocking the caller; `done` as for
  // insert_message_async.
  using DeliveredDone = std::function<void(std::optional<Message>, std::exception_ptr)>;
  virtual void mark_delivered_async(std::string message_id, std::string recipient_id,
                                    int64_t now_ms, DeliveredDone done) = 0;
  // Marks read every message of the conversation addressed to `reader_id`
  // with id <= `up_to_message_id` and not read yet (delivering the
  // undelivered ones too).
  virtual ReadResult mark_read_up_to(const std::string& reader_id,
                                     const std::string& conversation_id,
                                     const std::string& up_to_message_id, int64_t now_ms) = 0;

  // Messages addressed to `user_id` not yet delivered, oldest first; only
  // those with an id greater than `after` when it is set (the next page).
  virtual std::vector<Message> list_undelivered(const std::string& user_id, int limit,
                                                const std::optional<std::string>& after) = 0;
  // The user's conversations, most recently updated first (ties: higher id
  // first), strictly after `before` in that order when given.
  virtual std::vector<ConversationSummary> list_conversations(
      const std::string& user_id, int limit, const std::optional<ConversationCursor>& before) = 0;
  // A page of the conversation, oldest first: the newest `limit` messages
  // (older than `before_id` when given), or the oldest `limit` newer than
  // `after_id`. At most one of the two may be set (std::invalid_argument).
  virtual MessagePage list_messages(const std::string& conversation_id, int limit,
                                    const std::optional<std::string>& before_id,
                                    const std::optional<std::string>& after_id) = 0;
};

// How a backend runs, beyond where its data is.
struct StoreSettings {
  // How long an acknowledged message, and a delivered receipt, may wait before
  // the database proper has it (SQLite: applied from the message journal, see
  // sqlite_store.hpp). Longer gathers more into one transaction; reads and
  // other writes never wait for it.
  std::chrono::milliseconds apply_delay{100};
  // The same while writes arrive slowly (see SqliteOptions::quiet_apply_delay).
  std::chrono::milliseconds quiet_apply_delay{10};
  // The least time between the starts of two syncs of acknowledged messages
  // (SQLite: of the message journal, see SqliteOptions::sync_interval).
  std::chrono::microseconds sync_interval{1000};
  // The same while messages arrive slowly (see SqliteOptions::quiet_sync_interval).
  std::chrono::microseconds quiet_sync_interval{0};
  // Whether the database may take acknowledged messages at background CPU
  // priority while it keeps up (SQLite: SqliteOptions::background_apply).
  bool background_apply = true;
};

// Opens the backend named by a DATABASE_URL (`sqlite:///path/to.db` or
// `sqlite://relative/path.db`). Throws std::invalid_argument for an
// unsupported scheme and StoreUnavailable if it cannot be opened.
std::unique_ptr<Store> open_store(const std::string& database_url,
                                  const StoreSettings& settings = {});

}  // namespace samwaad::store
