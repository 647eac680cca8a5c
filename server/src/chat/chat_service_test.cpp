// The chat rules of the contract, against a real SQLite store in a temp dir.
#include "chat/chat_service.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "testing/temp_dir.hpp"
#include "users/presence.hpp"

namespace samwaad::chat {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::TempDir;

class OnlineSet final : public users::PresenceView {
 public:
  std::set<std::string> online;
  bool is_online(const std::string& id) const override { return online.count(id) > 0; }
};

// The ApiError `f` throws (a failure if it throws none).
ApiError error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no ApiError thrown";
  return ApiError(ErrorCode::internal, "none");
}

void expect_field_error(const std::function<void()>& f, const std::string& field) {
  ApiError e = error_of(f);
  EXPECT_EQ(e.code(), ErrorCode::validation) << e.what();
  EXPECT_EQ(e.fields().count(field), 1u) << e.what();
}

void expect_code(const std::function<void()>& f, ErrorCode code) {
  EXPECT_EQ(error_of(f).code(), code);
}

class ChatServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::open_store("sqlite://" + (dir_.path() / "chat.db").string());
    store_->migrate();
    users_ = std::make_unique<users::UserService>(*store_, presence_);
    chat_ = std::make_unique<ChatService>(*store_, *users_);
    asha = add_user(1, "Asha");
    bilal = add_user(2, "Bilal");
    chen = add_user(3, "Chen");
  }

  std::string add_user(uint32_t n, const std::string& name) {
    store::User user;
    user.id = make_object_id(1'700'000'000 + n, 0x42, n);
    user.name = name;
    user.email = name + "@example.com";
    user.password_hash = "$2b$12$x";
    user.created_ms = user.updated_ms = 1'700'000'000'000;
    store_->insert_user(user);
    return user.id;
  }

  SendResult send(const std::string& from, const std::string& to, const std::string& text,
                  std::optional<std::string> client_id = std::nullopt) {
    SendRequest request;
    request.to = to;
    request.text = text;
    request.client_id = std::move(client_id);
    return chat_->send(from, request);
  }

  TempDir dir_{"samwaad-chat"};
  OnlineSet presence_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<users::UserService> users_;
  std::unique_ptr<ChatService> chat_;
  std::string asha, bilal, chen;
};

// --- parse_send

TEST(ParseSend, AcceptsAValidPayloadIgnoringUnknownKeys) {
  const std::string to = make_object_id(1, 2, 3);
  SendRequest request = ChatService::parse_send(
      {{"to", to}, {"text", "  hi\nthere "}, {"clientId", "tab-1:seq_2.x"}, {"extra", 1}});
  EXPECT_EQ(request.to, to);
  EXPECT_EQ(request.text, "  hi\nthere ");  // kept as sent
  EXPECT_EQ(request.client_id, "tab-1:seq_2.x");
  EXPECT_FALSE(request.image);

  SendRequest nulls = ChatService::parse_send(
      {{"to", to}, {"text", "x"}, {"clientId", nullptr}, {"image", nullptr}});
  EXPECT_FALSE(nulls.client_id);
  EXPECT_FALSE(nulls.image);
}

TEST(ParseSend, CountsTextInCodePoints) {
  const std::string to = make_object_id(1, 2, 3);
  std::string longest;
  for (int i = 0; i < 2000; ++i) longest += "é";
  EXPECT_EQ(ChatService::parse_send({{"to", to}, {"text", longest}}).text, longest);
  expect_field_error(
      [&] {
        ChatService::parse_send({{"to", to}, {"text", longest + "a"}});
      },
      "text");
  expect_field_error(
      [&] {
        ChatService::parse_send({{"to", to}, {"text", std::string("a\xff", 2)}});
      },
      "text");
  expect_field_error([&] { ChatService::parse_send({{"to", to}, {"text", "bell\a"}}); }, "text");
}

