// The embedded backend: one SQLite file in WAL mode. Writes go through a single
// connection behind a mutex (SQLite allows one writer at a time anyway, and
// queueing on our mutex is cheaper than spinning in busy_timeout); reads use a
// small pool of connections that WAL lets run alongside the writer.
//
// Chat writes (messages, receipts) are group-committed: callers queue their
// write, one committer thread runs everything queued in one transaction (one
// fsync) and hands each caller its own result. Under load the batch grows by
// itself while the previous fsync runs, so throughput scales with
// concurrency, and no caller ever returns before its write is durable.
//
// With a database file, new messages take a shorter way to durability: a
// journal thread appends them to the message journal (message_journal.hpp),
// syncs it and completes them; the committer applies them to SQLite later,
// in larger batches (with delivered receipts, which may wait too), or at once
// when any other write or any read needs it. Every read and direct write
// first waits until every message acknowledged so far is applied, so nobody
// sees a message id without the messages before it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace samwaad::store {

namespace sqlite_detail {
class Connection;
class MessageJournal;
}  // namespace sqlite_detail

struct SqliteOptions {
  // Read connections besides the writer. 0 sends every read through the writer,
  // which ":memory:" needs: each connection would otherwise get its own empty
  // database.
  int reader_connections = 4;
  // Called by the group-commit leader with the size of each batch before it
  // runs (for tests and metrics; must not call back into the store).
  std::function<void(std::size_t batch_size)> on_group_commit;
  // Messages acknowledged once in the journal beside the database file
  // (`path` + "-messages-0", "-1") and applied to SQLite later. Off (or for
  // ":memory:", or when another process holds the journal), each message is
  // committed into SQLite before it is acknowledged.
  bool message_journal = true;
  // How long journaled messages and delivered receipts may wait for the
  // committer to gather more of them (fewer, larger transactions), unless a
  // read or another write needs them sooner.
  std::chrono::milliseconds apply_delay{100};
  // The wait instead while writes arrive slowly (fewer than
  // kQuietWritesPerSecond over the last second; at most apply_delay): see
  // commit_loop.
  std::chrono::milliseconds quiet_apply_delay{10};
  // The least time between the starts of two journal rounds (an append and its
  // sync). A message that arrives sooner after the last start waits for the
  // rest of it and shares the next round; one after a pause goes at once.
  // Each sync costs the kernel and this VM's disk ~75 us of CPU whatever it
  // carries, so under load this trades at most one interval of latency for
  // fewer syncs (see journal_loop). 0: a round starts whenever one is due.
  std::chrono::microseconds sync_interval{1000};
  // The interval instead while messages arrive slowly (fewer than
  // quiet_messages_per_second over the last 100 ms; at most sync_interval):
  // then a sync costs little CPU in all, and waiting for the interval would
  // be most of a message's latency (measured: p50 0.83 against 0.23 ms at
  // 2,000 msg/s). 0: a message is synced as soon as the last round is done.
  std::chrono::microseconds quiet_sync_interval{0};
  // Below this many messages a second the journal is quiet (above). 0: never.
  double quiet_messages_per_second = 4000;
  // Journaled messages not yet applied, above which the journal thread waits
  // for the committer (until half as many are left): the journal and the
  // memory behind it stay bounded, and a sender that outpaces SQLite is
  // slowed down by its acks instead. Below half of it, messages wait longer
  // for their receipts (see commit_loop). At 100,000 msg/s this is ~2.6 s of
  // messages: room for receipts that come back late near saturation (a
  // quarter of it was not, docs/benchmarks.md).
  std::size_t max_unapplied = 262144;
  // The committer applies journaled messages at background priority
  // (core/thread_priority.hpp) while it keeps up and nobody waits for it:
  // its large transactions then take only CPU the I/O and journal threads
  // leave, instead of delaying the messages behind them (docs/benchmarks.md).
  // It returns to normal priority for any write someone waits for, a read
  // that needs the journal applied, a backlog, or a batch older than three
  // apply delays. Where the process may not leave background priority again
  // (no CAP_SYS_NICE, RLIMIT_NICE below 20) it always runs at normal priority.
  bool background_apply = true;
};

