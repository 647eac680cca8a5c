// The storage contract, run against every backend. A new backend adds one
// entry to backends() below; every TEST_P then runs against it too.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.hpp"
#include "store/store.hpp"
#include "testing/temp_dir.hpp"

namespace samwaad::store {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

// One empty database of some backend. open() may be called again after the
// previous store is destroyed, and must then reach the same data.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::unique_ptr<Store> open() = 0;
};

class SqliteBackend final : public Backend {
 public:
  std::unique_ptr<Store> open() override {
    return open_store("sqlite://" + (dir_.path() / "data" / "samwaad.db").string());
  }

 private:
  TempDir dir_{"samwaad-store"};
};

struct BackendParam {
  std::string name;
  std::function<std::unique_ptr<Backend>()> make;
};

// Keeps gtest from dumping the raw bytes (and pointers) of the parameter into
// test listings, which would make the discovered ctest names unstable.
void PrintTo(const BackendParam& param, std::ostream* os) { *os << param.name; }

std::vector<BackendParam> backends() {
  return {
      {"sqlite", [] { return std::make_unique<SqliteBackend>(); }},
  };
}

// Ids that sort in creation order, like the server's.
std::string test_id(uint32_t n) { return make_object_id(1'700'000'000 + n, 0x1234567890, n); }

User make_user(uint32_t n, const std::string& name, const std::string& email) {
  User user;
  user.id = test_id(n);
  user.name = name;
  user.email = email;
  user.password_hash = "$2b$12$abcdefghijklmnopqrstuu0123456789012345678901234567890";
  user.bio = "";
  user.created_ms = 1'700'000'000'000 + n;
  user.updated_ms = user.created_ms;
  return user;
}

std::vector<std::string> names_of(const std::vector<User>& users) {
  std::vector<std::string> names;
  for (const User& user : users) names.push_back(user.name);
  return names;
}

void expect_same_user(const User& actual, const User& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.name, expected.name);
  EXPECT_EQ(actual.email, expected.email);
  EXPECT_EQ(actual.password_hash, expected.password_hash);
  EXPECT_EQ(actual.bio, expected.bio);
  EXPECT_EQ(actual.avatar_json, expected.avatar_json);
  EXPECT_EQ(actual.last_seen_ms, expected.last_seen_ms);
  EXPECT_EQ(actual.created_ms, expected.created_ms);
  EXPECT_EQ(actual.updated_ms, expected.updated_ms);
}

class StoreContract : public ::testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override {
    backend_ = GetParam().make();
    store_ = backend_->open();
    store_->migrate();
  }
  void TearDown() override {
    store_.reset();
    backend_.reset();
  }

  Store& store() { return *store_; }
  void reopen() {
    store_.reset();
    store_ = backend_->open();
  }

  // Inserted out of order so that any ordering is the store's doing.
  void add_search_users() {
    store().insert_user(make_user(5, "carol", "carol@example.com"));
    store().insert_user(make_user(1, "Alice Smith", "alice@example.com"));
    store().insert_user(make_user(3, "alice jones", "aj@corp.example"));
    store().insert_user(make_user(2, "Bob", "bob@example.com"));
    store().insert_user(make_user(4, "Alice Smith", "alice2@example.com"));
    store().insert_user(make_user(6, "100%_real", "pct@example.com"));
    store().insert_user(make_user(7, "100 percent", "p100@example.com"));
    store().insert_user(make_user(8, "a_b", "ab@example.com"));
    store().insert_user(make_user(9, "axb", "axb@example.com"));
    store().insert_user(make_user(10, "Émile", "emile@example.com"));
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContract, MigrateIsIdempotentAndReportsTheVersion) {
  auto backend = GetParam().make();
  auto fresh = backend->open();
  EXPECT_EQ(fresh->schema_version(), 0);
  const int version = fresh->migrate();
  EXPECT_GE(version, 1);
  EXPECT_EQ(fresh->migrate(), version);
  EXPECT_EQ(fresh->schema_version(), version);
  EXPECT_TRUE(fresh->ping());
}

TEST_P(StoreContract, InsertsAndFindsUsersByIdAndEmail) {
  User plain = make_user(1, "Asha Rao", "asha@example.com");
  User full = make_user(2, "Björn", "bjorn@example.com");
  full.bio = "hello, world";
  full.avatar_json = R"({"url":"/media/x.png","width":10})";
  full.last_seen_ms = 1'700'000'123'456;
  store().insert_user(plain);
  store().insert_user(full);

  auto by_id = store().find_user_by_id(plain.id);
  ASSERT_TRUE(by_id);
  expect_same_user(*by_id, plain);
  auto by_email = store().find_user_by_email("bjorn@example.com");
  ASSERT_TRUE(by_email);
  expect_same_user(*by_email, full);

  EXPECT_FALSE(store().find_user_by_id(test_id(99)));
  EXPECT_FALSE(store().find_user_by_email("nobody@example.com"));
}

TEST_P(StoreContract, DuplicateEmailOrIdIsAConflict) {
  store().insert_user(make_user(1, "First", "same@example.com"));
  EXPECT_THROW(store().insert_user(make_user(2, "Second", "same@example.com")), StoreConflict);
  EXPECT_THROW(store().insert_user(make_user(1, "Third", "third@example.com")), StoreConflict);
  // The failed inserts left nothing behind, and the store still works.
  EXPECT_FALSE(store().find_user_by_id(test_id(2)));
  EXPECT_FALSE(store().find_user_by_email("third@example.com"));
  store().insert_user(make_user(3, "Fourth", "fourth@example.com"));
  EXPECT_TRUE(store().find_user_by_id(test_id(3)));
}

TEST_P(StoreContract, UpdateProfileChangesOnlyWhatIsAsked) {
  User user = make_user(1, "Old Name", "user@example.com");
  user.bio = "old bio";
  store().insert_user(user);

  ProfileChange rename;
  rename.name = "New Name";
  auto renamed = store().update_profile(user.id, rename, 5000);
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->name, "New Name");
  EXPECT_EQ(renamed->bio, "old bio");
  EXPECT_EQ(renamed->avatar_json, std::nullopt);
  EXPECT_EQ(renamed->updated_ms, 5000);
  EXPECT_EQ(renamed->created_ms, user.created_ms);
  EXPECT_EQ(renamed->email, user.email);
  // Search follows the new name, not the old one.
  EXPECT_EQ(names_of(store().search_users("new", "", 10)), std::vector<std::string>{"New Name"});
  EXPECT_TRUE(store().search_users("old", "", 10).empty());

  ProfileChange rebio_and_avatar;
  rebio_and_avatar.bio = "";
  rebio_and_avatar.avatar_json = std::optional<std::string>(R"({"url":"/media/a.png"})");
  auto changed = store().update_profile(user.id, rebio_and_avatar, 6000);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->name, "New Name");
  EXPECT_EQ(changed->bio, "");
  EXPECT_EQ(changed->avatar_json, R"({"url":"/media/a.png"})");
  EXPECT_EQ(changed->updated_ms, 6000);

  ProfileChange keep_avatar;
  keep_avatar.bio = "kept";
  EXPECT_EQ(store().update_profile(user.id, keep_avatar, 6500)->avatar_json,
            R"({"url":"/media/a.png"})");

  ProfileChange clear_avatar;
  clear_avatar.avatar_json = std::optional<std::string>();
  auto cleared = store().update_profile(user.id, clear_avatar, 7000);
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->avatar_json, std::nullopt);
  EXPECT_EQ(cleared->bio, "kept");

  // What was returned is what is stored.
  expect_same_user(*store().find_user_by_id(user.id), *cleared);

  EXPECT_FALSE(store().update_profile(test_id(99), rename, 8000));
}