TEST(ParseSend, RejectsBadFieldsNamingEachOne) {
  const std::string to = make_object_id(1, 2, 3);
  expect_code([] { ChatService::parse_send(json::array()); }, ErrorCode::validation);
  expect_field_error([] { ChatService::parse_send({{"text", "x"}}); }, "to");
  expect_field_error([] { ChatService::parse_send({{"to", "abc"}, {"text", "x"}}); }, "to");
  expect_field_error([] { ChatService::parse_send({{"to", 5}, {"text", "x"}}); }, "to");
  expect_field_error([&] { ChatService::parse_send({{"to", to}}); }, "text");
  expect_field_error([&] { ChatService::parse_send({{"to", to}, {"text", ""}}); }, "text");
  expect_field_error([&] { ChatService::parse_send({{"to", to}, {"text", " \n\t "}}); }, "text");
  expect_field_error([&] { ChatService::parse_send({{"to", to}, {"text", 12}}); }, "text");
  expect_field_error(
      [&] {
        ChatService::parse_send({{"to", to}, {"text", "x"}, {"image", "u"}});
      },
      "image");
  for (const json& bad : {json(""), json(std::string(129, 'a')), json("has space"), json("ü"),
                          json(7), json::object()}) {
    expect_field_error(
        [&] {
          ChatService::parse_send({{"to", to}, {"text", "x"}, {"clientId", bad}});
        },
        "clientId");
  }
  EXPECT_EQ(
      ChatService::parse_send({{"to", to}, {"text", "x"}, {"clientId", std::string(128, 'a')}})
          .client_id->size(),
      128u);

  ApiError both = error_of([] { ChatService::parse_send({{"to", "x"}, {"clientId", 1}}); });
  EXPECT_EQ(both.fields().count("to"), 1u);
  EXPECT_EQ(both.fields().count("clientId"), 1u);
}

// plain_send gives parse_send's request for every payload of strings that
// parse_send accepts, and nothing for one it refuses (it then gives the error).
TEST(ParseSend, PlainSendAgreesWithParseSend) {
  const std::string to = make_object_id(1, 2, 3);
  using Fields = std::vector<std::pair<std::string_view, std::string_view>>;
  const std::string longest(2000, 'a');
  const std::string too_long = longest + "a";
  const std::string longest_id(128, 'a');
  const std::string too_long_id(129, 'a');
  const std::vector<Fields> payloads = {
      {{"to", to}, {"text", "hi"}},
      {{"text", "hi"}, {"clientId", "c-1"}, {"to", to}},
      {{"to", to}, {"text", "  padded \u00e9 \xf0\x9f\x91\x8b "}, {"other", "ignored"}},
      {{"to", to}, {"text", longest}},
      {{"to", to}, {"text", "x"}, {"clientId", longest_id}},
      {{"to", to}, {"text", too_long}},
      {{"to", to}, {"text", "del\x7f"}},
      {{"to", to}, {"text", " \t "}},
      {{"to", to}, {"text", ""}},
      {{"to", to}},
      {{"text", "x"}},
      {{"to", "abc"}, {"text", "x"}},
      {{"to", to}, {"text", "x"}, {"clientId", ""}},
      {{"to", to}, {"text", "x"}, {"clientId", "has space"}},
      {{"to", to}, {"text", "x"}, {"clientId", too_long_id}},
      {{"to", to}, {"text", "x"}, {"image", "u"}},
  };
  for (const auto& fields : payloads) {
    json payload = json::object();
    for (const auto& [key, value] : fields) payload[std::string(key)] = std::string(value);
    std::optional<SendRequest> parsed;
    try {
      parsed = ChatService::parse_send(payload);
    } catch (const ApiError&) {
    }
    const auto plain = ChatService::plain_send(fields);
    ASSERT_EQ(plain.has_value(), parsed.has_value()) << payload.dump();
    if (!plain) continue;
    EXPECT_EQ(plain->to, parsed->to);
    EXPECT_EQ(plain->text, parsed->text);
    EXPECT_EQ(plain->client_id, parsed->client_id);
    EXPECT_FALSE(plain->image);
  }
}

