// The message journal alone (framing, recovery, segment reuse), and the
// store's use of it across a crash: records acknowledged but not applied are
// applied by the next start, once.
#include "store/sqlite/message_journal.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.hpp"
#include "core/thread_priority.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "testing/store_printers.hpp"
#include "testing/temp_dir.hpp"

namespace samwaad::store {
namespace {

using sqlite_detail::decode_message;
using sqlite_detail::encode_message;
using sqlite_detail::MessageJournal;
using testing::TempDir;

std::vector<std::string> payloads_of(const std::vector<MessageJournal::Record>& records) {
  std::vector<std::string> out;
  out.reserve(records.size());
  for (const auto& r : records) out.push_back(r.payload);
  return out;
}

TEST(MessageJournal, RecoversWhatWasAppendedInOrder) {
  TempDir dir;
  const std::string base = dir.path().string() + "/j";
  {
    MessageJournal journal(base);
    EXPECT_TRUE(journal.recover().empty());
    EXPECT_EQ(journal.append({"one", "two"}), 2u);
    EXPECT_EQ(journal.append({std::string(1000, 'x')}), 3u);
    EXPECT_EQ(journal.append({}), 0u);
    // The file is extended ahead of its records (with zeros), so a sync need
    // not commit a new length.
    EXPECT_GT(std::filesystem::file_size(base + "-0"), 3 * 16 + 3 + 3 + 1000);
  }
  MessageJournal journal(base);
  const auto records = journal.recover();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].seq, 1u);
  EXPECT_EQ(records[2].seq, 3u);
  EXPECT_EQ(payloads_of(records), (std::vector<std::string>{"one", "two", std::string(1000, 'x')}));
  // Appending continues after what was found.
  EXPECT_EQ(journal.append({"four"}), 4u);
}

TEST(MessageJournal, StopsAtATornOrCorruptTailAndOverwritesIt) {
  TempDir dir;
  const std::string base = dir.path().string() + "/j";
  {
    MessageJournal journal(base);
    journal.recover();
    journal.append({"kept", "torn"});
  }
  const std::string segment = base + "-0";
  const std::size_t records_end = 2 * 16 + 4 + 4;          // two headers, two payloads
  std::filesystem::resize_file(segment, records_end - 2);  // the last record lost its end
  {
    MessageJournal journal(base);
    EXPECT_EQ(payloads_of(journal.recover()), std::vector<std::string>{"kept"});
    EXPECT_EQ(journal.append({"after"}), 2u);
  }
  {
    // A flipped byte in a payload fails its checksum: it and what follows go.
    std::fstream file(segment, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(16);  // the first payload byte
    file.put('K');
  }
  MessageJournal journal(base);
  EXPECT_TRUE(journal.recover().empty());
}

TEST(MessageJournal, ReusesASegmentOnlyOnceItsRecordsAreReleased) {
  TempDir dir;
  const std::string base = dir.path().string() + "/j";
  const std::string big(400, 'p');
  {
    MessageJournal journal(base, 1000);  // tiny segments
    journal.recover();
    journal.append({big, big, big});  // 1..3 fill segment 0
    journal.append({big});            // 4: segment 1 (0 is full, nothing held in 1)
    journal.append({big, big});       // 5, 6: segment 1 too
    journal.append({big});            // 7: 1 is full but 0 holds 1..3, not released
    journal.release(3);
    journal.append({big});  // 8: segment 1 is full, 0 is free: overwritten from its start
  }
  // Segment 0 still holds records 2 and 3 behind 8 (it is overwritten, not
  // truncated); recovery must stop at them, as they are older.
  EXPECT_GE(std::filesystem::file_size(base + "-0"), 3 * (16 + big.size()));
  MessageJournal journal(base, 1000);
  const auto records = journal.recover();
  std::vector<uint64_t> seqs;
  seqs.reserve(records.size());
  for (const auto& r : records) seqs.push_back(r.seq);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{4, 5, 6, 7, 8}));
}

TEST(MessageJournal, ASecondOpenerIsRefused) {
  TempDir dir;
  MessageJournal first(dir.path().string() + "/j");
  EXPECT_THROW(MessageJournal second(dir.path().string() + "/j"), MessageJournal::JournalBusy);
}