TEST_P(StoreContract, EmptyProfileChangeOnlyTouchesUpdatedMs) {
  User user = make_user(1, "Name", "user@example.com");
  store().insert_user(user);
  auto touched = store().update_profile(user.id, ProfileChange{}, 9000);
  ASSERT_TRUE(touched);
  user.updated_ms = 9000;
  expect_same_user(*touched, user);
}

TEST_P(StoreContract, SearchMatchesNamePrefixCaseInsensitively) {
  add_search_users();
  EXPECT_EQ(names_of(store().search_users("ALI", "", 10)),
            (std::vector<std::string>{"alice jones", "Alice Smith", "Alice Smith"}));
  EXPECT_EQ(names_of(store().search_users("alice s", "", 10)),
            (std::vector<std::string>{"Alice Smith", "Alice Smith"}));
  EXPECT_TRUE(store().search_users("zed", "", 10).empty());
}

TEST_P(StoreContract, SearchMatchesEmailPrefix) {
  add_search_users();
  EXPECT_EQ(names_of(store().search_users("aj@", "", 10)), std::vector<std::string>{"alice jones"});
  EXPECT_EQ(names_of(store().search_users("BOB@EX", "", 10)), std::vector<std::string>{"Bob"});
  // A user matching by both name and email appears once.
  EXPECT_EQ(names_of(store().search_users("carol", "", 10)), std::vector<std::string>{"carol"});
}

TEST_P(StoreContract, SearchOrdersByNameThenIdAndExcludesTheCaller) {
  add_search_users();
  const auto everyone = store().search_users("", "", 100);
  EXPECT_EQ(names_of(everyone), (std::vector<std::string>{
                                    "100 percent", "100%_real", "a_b", "alice jones", "Alice Smith",
                                    "Alice Smith", "axb", "Bob", "carol", "Émile"}));
  EXPECT_EQ(everyone[4].id, test_id(1));
  EXPECT_EQ(everyone[5].id, test_id(4));

  const auto without_alice = store().search_users("alice", test_id(1), 10);
  ASSERT_EQ(without_alice.size(), 2u);
  EXPECT_EQ(without_alice[0].id, test_id(3));
  EXPECT_EQ(without_alice[1].id, test_id(4));
  EXPECT_EQ(store().search_users("", test_id(2), 100).size(), 9u);
}

TEST_P(StoreContract, SearchHonoursTheLimit) {
  add_search_users();
  EXPECT_EQ(names_of(store().search_users("", "", 3)),
            (std::vector<std::string>{"100 percent", "100%_real", "a_b"}));
  EXPECT_EQ(store().search_users("alice", "", 1).size(), 1u);
  EXPECT_TRUE(store().search_users("", "", 0).empty());
}

TEST_P(StoreContract, SearchTreatsPercentAndUnderscoreLiterally) {
  add_search_users();
  EXPECT_EQ(names_of(store().search_users("100%", "", 10)), std::vector<std::string>{"100%_real"});
  EXPECT_EQ(names_of(store().search_users("100%_", "", 10)), std::vector<std::string>{"100%_real"});
  EXPECT_EQ(names_of(store().search_users("a_", "", 10)), std::vector<std::string>{"a_b"});
  EXPECT_TRUE(store().search_users("%", "", 10).empty());
  EXPECT_TRUE(store().search_users("_", "", 10).empty());
}

TEST_P(StoreContract, SearchLowerCasesAsciiOnly) {
  add_search_users();
  EXPECT_EQ(names_of(store().search_users("Ém", "", 10)), std::vector<std::string>{"Émile"});
  // Documented limitation: no Unicode case folding.
  EXPECT_TRUE(store().search_users("ém", "", 10).empty());
  // Found by email regardless.
  EXPECT_EQ(names_of(store().search_users("EMILE", "", 10)), std::vector<std::string>{"Émile"});
}

TEST_P(StoreContract, SetsLastSeen) {
  User user = make_user(1, "Someone", "someone@example.com");
  store().insert_user(user);
  store().set_last_seen(user.id, 1'700'000'500'000);
  auto seen = store().find_user_by_id(user.id);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->last_seen_ms, 1'700'000'500'000);
  EXPECT_EQ(seen->updated_ms, user.updated_ms);  // presence is not a profile change
  EXPECT_NO_THROW(store().set_last_seen(test_id(99), 1));
}

