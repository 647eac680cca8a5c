// The storage contract, run against every backend. A new backend adds one
// entry to backends() below; every TEST_P then runs against it too.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.hpp"
#include "store/store.hpp"

namespace samwaad::store {
namespace {

namespace fs = std::filesystem;

// A directory of its own under the system temp dir, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "samwaad-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

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
  TempDir dir_;
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
  TempDir dir;
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
  TempDir dir;
  std::ofstream(dir.path() / "file") << "not a directory";
  EXPECT_THROW(open_store("sqlite://" + (dir.path() / "file" / "x.db").string()), StoreUnavailable);

  std::ofstream(dir.path() / "garbage.db") << std::string(4096, 'x');
  EXPECT_THROW(open_store("sqlite://" + (dir.path() / "garbage.db").string()), StoreUnavailable);
}

}  // namespace
}  // namespace samwaad::store