TEST(ParseSend, BlankTextBesideAnImageIsDropped) {
  SendRequest request = ChatService::parse_send(
      {{"to", make_object_id(1, 2, 3)}, {"text", "  "}, {"image", {{"public_id", "p"}}}});
  EXPECT_FALSE(request.text);
  ASSERT_TRUE(request.image);
  EXPECT_EQ((*request.image)["public_id"], "p");
}

// --- send

TEST_F(ChatServiceTest, SendStoresAndRendersTheContractShape) {
  const int64_t before = now_ms();
  SendResult sent = send(asha, bilal, "hello", "c-1");
  EXPECT_FALSE(sent.duplicate);
  json m = ChatService::message_json(sent.message);
  std::set<std::string> keys;
  for (const auto& [key, value] : m.items()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"id", "conversationId", "from", "to", "text", "image",
                                         "call", "clientId", "delivered", "deliveredAt", "read",
                                         "readAt", "createdAt"}));
  EXPECT_TRUE(is_object_id(m["id"].get<std::string>()));
  EXPECT_TRUE(is_object_id(m["conversationId"].get<std::string>()));
  EXPECT_EQ(m["from"], asha);
  EXPECT_EQ(m["to"], bilal);
  EXPECT_EQ(m["text"], "hello");
  EXPECT_TRUE(m["image"].is_null());
  EXPECT_TRUE(m["call"].is_null());
  EXPECT_EQ(m["clientId"], "c-1");
  EXPECT_EQ(m["delivered"], false);
  EXPECT_TRUE(m["deliveredAt"].is_null());
  EXPECT_EQ(m["read"], false);
  EXPECT_TRUE(m["readAt"].is_null());
  auto created = parse_iso8601(m["createdAt"].get<std::string>());
  ASSERT_TRUE(created);
  EXPECT_GE(*created, before);
  EXPECT_TRUE(store_->find_message(sent.message.id));
}

TEST_F(ChatServiceTest, MessageJsonRendersReceiptsAndAttachments) {
  store::Message message;
  message.id = make_object_id(5, 5, 5);
  message.conversation_id = make_object_id(6, 6, 6);
  message.from = asha;
  message.to = bilal;
  message.image_json = R"({"url":"/media/a.png"})";
  message.call_json = R"({"id":"c","outcome":"missed"})";
  message.delivered_ms = 1'700'000'000'001;
  message.read_ms = 1'700'000'000'002;
  message.created_ms = 1'700'000'000'000;
  json m = ChatService::message_json(message);
  EXPECT_TRUE(m["text"].is_null());
  EXPECT_TRUE(m["clientId"].is_null());
  EXPECT_EQ(m["image"]["url"], "/media/a.png");
  EXPECT_EQ(m["call"]["outcome"], "missed");
  EXPECT_EQ(m["delivered"], true);
  EXPECT_EQ(m["deliveredAt"], "2023-11-14T22:13:20.001Z");
  EXPECT_EQ(m["read"], true);
  EXPECT_EQ(m["readAt"], "2023-11-14T22:13:20.002Z");
  EXPECT_EQ(m["createdAt"], "2023-11-14T22:13:20.000Z");
}