TEST_P(StoreContract, StoresFindsRevokesAndPurgesSessions) {
  store().insert_user(make_user(1, "Owner", "owner@example.com"));
  Session live{"sid-live", test_id(1), 1000, 10'000, std::nullopt};
  Session old{"sid-old", test_id(1), 500, 1999, std::nullopt};
  Session edge{"sid-edge", test_id(1), 500, 2000, std::nullopt};
  store().insert_session(live);
  store().insert_session(old);
  store().insert_session(edge);
  EXPECT_THROW(store().insert_session(live), StoreConflict);

  auto found = store().find_session("sid-live");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, "sid-live");
  EXPECT_EQ(found->user_id, test_id(1));
  EXPECT_EQ(found->created_ms, 1000);
  EXPECT_EQ(found->expires_ms, 10'000);
  EXPECT_EQ(found->revoked_ms, std::nullopt);
  EXPECT_FALSE(store().find_session("sid-unknown"));

  EXPECT_TRUE(store().revoke_session("sid-live", 1500));
  EXPECT_EQ(store().find_session("sid-live")->revoked_ms, 1500);
  EXPECT_TRUE(store().revoke_session("sid-live", 1600));
  EXPECT_TRUE(store().find_session("sid-live")->revoked_ms.has_value());
  EXPECT_FALSE(store().revoke_session("sid-unknown", 1500));

  // Expired *before* now: a session expiring exactly now is kept.
  EXPECT_EQ(store().purge_expired_sessions(2000), 1);
  EXPECT_FALSE(store().find_session("sid-old"));
  EXPECT_TRUE(store().find_session("sid-edge"));
  EXPECT_TRUE(store().find_session("sid-live"));
  EXPECT_EQ(store().purge_expired_sessions(2000), 0);
  EXPECT_EQ(store().purge_expired_sessions(100'000), 2);
}

TEST_P(StoreContract, ConcurrentWritersAndReadersSeeNoErrors) {
  constexpr int kThreads = 8;
  constexpr int kUsersPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kUsersPerThread; ++i) {
          const auto n = static_cast<uint32_t>(t * kUsersPerThread + i + 1);
          const std::string email = "u" + std::to_string(n) + "@example.com";
          store().insert_user(make_user(n, "user " + std::to_string(n), email));
          store().insert_session({"sid-" + std::to_string(n), test_id(n), 1, 2, std::nullopt});
          // Another thread's earlier write must be visible once it returned;
          // our own certainly must.
          if (!store().find_user_by_email(email) ||
              !store().find_session("sid-" + std::to_string(n)))
            ++failures;
          store().search_users("user", "", 5);
          store().set_last_seen(test_id(n), n);
          store().schema_version();
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "thread " << t << ": " << e.what();
        ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  const auto everyone = store().search_users("", "", 1000);
  EXPECT_EQ(everyone.size(), static_cast<std::size_t>(kThreads * kUsersPerThread));
  std::set<std::string> ids;
  for (const User& user : everyone) ids.insert(user.id);
  EXPECT_EQ(ids.size(), everyone.size());
  EXPECT_EQ(store().purge_expired_sessions(3), kThreads * kUsersPerThread);
}

TEST_P(StoreContract, DataSurvivesReopening) {
  User user = make_user(1, "Durable", "durable@example.com");
  user.avatar_json = R"({"url":"/media/d.png"})";
  store().insert_user(user);
  store().insert_session({"sid-1", user.id, 10, 20, std::nullopt});
  store().revoke_session("sid-1", 15);
  const int version = store().schema_version();

  reopen();
  EXPECT_EQ(store().schema_version(), version);
  EXPECT_EQ(store().migrate(), version);
  auto found = store().find_user_by_email("durable@example.com");
  ASSERT_TRUE(found);
  expect_same_user(*found, user);
  EXPECT_EQ(store().find_session("sid-1")->revoked_ms, 15);
  EXPECT_THROW(store().insert_user(make_user(2, "Again", "durable@example.com")), StoreConflict);
}

std::string param_name(const ::testing::TestParamInfo<BackendParam>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::ValuesIn(backends()), param_name);

// --- Conversations and messages.

class ChatContract : public StoreContract {
 protected:
  void SetUp() override {
    StoreContract::SetUp();
    store().insert_user(make_user(1, "Asha", "asha@example.com"));
    store().insert_user(make_user(2, "Bilal", "bilal@example.com"));
    store().insert_user(make_user(3, "Chen", "chen@example.com"));
    store().insert_user(make_user(4, "Dana", "dana@example.com"));
  }

  const std::string a = test_id(1);
  const std::string b = test_id(2);
  const std::string c = test_id(3);
  const std::string d = test_id(4);

  Message send(const std::string& from, const std::string& to, const std::string& text,
               int64_t created_ms = 1'700'000'000'000,
               std::optional<std::string> client_id = std::nullopt) {
    Message m;
    m.from = from;
    m.to = to;
    m.text = text;
    m.client_id = std::move(client_id);
    m.created_ms = created_ms;
    InsertedMessage inserted = store().insert_message(m);
    EXPECT_FALSE(inserted.duplicate);
    return inserted.message;
  }

  // Every message of the conversation via backward pages of `page_size`.
  std::vector<std::string> walk_backward(const std::string& conversation, int page_size) {
    std::vector<std::string> ids;
    std::optional<std::string> before;
    for (int guard = 0; guard < 1000; ++guard) {
      MessagePage page = store().list_messages(conversation, page_size, before, std::nullopt);
      EXPECT_LE(page.messages.size(), static_cast<std::size_t>(page_size));
      const std::vector<std::string> page_ids = ids_of(page.messages);
      ids.insert(ids.begin(), page_ids.begin(), page_ids.end());
      if (!page.has_more) break;
      EXPECT_FALSE(page.messages.empty());
      before = page.messages.front().id;
    }
    return ids;
  }

  std::vector<std::string> walk_forward(const std::string& conversation, int page_size,
                                        std::optional<std::string> after) {
    std::vector<std::string> ids;
    for (int guard = 0; guard < 1000; ++guard) {
      MessagePage page = store().list_messages(conversation, page_size, std::nullopt, after);
      EXPECT_LE(page.messages.size(), static_cast<std::size_t>(page_size));
      for (const Message& m : page.messages) ids.push_back(m.id);
      if (!page.has_more) break;
      EXPECT_FALSE(page.messages.empty());
      after = page.messages.back().id;
    }
    return ids;
  }

  static std::vector<std::string> ids_of(const std::vector<Message>& messages) {
    std::vector<std::string> ids;
    for (const Message& m : messages) ids.push_back(m.id);
    return ids;
  }
};

void expect_same_message(const Message& actual, const Message& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.conversation_id, expected.conversation_id);
  EXPECT_EQ(actual.from, expected.from);
  EXPECT_EQ(actual.to, expected.to);
  EXPECT_EQ(actual.text, expected.text);
  EXPECT_EQ(actual.image_json, expected.image_json);
  EXPECT_EQ(actual.call_json, expected.call_json);
  EXPECT_EQ(actual.client_id, expected.client_id);
  EXPECT_EQ(actual.delivered_ms, expected.delivered_ms);
  EXPECT_EQ(actual.read_ms, expected.read_ms);
  EXPECT_EQ(actual.created_ms, expected.created_ms);
}

TEST_P(ChatContract, OneConversationPerPairInEitherOrder) {
  Conversation ab = store().get_or_create_conversation(b, a, 5000);
  EXPECT_TRUE(is_object_id(ab.id));
  EXPECT_EQ(ab.user_a, a);  // sorted pair
  EXPECT_EQ(ab.user_b, b);
  EXPECT_EQ(ab.created_ms, 5000);
  EXPECT_EQ(ab.updated_ms, 5000);
  EXPECT_EQ(ab.last_message_id, std::nullopt);

  Conversation again = store().get_or_create_conversation(a, b, 6000);
  EXPECT_EQ(again.id, ab.id);
  EXPECT_EQ(again.created_ms, 5000);
  EXPECT_NE(store().get_or_create_conversation(a, c, 6000).id, ab.id);

  auto found = store().find_conversation(ab.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_a, a);
  EXPECT_EQ(found->user_b, b);
  EXPECT_FALSE(store().find_conversation(test_id(99)));

  EXPECT_THROW(store().get_or_create_conversation(a, a, 1), StoreConflict);
  EXPECT_THROW(store().get_or_create_conversation(a, test_id(99), 1), StoreConflict);
}

TEST_P(ChatContract, InsertedMessageIsStoredWholeAndBecomesTheLastMessage) {
  Message m;
  m.from = b;
  m.to = a;
  m.text = "héllo ✓";
  m.image_json = R"({"url":"/media/x.png"})";
  m.call_json = R"({"id":"c1"})";
  m.client_id = "tab-1:42";
  m.created_ms = 1'700'000'000'123;
  m.conversation_id = "ignored";
  InsertedMessage inserted = store().insert_message(m);
  EXPECT_FALSE(inserted.duplicate);
  const Message& stored = inserted.message;
  EXPECT_TRUE(is_object_id(stored.id));
  EXPECT_TRUE(is_object_id(stored.conversation_id));
  EXPECT_EQ(stored.text, m.text);
  EXPECT_EQ(stored.delivered_ms, std::nullopt);
  EXPECT_EQ(stored.read_ms, std::nullopt);

  auto found = store().find_message(stored.id);
  ASSERT_TRUE(found);
  expect_same_message(*found, stored);
  EXPECT_FALSE(store().find_message(test_id(99)));

  Conversation conversation = store().get_or_create_conversation(a, b, 1);
  EXPECT_EQ(conversation.id, stored.conversation_id);
  EXPECT_EQ(conversation.last_message_id, stored.id);
  EXPECT_EQ(conversation.updated_ms, m.created_ms);
}

TEST_P(ChatContract, StoreAssignedIdsGrowInInsertOrder) {
  std::string previous;
  for (int i = 0; i < 50; ++i) {
    Message m = send(i % 2 ? a : b, i % 2 ? b : a, "n" + std::to_string(i));
    EXPECT_GT(m.id, previous);
    previous = m.id;
  }
  reopen();
  EXPECT_GT(send(a, b, "after reopening").id, previous);
}

TEST_P(ChatContract, RepeatedClientIdReturnsTheFirstMessage) {
  Message first = send(a, b, "first", 1000, "cid-1");
  Message repeat;
  repeat.from = a;
  repeat.to = c;  // even to someone else: the key is the sender's
  repeat.text = "second";
  repeat.client_id = "cid-1";
  repeat.created_ms = 2000;
  InsertedMessage again = store().insert_message(repeat);
  EXPECT_TRUE(again.duplicate);
  expect_same_message(again.message, first);

  // Another sender may use the same key; messages without one never collide.
  EXPECT_NE(send(b, a, "from b", 3000, "cid-1").id, first.id);
  send(a, b, "no key 1");
  send(a, b, "no key 2");
  MessagePage page = store().list_messages(first.conversation_id, 100, std::nullopt, std::nullopt);
  EXPECT_EQ(page.messages.size(), 4u);
  EXPECT_TRUE(store().get_or_create_conversation(a, c, 1).last_message_id == std::nullopt);
}

TEST_P(ChatContract, MessageToUnknownUserOrSelfIsAConflictAndLeavesNothing) {
  Message m;
  m.from = a;
  m.to = test_id(99);
  m.text = "nobody";
  m.created_ms = 1;
  EXPECT_THROW(store().insert_message(m), StoreConflict);
  m.to = a;
  EXPECT_THROW(store().insert_message(m), StoreConflict);
  EXPECT_TRUE(store().list_conversations(a, 10, std::nullopt).empty());
  // The store is still usable, and the failed key is free.
  m.to = b;
  m.client_id = "k";
  EXPECT_FALSE(store().insert_message(m).duplicate);
}

TEST_P(ChatContract, MarkDeliveredOnceAndOnlyByTheRecipient) {
  Message m = send(a, b, "hi");
  EXPECT_FALSE(store().mark_delivered(m.id, a, 10));  // the sender cannot
  EXPECT_FALSE(store().mark_delivered(m.id, c, 10));
  EXPECT_FALSE(store().mark_delivered(test_id(99), b, 10));
  auto delivered = store().mark_delivered(m.id, b, 20);
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->delivered_ms, 20);
  EXPECT_EQ(delivered->conversation_id, m.conversation_id);
  EXPECT_EQ(delivered->from, a);
  EXPECT_FALSE(store().mark_delivered(m.id, b, 30));
  EXPECT_EQ(store().find_message(m.id)->delivered_ms, 20);
  EXPECT_EQ(store().find_message(m.id)->read_ms, std::nullopt);
}

TEST_P(ChatContract, MarkReadUpToMarksOnlyThePeersMessagesUpToTheId) {
  Message m1 = send(a, b, "1");
  Message m2 = send(a, b, "2");
  Message m3 = send(b, a, "3");
  Message m4 = send(a, b, "4");
  Message other = send(c, b, "elsewhere");
  store().mark_delivered(m1.id, b, 50);
  const std::string conversation = m1.conversation_id;

  ReadResult read = store().mark_read_up_to(b, conversation, m3.id, 100);
  EXPECT_EQ(read.count, 2);
  EXPECT_EQ(read.newest_id, m2.id);
  EXPECT_EQ(store().find_message(m1.id)->read_ms, 100);
  EXPECT_EQ(store().find_message(m1.id)->delivered_ms, 50);  // kept
  EXPECT_EQ(store().find_message(m2.id)->read_ms, 100);
  EXPECT_EQ(store().find_message(m2.id)->delivered_ms, 100);         // read implies delivered
  EXPECT_EQ(store().find_message(m3.id)->read_ms, std::nullopt);     // b's own
  EXPECT_EQ(store().find_message(m4.id)->read_ms, std::nullopt);     // newer
  EXPECT_EQ(store().find_message(other.id)->read_ms, std::nullopt);  // other conversation

  EXPECT_EQ(store().mark_read_up_to(b, conversation, m2.id, 200).count, 0);
  EXPECT_EQ(store().find_message(m2.id)->read_ms, 100);  // the first read time stays
  ReadResult rest = store().mark_read_up_to(b, conversation, m4.id, 300);
  EXPECT_EQ(rest.count, 1);
  EXPECT_EQ(rest.newest_id, m4.id);
  EXPECT_EQ(store().mark_read_up_to(a, conversation, m4.id, 300).newest_id, m3.id);
}

TEST_P(ChatContract, UnreadCountsFollowSendsRepeatsAndReads) {
  Message m1 = send(a, b, "1", 1000, "k1");
  send(a, b, "2", 1000, "k2");
  send(b, a, "3");
  Message m4 = send(a, b, "4");
  Message repeat = m1;
  repeat.id.clear();
  EXPECT_TRUE(store().insert_message(repeat).duplicate);  // counted once
  Message already_read;
  already_read.from = a;
  already_read.to = b;
  already_read.text = "read on arrival";
  already_read.read_ms = 5;
  already_read.created_ms = 1000;
  store().insert_message(already_read);
  auto unread_of = [&](const std::string& user) {
    return store().list_conversations(user, 10, std::nullopt).at(0).unread_count;
  };
  EXPECT_EQ(unread_of(b), 3);
  EXPECT_EQ(unread_of(a), 1);

  EXPECT_EQ(store().mark_read_up_to(b, m1.conversation_id, m1.id, 100).count, 1);
  EXPECT_EQ(unread_of(b), 2);
  EXPECT_EQ(store().mark_read_up_to(c, m1.conversation_id, m4.id, 100).count, 0);  // not c's
  EXPECT_EQ(unread_of(b), 2);
  EXPECT_EQ(store().mark_read_up_to(b, m1.conversation_id, m4.id, 200).count, 2);
  EXPECT_EQ(unread_of(b), 0);
  EXPECT_EQ(unread_of(a), 1);
}

// Reading is "every message up to this id": one that arrives later with a
// lower id (an explicit one, or after reading up to an id beyond the newest)
// is still unread, and found by the next read.
TEST_P(ChatContract, AMessageBelowAnEarlierReadPointIsStillUnread) {
  Message m1 = send(a, b, "1");
  Message m2 = send(a, b, "2");
  const std::string conversation = m1.conversation_id;
  store().mark_read_up_to(b, conversation, m2.id, 100);

  Message older;
  older.id = test_id(50);  // below the store's ids
  ASSERT_LT(older.id, m1.id);
  older.from = a;
  older.to = b;
  older.text = "older";
  older.created_ms = 1000;
  store().insert_message(older);
  EXPECT_EQ(store().list_conversations(b, 10, std::nullopt)[0].unread_count, 1);
  ReadResult read = store().mark_read_up_to(b, conversation, m2.id, 200);
  EXPECT_EQ(read.count, 1);
  EXPECT_EQ(read.newest_id, older.id);
  EXPECT_EQ(store().find_message(older.id)->read_ms, 200);
  EXPECT_EQ(store().find_message(m1.id)->read_ms, 100);

  const std::string future = make_object_id(4'000'000'000u, 0, 0);
  EXPECT_EQ(store().mark_read_up_to(b, conversation, future, 300).count, 0);
  Message m3 = send(a, b, "3");
  ASSERT_LT(m3.id, future);
  EXPECT_EQ(store().list_conversations(b, 10, std::nullopt)[0].unread_count, 1);
  read = store().mark_read_up_to(b, conversation, m3.id, 400);
  EXPECT_EQ(read.count, 1);
  EXPECT_EQ(read.newest_id, m3.id);
  EXPECT_EQ(store().list_conversations(b, 10, std::nullopt)[0].unread_count, 0);
}

TEST_P(ChatContract, ListsUndeliveredOldestFirstPerRecipient) {
  Message m1 = send(a, b, "1");
  Message m2 = send(c, b, "2");
  send(b, a, "to a");
  Message m3 = send(a, b, "3");
  store().mark_delivered(m2.id, b, 10);
  EXPECT_EQ(ChatContract::ids_of(store().list_undelivered(b, 10, std::nullopt)),
            (std::vector<std::string>{m1.id, m3.id}));
  EXPECT_EQ(ChatContract::ids_of(store().list_undelivered(b, 1, std::nullopt)),
            (std::vector<std::string>{m1.id}));
  EXPECT_EQ(ChatContract::ids_of(store().list_undelivered(b, 10, m1.id)),
            (std::vector<std::string>{m3.id}));
  EXPECT_TRUE(store().list_undelivered(b, 10, m3.id).empty());
  EXPECT_EQ(store().list_undelivered(a, 10, std::nullopt).size(), 1u);
  EXPECT_TRUE(store().list_undelivered(d, 10, std::nullopt).empty());
  EXPECT_TRUE(store().list_undelivered(b, 0, std::nullopt).empty());
  store().mark_read_up_to(b, m3.conversation_id, m3.id, 20);  // reading delivers
  EXPECT_TRUE(store().list_undelivered(b, 10, std::nullopt).empty());
}

TEST_P(ChatContract, ListsConversationsRecentFirstWithLastMessageAndUnreadCount) {
  send(b, a, "old from b", 1000);
  Message from_c = send(c, a, "from c", 2000);
  send(c, a, "again from c", 3000);
  Message to_b = send(a, b, "newest", 4000);
  store().get_or_create_conversation(a, d, 2500);  // empty conversation

  auto list = store().list_conversations(a, 10, std::nullopt);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].conversation.id, to_b.conversation_id);
  ASSERT_TRUE(list[0].last_message);
  expect_same_message(*list[0].last_message, to_b);
  EXPECT_EQ(list[0].unread_count, 1);  // "old from b"; a's own message does not count
  EXPECT_EQ(list[1].conversation.id, from_c.conversation_id);
  EXPECT_EQ(list[1].last_message->text, "again from c");
  EXPECT_EQ(list[1].unread_count, 2);
  EXPECT_EQ(list[1].conversation.updated_ms, 3000);
  EXPECT_FALSE(list[2].last_message);
  EXPECT_EQ(list[2].unread_count, 0);
  EXPECT_EQ(list[2].conversation.updated_ms, 2500);

  store().mark_read_up_to(a, from_c.conversation_id, from_c.id, 5000);
  EXPECT_EQ(store().list_conversations(a, 10, std::nullopt)[1].unread_count, 1);
  EXPECT_EQ(store().list_conversations(b, 10, std::nullopt).size(), 1u);
  EXPECT_EQ(store().list_conversations(b, 10, std::nullopt)[0].unread_count, 1);
  EXPECT_EQ(store().list_conversations(a, 1, std::nullopt).size(), 1u);
  EXPECT_TRUE(store().list_conversations(a, 0, std::nullopt).empty());
}

