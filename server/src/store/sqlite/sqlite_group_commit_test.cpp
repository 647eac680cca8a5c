// SQLite-specific: group commit really batches concurrent writes, and a write
// that fails inside a batch fails only its own caller.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "testing/temp_dir.hpp"

namespace samwaad::store {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

std::string user_id(uint32_t n) { return make_object_id(1'700'000'000 + n, 0xabcdef, n); }

User make_user(uint32_t n) {
  User user;
  user.id = user_id(n);
  user.name = "user " + std::to_string(n);
  user.email = "u" + std::to_string(n) + "@example.com";
  user.password_hash = "$2b$12$x";
  user.created_ms = user.updated_ms = 1;
  return user;
}

Message make_message(uint32_t from, uint32_t to, const std::string& client_id) {
  Message m;
  m.from = user_id(from);
  m.to = user_id(to);
  m.text = "hello";
  m.client_id = client_id;
  m.created_ms = 1000;
  return m;
}

// Holds the first batch back until it and the writes queued behind it make
// `total`, so the second batch is known to carry all the rest. The timeout keeps a
// broken queue from hanging the test (it then fails on the counts instead).
class HoldFirstBatch {
 public:
  explicit HoldFirstBatch(std::size_t total) : total_(total) {}

  void attach(SqliteStore* store) { store_ = store; }
  void operator()(std::size_t batch_size) {
    sizes_.push_back(batch_size);
    if (sizes_.size() != 1 || store_ == nullptr) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (batch_size + store_.load()->queued_writes() < total_ &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  // Only the leader calls operator(), and leaders never overlap.
  const std::vector<std::size_t>& sizes() const { return sizes_; }

 private:
  std::size_t total_;
  std::atomic<SqliteStore*> store_{nullptr};
  std::vector<std::size_t> sizes_;
};

class GroupCommit : public ::testing::Test {
 protected:
  void open(HoldFirstBatch& hold) {
    SqliteOptions options;
    options.on_group_commit = [&hold](std::size_t size) { hold(size); };
    // The committer's own batching of inserts; journaled inserts are tested
    // in message_journal_test.cpp.
    options.message_journal = false;
    store_ = std::make_unique<SqliteStore>((dir_.path() / "gc.db").string(), options);
    store_->migrate();
    for (uint32_t n = 1; n <= 3; ++n) store_->insert_user(make_user(n));
    hold.attach(store_.get());
  }

  TempDir dir_{"samwaad-gc"};
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(GroupCommit, ConcurrentInsertsShareTransactions) {
  constexpr int kThreads = 8;
  HoldFirstBatch hold(kThreads);
  open(hold);
  std::vector<std::thread> threads;
  std::atomic<int> stored{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto inserted = store_->insert_message(make_message(1, 2, "c" + std::to_string(t)));
      if (!inserted.duplicate) ++stored;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(stored.load(), kThreads);
  const GroupCommitStats stats = store_->group_commit_stats();
  EXPECT_EQ(stats.writes, static_cast<uint64_t>(kThreads));
  // The first batch holds whatever was queued when the committer woke (one
  // write, or all of them if the threads were quicker); the hold makes sure
  // every later one is in the second.
  EXPECT_LE(stats.transactions, 2u);
  std::size_t in_batches = 0;
  for (std::size_t size : hold.sizes()) in_batches += size;
  EXPECT_EQ(in_batches, static_cast<std::size_t>(kThreads));
  EXPECT_EQ(hold.sizes().size(), stats.transactions);
}

TEST_F(GroupCommit, AFailingWriteFailsOnlyItsCaller) {
  HoldFirstBatch hold(4);
  open(hold);
  std::thread first([&] { store_->insert_message(make_message(1, 2, "first")); });
  // Wait until the first write leads (and is held), so the rest share a batch.
  while (store_->group_commit_stats().transactions == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::atomic<int> conflicts{0};
  std::atomic<int> stored{0};
  auto attempt = [&](Message m) {
    try {
      store_->insert_message(m);
      ++stored;
    } catch (const StoreConflict&) {
      ++conflicts;
    }
  };
  std::thread good1(attempt, make_message(2, 3, "good1"));
  std::thread bad(attempt, make_message(1, 99, "bad"));  // unknown recipient
  std::thread good2(attempt, make_message(3, 1, "good2"));
  first.join();
  good1.join();
  bad.join();
  good2.join();
  EXPECT_EQ(conflicts.load(), 1);
  EXPECT_EQ(stored.load(), 2);
  ASSERT_EQ(hold.sizes().size(), 2u);
  EXPECT_EQ(hold.sizes()[1], 3u);
  // The good writes of the failed batch are committed, the bad one left nothing.
  EXPECT_EQ(store_->list_undelivered(user_id(3), 10, std::nullopt).size(), 1u);
  EXPECT_EQ(store_->list_undelivered(user_id(1), 10, std::nullopt).size(), 1u);
  EXPECT_TRUE(store_->list_undelivered(user_id(99), 10, std::nullopt).empty());
  Message bad_again = make_message(1, 2, "bad");
  EXPECT_FALSE(store_->insert_message(bad_again).duplicate);
}

TEST_F(GroupCommit, ReceiptsAreGroupCommittedToo) {
  HoldFirstBatch hold(0);
  open(hold);
  auto m = store_->insert_message(make_message(1, 2, "x")).message;
  const auto before = store_->group_commit_stats().writes;
  EXPECT_TRUE(store_->mark_delivered(m.id, user_id(2), 5));
  EXPECT_EQ(store_->mark_read_up_to(user_id(2), m.conversation_id, m.id, 6).count, 1);
  EXPECT_EQ(store_->group_commit_stats().writes, before + 2);
}

// A burst of disconnects: their last-seen times share commits instead of
// taking one each.
TEST_F(GroupCommit, LastSeenTimesShareCommits) {
  constexpr int kWrites = 50;
  HoldFirstBatch hold(kWrites);
  open(hold);
  const auto before = store_->group_commit_stats();
  std::atomic<int> done{0};
  std::atomic<int> failed{0};
  for (int i = 0; i < kWrites; ++i) {
    store_->set_last_seen_async(user_id(1 + i % 3), 1000 + i, [&](const std::exception_ptr& error) {
      if (error) ++failed;
      ++done;
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (done < kWrites && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(done.load(), kWrites);
  EXPECT_EQ(failed.load(), 0);
  const auto after = store_->group_commit_stats();
  EXPECT_EQ(after.writes - before.writes, static_cast<uint64_t>(kWrites));
  // The first batch holds whatever was queued when the committer woke (one
  // write, or all of them); the hold puts every later one in the second.
  EXPECT_LE(after.transactions - before.transactions, 2u);
  // The last write of each user wins, as queued.
  EXPECT_EQ(store_->find_user_by_id(user_id(1))->last_seen_ms, 1000 + 48);
  EXPECT_EQ(store_->find_user_by_id(user_id(2))->last_seen_ms, 1000 + 49);
  EXPECT_EQ(store_->find_user_by_id(user_id(3))->last_seen_ms, 1000 + 47);
}

}  // namespace
}  // namespace samwaad::store