// The realtime server's direct writer against the document's own dump, for
// texts that need escaping, non-ASCII and invalid UTF-8, attachments (also a
// damaged one), receipts and their absence.
TEST_F(ChatServiceTest, MessageJsonTextIsTheDocumentsDump) {
  const auto dump = [](const store::Message& m) {
    return ChatService::message_json(m).dump(-1, ' ', false, json::error_handler_t::replace);
  };
  store::Message base;
  base.id = make_object_id(5, 5, 5);
  base.conversation_id = make_object_id(6, 6, 6);
  base.from = asha;
  base.to = bilal;
  base.created_ms = 1'700'000'000'000;
  std::vector<store::Message> cases;
  for (const char* text : {"hello", "", "say \"hi\"", "back\\slash", "tab\there\nline",
                           "\x01\x1f\x7f", "नमस्ते 👋", "bad \xff\xfe utf-8", "</script>"}) {
    store::Message m = base;
    m.text = text;
    m.client_id = std::string("c-") + (text[0] == '"' ? "\"q" : "1");
    cases.push_back(m);
  }
  store::Message rich = base;
  rich.image_json = R"({"url":"/media/a.png","width":640, "format":"png"})";
  rich.call_json = R"({"id":"c","outcome":"missed","durationMs":0})";
  rich.delivered_ms = 1'700'000'000'001;
  rich.read_ms = 1'700'000'000'002;
  cases.push_back(rich);
  store::Message damaged = base;
  damaged.image_json = "{not json";
  damaged.client_id = "quote\"and\\";
  cases.push_back(damaged);
  for (const auto& m : cases) EXPECT_EQ(ChatService::message_json_text(m), dump(m));
}

// What the realtime server sent before it wrote this payload directly.
TEST_F(ChatServiceTest, DeliveredJsonTextIsTheDocumentsDump) {
  DeliveryUpdate update;
  update.message_id = make_object_id(5, 5, 5);
  update.conversation_id = make_object_id(6, 6, 6);
  update.sender_id = asha;
  update.delivered_ms = 1'700'000'000'123;
  const auto dump = [](const DeliveryUpdate& u) {
    return json{{"messageId", u.message_id},
                {"conversationId", u.conversation_id},
                {"deliveredAt", format_iso8601(u.delivered_ms)}}
        .dump();
  };
  EXPECT_EQ(ChatService::delivered_json_text(update), dump(update));
  update.message_id = "not \"hex\"";  // ids are hex; anything else is still escaped
  EXPECT_EQ(ChatService::delivered_json_text(update), dump(update));
}

TEST_F(ChatServiceTest, SendRefusesSelfUnknownRecipientAndImages) {
  expect_field_error([&] { send(asha, asha, "me"); }, "to");
  expect_field_error([&] { send(asha, "nope", "x"); }, "to");
  expect_code([&] { send(asha, make_object_id(9, 9, 9), "x"); }, ErrorCode::not_found);
  expect_field_error([&] { send(asha, bilal, "   "); }, "text");
  SendRequest with_image;
  with_image.to = bilal;
  with_image.image = json{{"url", "/media/someone-elses.png"}};
  ApiError image = error_of([&] { chat_->send(asha, with_image); });
  EXPECT_EQ(image.code(), ErrorCode::validation);
  EXPECT_EQ(image.fields().at("image"), "unknown upload");
  EXPECT_TRUE(store_->list_conversations(asha, 10, std::nullopt).empty());
}

TEST_F(ChatServiceTest, RepeatedClientIdReturnsTheFirstMessage) {
  SendResult first = send(asha, bilal, "once", "k1");
  SendResult again = send(asha, bilal, "once more", "k1");
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.message.id, first.message.id);
  EXPECT_EQ(again.message.text, "once");
  EXPECT_FALSE(send(bilal, asha, "same key, other sender", "k1").duplicate);
}