TEST_P(ChatContract, ConversationCursorPagesWithoutGapsEvenOnTies) {
  // Three conversations updated at the same millisecond, one later.
  std::vector<std::string> expected;
  send(a, b, "x", 7000);
  send(a, c, "x", 7000);
  send(a, d, "x", 7000);
  send(d, b, "not a's", 7000);
  auto all = store().list_conversations(a, 10, std::nullopt);
  ASSERT_EQ(all.size(), 3u);
  for (const auto& s : all) expected.push_back(s.conversation.id);
  EXPECT_TRUE(std::is_sorted(expected.rbegin(), expected.rend()));  // ties: higher id first

  std::vector<std::string> walked;
  std::optional<ConversationCursor> cursor;
  for (int i = 0; i < 10; ++i) {
    auto page = store().list_conversations(a, 1, cursor);
    if (page.empty()) break;
    walked.push_back(page[0].conversation.id);
    cursor = ConversationCursor{page[0].conversation.updated_ms, page[0].conversation.id};
  }
  EXPECT_EQ(walked, expected);
}

TEST_P(ChatContract, PagesMessagesBackwardAndForwardWithoutGapsOrDuplicates) {
  std::vector<std::string> all;
  for (int i = 0; i < 25; ++i) all.push_back(send(i % 3 ? a : b, i % 3 ? b : a, "m").id);
  send(a, c, "elsewhere");
  const std::string conversation = store().find_message(all[0])->conversation_id;

  for (int size : {1, 7, 25, 100}) {
    EXPECT_EQ(walk_backward(conversation, size), all) << size;
    // Without a cursor a page is the newest one; the lowest id starts from the beginning.
    EXPECT_EQ(walk_forward(conversation, size, std::string(24, '0')), all) << size;
  }
  MessagePage newest = store().list_messages(conversation, 10, std::nullopt, std::nullopt);
  EXPECT_TRUE(newest.has_more);
  EXPECT_EQ(ChatContract::ids_of(newest.messages),
            std::vector<std::string>(all.begin() + 15, all.end()));
  MessagePage before = store().list_messages(conversation, 5, all[10], std::nullopt);
  EXPECT_TRUE(before.has_more);
  EXPECT_EQ(ChatContract::ids_of(before.messages),
            std::vector<std::string>(all.begin() + 5, all.begin() + 10));
  MessagePage first = store().list_messages(conversation, 5, all[5], std::nullopt);
  EXPECT_FALSE(first.has_more);
  EXPECT_EQ(first.messages.size(), 5u);
  MessagePage after = store().list_messages(conversation, 5, std::nullopt, all[10]);
  EXPECT_TRUE(after.has_more);
  EXPECT_EQ(ChatContract::ids_of(after.messages),
            std::vector<std::string>(all.begin() + 11, all.begin() + 16));
  MessagePage caught_up = store().list_messages(conversation, 5, std::nullopt, all.back());
  EXPECT_TRUE(caught_up.messages.empty());
  EXPECT_FALSE(caught_up.has_more);
  EXPECT_TRUE(store().list_messages(conversation, 5, all[0], std::nullopt).messages.empty());
  // Catching up from a point: exactly what came after it.
  EXPECT_EQ(walk_forward(conversation, 4, all[19]),
            std::vector<std::string>(all.begin() + 20, all.end()));
  EXPECT_THROW(store().list_messages(conversation, 5, all[1], all[2]), std::invalid_argument);
  EXPECT_TRUE(store().list_messages(test_id(99), 5, std::nullopt, std::nullopt).messages.empty());
}

