// The chat REST routes through the HTTP application (no network): status
// codes, query validation and the hooks the realtime server relies on.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/routes.hpp"
#include "auth/auth_service.hpp"
#include "chat/chat_service.hpp"
#include "http/app.hpp"
#include "obs/metrics.hpp"
#include "testing/temp_dir.hpp"
#include "users/presence.hpp"
#include "users/user_service.hpp"

namespace samwaad::api {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::TempDir;

class ChatRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::open_store("sqlite://" + (dir_.path() / "api.db").string());
    store_->migrate();
    auth_ = std::make_unique<auth::AuthService>(
        *store_, limiter_, auth::AuthSettings{"test-secret-0123456789abcdef", 3600, 4});
    users_ = std::make_unique<users::UserService>(*store_, presence_);
    chat_ = std::make_unique<chat::ChatService>(*store_, *users_);
    http::Router router;
    add_chat_routes(
        router, ApiDeps{*auth_, *users_, *store_, metrics_}, *chat_,
        [this](const chat::SendResult& r) { sent_.push_back(r); },
        [this](const chat::ReadUpdate& u) { reads_.push_back(u); });
    app_ = std::make_unique<http::HttpApp>(std::move(router), http::AppPolicy{},
                                           [](http::Request&) { return http::Response{}; });
    auto asha = auth_->signup("Asha", "asha@example.com", "password-1", "127.0.0.1");
    auto bilal = auth_->signup("Bilal", "bilal@example.com", "password-2", "127.0.0.1");
    auto chen = auth_->signup("Chen", "chen@example.com", "password-3", "127.0.0.1");
    asha_ = {asha.user.id, asha.token};
    bilal_ = {bilal.user.id, bilal.token};
    chen_ = {chen.user.id, chen.token};
  }

  struct Caller {
    std::string id;
    std::string token;
  };

  http::Response call(const std::string& method, const std::string& target, const Caller& who,
                      const std::optional<json>& body = std::nullopt) {
    http::Request req;
    req.method = method;
    req.target = target;
    EXPECT_TRUE(http::parse_target(target, req.path, req.query));
    req.request_id = "rid";
    req.remote_address = "127.0.0.1";
    if (!who.token.empty()) req.headers.emplace_back("authorization", "Bearer " + who.token);
    if (body) {
      req.headers.emplace_back("content-type", "application/json");
      req.body = body->dump();
    }
    return app_->handle(req);
  }

  static json body_of(const http::Response& res) { return json::parse(res.body); }

  TempDir dir_{"samwaad-api"};
  auth::RateLimiter limiter_{false};
  users::NobodyOnline presence_;
  obs::Metrics metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<users::UserService> users_;
  std::unique_ptr<chat::ChatService> chat_;
  std::unique_ptr<http::HttpApp> app_;
  std::vector<chat::SendResult> sent_;
  std::vector<chat::ReadUpdate> reads_;
  Caller asha_, bilal_, chen_;
};

TEST_F(ChatRoutes, PostMessageIs201ThenA200RepeatForTheSameClientId) {
  json payload{{"to", bilal_.id}, {"text", "hi"}, {"clientId", "c1"}};
  auto created = call("POST", "/api/v1/messages", asha_, payload);
  ASSERT_EQ(created.status, 201) << created.body;
  json message = body_of(created)["message"];
  EXPECT_EQ(message["text"], "hi");
  EXPECT_EQ(message["from"], asha_.id);
  auto repeated = call("POST", "/api/v1/messages", asha_, payload);
  ASSERT_EQ(repeated.status, 200) << repeated.body;
  EXPECT_EQ(body_of(repeated)["message"]["id"], message["id"]);
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_FALSE(sent_[0].duplicate);
  EXPECT_TRUE(sent_[1].duplicate);
}