// The realtime path: same rules, same errors, result once durable.
TEST_F(ChatServiceTest, SendTextAsyncStoresOrReportsWhatSendWould) {
  auto send_async = [&](const std::string& to, const std::string& text,
                        std::optional<std::string> client_id = std::nullopt) {
    SendRequest request;
    request.to = to;
    request.text = text;
    request.client_id = std::move(client_id);
    std::promise<std::pair<std::optional<SendResult>, std::exception_ptr>> outcome;
    chat_->send_text_async(asha, request, [&](std::optional<SendResult> r, std::exception_ptr e) {
      outcome.set_value({std::move(r), e});
    });
    return outcome.get_future().get();
  };
  auto [sent, error] = send_async(bilal, "async hello", "a1");
  ASSERT_TRUE(sent) << "failed";
  EXPECT_FALSE(error);
  EXPECT_FALSE(sent->duplicate);
  EXPECT_EQ(store_->find_message(sent->message.id)->text, "async hello");
  auto [again, again_error] = send_async(bilal, "other text", "a1");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->message.id, sent->message.id);

  auto [none, unknown] = send_async(make_object_id(9, 9, 9), "to nobody");
  EXPECT_FALSE(none);
  expect_code([&] { std::rethrow_exception(unknown); }, ErrorCode::not_found);
  // Bad requests are refused before anything is queued.
  expect_field_error([&] { send_async(asha, "me"); }, "to");
  expect_field_error([&] { send_async(bilal, "  "); }, "text");

  std::promise<std::optional<DeliveryUpdate>> delivered;
  chat_->mark_delivered_async(bilal, sent->message.id,
                              [&](std::optional<DeliveryUpdate> u, std::exception_ptr) {
                                delivered.set_value(std::move(u));
                              });
  auto update = delivered.get_future().get();
  ASSERT_TRUE(update);
  EXPECT_EQ(update->sender_id, asha);
  EXPECT_EQ(update->message_id, sent->message.id);
  std::promise<std::optional<DeliveryUpdate>> twice;
  chat_->mark_delivered_async(
      bilal, sent->message.id,
      [&](std::optional<DeliveryUpdate> u, std::exception_ptr) { twice.set_value(std::move(u)); });
  EXPECT_FALSE(twice.get_future().get());
}

// --- receipts

TEST_F(ChatServiceTest, DeliveredOnceByTheRecipientOnly) {
  SendResult sent = send(asha, bilal, "hi");
  EXPECT_FALSE(chat_->mark_delivered(asha, sent.message.id));
  EXPECT_FALSE(chat_->mark_delivered(bilal, "garbage"));
  EXPECT_FALSE(chat_->mark_delivered(bilal, make_object_id(9, 9, 9)));
  auto update = chat_->mark_delivered(bilal, sent.message.id);
  ASSERT_TRUE(update);
  EXPECT_EQ(update->message_id, sent.message.id);
  EXPECT_EQ(update->conversation_id, sent.message.conversation_id);
  EXPECT_EQ(update->sender_id, asha);
  EXPECT_GT(update->delivered_ms, 0);
  EXPECT_FALSE(chat_->mark_delivered(bilal, sent.message.id));
}

TEST_F(ChatServiceTest, UndeliveredListsWhatTheRecipientHasNotAcked) {
  SendResult m1 = send(asha, bilal, "1");
  SendResult m2 = send(chen, bilal, "2");
  chat_->mark_delivered(bilal, m1.message.id);
  auto pending = chat_->undelivered(bilal, 10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, m2.message.id);
}

TEST_F(ChatServiceTest, MarkReadCoversEarlierMessagesFromThatPeer) {
  SendResult m1 = send(asha, bilal, "1");
  SendResult mine = send(bilal, asha, "reply");
  SendResult m2 = send(asha, bilal, "2");
  SendResult m3 = send(asha, bilal, "3");

  auto update = chat_->mark_read(bilal, m2.message.id);
  ASSERT_TRUE(update);
  EXPECT_EQ(update->message_id, m2.message.id);
  EXPECT_EQ(update->conversation_id, m1.message.conversation_id);
  EXPECT_EQ(update->sender_id, asha);
  EXPECT_EQ(update->count, 2);
  EXPECT_TRUE(store_->find_message(m1.message.id)->read_ms);
  EXPECT_FALSE(store_->find_message(m3.message.id)->read_ms);
  EXPECT_FALSE(store_->find_message(mine.message.id)->read_ms);
  EXPECT_FALSE(chat_->mark_read(bilal, m2.message.id));  // nothing new

  expect_field_error([&] { chat_->mark_read(bilal, mine.message.id); }, "messageId");
  expect_field_error([&] { chat_->mark_read(bilal, "x"); }, "messageId");
  expect_code([&] { chat_->mark_read(chen, m3.message.id); }, ErrorCode::forbidden);
  expect_code([&] { chat_->mark_read(bilal, make_object_id(9, 9, 9)); }, ErrorCode::not_found);
}