struct GroupCommitStats {
  uint64_t transactions = 0;  // group-commit transactions run
  uint64_t writes = 0;        // writes they carried
  // Delivered receipts written as part of their message's insert (see
  // fold_receipts) instead of as an update of their own.
  uint64_t folded_receipts = 0;
  // Journaled messages whose client id was looked up in SQLite (see
  // above_stored_client_ids): a repeat of an applied message is found this way.
  uint64_t client_id_lookups = 0;
  // Journaled messages held back to a later batch to wait for their receipt
  // (see hold_back_for_receipts); counted each time.
  uint64_t held_back = 0;
  // Journal rounds run: one append and one sync each.
  uint64_t journal_rounds = 0;
  // Messages those rounds journaled.
  uint64_t journaled_messages = 0;
  // Transactions the committer ran at background priority.
  uint64_t background_transactions = 0;
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
  std::vector<Gauge> gauges() override;

  void insert_user(const User& user) override;
  std::optional<User> find_user_by_id(const std::string& id) override;
  std::optional<User> find_user_by_email(const std::string& email) override;
  std::optional<User> update_profile(const std::string& id, const ProfileChange& change,
                                     int64_t now_ms) override;
  std::vector<User> search_users(const std::string& prefix, const std::string& exclude_id,
                                 int limit) override;
  void set_last_seen(const std::string& user_id, int64_t ms) override;
  void set_last_seen_async(const std::string& user_id, int64_t ms, WriteDone done) override;

  void insert_image(const Image& image) override;
  std::optional<Image> find_image(const std::string& public_id) override;
  std::optional<Image> claim_image(const std::string& public_id, const std::string& owner_id,
                                   ImagePurpose purpose, int64_t now_ms) override;
  std::optional<ProfileUpdate> update_profile_and_avatar(const std::string& id,
                                                         const ProfileChange& change,
                                                         const std::optional<Image>& new_avatar,
                                                         int64_t now_ms) override;
  std::vector<Image> delete_unused_images(int64_t created_before_ms, int limit) override;

  void insert_session(const Session& session) override;
  std::optional<Session> find_session(const std::string& id) override;
  bool revoke_session(const std::string& id, int64_t now_ms) override;
  int purge_expired_sessions(int64_t now_ms) override;

  Conversation get_or_create_conversation(const std::string& user_x, const std::string& user_y,
                                          int64_t now_ms) override;
  std::optional<Conversation> find_conversation(const std::string& id) override;
  InsertedMessage insert_message(const Message& message) override;
  void insert_message_async(Message message, InsertDone done) override;
  std::optional<Message> find_message(const std::string& id) override;
  std::optional<Message> mark_delivered(const std::string& message_id,
                                        const std::string& recipient_id, int64_t now_ms) override;
  void mark_delivered_async(std::string message_id, std::string recipient_id, int64_t now_ms,
                            DeliveredDone done) override;
  ReadResult mark_read_up_to(const std::string& reader_id, const std::string& conversation_id,
                             const std::string& up_to_message_id, int64_t now_ms) override;
  std::vector<Message> list_undelivered(const std::string& user_id, int limit,
                                        const std::optional<std::string>& after) override;
  std::vector<ConversationSummary> list_conversations(
      const std::string& user_id, int limit,
      const std::optional<ConversationCursor>& before) override;
  MessagePage list_messages(const std::string& conversation_id, int limit,
                            const std::optional<std::string>& before_id,
                            const std::optional<std::string>& after_id) override;

  // Applies the migrations up to `version` only (for tests of later ones:
  // a database as an older build left it); returns the schema version.
  int migrate_to(int version);

  GroupCommitStats group_commit_stats() const;
  // Whether messages go through the journal (see SqliteOptions).
  bool journaling() const { return journal_ != nullptr; }
  // Writes queued behind the running group commit (for tests).
  std::size_t queued_writes();