TEST_P(ChatContract, ConcurrentSendsAreAllStoredExactlyOnce) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  const std::vector<std::string> users{a, b, c, d};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        const std::string& from = users[t % 4];
        const std::string& to = users[(t + 1) % 4];
        for (int i = 0; i < kPerThread; ++i) {
          Message m;
          m.from = from;
          m.to = to;
          m.text = "t" + std::to_string(t) + " #" + std::to_string(i);
          m.client_id = "t" + std::to_string(t) + "-" + std::to_string(i);
          m.created_ms = 1'700'000'000'000 + i;
          InsertedMessage first = store().insert_message(m);
          // A resend (a reconnecting client) gets the same message back.
          InsertedMessage resend = store().insert_message(m);
          if (first.duplicate || !resend.duplicate || resend.message.id != first.message.id) {
            ++failures;
          }
          if (!store().find_message(first.message.id)) ++failures;
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "thread " << t << ": " << e.what();
        ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  std::set<std::string> ids;
  std::set<std::string> client_ids;
  std::size_t rows = 0;
  for (std::size_t i = 0; i < users.size(); ++i) {
    const Conversation conversation =
        store().get_or_create_conversation(users[i], users[(i + 1) % 4], 1);
    MessagePage page = store().list_messages(conversation.id, 100, std::nullopt, std::nullopt);
    EXPECT_FALSE(page.has_more);
    for (const Message& m : page.messages) {
      ++rows;
      ids.insert(m.id);
      client_ids.insert(*m.client_id);
    }
  }
  EXPECT_EQ(rows, static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(ids.size(), rows);
  EXPECT_EQ(client_ids.size(), rows);
}

// The realtime server's path: writes queued without blocking, completing in
// queue order (inserts among themselves, receipts among themselves) with the
// same results and errors as the blocking forms.
TEST_P(ChatContract, AsyncWritesCompleteInQueueOrderWithTheirResults) {
  constexpr int kSends = 300;
  std::mutex mutex;
  std::condition_variable all_done;
  std::vector<std::string> completed;  // message ids, in completion order
  std::vector<std::string> problems;
  int outstanding = 0;
  auto finish = [&](std::string entry) {
    std::lock_guard lock(mutex);
    completed.push_back(std::move(entry));
    if (--outstanding == 0) all_done.notify_all();
  };
  {
    std::lock_guard lock(mutex);
    outstanding = kSends + 2;
  }
  for (int i = 0; i < kSends; ++i) {
    Message m;
    m.from = i % 2 ? a : b;
    m.to = i % 2 ? b : a;
    m.text = "async " + std::to_string(i);
    m.client_id = "async-" + std::to_string(i % 250);  // the last 50 repeat earlier ones
    m.created_ms = 1'700'000'000'000 + i;
    store().insert_message_async(m, [&, i](InsertedMessage inserted, std::exception_ptr error) {
      if (error || inserted.duplicate != (i >= 250) ||
          inserted.message.text != "async " + std::to_string(i % 250)) {
        std::lock_guard lock(mutex);
        problems.push_back("send " + std::to_string(i));
      }
      finish(inserted.message.id);
    });
  }
  Message to_nobody;
  to_nobody.from = a;
  to_nobody.to = test_id(99);
  to_nobody.text = "nobody";
  store().insert_message_async(to_nobody, [&](InsertedMessage, std::exception_ptr error) {
    bool conflict = false;
    try {
      if (error) std::rethrow_exception(error);
    } catch (const StoreConflict&) {
      conflict = true;
    } catch (...) {
    }
    if (!conflict) {
      std::lock_guard lock(mutex);
      problems.push_back("a message to nobody was not a conflict");
    }
    finish("conflict");
  });
  store().mark_delivered_async(test_id(98), b, 5,
                               [&](std::optional<Message> m, std::exception_ptr e) {
                                 if (m || e) {
                                   std::lock_guard lock(mutex);
                                   problems.push_back("an unknown message was marked delivered");
                                 }
                                 finish("unknown");
                               });
  std::unique_lock lock(mutex);
  ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(30), [&] { return outstanding == 0; }));
  EXPECT_TRUE(problems.empty()) << problems.front();
  ASSERT_EQ(completed.size(), static_cast<std::size_t>(kSends + 2));
  // A receipt may complete before or after the inserts queued around it.
  const auto unknown = std::find(completed.begin(), completed.end(), "unknown");
  ASSERT_NE(unknown, completed.end());
  completed.erase(unknown);
  // Completion order is queue order, and ids grow with it.
  for (int i = 1; i < 250; ++i) EXPECT_LT(completed[i - 1], completed[i]) << i;
  for (int i = 250; i < kSends; ++i) EXPECT_EQ(completed[i], completed[i - 250]);
  EXPECT_EQ(completed[kSends], "conflict");
  lock.unlock();

  std::promise<std::optional<Message>> delivered;
  store().mark_delivered_async(
      completed[1], b, 42,
      [&](std::optional<Message> m, std::exception_ptr) { delivered.set_value(std::move(m)); });
  auto marked = delivered.get_future().get();
  ASSERT_TRUE(marked);
  EXPECT_EQ(marked->delivered_ms, 42);
  EXPECT_EQ(store().find_message(completed[1])->delivered_ms, 42);
  // Many messages of one conversation in one commit: the newest is its last.
  auto conversations = store().list_conversations(a, 10, std::nullopt);
  ASSERT_EQ(conversations.size(), 1u);
  ASSERT_TRUE(conversations[0].last_message);
  EXPECT_EQ(conversations[0].last_message->id, completed[249]);
  EXPECT_EQ(conversations[0].conversation.updated_ms, 1'700'000'000'000 + 249);
  // The failed write in the batch counted nothing.
  EXPECT_EQ(conversations[0].unread_count, 125);
  EXPECT_EQ(store().list_conversations(b, 10, std::nullopt)[0].unread_count, 125);
}