TEST_F(ChatRoutes, PostMessageErrors) {
  EXPECT_EQ(call("POST", "/api/v1/messages", {"", ""}, json{{"to", bilal_.id}}).status, 401);
  auto invalid = call("POST", "/api/v1/messages", asha_, json{{"to", "x"}, {"text", "hi"}});
  EXPECT_EQ(invalid.status, 400);
  EXPECT_TRUE(body_of(invalid)["error"]["fields"].contains("to"));
  auto unknown = call("POST", "/api/v1/messages", asha_,
                      json{{"to", "0123456789abcdef01234567"}, {"text", "hi"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(body_of(unknown)["error"]["code"], "not_found");
  EXPECT_TRUE(sent_.empty());
}

TEST_F(ChatRoutes, ListsConversationsAndMessagesWithValidatedQueries) {
  auto first =
      body_of(call("POST", "/api/v1/messages", asha_, json{{"to", bilal_.id}, {"text", "1"}}));
  call("POST", "/api/v1/messages", bilal_, json{{"to", asha_.id}, {"text", "2"}});
  const std::string conversation = first["message"]["conversationId"];

  auto list = call("GET", "/api/v1/conversations", bilal_);
  ASSERT_EQ(list.status, 200) << list.body;
  json conversations = body_of(list)["conversations"];
  ASSERT_EQ(conversations.size(), 1u);
  EXPECT_EQ(conversations[0]["peer"]["id"], asha_.id);
  EXPECT_EQ(conversations[0]["unreadCount"], 1);
  EXPECT_EQ(conversations[0]["lastMessage"]["text"], "2");

  for (const char* bad : {"0", "101", "x", "5.0", ""}) {
    auto res = call("GET", std::string("/api/v1/conversations?limit=") + bad, bilal_);
    EXPECT_EQ(res.status, 400) << bad;
    EXPECT_TRUE(body_of(res)["error"]["fields"].contains("limit")) << bad;
  }
  EXPECT_EQ(call("GET", "/api/v1/conversations?before=nope", bilal_).status, 400);

  auto page = call("GET", "/api/v1/messages/" + conversation + "?limit=1", asha_);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(body_of(page)["hasMore"], true);
  EXPECT_EQ(body_of(page)["messages"][0]["text"], "2");
  auto after = call(
      "GET",
      "/api/v1/messages/" + conversation + "?after=" + first["message"]["id"].get<std::string>(),
      asha_);
  EXPECT_EQ(body_of(after)["messages"].size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/messages/" + conversation, chen_).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/messages/0123456789abcdef01234567", chen_).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/messages/bad-id", chen_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/messages/" + conversation + "?limit=1000", asha_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/messages/" + conversation + "?before=x", asha_).status, 400);
  auto both = call("GET",
                   "/api/v1/messages/" + conversation +
                       "?before=" + first["message"]["id"].get<std::string>() +
                       "&after=" + first["message"]["id"].get<std::string>(),
                   asha_);
  EXPECT_EQ(both.status, 400);
}

TEST_F(ChatRoutes, ReadUpToAConversationMessage) {
  auto sent =
      body_of(call("POST", "/api/v1/messages", asha_, json{{"to", bilal_.id}, {"text", "1"}}));
  const std::string conversation = sent["message"]["conversationId"];
  const std::string message_id = sent["message"]["id"];
  const std::string path = "/api/v1/conversations/" + conversation + "/read";

  auto read = call("POST", path, bilal_, json{{"upTo", message_id}});
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(body_of(read)["conversationId"], conversation);
  EXPECT_EQ(body_of(read)["upTo"], message_id);
  EXPECT_TRUE(body_of(read)["readAt"].is_string());
  ASSERT_EQ(reads_.size(), 1u);
  EXPECT_EQ(reads_[0].sender_id, asha_.id);
  EXPECT_EQ(reads_[0].message_id, message_id);

  auto again = call("POST", path, bilal_, json{{"upTo", message_id}});
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(body_of(again)["readAt"].is_null());
  EXPECT_EQ(reads_.size(), 1u);

  EXPECT_EQ(call("POST", path, chen_, json{{"upTo", message_id}}).status, 403);
  auto missing = call("POST", path, bilal_, json::object());
  EXPECT_EQ(missing.status, 400);
  EXPECT_TRUE(body_of(missing)["error"]["fields"].contains("upTo"));
}

}  // namespace
}  // namespace samwaad::api
