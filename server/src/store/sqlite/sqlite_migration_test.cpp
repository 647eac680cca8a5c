// SQLite-specific: a database written by an older build reads back the same
// after the later migrations. Its rows are written with plain SQL, as that
// build's schema had them.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "testing/store_printers.hpp"
#include "testing/temp_dir.hpp"

namespace samwaad::store {
namespace {

using testing::TempDir;

std::string id_of(uint32_t n) { return make_object_id(1'700'000'000 + n, 0x5eed, n); }

void exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

std::string user_row(const std::string& id, const std::string& name) {
  return "INSERT INTO users (id, name, name_lower, email, password_hash, created_ms, updated_ms) "
         "VALUES ('" +
         id + "', '" + name + "', '" + name + "', '" + name + "@example.com', 'x', 1, 1);";
}

// The row as migration 2 stores it; a NULL time is written as NULL.
std::string message_row(const Message& m) {
  auto ms = [](std::optional<int64_t> v) { return v ? std::to_string(*v) : std::string("NULL"); };
  return "INSERT INTO messages (id, conversation_id, from_id, to_id, text, client_id, "
         "delivered_ms, read_ms, created_ms) VALUES ('" +
         m.id + "', '" + m.conversation_id + "', '" + m.from + "', '" + m.to + "', '" + *m.text +
         "', '" + *m.client_id + "', " + ms(m.delivered_ms) + ", " + ms(m.read_ms) + ", " +
         std::to_string(m.created_ms) + ");";
}

class SqliteMigration : public ::testing::Test {
 protected:
  TempDir dir_{"samwaad-migration"};  // first: `path` is made from it
  const std::string path = (dir_.path() / "samwaad.db").string();
  const std::string a = id_of(1), b = id_of(2), c = id_of(3);
  const std::string ab = id_of(10), ac = id_of(11);
  std::vector<Message> messages;

  Message add(uint32_t n, const std::string& conversation, const std::string& from,
              const std::string& to, std::optional<int64_t> delivered,
              std::optional<int64_t> read) {
    Message m;
    m.id = id_of(100 + n);
    m.conversation_id = conversation;
    m.from = from;
    m.to = to;
    m.text = "message " + std::to_string(n);
    m.client_id = "cid-" + std::to_string(n);
    m.delivered_ms = delivered;
    m.read_ms = read;
    m.created_ms = 1000 + n;
    messages.push_back(m);
    return m;
  }

  // Version 3 with two conversations. To b: read, unread, then read again
  // (a read one above an unread one, which explicit read times allow).
  void write_version_3() {
    {
      SqliteStore store(path);
      ASSERT_EQ(store.migrate_to(3), 3);
    }
    add(1, ab, a, b, 10, 20);
    add(2, ab, a, b, 10, std::nullopt);
    add(3, ab, a, b, 10, 30);
    add(4, ab, b, a, std::nullopt, std::nullopt);
    add(5, ab, b, a, 10, std::nullopt);
    add(6, ac, a, c, 10, 40);
    std::string sql = user_row(a, "asha") + user_row(b, "bilal") + user_row(c, "chen");
    sql +=
        "INSERT INTO conversations (id, user_a, user_b, created_ms, updated_ms, "
        "last_message_id) VALUES ('" +
        ab + "', '" + a + "', '" + b + "', 1, 1005, '" + messages[4].id + "'), ('" + ac + "', '" +
        a + "', '" + c + "', 1, 1006, '" + messages[5].id + "');";
    for (const Message& m : messages) sql += message_row(m);
    exec(path, sql);
  }

  void expect_messages_read_back(SqliteStore& store) const {
    for (const Message& expected : messages) {
      auto found = store.find_message(expected.id);
      ASSERT_TRUE(found) << expected.id;
      EXPECT_EQ(*found, expected);
    }
  }

  static int64_t unread(SqliteStore& store, const std::string& user,
                        const std::string& conversation) {
    for (const auto& summary : store.list_conversations(user, 10, std::nullopt)) {
      if (summary.conversation.id == conversation) return summary.unread_count;
    }
    ADD_FAILURE() << "conversation " << conversation << " not listed";
    return -1;
  }
};

TEST_F(SqliteMigration, MessagesWrittenAtVersion3ReadBackTheSame) {
  write_version_3();
  SqliteStore store(path);
  EXPECT_EQ(store.migrate(), 5);
  expect_messages_read_back(store);
  EXPECT_EQ(store.list_messages(ab, 10, std::nullopt, std::nullopt).messages.size(), 5u);
  EXPECT_EQ(store.list_undelivered(a, 10, std::nullopt).size(), 1u);
  EXPECT_EQ(store.list_conversations(a, 10, std::nullopt)[0].last_message->id, messages[5].id);
}

TEST_F(SqliteMigration, UnreadCountsAndReadingCarryOver) {
  write_version_3();
  SqliteStore store(path);
  store.migrate();
  EXPECT_EQ(unread(store, b, ab), 1);
  EXPECT_EQ(unread(store, a, ab), 2);
  EXPECT_EQ(unread(store, a, ac), 0);
  EXPECT_EQ(unread(store, c, ac), 0);

  // The unread message below a read one is still found.
  ReadResult read = store.mark_read_up_to(b, ab, messages[2].id, 500);
  EXPECT_EQ(read.count, 1);
  EXPECT_EQ(read.newest_id, messages[1].id);
  EXPECT_EQ(store.find_message(messages[1].id)->read_ms, 500);
  EXPECT_EQ(store.find_message(messages[2].id)->read_ms, 30);  // the first read time stays
  EXPECT_EQ(unread(store, b, ab), 0);
  EXPECT_EQ(store.mark_read_up_to(a, ab, messages[4].id, 600).count, 2);
  EXPECT_EQ(unread(store, a, ab), 0);

  // New messages count as before.
  Message next;
  next.from = a;
  next.to = b;
  next.text = "after the migration";
  next.created_ms = 2000;
  const Message stored = store.insert_message(next).message;
  EXPECT_EQ(stored.conversation_id, ab);
  EXPECT_EQ(unread(store, b, ab), 1);
  EXPECT_EQ(store.mark_read_up_to(b, ab, stored.id, 700).newest_id, stored.id);
}

// Migration 5 rebuilds the messages table with the idempotency index led by
// the client id, and starts each sender's bound from what is stored.
TEST_F(SqliteMigration, TheRebuiltMessagesTableKeepsRowsRepeatsAndBounds) {
  write_version_3();
  {
    SqliteStore store(path);
    ASSERT_EQ(store.migrate_to(4), 4);
  }
  SqliteStore store(path);
  ASSERT_EQ(store.migrate(), 5);
  expect_messages_read_back(store);
  EXPECT_EQ(unread(store, b, ab), 1);
  EXPECT_EQ(store.list_undelivered(a, 10, std::nullopt).size(), 1u);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const auto rows = [db](const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        if (i > 0) row += '|';
        const auto* text = sqlite3_column_text(stmt, i);
        row += text != nullptr ? reinterpret_cast<const char*>(text) : "NULL";
      }
      out.push_back(row);
    }
    sqlite3_finalize(stmt);
    return out;
  };
  // The unique index's columns, in order.
  const auto unique =
      rows("SELECT name FROM pragma_index_list('messages') WHERE \"unique\" AND origin = 'u'");
  ASSERT_EQ(unique.size(), 1u);
  EXPECT_EQ(rows("SELECT name FROM pragma_index_info('" + unique[0] + "') ORDER BY seqno"),
            (std::vector<std::string>{"client_id", "from_id"}));
  // a sent cid-1, 2, 3 and 6; b sent cid-4 and 5 (as strings, "cid-6" is a's highest).
  EXPECT_EQ(rows("SELECT from_id, highest FROM client_id_bounds ORDER BY from_id"),
            (std::vector<std::string>{a + "|cid-6", b + "|cid-5"}));
  sqlite3_close(db);

  // A repeat of a client id stored before the migration is still one.
  Message again;
  again.from = a;
  again.to = b;
  again.text = "resent";
  again.client_id = "cid-2";
  again.created_ms = 3000;
  const auto repeat = store.insert_message(again);
  EXPECT_TRUE(repeat.duplicate);
  EXPECT_EQ(repeat.message.id, messages[1].id);
}

TEST_F(SqliteMigration, AnEmptyDatabaseMigratesStepByStep) {
  SqliteStore store(path);
  EXPECT_EQ(store.migrate_to(3), 3);
  EXPECT_EQ(store.schema_version(), 3);
  EXPECT_EQ(store.migrate(), 5);
  EXPECT_EQ(store.migrate(), 5);
}

}  // namespace
}  // namespace samwaad::store