TEST_P(ChatContract, ARepeatToSomeoneElseReturnsTheFirstAndLeavesNoConversation) {
  Message first = send(a, b, "to b", 1000, "same-key");
  Message repeat;
  repeat.from = a;
  repeat.to = c;
  repeat.text = "to c";
  repeat.client_id = "same-key";
  repeat.created_ms = 2000;
  InsertedMessage again = store().insert_message(repeat);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.message.id, first.id);
  EXPECT_EQ(store().list_conversations(c, 10, std::nullopt).size(), 0u);
  // The pair can still talk afterwards.
  repeat.client_id = "other-key";
  EXPECT_FALSE(store().insert_message(repeat).duplicate);
  EXPECT_EQ(store().list_conversations(c, 10, std::nullopt).size(), 1u);
}

TEST_P(ChatContract, MessagesAndReceiptsSurviveReopening) {
  Message m = send(a, b, "durable", 1000, "cid");
  store().mark_delivered(m.id, b, 2000);
  store().mark_read_up_to(b, m.conversation_id, m.id, 3000);
  reopen();
  auto found = store().find_message(m.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->text, "durable");
  EXPECT_EQ(found->delivered_ms, 2000);
  EXPECT_EQ(found->read_ms, 3000);
  m.text = "again";
  m.id.clear();
  EXPECT_TRUE(store().insert_message(m).duplicate);
}