 private:
  // A journaled message's sender and client id, viewed, with their hash
  // (see pending_key): hashed once, on the journal thread, not again by the
  // committer when the message leaves pending_by_client_.
  struct PendingKey {
    std::size_t hash = 0;  // first: compared first
    std::string_view from;
    std::string_view client_id;
    bool operator==(const PendingKey&) const = default;
  };
  struct PendingKeyHash {
    std::size_t operator()(const PendingKey& key) const noexcept { return key.hash; }
  };
  static PendingKey pending_key(const Message& message);

  // One write waiting for a group commit. Once the batch holding it is
  // committed (or failed) the committer calls `done` (an asynchronous
  // caller) or releases `finished` (a caller blocked in group_commit), so
  // each caller hears of it exactly once.
  struct PendingWrite {
    std::function<void(sqlite_detail::Connection&)> run;
    std::function<void(std::exception_ptr)> done;
    std::exception_ptr error;
    std::binary_semaphore finished{0};
    // May wait up to apply_delay for company (nobody is blocked on it).
    bool lazy = false;
    std::chrono::steady_clock::time_point queued_at;
    // A journaled message being applied: its journal seq.
    uint64_t journal_seq = 0;
    // The message that `run` inserts, for a journaled message; shared with
    // pending_by_client_, so never changed.
    std::shared_ptr<const Message> applies;
    // Its key in pending_by_client_, if it has a client id (views of `applies`).
    std::optional<PendingKey> pending;
    // The time a receipt in the same batch delivered it (fold_receipts).
    std::optional<int64_t> folded_delivered_ms;
    // A delivered receipt: what it marks, and where its outcome goes.
    struct Receipt {
      std::string message_id;
      std::string recipient_id;
      int64_t now_ms = 0;
      std::shared_ptr<std::optional<Message>> result;
    };
    std::optional<Receipt> receipt;
  };
  // A message waiting for the journal thread.
  struct JournalInsert {
    Message message;
    InsertDone done;
  };

  // Runs `write` inside a shared transaction; returns once it is committed,
  // rethrowing its own error (or the commit's).
  void group_commit(std::function<void(sqlite_detail::Connection&)> write);
  // Queues `write` for the next shared transaction; `done` gets its error
  // (or none) on the committer thread once that is committed.
  void group_commit_async(std::function<void(sqlite_detail::Connection&)> write,
                          std::function<void(std::exception_ptr)> done, bool lazy = false);
  void enqueue_write(std::shared_ptr<PendingWrite> write);
  void enqueue_writes(std::vector<std::shared_ptr<PendingWrite>>& writes);
  void run_batch(const std::vector<std::shared_ptr<PendingWrite>>& batch);
  bool try_batch(const std::vector<std::shared_ptr<PendingWrite>>& batch, bool isolate);
  // The committer thread: takes everything queued, commits it as one
  // transaction, wakes its callers, repeats.
  void commit_loop();
  // After a batch: notes which journaled messages are applied now, and
  // queues again those whose apply failed (they are acknowledged already).
  void note_applied(const std::vector<std::shared_ptr<PendingWrite>>& batch);
  // Writes each receipt whose message is inserted earlier in the batch as
  // part of that insert, and drops its own update.
  void fold_receipts(const std::vector<std::shared_ptr<PendingWrite>>& batch);
  // Moves back into queue_ the journaled messages of `batch` that were
  // queued within `window` and whose receipt has not come yet, so that it
  // folds into their insert next time; `batch` may be left empty. Requires
  // queue_mutex_, queue_ empty.
  void hold_back_for_receipts(std::vector<std::shared_ptr<PendingWrite>>& batch,
                              std::chrono::steady_clock::duration window);
  // The committer, on itself: to background priority for one batch's SQLite
  // work (see SqliteOptions::background_apply). False if it stays at normal
  // priority: refused, or asked for normal priority meanwhile.
  bool committer_to_background();
  // Anyone: the committer back to normal priority now, and for the rest of
  // its batch; for someone waiting on it. A no-op if background applying is
  // off.
  void committer_to_foreground();
  // Past this many unapplied messages the committer is behind: normal priority.
  std::size_t backlog_for_foreground() const { return max_unapplied_ / 8; }