TEST(MessageJournal, MessagePayloadsRoundTrip) {
  Message m;
  m.id = make_object_id(1'700'000'000, 1, 1);
  m.conversation_id = make_object_id(1'700'000'000, 1, 2);
  m.from = make_object_id(1'700'000'000, 1, 3);
  m.to = make_object_id(1'700'000'000, 1, 4);
  m.text = std::string("h\0llo \xF0\x9F\x91\x8B", 10);
  m.call_json = R"({"status":"missed"})";
  m.client_id = "c-1";
  m.read_ms = 42;
  m.created_ms = 1'700'000'000'123;
  const Message back = decode_message(encode_message(m));
  EXPECT_EQ(back.id, m.id);
  EXPECT_EQ(back.conversation_id, m.conversation_id);
  EXPECT_EQ(back.from, m.from);
  EXPECT_EQ(back.to, m.to);
  EXPECT_EQ(back.text, m.text);
  EXPECT_EQ(back.image_json, std::nullopt);
  EXPECT_EQ(back.call_json, m.call_json);
  EXPECT_EQ(back.client_id, m.client_id);
  EXPECT_EQ(back.delivered_ms, std::nullopt);
  EXPECT_EQ(back.read_ms, m.read_ms);
  EXPECT_EQ(back.created_ms, m.created_ms);
  std::string payload = encode_message(m);
  EXPECT_THROW(decode_message(payload.substr(0, payload.size() - 1)), std::runtime_error);
  EXPECT_THROW(decode_message(payload + "x"), std::runtime_error);
  payload[0] = 9;
  EXPECT_THROW(decode_message(payload), std::runtime_error);
}

// --- The store's use of it.

User user_named(const std::string& name, uint32_t n) {
  User u;
  u.id = make_object_id(1'700'000'000, 7, n);
  u.name = name;
  u.email = name + "@example.com";
  u.password_hash = "$2b$12$" + std::string(53, 'a');
  u.created_ms = u.updated_ms = 1'700'000'000'000;
  return u;
}

Message text_from(const User& from, const User& to, const std::string& text,
                  std::optional<std::string> client_id = std::nullopt) {
  Message m;
  m.from = from.id;
  m.to = to.id;
  m.text = text;
  m.client_id = std::move(client_id);
  m.created_ms = 1'700'000'000'500;
  return m;
}

// A migrated store in a fresh directory, with ann and bob in it.
struct JournalStore {
  explicit JournalStore(SqliteOptions options = {})
      : store(dir.path().string() + "/db.sqlite", std::move(options)) {
    store.migrate();
    store.insert_user(ann);
    store.insert_user(bob);
  }

  // Queues `count` messages from ann to bob (client ids prefix0, prefix1, ...)
  // `spacing` apart, and returns once every one is acknowledged.
  void send_async(int count, const std::string& prefix,
                  std::chrono::milliseconds spacing = std::chrono::milliseconds(0)) {
    std::atomic<int> done{0};
    std::binary_semaphore all_done{0};
    for (int i = 0; i < count; ++i) {
      store.insert_message_async(
          text_from(ann, bob, "hi", prefix + std::to_string(i)),
          [&](const InsertedMessage& result, const std::exception_ptr& error) {
            EXPECT_FALSE(error);
            EXPECT_FALSE(result.duplicate);
            if (++done == count) all_done.release();
          });
      if (spacing.count() > 0) std::this_thread::sleep_for(spacing);
    }
    all_done.acquire();
  }

  TempDir dir;
  User ann = user_named("ann", 1);
  User bob = user_named("bob", 2);
  SqliteStore store;
};

TEST(SqliteJournal, AnAcknowledgedMessageIsReadableAtOnceAndCountedOnce) {
  SqliteOptions options;
  options.apply_delay = std::chrono::seconds(10);  // only a read can bring it in
  options.quiet_apply_delay = options.apply_delay;
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  ASSERT_TRUE(store.journaling());
  const User& ann = journal_store.ann;
  const User& bob = journal_store.bob;
  const auto first = store.insert_message(text_from(ann, bob, "hi", "c1"));
  ASSERT_FALSE(first.duplicate);
  // A repeat while it is only in the journal finds it there.
  const auto repeat = store.insert_message(text_from(ann, bob, "hi again", "c1"));
  EXPECT_TRUE(repeat.duplicate);
  EXPECT_EQ(repeat.message.id, first.message.id);
  const auto unapplied = [&store] {
    for (const auto& gauge : store.gauges()) {
      if (gauge.name == "samwaad_store_messages_unapplied") return gauge.value;
    }
    return -1.0;
  };
  EXPECT_EQ(unapplied(), 1.0);  // only in the journal, for 10 s
  const auto page = store.list_messages(first.message.conversation_id, 10, {}, {});
  EXPECT_EQ(unapplied(), 0.0);  // the read brought it in
  ASSERT_EQ(page.messages.size(), 1u);
  EXPECT_EQ(page.messages[0].id, first.message.id);
  const auto summaries = store.list_conversations(bob.id, 10, {});
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].unread_count, 1);
  // And once applied, the repeat is found in SQLite.
  EXPECT_TRUE(store.insert_message(text_from(ann, bob, "again", "c1")).duplicate);
}

// While writes arrive slowly the committer applies after the quiet delay,
// not the full one.
TEST(SqliteJournal, SlowWritesAreAppliedAfterTheQuietDelay) {
  SqliteOptions options;
  options.apply_delay = std::chrono::seconds(30);
  options.quiet_apply_delay = std::chrono::milliseconds(10);
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  const User& ann = journal_store.ann;
  const User& bob = journal_store.bob;
  const auto unapplied = [&store] {
    for (const auto& gauge : store.gauges()) {
      if (gauge.name == "samwaad_store_messages_unapplied") return gauge.value;
    }
    return -1.0;
  };
  store.insert_message(text_from(ann, bob, "hi", "q1"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (unapplied() != 0.0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(unapplied(), 0.0);  // long before the 30 s
}

// While messages arrive slowly the journal does not pace its syncs: each
// message goes as soon as the last round is done, however long the interval.
TEST(SqliteJournal, MessagesArrivingSlowlyAreSyncedAtOnce) {
  SqliteOptions options;
  options.sync_interval = std::chrono::milliseconds(1000);  // quiet_sync_interval 0
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  using Clock = std::chrono::steady_clock;
  const auto before = store.group_commit_stats().journal_rounds;
  constexpr int kCount = 5;
  for (int i = 0; i < kCount; ++i) {
    const auto start = Clock::now();
    EXPECT_FALSE(store
                     .insert_message(text_from(journal_store.ann, journal_store.bob, "hi",
                                               "q" + std::to_string(i)))
                     .duplicate);
    // Paced, each after the first would wait out the rest of the second.
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(500)) << i;
  }
  EXPECT_EQ(store.group_commit_stats().journal_rounds - before, static_cast<uint64_t>(kCount));
}

// Once messages come faster than the quiet rate, the rounds are paced again.
TEST(SqliteJournal, MessagesArrivingFastArePacedAgain) {
  SqliteOptions options;
  options.sync_interval = std::chrono::milliseconds(300);
  options.quiet_messages_per_second = 20;  // the ~500 a second below are fast
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  const auto before = store.group_commit_stats().journal_rounds;
  journal_store.send_async(200, "f", std::chrono::milliseconds(2));
  // Over the ~400 ms: quiet (one round per message) for at most the first
  // 100 ms window, then a round per 300 ms.
  const auto rounds = store.group_commit_stats().journal_rounds - before;
  EXPECT_LT(rounds, 120u);
  EXPECT_GE(rounds, 2u);
}

// Messages that come within the sync interval after a round began wait for
// it and share the next round's sync; one after a pause is synced at once.
TEST(SqliteJournal, MessagesWithinTheSyncIntervalShareOneSync) {
  SqliteOptions options;
  options.sync_interval = std::chrono::milliseconds(1000);
  options.quiet_messages_per_second = 0;  // never quiet: always paced
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  const User& ann = journal_store.ann;
  const User& bob = journal_store.bob;
  using Clock = std::chrono::steady_clock;
  const auto timed_insert = [&](const std::string& client_id) {
    const auto start = Clock::now();
    EXPECT_FALSE(store.insert_message(text_from(ann, bob, "hi", client_id)).duplicate);
    return Clock::now() - start;
  };
  // The first round: nothing before it to wait for.
  EXPECT_LT(timed_insert("a0"), std::chrono::milliseconds(500));
  ASSERT_EQ(store.group_commit_stats().journal_rounds, 1u);
  // Ten messages 5 ms apart, all well within the second after that round.
  constexpr int kCount = 10;
  journal_store.send_async(kCount, "b", std::chrono::milliseconds(5));
  EXPECT_EQ(store.group_commit_stats().journal_rounds, 2u);
  // After a pause longer than the interval, a message goes at once again.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_LT(timed_insert("c0"), std::chrono::milliseconds(500));
  EXPECT_EQ(store.group_commit_stats().journal_rounds, 3u);
  EXPECT_EQ(
      store.list_messages(store.list_conversations(ann.id, 1, {})[0].conversation.id, 50, {}, {})
          .messages.size(),
      static_cast<std::size_t>(kCount + 2));
}

// Per-thread tools (top -H, perf, /proc) tell the store's threads apart.
TEST(SqliteJournal, TheStoreThreadsAreNamed) {
  TempDir dir;
  SqliteStore store(dir.path().string() + "/db.sqlite");
  const auto named = [](const std::string& wanted) {
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      std::getline(comm, name);
      if (name == wanted) return true;
    }
    return false;
  };
  // Each thread names itself as it starts: give them a moment.
  for (int i = 0; i < 200 && !(named("store-commit") && named("store-journal")); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(named("store-commit"));
  EXPECT_TRUE(named("store-journal"));
}

// --- Background applying (SqliteOptions::background_apply).

// Counts, from inside the committer, the batches it starts at each priority.
struct PriorityCounts {
  std::atomic<int> background{0};
  std::atomic<int> normal{0};
  std::atomic<int> first{-1};      // the first counted batch: 1 background, 0 normal
  std::atomic<bool> armed{false};  // off during the set-up's own writes
  void count() {
    if (!armed) return;
    const bool in_background = is_background(pthread_self());
    ++(in_background ? background : normal);
    int none = -1;
    first.compare_exchange_strong(none, in_background ? 1 : 0);
  }
};

SqliteOptions counted(PriorityCounts& counts, std::chrono::milliseconds apply_delay) {
  SqliteOptions options;
  options.apply_delay = apply_delay;
  options.quiet_apply_delay = apply_delay;
  options.on_group_commit = [&counts](std::size_t) { counts.count(); };
  return options;
}

double gauge_of(SqliteStore& store, const std::string& name) {
  for (const auto& gauge : store.gauges()) {
    if (gauge.name == name) return gauge.value;
  }
  return -1.0;
}

double unapplied_of(SqliteStore& store) {
  return gauge_of(store, "samwaad_store_messages_unapplied");
}

void wait_until_applied(SqliteStore& store) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (unapplied_of(store) != 0.0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(unapplied_of(store), 0.0);
}

// A pair's first message creates their conversation, a write its sender
// waits for; the tests below count the batches after it (and after the read
// that brings this message in).
void open_conversation(JournalStore& journal_store) {
  auto& store = journal_store.store;
  const auto first =
      store.insert_message(text_from(journal_store.ann, journal_store.bob, "hi", "o0"));
  store.list_messages(first.message.conversation_id, 1, {}, {});
}

// Sends `count` messages from ann to bob and waits until they are applied.
void send_and_wait_applied(JournalStore& journal_store, const std::string& prefix, int count) {
  for (int i = 0; i < count; ++i) {
    journal_store.store.insert_message(
        text_from(journal_store.ann, journal_store.bob, "hi", prefix + std::to_string(i)));
  }
  wait_until_applied(journal_store.store);
}

// The scheduling policy of this process's thread named `name`, or -1.
int policy_of_thread(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    std::getline(comm, line);
    if (line == name) return sched_getscheduler(std::stoi(task.path().filename().string()));
  }
  return -1;
}

TEST(SqliteJournal, MessagesNobodyWaitsForAreAppliedInTheBackground) {
  if (!can_leave_background()) GTEST_SKIP() << "needs CAP_SYS_NICE or RLIMIT_NICE >= 20";
  PriorityCounts counts;
  // Long enough that a slow machine's late wake-up is not taken for a
  // committer falling behind (three delays).
  JournalStore journal_store(counted(counts, std::chrono::milliseconds(200)));
  auto& store = journal_store.store;
  open_conversation(journal_store);
  counts.armed = true;
  send_and_wait_applied(journal_store, "g", 3);
  EXPECT_GE(counts.background.load(), 1);
  EXPECT_EQ(counts.normal.load(), 0);
  EXPECT_EQ(store.group_commit_stats().background_transactions,
            static_cast<uint64_t>(counts.background.load()));
  // Back at normal priority once SQLite's work is done: what follows a
  // batch takes locks other threads wait for.
  EXPECT_EQ(policy_of_thread("store-commit"), SCHED_OTHER);
}

// Operators can tell whether the option took effect.
TEST(SqliteJournal, TheMetricsSayWhetherApplyingRunsInTheBackground) {
  JournalStore on;
  EXPECT_EQ(gauge_of(on.store, "samwaad_store_background_apply"),
            can_leave_background() ? 1.0 : 0.0);
  SqliteOptions options;
  options.background_apply = false;
  JournalStore off(options);
  EXPECT_EQ(gauge_of(off.store, "samwaad_store_background_apply"), 0.0);
}

TEST(SqliteJournal, WithBackgroundApplyingOffEveryBatchRunsAtNormalPriority) {
  PriorityCounts counts;
  SqliteOptions options = counted(counts, std::chrono::milliseconds(100));
  options.background_apply = false;
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  open_conversation(journal_store);
  counts.armed = true;
  send_and_wait_applied(journal_store, "n", 1);
  EXPECT_EQ(counts.background.load(), 0);
  EXPECT_GE(counts.normal.load(), 1);
  EXPECT_EQ(store.group_commit_stats().background_transactions, 0u);
}

// A read that needs the journal applied does not wait behind other threads
// for a CPU: its batch runs at normal priority.
TEST(SqliteJournal, ABatchSomeoneWaitsForRunsAtNormalPriority) {
  if (!can_leave_background()) GTEST_SKIP() << "needs CAP_SYS_NICE or RLIMIT_NICE >= 20";
  PriorityCounts counts;
  JournalStore journal_store(counted(counts, std::chrono::seconds(10)));
  auto& store = journal_store.store;
  open_conversation(journal_store);
  counts.armed = true;
  const auto sent =
      store.insert_message(text_from(journal_store.ann, journal_store.bob, "hi", "w0"));
  EXPECT_EQ(store.list_messages(sent.message.conversation_id, 10, {}, {}).messages.size(), 2u);
  EXPECT_EQ(counts.background.load(), 0);
  EXPECT_EQ(counts.normal.load(), 1);
}

// A backlog means the committer is not keeping up in the background. (Its
// batches after the first depend on timing: the hold-back may apply the
// messages one by one, each waiting for its receipt, and the last, with the
// backlog gone, may run in the background again.)
TEST(SqliteJournal, ABacklogIsAppliedAtNormalPriority) {
  if (!can_leave_background()) GTEST_SKIP() << "needs CAP_SYS_NICE or RLIMIT_NICE >= 20";
  PriorityCounts counts;
  SqliteOptions options = counted(counts, std::chrono::milliseconds(100));
  options.max_unapplied = 16;  // a backlog from 2 (an eighth)
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  open_conversation(journal_store);
  counts.armed = true;
  // Queued together: journaled within a round or two, long before the apply
  // delay is up, so the backlog is there at the committer's first look.
  journal_store.send_async(6, "k");
  wait_until_applied(store);
  EXPECT_EQ(counts.first.load(), 0);
  EXPECT_GE(counts.normal.load(), 1);
}

// A reader that comes while a batch runs in the background brings the
// committer back to normal priority there and then, not after the batch.
TEST(SqliteJournal, AReaderBringsTheCommitterOutOfTheBackgroundMidBatch) {
  if (!can_leave_background()) GTEST_SKIP() << "needs CAP_SYS_NICE or RLIMIT_NICE >= 20";
  std::atomic<bool> armed{false};
  std::atomic<bool> in_batch{false};
  std::atomic<int> outcome{-1};  // 1: brought back; 0: still in the background; 2: never there
  SqliteOptions options;
  options.apply_delay = std::chrono::milliseconds(100);
  options.quiet_apply_delay = options.apply_delay;
  options.on_group_commit = [&](std::size_t) {
    if (!armed.exchange(false)) return;
    if (!is_background(pthread_self())) {
      outcome = 2;
      return;
    }
    in_batch = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (is_background(pthread_self()) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    outcome = is_background(pthread_self()) ? 0 : 1;
  };
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  open_conversation(journal_store);
  armed = true;
  const auto sent =
      store.insert_message(text_from(journal_store.ann, journal_store.bob, "hi", "m0"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!in_batch && outcome == -1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(in_batch) << "outcome " << outcome.load();
  EXPECT_EQ(store.list_messages(sent.message.conversation_id, 10, {}, {}).messages.size(), 2u);
  EXPECT_EQ(outcome.load(), 1);
}

// A receipt queued while its message waits to be applied is written with the
// insert (no update of its own): the outcome must be what the update gives.
TEST(SqliteJournal, AReceiptBeforeTheApplyIsWrittenWithTheInsert) {
  SqliteOptions options;
  options.apply_delay = std::chrono::seconds(10);  // the read below applies both
  options.quiet_apply_delay = options.apply_delay;
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  const User& ann = journal_store.ann;
  const User& bob = journal_store.bob;
  const auto first = store.insert_message(text_from(ann, bob, "first", "c0")).message;
  store.find_message(first.id);  // applies it
  const auto sent = store.insert_message(text_from(ann, bob, "hi", "c1")).message;
  const auto other = store.insert_message(text_from(ann, bob, "other", "c2")).message;
  // Outcomes by receipt, in completion order.
  std::mutex mutex;
  std::vector<std::optional<Message>> outcomes;
  std::binary_semaphore finished{0};
  const auto receipt = [&](const std::string& id, const User& recipient, int64_t at, bool last) {
    store.mark_delivered_async(
        id, recipient.id, at, [&, last](std::optional<Message> m, const std::exception_ptr& error) {
          EXPECT_FALSE(error);
          std::lock_guard lock(mutex);
          outcomes.push_back(std::move(m));
          if (last) finished.release();
        });
  };
  receipt(sent.id, bob, 1'700'000'001'000, false);
  receipt(sent.id, bob, 1'700'000'002'000, false);   // delivered already
  receipt(other.id, ann, 1'700'000'003'000, false);  // not addressed to ann
  receipt(other.id, bob, 1'700'000'004'000, true);
  const auto before = store.group_commit_stats().folded_receipts;
  store.find_message(sent.id);  // applies both messages and the receipts
  finished.acquire();
  EXPECT_EQ(store.group_commit_stats().folded_receipts - before, 4u);
  ASSERT_EQ(outcomes.size(), 4u);
  ASSERT_TRUE(outcomes[0]);
  EXPECT_EQ(outcomes[0]->id, sent.id);
  EXPECT_EQ(outcomes[0]->delivered_ms, 1'700'000'001'000);
  EXPECT_FALSE(outcomes[1]);
  EXPECT_FALSE(outcomes[2]);
  ASSERT_TRUE(outcomes[3]);
  EXPECT_EQ(outcomes[3]->delivered_ms, 1'700'000'004'000);
  // What the receipt reported is what is stored, field by field.
  for (const auto& reported : {*outcomes[0], *outcomes[3]}) {
    const auto stored = store.find_message(reported.id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(*stored, reported);
  }
  // Only the first message is still undelivered; unread counts are untouched.
  const auto undelivered = store.list_undelivered(bob.id, 10, {});
  ASSERT_EQ(undelivered.size(), 1u);
  EXPECT_EQ(undelivered[0].text, "first");
  EXPECT_EQ(store.list_conversations(bob.id, 10, {})[0].unread_count, 3);
  // Once applied, a receipt is an update again, with the same outcome.
  const auto later = store.insert_message(text_from(bob, ann, "later", "c3")).message;
  store.find_message(later.id);
  const auto folded = store.group_commit_stats().folded_receipts;
  receipt(later.id, ann, 1'700'000'005'000, true);
  finished.acquire();
  EXPECT_EQ(store.group_commit_stats().folded_receipts, folded);
  ASSERT_TRUE(outcomes.back());
  EXPECT_EQ(outcomes.back()->delivered_ms, 1'700'000'005'000);
}

// A message whose receipt has not come when its batch goes is held back for
// it, while the journal has room for several apply delays, so that the
// receipt still folds into its insert.
TEST(SqliteJournal, AMessageWaitsSeveralApplyDelaysForItsReceipt) {
  SqliteOptions options;
  options.apply_delay = std::chrono::milliseconds(100);  // held up to 2 s
  options.quiet_apply_delay = options.apply_delay;
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  const User& ann = journal_store.ann;
  const User& bob = journal_store.bob;
  // Their conversation is created (and committed) before the first is journaled.
  const auto early = store.insert_message(text_from(ann, bob, "early", "c0")).message;
  const auto late = store.insert_message(text_from(ann, bob, "late", "c1")).message;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_GT(store.group_commit_stats().held_back, 0u);
  std::binary_semaphore finished{0};
  std::optional<Message> outcome;
  store.mark_delivered_async(late.id, bob.id, 1'700'000'001'000,
                             [&](std::optional<Message> m, const std::exception_ptr& error) {
                               EXPECT_FALSE(error);
                               outcome = std::move(m);
                               finished.release();
                             });
  finished.acquire();
  EXPECT_EQ(store.group_commit_stats().folded_receipts, 1u);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->delivered_ms, 1'700'000'001'000);
  const auto stored = store.find_message(late.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, *outcome);
  const auto undelivered = store.list_undelivered(bob.id, 10, {});
  ASSERT_EQ(undelivered.size(), 1u);
  EXPECT_EQ(undelivered[0].id, early.id);
}

// Waits until the committer has run `writes` more writes than `before`, or
// `limit` is up; returns how long that took.
std::chrono::steady_clock::duration wait_for_writes(SqliteStore& store, uint64_t before,
                                                    uint64_t writes,
                                                    std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  while (store.group_commit_stats().writes < before + writes &&
         std::chrono::steady_clock::now() - start < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::chrono::steady_clock::now() - start;
}

// A message to someone who does not answer (offline) is applied once it has
// waited the whole hold, and its receipt, when it comes, is an update.
TEST(SqliteJournal, AMessageWhoseReceiptDoesNotComeIsAppliedAfterTheHold) {
  SqliteOptions options;
  options.apply_delay = std::chrono::milliseconds(20);  // held up to 400 ms
  options.quiet_apply_delay = options.apply_delay;
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  store.get_or_create_conversation(journal_store.ann.id, journal_store.bob.id, 1);
  const uint64_t before = store.group_commit_stats().writes;
  const auto sent =
      store.insert_message(text_from(journal_store.ann, journal_store.bob, "hi", "c0")).message;
  const auto waited = wait_for_writes(store, before, 1, std::chrono::seconds(10));
  EXPECT_GE(waited, std::chrono::milliseconds(350));
  EXPECT_LT(waited, std::chrono::seconds(5));
  std::binary_semaphore finished{0};
  store.mark_delivered_async(sent.id, journal_store.bob.id, 1'700'000'001'000,
                             [&](std::optional<Message> m, const std::exception_ptr& error) {
                               EXPECT_FALSE(error);
                               EXPECT_TRUE(m);
                               finished.release();
                             });
  finished.acquire();
  EXPECT_EQ(store.group_commit_stats().folded_receipts, 0u);
  EXPECT_EQ(store.find_message(sent.id)->delivered_ms, 1'700'000'001'000);
}

// With half the journal's room taken, messages wait one apply delay for
// their receipts, not several: the room is kept for the messages to come.
TEST(SqliteJournal, AJournalPastHalfItsRoomHoldsMessagesOneDelayOnly) {
  SqliteOptions options;
  options.apply_delay = std::chrono::milliseconds(100);  // held 2 s with room
  options.quiet_apply_delay = options.apply_delay;
  options.max_unapplied = 4;  // half: 2
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  store.get_or_create_conversation(journal_store.ann.id, journal_store.bob.id, 1);
  const uint64_t before = store.group_commit_stats().writes;
  journal_store.send_async(3, "r");
  const auto waited = wait_for_writes(store, before, 3, std::chrono::seconds(10));
  EXPECT_LT(waited, std::chrono::milliseconds(1500));
  EXPECT_EQ(store.group_commit_stats().writes, before + 3);
}

// When the journal waits for room, the committer applies at once, even
// messages it would otherwise hold back for their receipts: with nothing
// else queued, holding them back would leave the batch empty and the
// journal stalled until the apply delay ran out.
TEST(SqliteJournal, AJournalWaitingForRoomIsNotKeptWaitingByTheHoldBack) {
  SqliteOptions options;
  options.apply_delay = std::chrono::seconds(10);
  options.quiet_apply_delay = options.apply_delay;
  options.max_unapplied = 4;
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  const User& ann = journal_store.ann;
  const User& bob = journal_store.bob;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> ids;
  ids.reserve(12);
  for (int i = 0; i < 12; ++i) {
    ids.push_back(
        store.insert_message(text_from(ann, bob, "hi", "r" + std::to_string(i))).message.id);
  }
  // Each wait for room would otherwise last the 10 s apply delay.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_GT(store.group_commit_stats().held_back, 0u);  // the hold-back did look at them
  for (const auto& id : ids) EXPECT_TRUE(store.find_message(id)) << id;
}

// A write of another kind after a young message (a read mark that covers it)
// may depend on it: nothing before such a write is held back.
TEST(SqliteJournal, NoMessageIsHeldBackPastALaterReadMark) {
  SqliteOptions options;
  options.apply_delay = std::chrono::seconds(10);
  options.quiet_apply_delay = options.apply_delay;
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  const User& ann = journal_store.ann;
  const User& bob = journal_store.bob;
  const auto sent = store.insert_message(text_from(ann, bob, "hi", "c0")).message;
  // Queued behind the message, and waited for: the batch goes at once.
  const auto read = store.mark_read_up_to(bob.id, sent.conversation_id, sent.id, 1'700'000'001'000);
  EXPECT_EQ(read.count, 1);
  EXPECT_EQ(store.group_commit_stats().held_back, 0u);
  const auto stored = store.find_message(sent.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->read_ms, 1'700'000'001'000);
  EXPECT_EQ(store.list_conversations(bob.id, 10, {})[0].unread_count, 0);
}

// The journal skips its look-up of a client id above its sender's stored
// ones; after a restart that bound is read back from SQLite, where it is
// raised in the transaction that stores the messages (client_id_bounds).
// Batches of journaled messages only are applied with SQLite's reference
// checks off (their references were checked when journaled); every other
// write must still have them.
TEST(SqliteJournal, ReferencesAreCheckedForEveryWriteButJournaledMessages) {
  SqliteOptions options;
  options.apply_delay = std::chrono::seconds(10);  // the applies wait in the queue
  options.quiet_apply_delay = options.apply_delay;
  JournalStore journal_store(options);
  auto& store = journal_store.store;
  ASSERT_TRUE(store.journaling());
  const std::string nobody = make_object_id(1'700'000'999, 0xabcdef, 999);
  const std::string conversation =
      store.get_or_create_conversation(journal_store.ann.id, journal_store.bob.id, 5).id;

  // A write of another kind joins the queued applies in one batch.
  journal_store.send_async(20, "mixed");
  EXPECT_THROW(store.get_or_create_conversation(journal_store.ann.id, nobody, 5), StoreConflict);

  // After a batch of applies only (a read brings it in), writes of other
  // kinds are checked again.
  journal_store.send_async(20, "only");
  EXPECT_EQ(store.list_messages(conversation, 100, std::nullopt, std::nullopt).messages.size(),
            40u);
  Image image;
  image.public_id = "img-of-nobody";
  image.owner_id = nobody;
  image.format = "png";
  image.width = image.height = 1;
  image.bytes = 1;
  EXPECT_THROW(store.insert_image(image), StoreConflict);
  Session session;
  session.id = "session-of-nobody";
  session.user_id = nobody;
  session.expires_ms = 10;
  EXPECT_THROW(store.insert_session(session), StoreConflict);
}

TEST(SqliteJournal, ARepeatAfterARestartIsFoundThroughTheStoredBound) {
  TempDir dir;
  const std::string path = dir.path().string() + "/db.sqlite";
  const auto ann = user_named("ann", 1), bob = user_named("bob", 2);
  Message second;
  {
    SqliteStore store(path);
    store.migrate();
    store.insert_user(ann);
    store.insert_user(bob);
    store.insert_message(text_from(ann, bob, "one", "c-1"));
    second = store.insert_message(text_from(ann, bob, "two", "c-2")).message;
    ASSERT_TRUE(store.find_message(second.id));  // applied
  }
  SqliteStore store(path);
  store.migrate();
  const auto again = store.insert_message(text_from(ann, bob, "two, resent", "c-2"));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.message.id, second.id);
  EXPECT_EQ(store.group_commit_stats().client_id_lookups, 1u);
  // Above the bound: new, and no look-up.
  const auto next = store.insert_message(text_from(ann, bob, "three", "c-3"));
  EXPECT_FALSE(next.duplicate);
  EXPECT_EQ(store.group_commit_stats().client_id_lookups, 1u);
}

// A process that dies after the journal's sync but before the apply: the
// journal is all that has the messages. Simulated by copying the files while
// the store still holds them only in the journal (apply delay of minutes).
TEST(SqliteJournal, TheNextStartAppliesWhatOnlyTheJournalHad) {
  TempDir dir;
  const std::string live = dir.path().string() + "/live.sqlite";
  const std::string crashed = dir.path().string() + "/crashed.sqlite";
  const auto ann = user_named("ann", 1), bob = user_named("bob", 2);
  std::vector<std::string> ids;
  {
    SqliteOptions options;
    options.apply_delay = std::chrono::minutes(5);
    options.quiet_apply_delay = options.apply_delay;
    SqliteStore store(live, options);
    store.migrate();
    store.insert_user(ann);
    store.insert_user(bob);
    // The conversation is created (and committed) by the first message.
    ids.push_back(store.insert_message(text_from(ann, bob, "one", "k1")).message.id);
    store.find_message(ids[0]);  // applies it
    for (int i = 2; i <= 4; ++i) {
      ids.push_back(store.insert_message(text_from(bob, ann, std::to_string(i))).message.id);
    }
    // "Crash": the database and journal files as they are on disk now.
    // (SQLite's WAL is copied too; the checkpointed file alone may lag.)
    for (const char* suffix : {"", "-wal", "-messages-0", "-messages-1"}) {
      if (std::filesystem::exists(live + suffix)) {
        std::filesystem::copy_file(live + suffix, crashed + suffix);
      }
    }
  }
  SqliteStore store(crashed);
  store.migrate();
  const auto conversation = store.find_message(ids[0])->conversation_id;
  const auto page = store.list_messages(conversation, 10, {}, {});
  std::vector<std::string> got;
  for (const auto& m : page.messages) got.push_back(m.id);
  EXPECT_EQ(got, ids);
  const auto summaries = store.list_conversations(ann.id, 10, {});
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].unread_count, 3);  // bob's three, counted once
  EXPECT_EQ(summaries[0].last_message->id, ids.back());
  // A repeat of the applied client id is still one.
  EXPECT_TRUE(store.insert_message(text_from(ann, bob, "one", "k1")).duplicate);
}

// Client ids that grow need no look-up in SQLite; any other order still
// finds every repeat, in this run and the next (whose bounds start cold).
TEST(SqliteJournal, RepeatsAreFoundWhateverTheOrderOfClientIds) {
  TempDir dir;
  const std::string path = dir.path().string() + "/db.sqlite";
  const auto ann = user_named("ann", 1), bob = user_named("bob", 2);
  std::map<std::string, std::string> ids;  // client id -> message id
  {
    SqliteStore store(path);
    store.migrate();
    store.insert_user(ann);
    store.insert_user(bob);
    const auto lookups = [&store] { return store.group_commit_stats().client_id_lookups; };
    // The sender's bound is read from SQLite once, then growing ids skip the look-up.
    for (const char* client_id : {"c5", "c6", "c7"}) {
      ids[client_id] = store.insert_message(text_from(ann, bob, "x", client_id)).message.id;
    }
    EXPECT_EQ(lookups(), 0u);
    store.find_message(ids["c7"]);  // applied: only SQLite has them now
    const auto before = lookups();
    auto older = store.insert_message(text_from(ann, bob, "x", "c3"));  // below the bound
    EXPECT_FALSE(older.duplicate);
    ids["c3"] = older.message.id;
    EXPECT_EQ(lookups(), before + 1);
    for (const char* client_id : {"c3", "c5", "c6", "c7"}) {
      const auto repeat = store.insert_message(text_from(ann, bob, "again", client_id));
      EXPECT_TRUE(repeat.duplicate) << client_id;
      EXPECT_EQ(repeat.message.id, ids[client_id]) << client_id;
    }
    // Another sender has a bound of their own.
    EXPECT_FALSE(store.insert_message(text_from(bob, ann, "x", "c5")).duplicate);
  }
  SqliteStore store(path);
  store.migrate();
  for (const char* client_id : {"c3", "c5", "c6", "c7"}) {
    const auto repeat = store.insert_message(text_from(ann, bob, "again", client_id));
    EXPECT_TRUE(repeat.duplicate) << client_id;
    EXPECT_EQ(repeat.message.id, ids[client_id]) << client_id;
  }
  EXPECT_FALSE(store.insert_message(text_from(ann, bob, "x", "c8")).duplicate);
}

// A message stored around the journal (an id of the caller's choosing) is
// not under the journal's bounds: from then on every client id is looked up.
TEST(SqliteJournal, AMessageStoredAroundTheJournalIsStillARepeat) {
  JournalStore journal_store;
  auto& store = journal_store.store;
  const User& ann = journal_store.ann;
  const User& bob = journal_store.bob;
  ASSERT_FALSE(store.insert_message(text_from(ann, bob, "x", "c1")).duplicate);
  auto direct = text_from(ann, bob, "direct", "c9");
  direct.id = make_object_id(1'700'000'001, 7, 1);
  ASSERT_FALSE(store.insert_message(direct).duplicate);
  const auto repeat = store.insert_message(text_from(ann, bob, "again", "c9"));
  EXPECT_TRUE(repeat.duplicate);
  EXPECT_EQ(repeat.message.id, direct.id);
}

TEST(SqliteJournal, NewIdsComeAfterTheRecoveredOnes) {
  TempDir dir;
  const std::string path = dir.path().string() + "/db.sqlite";
  const auto ann = user_named("ann", 1), bob = user_named("bob", 2);
  std::string before;
  {
    SqliteStore store(path);
    store.migrate();
    store.insert_user(ann);
    store.insert_user(bob);
    before = store.insert_message(text_from(ann, bob, "first")).message.id;
  }
  SqliteStore store(path);
  store.migrate();
  const auto after = store.insert_message(text_from(ann, bob, "second")).message.id;
  EXPECT_GT(after, before);
}

}  // namespace
}  // namespace samwaad::store