INSTANTIATE_TEST_SUITE_P(Backends, ChatContract, ::testing::ValuesIn(backends()), param_name);

// --- Uploaded images.

class ImageContract : public StoreContract {
 protected:
  void SetUp() override {
    StoreContract::SetUp();
    store().insert_user(make_user(1, "Asha", "asha@example.com"));
    store().insert_user(make_user(2, "Bilal", "bilal@example.com"));
  }

  const std::string a = test_id(1);
  const std::string b = test_id(2);

  static Image make_image(const std::string& public_id, const std::string& owner,
                          ImagePurpose purpose = ImagePurpose::chat, int64_t created_ms = 1000) {
    Image image;
    image.public_id = public_id;
    image.owner_id = owner;
    image.purpose = purpose;
    image.format = "jpg";
    image.width = 640;
    image.height = 480;
    image.bytes = 12345;
    image.created_ms = created_ms;
    return image;
  }

  static std::vector<std::string> public_ids(const std::vector<Image>& images) {
    std::vector<std::string> ids;
    for (const Image& image : images) ids.push_back(image.public_id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  ProfileChange avatar_change(const std::optional<std::string>& json) {
    ProfileChange change;
    change.avatar_json = json;
    return change;
  }
};

TEST_P(ImageContract, InsertsAndFindsImagesWhole) {
  store().insert_image(make_image("img1", a));
  auto found = store().find_image("img1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->owner_id, a);
  EXPECT_EQ(found->purpose, ImagePurpose::chat);
  EXPECT_EQ(found->format, "jpg");
  EXPECT_EQ(found->width, 640);
  EXPECT_EQ(found->height, 480);
  EXPECT_EQ(found->bytes, 12345);
  EXPECT_EQ(found->created_ms, 1000);
  EXPECT_FALSE(found->used_ms);
  EXPECT_FALSE(store().find_image("nope"));
}

TEST_P(ImageContract, DuplicateIdOrUnknownOwnerIsAConflict) {
  store().insert_image(make_image("img1", a));
  EXPECT_THROW(store().insert_image(make_image("img1", b)), StoreConflict);
  EXPECT_THROW(store().insert_image(make_image("img2", test_id(99))), StoreConflict);
  EXPECT_FALSE(store().find_image("img2"));
}

TEST_P(ImageContract, ClaimIsOnlyForTheOwnerAndPurposeAndKeepsTheFirstUse) {
  store().insert_image(make_image("img1", a));
  EXPECT_FALSE(store().claim_image("img1", b, ImagePurpose::chat, 2000));
  EXPECT_FALSE(store().claim_image("img1", a, ImagePurpose::avatar, 2000));
  EXPECT_FALSE(store().claim_image("missing", a, ImagePurpose::chat, 2000));
  EXPECT_FALSE(store().find_image("img1")->used_ms);

  auto claimed = store().claim_image("img1", a, ImagePurpose::chat, 2000);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->used_ms, 2000);
  auto again = store().claim_image("img1", a, ImagePurpose::chat, 3000);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->used_ms, 2000);
}

TEST_P(ImageContract, NewAvatarIsInsertedUsedAndReleasesThePreviousOne) {
  store().insert_image(make_image("chat1", a));
  auto first = store().update_profile_and_avatar(a, avatar_change(R"({"public_id":"av1"})"),
                                                 make_image("av1", a, ImagePurpose::avatar), 5000);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->user.avatar_json, R"({"public_id":"av1"})");
  EXPECT_EQ(first->user.updated_ms, 5000);
  EXPECT_TRUE(first->released_images.empty());
  auto av1 = store().find_image("av1");
  ASSERT_TRUE(av1);
  EXPECT_EQ(av1->purpose, ImagePurpose::avatar);
  EXPECT_EQ(av1->used_ms, 5000);