  // The journal thread: takes the queued inserts (no sooner than
  // sync_interval_, or quiet_sync_interval_ while messages arrive slowly,
  // after the last round began), journals them in one append
  // (one sync), queues their applies, completes them, repeats.
  void journal_loop();
  void journal_batch(std::vector<JournalInsert>& batch);
  // Waits while too many journaled messages wait for the committer.
  void wait_for_room();
  // What insert_message would store (or the first message, for a repeated
  // client id), without writing it.
  // `shared` is set to the message to journal (not for a repeat).
  InsertedMessage prepare_journaled(const Message& message, std::shared_ptr<const Message>& shared);
  std::string journal_conversation_for(const std::string& x, const std::string& y, int64_t now_ms);
  std::string next_journaled_id();
  bool above_stored_client_ids(const std::string& from, const std::string& client_id);
  sqlite_detail::Connection& journal_read();
  void end_journal_read();
  // The lazy write that applies a journaled message.
  std::shared_ptr<PendingWrite> apply_write(std::shared_ptr<const Message> stored, uint64_t seq);
  // Applies what a previous run journaled but may not have applied.
  void apply_recovered();
  // Returns once every message acknowledged before the call is applied (for
  // reads and direct writes).
  void wait_applied();
  std::string next_message_id(sqlite_detail::Connection& writer);
  InsertedMessage insert_message_now(sqlite_detail::Connection& writer, const Message& message);
  // Stores a journaled message unless an earlier run already did.
  void apply_journaled(sqlite_detail::Connection& writer, const Message& stored,
                       std::optional<int64_t> delivered_ms);
  // Records what an inserted message changes on its conversation's row.
  void note_inserted(const Message& stored);
  // The id of the conversation between two users, created if needed.
  std::string conversation_for(sqlite_detail::Connection& writer, const std::string& x,
                               const std::string& y, int64_t now_ms, bool& created);
  // Sets each conversation's last message from what this batch inserted.
  void flush_touches(sqlite_detail::Connection& writer);
  // After a rollback: drops what described uncommitted work.
  void forget_uncommitted();

  template <typename F>
  auto with_writer(F&& f);
  template <typename F>
  auto with_reader(F&& f);
  sqlite_detail::Connection* acquire_reader();
  void release_reader(sqlite_detail::Connection* reader);

  std::chrono::milliseconds apply_delay_;
  std::chrono::milliseconds quiet_apply_delay_;
  std::chrono::microseconds sync_interval_;
  std::chrono::microseconds quiet_sync_interval_;
  double quiet_messages_per_second_;
  std::size_t max_unapplied_;
  // Asked for and allowed (can_leave_background), fixed at construction.
  bool background_apply_ = false;
  // Committer thread only: writes arrived slowly over the last second or more.
  bool quiet_ = true;
  std::size_t rate_writes_ = 0;
  std::chrono::steady_clock::time_point rate_since_ = std::chrono::steady_clock::now();
  std::mutex writer_mutex_;
  std::unique_ptr<sqlite_detail::Connection> writer_;  // guarded by writer_mutex_
  std::string last_message_id_;                        // guarded by writer_mutex_
  // Conversation ids by user pair (the two ids concatenated, sorted); both
  // maps guarded by writer_mutex_.
  std::unordered_map<std::string, std::string> conversation_ids_;
  // What the running batch's inserts change on one conversation row.
  struct ConversationTouch {
    int64_t updated_ms = 0;
    std::string last_message_id;  // the newest inserted
    // Per member, [0] user_a and [1] user_b: the unread messages inserted to
    // them, and the lowest of their ids (for the member's read mark).
    int64_t unread[2] = {0, 0};
    std::string lowest_unread[2];
  };
  std::unordered_map<std::string, ConversationTouch> pending_touches_;  // by conversation id
  // The highest client id each sender stored in the open transaction, for
  // client_id_bounds (migration 5); written with the touches.
  std::unordered_map<std::string, std::string> pending_bounds_;  // by sender id

