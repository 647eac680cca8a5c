#include <utility>

#include "api/request_auth.hpp"
#include "api/routes.hpp"
#include "chat/chat_service.hpp"
#include "core/time.hpp"
#include "core/validate.hpp"
#include "http/json_body.hpp"

namespace samwaad::api {
namespace {

constexpr int kMaxLimit = 100;
constexpr int kDefaultLimit = 50;

int limit_of(const http::Request& req) {
  return parse_limit(req.query_param("limit"), 1, kMaxLimit, kDefaultLimit);
}

}  // namespace

// The hooks let the realtime server push what REST did to the users' sockets;
// they run on the request's worker thread after the write is durable.
void add_chat_routes(http::Router& router, ApiDeps deps, chat::ChatService& chat,
                     std::function<void(const chat::SendResult&)> on_sent,
                     std::function<void(const chat::ReadUpdate&)> on_read) {
  router.add("GET", "/api/v1/conversations", [deps, &chat](http::Request& req) {
    auto principal = require_auth(req, deps.auth);
    const int limit = limit_of(req);
    return http::Response::json(
        200, chat.list_conversations(principal.user_id, limit, req.query_param("before")));
  });

  router.add("GET", "/api/v1/messages/:conversationId", [deps, &chat](http::Request& req) {
    auto principal = require_auth(req, deps.auth);
    const int limit = limit_of(req);
    return http::Response::json(
        200, chat.list_messages(principal.user_id, req.params.at("conversationId"), limit,
                                req.query_param("before"), req.query_param("after")));
  });

  router.add(
      "POST", "/api/v1/messages", [deps, &chat, on_sent = std::move(on_sent)](http::Request& req) {
        auto principal = require_auth(req, deps.auth);
        const chat::SendRequest request = chat::ChatService::parse_send(http::json_body(req));
        const chat::SendResult result = chat.send(principal.user_id, request);
        // Repeats too (result.duplicate): the hook decides, as for realtime sends.
        if (on_sent) on_sent(result);
        return http::Response::json(result.duplicate ? 200 : 201,
                                    {{"message", chat::ChatService::message_json(result.message)}});
      });

  router.add("POST", "/api/v1/conversations/:id/read",
             [deps, &chat, on_read = std::move(on_read)](http::Request& req) {
               auto principal = require_auth(req, deps.auth);
               const auto body = http::json_body(req);
               const std::string conversation_id = req.params.at("id");
               const std::string up_to = *string_field(body, "upTo", true);
               auto update = chat.mark_conversation_read(principal.user_id, conversation_id, up_to);
               if (update && on_read) on_read(*update);
               // readAt is null when everything up to upTo was already read.
               return http::Response::json(
                   200, {{"conversationId", conversation_id},
                         {"upTo", up_to},
                         {"readAt", update ? nlohmann::json(format_iso8601(update->read_ms))
                                           : nlohmann::json(nullptr)}});
             });
}

}  // namespace samwaad::api