  ProfileChange change = avatar_change(R"({"public_id":"av2"})");
  change.name = "Asha K";
  auto second = store().update_profile_and_avatar(a, change,
                                                  make_image("av2", a, ImagePurpose::avatar), 6000);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->user.name, "Asha K");
  EXPECT_EQ(public_ids(second->released_images), std::vector<std::string>{"av1"});
  EXPECT_FALSE(store().find_image("av1"));
  EXPECT_TRUE(store().find_image("av2"));
  EXPECT_TRUE(store().find_image("chat1"));  // chat uploads are never an avatar's to release
}

TEST_P(ImageContract, RemovingTheAvatarReleasesItAndOnlyTheUsersOwn) {
  store().update_profile_and_avatar(a, avatar_change("{}"), make_image("av1", a), 5000);
  store().update_profile_and_avatar(b, avatar_change("{}"), make_image("bv1", b), 5000);
  auto removed =
      store().update_profile_and_avatar(a, avatar_change(std::nullopt), std::nullopt, 6000);
  ASSERT_TRUE(removed);
  EXPECT_FALSE(removed->user.avatar_json);
  EXPECT_EQ(public_ids(removed->released_images), std::vector<std::string>{"av1"});
  EXPECT_TRUE(store().find_image("bv1"));
}

TEST_P(ImageContract, ProfileChangeWithoutAvatarLeavesAvatarImagesAlone) {
  store().update_profile_and_avatar(a, avatar_change("{}"), make_image("av1", a), 5000);
  ProfileChange change;
  change.bio = "hello";
  auto update = store().update_profile_and_avatar(a, change, std::nullopt, 6000);
  ASSERT_TRUE(update);
  EXPECT_EQ(update->user.bio, "hello");
  EXPECT_EQ(update->user.avatar_json, "{}");
  EXPECT_TRUE(update->released_images.empty());
  EXPECT_TRUE(store().find_image("av1"));
}

TEST_P(ImageContract, AvatarOfAnUnknownUserChangesNothing) {
  EXPECT_FALSE(store().update_profile_and_avatar(test_id(99), avatar_change("{}"),
                                                 make_image("ghost", test_id(99)), 5000));
  EXPECT_FALSE(store().find_image("ghost"));
  // A clashing public_id fails the whole change.
  store().insert_image(make_image("taken", b));
  EXPECT_THROW(
      store().update_profile_and_avatar(a, avatar_change("{}"), make_image("taken", a), 5000),
      StoreConflict);
  EXPECT_FALSE(store().find_user_by_id(a)->avatar_json);
}

TEST_P(ImageContract, DeletesOnlyOldUnusedImagesOldestFirstUpToTheLimit) {
  store().insert_image(make_image("old1", a, ImagePurpose::chat, 100));
  store().insert_image(make_image("old2", b, ImagePurpose::chat, 200));
  store().insert_image(make_image("old3", a, ImagePurpose::chat, 300));
  store().insert_image(make_image("used", a, ImagePurpose::chat, 150));
  store().insert_image(make_image("fresh", a, ImagePurpose::chat, 5000));
  ASSERT_TRUE(store().claim_image("used", a, ImagePurpose::chat, 160));

  auto first = store().delete_unused_images(1000, 2);
  EXPECT_EQ(public_ids(first), (std::vector<std::string>{"old1", "old2"}));
  auto rest = store().delete_unused_images(1000, 10);
  EXPECT_EQ(public_ids(rest), std::vector<std::string>{"old3"});
  EXPECT_TRUE(store().delete_unused_images(1000, 10).empty());
  EXPECT_TRUE(store().find_image("used"));
  EXPECT_TRUE(store().find_image("fresh"));
  EXPECT_FALSE(store().claim_image("old1", a, ImagePurpose::chat, 2000));
}

TEST_P(ImageContract, ImagesSurviveReopening) {
  store().insert_image(make_image("img1", a));
  store().claim_image("img1", a, ImagePurpose::chat, 2000);
  reopen();
  auto found = store().find_image("img1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->used_ms, 2000);
}

INSTANTIATE_TEST_SUITE_P(Backends, ImageContract, ::testing::ValuesIn(backends()), param_name);

// --- open_store: DATABASE_URL handling (not backend behaviour, so not in the suite).

std::string invalid_argument_message(const std::string& url) {
  try {
    open_store(url);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no invalid_argument)";
}

TEST(OpenStore, RejectsPostgresForNow) {
  EXPECT_EQ(invalid_argument_message("postgres://u:secret@db/samwaad"),
            "DATABASE_URL: postgres is not supported by this build yet");
  EXPECT_EQ(invalid_argument_message("postgresql://db/samwaad"),
            "DATABASE_URL: postgres is not supported by this build yet");
}

TEST(OpenStore, RejectsOtherSchemesNamingTheVariable) {
  for (const std::string url :
       {"mongodb://u:secret@h/db", "mysql://h/db", "samwaad.db", "", "sqlite:x.db", "sqlite://"}) {
    const std::string message = invalid_argument_message(url);
    EXPECT_EQ(message.rfind("DATABASE_URL", 0), 0u) << url << " -> " << message;
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
  }
}

TEST(OpenStore, OpensAbsoluteAndRelativePathsCreatingDirectories) {
  TempDir dir{"samwaad-store"};
  const fs::path absolute = dir.path() / "a" / "b" / "abs.db";
  open_store("sqlite://" + absolute.string())->migrate();
  EXPECT_TRUE(fs::exists(absolute));

  const fs::path relative = fs::relative(dir.path(), fs::current_path());
  open_store("sqlite://" + (relative / "c" / "rel.db").string())->migrate();
  EXPECT_TRUE(fs::exists(dir.path() / "c" / "rel.db"));
  open_store("SQLite://./" + (relative / "dot.db").string())->migrate();
  EXPECT_TRUE(fs::exists(dir.path() / "dot.db"));
}

TEST(OpenStore, InMemoryWorks) {
  auto store = open_store("sqlite://:memory:");
  EXPECT_GE(store->migrate(), 1);
  store->insert_user(make_user(1, "Mem", "mem@example.com"));
  EXPECT_TRUE(store->find_user_by_email("mem@example.com"));
  EXPECT_EQ(store->search_users("me", "", 5).size(), 1u);
}

TEST(OpenStore, UnusableLocationsAreUnavailable) {
  TempDir dir{"samwaad-store"};
  std::ofstream(dir.path() / "file") << "not a directory";
  EXPECT_THROW(open_store("sqlite://" + (dir.path() / "file" / "x.db").string()), StoreUnavailable);

  std::ofstream(dir.path() / "garbage.db") << std::string(4096, 'x');
  EXPECT_THROW(open_store("sqlite://" + (dir.path() / "garbage.db").string()), StoreUnavailable);
}

}  // namespace
}  // namespace samwaad::store