  std::vector<std::unique_ptr<sqlite_detail::Connection>> readers_;  // fixed after construction
  std::mutex pool_mutex_;
  std::condition_variable reader_returned_;
  std::vector<sqlite_detail::Connection*> idle_readers_;  // guarded by pool_mutex_

  std::function<void(std::size_t)> on_group_commit_;
  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  // Shared with the waiting caller: the committer may still be inside
  // release() when the caller wakes and returns.
  std::vector<std::shared_ptr<PendingWrite>> queue_;  // guarded by queue_mutex_
  bool stopping_ = false;                             // guarded by queue_mutex_
  std::size_t urgent_queued_ = 0;                     // non-lazy writes in queue_; guarded
  // Writes queued since the committer last took the queue (the rest of
  // queue_ is held back for receipts), and when the first of them came;
  // when the oldest message held back was queued. All guarded.
  std::size_t fresh_queued_ = 0;
  std::chrono::steady_clock::time_point first_fresh_at_;
  std::chrono::steady_clock::time_point held_since_;
  int barrier_waiters_ = 0;          // in wait_applied; guarded
  int room_waiters_ = 0;             // in wait_for_room; guarded
  std::condition_variable applied_;  // applied_seq_ moved; queue_mutex_
  // Journal seqs queued for applying and not applied yet; guarded by queue_mutex_.
  std::set<uint64_t> unapplied_;
  uint64_t highest_queued_seq_ = 0;  // guarded by queue_mutex_
  // Every journaled message at or below it is applied (and, the commit being
  // synced, durable in SQLite: the journal may drop it).
  std::atomic<uint64_t> applied_seq_{0};
  // The highest seq acknowledged to a caller.
  std::atomic<uint64_t> acknowledged_seq_{0};

  // The journal side (all null/empty without a journal).
  std::unique_ptr<sqlite_detail::MessageJournal> journal_;     // journal thread only
  std::unique_ptr<sqlite_detail::Connection> journal_reader_;  // journal thread only
  // Journaled by an earlier run, with their seqs; applied by migrate().
  std::vector<std::pair<uint64_t, std::shared_ptr<const Message>>> recovered_;
  std::unordered_map<std::string, std::string> journal_conversations_;  // journal thread only
  std::string last_journaled_id_;                                       // journal thread only
  bool journaled_id_loaded_ = false;  // journal thread only: max(id) read once
  bool journal_read_open_ = false;    // journal thread only: journal_reader_ in a read
  // By sender, a client id at or above every one of theirs stored; journal thread only.
  std::unordered_map<std::string, std::string> highest_client_id_;
  // A message with a client id was written around the journal (an id of the
  // caller's choosing: tests, imports): highest_client_id_ no longer bounds.
  std::atomic<bool> direct_client_ids_{false};
  // Journaled messages with a client id, not applied yet, by sender and
  // client id: a repeat must find them before SQLite has them.
  std::mutex pending_mutex_;
  std::unordered_map<PendingKey, std::shared_ptr<const Message>, PendingKeyHash>
      pending_by_client_;  // guarded by pending_mutex_
  std::mutex journal_mutex_;
  std::condition_variable journal_ready_;
  std::vector<JournalInsert> journal_queue_;  // guarded by journal_mutex_
  bool journal_stopping_ = false;             // guarded by journal_mutex_
  std::atomic<uint64_t> commit_transactions_{0};
  std::atomic<uint64_t> commit_writes_{0};
  std::atomic<uint64_t> folded_receipts_{0};
  std::atomic<uint64_t> client_id_lookups_{0};
  std::atomic<uint64_t> held_back_{0};
  std::atomic<uint64_t> journal_rounds_{0};
  std::atomic<uint64_t> journaled_messages_{0};
  std::atomic<uint64_t> background_transactions_{0};
  // See committer_to_background.
  std::atomic<bool> committer_background_{false};
  std::atomic<bool> foreground_wanted_{false};
  std::thread committer_;  // last: started once everything above exists
  std::thread journal_thread_;
};

}  // namespace samwaad::store