TEST_F(ChatServiceTest, MarkConversationReadChecksMembershipAndTheMessage) {
  SendResult m1 = send(asha, bilal, "1");
  SendResult reply = send(bilal, asha, "reply");
  SendResult elsewhere = send(chen, bilal, "other");
  const std::string conversation = m1.message.conversation_id;

  expect_code([&] { chat_->mark_conversation_read(chen, conversation, m1.message.id); },
              ErrorCode::forbidden);
  expect_code([&] { chat_->mark_conversation_read(bilal, make_object_id(9, 9, 9), m1.message.id); },
              ErrorCode::not_found);
  expect_code([&] { chat_->mark_conversation_read(bilal, conversation, make_object_id(9, 9, 9)); },
              ErrorCode::not_found);
  expect_field_error([&] { chat_->mark_conversation_read(bilal, "c", m1.message.id); },
                     "conversationId");
  expect_field_error([&] { chat_->mark_conversation_read(bilal, conversation, "u"); }, "upTo");
  expect_field_error(
      [&] { chat_->mark_conversation_read(bilal, conversation, elsewhere.message.id); }, "upTo");

  // Up to the reader's own (newer) message: everything received before it.
  auto update = chat_->mark_conversation_read(bilal, conversation, reply.message.id);
  ASSERT_TRUE(update);
  EXPECT_EQ(update->message_id, m1.message.id);
  EXPECT_EQ(update->sender_id, asha);
  EXPECT_FALSE(chat_->mark_conversation_read(bilal, conversation, reply.message.id));
}

// --- listings

TEST_F(ChatServiceTest, ListsConversationsWithPeerLastMessageAndUnread) {
  presence_.online.insert(bilal);
  send(bilal, asha, "from bilal");
  send(chen, asha, "from chen 1");
  SendResult last = send(chen, asha, "from chen 2");

  json list = chat_->list_conversations(asha, 50, std::nullopt)["conversations"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], last.message.conversation_id);
  EXPECT_EQ(list[0]["peer"]["id"], chen);
  EXPECT_EQ(list[0]["peer"]["status"], "offline");
  EXPECT_FALSE(list[0]["peer"].contains("email"));
  EXPECT_EQ(list[0]["lastMessage"], ChatService::message_json(last.message));
  EXPECT_EQ(list[0]["unreadCount"], 2);
  EXPECT_EQ(list[0]["updatedAt"], format_iso8601(last.message.created_ms));
  EXPECT_EQ(list[1]["peer"]["id"], bilal);
  EXPECT_EQ(list[1]["peer"]["status"], "online");
  EXPECT_EQ(list[1]["unreadCount"], 1);

  json rest = chat_->list_conversations(asha, 50, list[0]["id"].get<std::string>());
  ASSERT_EQ(rest["conversations"].size(), 1u);
  EXPECT_EQ(rest["conversations"][0]["peer"]["id"], bilal);
  EXPECT_TRUE(chat_->list_conversations(asha, 50, list[1]["id"].get<std::string>())["conversations"]
                  .empty());
  EXPECT_EQ(chat_->list_conversations(asha, 1, std::nullopt)["conversations"].size(), 1u);

  expect_field_error([&] { chat_->list_conversations(asha, 50, "zz"); }, "before");
  expect_field_error([&] { chat_->list_conversations(asha, 50, make_object_id(9, 9, 9)); },
                     "before");
  // Someone else's conversation is no cursor for you.
  const std::string bilal_chen = send(bilal, chen, "x").message.conversation_id;
  expect_field_error([&] { chat_->list_conversations(asha, 50, bilal_chen); }, "before");
  expect_field_error([&] { chat_->list_conversations(asha, 0, std::nullopt); }, "limit");
  expect_field_error([&] { chat_->list_conversations(asha, 101, std::nullopt); }, "limit");
}

