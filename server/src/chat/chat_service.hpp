// Conversations and messages: the domain rules of the contract's chat, shared
// by the REST API and the realtime server. Every method blocks on storage (run
// it on a worker pool) and throws ApiError for anything the client got wrong.
// What to push to whom is returned as values; the caller does the fan-out.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat/image_claims.hpp"
#include "store/store.hpp"
#include "users/user_service.hpp"

namespace samwaad::chat {

struct SendRequest {
  std::string to;                        // validated: 24-hex id of an existing user
  std::optional<std::string> text;       // <= 2000 code points, valid UTF-8
  std::optional<nlohmann::json> image;   // upload result the sender got back
  std::optional<std::string> client_id;  // idempotency key, <= 64 chars
};

struct SendResult {
  store::Message message;
  bool duplicate = false;  // the clientId was seen before: this is the first message again
};

struct DeliveryUpdate {
  std::string message_id;
  std::string conversation_id;
  std::string sender_id;
  int64_t delivered_ms = 0;
};

struct ReadUpdate {
  std::string message_id;  // the newest message marked read
  std::string conversation_id;
  std::string sender_id;  // whose messages were read (the peer)
  int64_t read_ms = 0;
  int count = 0;  // how many messages this marked read
};

class ChatService {
 public:
  // `users` renders the `peer` of each conversation (with presence).
  // `images` vouches for images in messages; without it every image is refused.
  ChatService(store::Store& store, const users::UserService& users, ImageClaims* images = nullptr);

  // Stores durably (group-committed with concurrent sends) before returning.
  SendResult send(const std::string& from, const SendRequest& request);
  // send() without blocking, for a message without an image (claiming an
  // image needs storage reads; use send for those): what the request got
  // wrong is thrown at once; `done` gets the result, or the error send would
  // have thrown, on a store thread once the message is durable. Messages
  // queued from one thread are stored, and complete, in that order.
  using SendDone = std::function<void(std::optional<SendResult>, std::exception_ptr)>;
  void send_text_async(const std::string& from, const SendRequest& request, SendDone done);
  // Stores the record an ended call leaves in the conversation: a message
  // from caller to callee whose `call` is `call` (the contract's call record).
  // Throws not_found if either party no longer exists.
  SendResult record_call(const std::string& caller, const std::string& callee,
                         const nlohmann::json& call);
  // Parses and validates a send-message payload (REST body or realtime event).
  static SendRequest parse_send(const nlohmann::json& payload);
  // parse_send for a payload that is one flat object of strings (the fields
  // of socketio::scan_plain_event, no JSON document built): the request
  // parse_send would give, or nullopt wherever parse_send would throw (the
  // caller then takes its way, for the error).
  static std::optional<SendRequest> plain_send(
      const std::vector<std::pair<std::string_view, std::string_view>>& fields);

  // The recipient acknowledged `message_id`; nullopt if already delivered,
  // unknown, or not addressed to `recipient_id`.
  std::optional<DeliveryUpdate> mark_delivered(const std::string& recipient_id,
                                               const std::string& message_id);
  // mark_delivered without blocking; `done` as for send_text_async.
  using DeliveredDone = std::function<void(std::optional<DeliveryUpdate>, std::exception_ptr)>;
  void mark_delivered_async(const std::string& recipient_id, const std::string& message_id,
                            DeliveredDone done);
  // Marks `message_id` and every earlier message from the same peer to
  // `reader_id` read; nullopt if they all were already. Throws validation
  // (fields.messageId: malformed, or a message the reader sent), not_found,
  // forbidden (someone else's conversation).
  std::optional<ReadUpdate> mark_read(const std::string& reader_id, const std::string& message_id);
  // The same for every message of the conversation up to `up_to_message_id`,
  // which may be any message of it (also one the reader sent). Throws
  // validation (fields.conversationId / upTo), not_found, forbidden.
  std::optional<ReadUpdate> mark_conversation_read(const std::string& reader_id,
                                                   const std::string& conversation_id,
                                                   const std::string& up_to_message_id);

  // Messages addressed to `user_id` not yet delivered, oldest first.
  // `after`: the last id of the previous page.
  std::vector<store::Message> undelivered(const std::string& user_id, int limit,
                                          const std::optional<std::string>& after = std::nullopt);

  // {conversations: [{id, peer, lastMessage, unreadCount, updatedAt}]}, most
  // recent first; `before` is the id of the last conversation of the previous
  // page (one of the user's, else validation fields.before).
  nlohmann::json list_conversations(const std::string& user_id, int limit,
                                    const std::optional<std::string>& before);
  // {messages, hasMore}; exactly one of before/after may be set.
  nlohmann::json list_messages(const std::string& user_id, const std::string& conversation_id,
                               int limit, const std::optional<std::string>& before,
                               const std::optional<std::string>& after);

  // The contract's Message shape, null for what is absent.
  static nlohmann::json message_json(const store::Message& message);
  // message_json(message).dump() (compact, invalid UTF-8 replaced), written
  // directly: the realtime server sends one per message, and building the
  // document (a map node per key) cost more than the rest of the frame.
  static std::string message_json_text(const store::Message& message);
  // The payload of `message-delivered`, {conversationId, deliveredAt,
  // messageId}, written directly for the same reason: one goes to the sender
  // for every message delivered.
  static std::string delivered_json_text(const DeliveryUpdate& update);

 private:
  // Inserts (group-committed) with the creation time set now.
  SendResult store_message(store::Message message);
  store::Conversation member_conversation(const std::string& user_id,
                                          const std::string& conversation_id) const;
  std::optional<ReadUpdate> apply_read(const std::string& reader_id,
                                       const std::string& conversation_id,
                                       const std::string& up_to_message_id,
                                       const std::string& peer_id);

  store::Store& store_;
  const users::UserService& users_;
  ImageClaims* images_;
};

}  // namespace samwaad::chat