TEST_F(ChatServiceTest, ListsMessagesForMembersOnly) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(send(asha, bilal, std::to_string(i)).message.id);
  const std::string conversation = store_->find_message(ids[0])->conversation_id;

  json newest = chat_->list_messages(bilal, conversation, 3, std::nullopt, std::nullopt);
  EXPECT_EQ(newest["hasMore"], true);
  ASSERT_EQ(newest["messages"].size(), 3u);
  EXPECT_EQ(newest["messages"][0]["id"], ids[2]);
  EXPECT_EQ(newest["messages"][2]["id"], ids[4]);
  json older = chat_->list_messages(asha, conversation, 3, ids[2], std::nullopt);
  EXPECT_EQ(older["hasMore"], false);
  EXPECT_EQ(older["messages"].size(), 2u);
  json after = chat_->list_messages(asha, conversation, 3, std::nullopt, ids[3]);
  EXPECT_EQ(after["hasMore"], false);
  ASSERT_EQ(after["messages"].size(), 1u);
  EXPECT_EQ(after["messages"][0]["id"], ids[4]);

  expect_code([&] { chat_->list_messages(chen, conversation, 3, std::nullopt, std::nullopt); },
              ErrorCode::forbidden);
  expect_code(
      [&] { chat_->list_messages(asha, make_object_id(9, 9, 9), 3, std::nullopt, std::nullopt); },
      ErrorCode::not_found);
  expect_field_error([&] { chat_->list_messages(asha, conversation, 3, ids[1], ids[2]); }, "after");
  expect_field_error([&] { chat_->list_messages(asha, "c", 3, std::nullopt, std::nullopt); },
                     "conversationId");
  expect_field_error([&] { chat_->list_messages(asha, conversation, 3, "b", std::nullopt); },
                     "before");
  expect_field_error([&] { chat_->list_messages(asha, conversation, 3, std::nullopt, "a"); },
                     "after");
  expect_field_error(
      [&] { chat_->list_messages(asha, conversation, 0, std::nullopt, std::nullopt); }, "limit");
}

TEST_F(ChatServiceTest, CallRecordsAreMessagesFromCallerToCallee) {
  json call = {
      {"id", "65f0a1b2c3d4e5f6a7b8c9d0"},        {"caller", asha},  {"callee", bilal},
      {"startedAt", "2026-11-25T08:24:17.123Z"}, {"duration", 192}, {"outcome", "answered"}};
  SendResult recorded = chat_->record_call(asha, bilal, call);
  json m = ChatService::message_json(recorded.message);
  EXPECT_EQ(m["from"], asha);
  EXPECT_EQ(m["to"], bilal);
  EXPECT_EQ(m["call"], call);
  EXPECT_TRUE(m["text"].is_null());
  // It is part of the conversation's history and undelivered until acked.
  auto undelivered = chat_->undelivered(bilal, 10);
  ASSERT_EQ(undelivered.size(), 1u);
  EXPECT_EQ(undelivered[0].id, recorded.message.id);
  auto page =
      chat_->list_messages(bilal, recorded.message.conversation_id, 10, std::nullopt, std::nullopt);
  EXPECT_EQ(page["messages"][0]["call"]["outcome"], "answered");
  expect_code([&] { chat_->record_call(asha, make_object_id(1, 2, 3), call); },
              ErrorCode::not_found);
}

}  // namespace
}  // namespace samwaad::chat
