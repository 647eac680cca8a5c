#include "chat/chat_service.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <utility>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"
#include "core/validate.hpp"

namespace samwaad::chat {
namespace {

constexpr std::size_t kMaxTextCodePoints = 2000;
constexpr std::size_t kMaxClientIdLength = 128;
constexpr int kMaxPageLimit = 100;

using FieldProblems = std::map<std::string, std::string>;

// Runs one field's check, collecting its validation problem instead of
// stopping, so a client learns about every bad field at once.
void collect(FieldProblems& problems, const std::function<void()>& check) {
  try {
    check();
  } catch (const ApiError& e) {
    if (e.code() != ErrorCode::validation) throw;
    problems.insert(e.fields().begin(), e.fields().end());
  }
}

[[noreturn]] void throw_problems(const FieldProblems& problems) {
  std::string message;
  for (const auto& [field, problem] : problems) {
    if (!message.empty()) message += "; ";
    message.append(field).append(" ").append(problem);
  }
  throw ApiError(ErrorCode::validation, message, problems);
}

bool is_client_id_char(char c) { return c > 0x20 && c < 0x7f; }

// Any printable key a client library generates (uuids, "tab:seq") fits; the
// limit keeps the unique index small.
bool client_id_ok(std::string_view client_id) {
  return !client_id.empty() && client_id.size() <= kMaxClientIdLength &&
         std::all_of(client_id.begin(), client_id.end(), is_client_id_char);
}

std::optional<std::string> parse_client_id(const nlohmann::json& payload) {
  auto client_id = string_field(payload, "clientId", false);
  if (!client_id) return std::nullopt;
  if (!client_id_ok(*client_id)) {
    throw field_error("clientId", "must be 1-128 printable ASCII characters without spaces");
  }
  return client_id;
}

bool text_length_ok(std::string_view text) { return *utf8_length(text) <= kMaxTextCodePoints; }

// The text is stored exactly as sent (leading spaces, line breaks and all);
// only its length and characters are checked here.
std::optional<std::string> parse_text(const nlohmann::json& payload) {
  auto text = string_field(payload, "text", false);
  if (!text) return std::nullopt;
  if (!text_length_ok(*text)) throw field_error("text", "must be at most 2000 characters");
  if (has_control_chars(*text, true)) {
    throw field_error("text", "must not contain control characters");
  }
  return text;
}

std::optional<nlohmann::json> parse_image(const nlohmann::json& payload) {
  auto it = payload.find("image");
  if (it == payload.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) throw field_error("image", "must be an upload result object");
  return *it;
}

bool is_blank(const std::optional<std::string>& text) { return !text || trim(*text).empty(); }

void check_limit(int limit) {
  if (limit < 1 || limit > kMaxPageLimit) {
    throw field_error("limit", "must be an integer from 1 to 100");
  }
}

nlohmann::json parsed_or_null(const std::optional<std::string>& json_text) {
  if (!json_text) return nullptr;
  auto value = nlohmann::json::parse(*json_text, nullptr, /*allow_exceptions=*/false);
  return value.is_discarded() ? nlohmann::json(nullptr) : value;
}

nlohmann::json time_or_null(const std::optional<int64_t>& ms) {
  return ms ? nlohmann::json(format_iso8601(*ms)) : nlohmann::json(nullptr);
}

nlohmann::json optional_string(const std::optional<std::string>& s) {
  return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
}

const std::string& peer_of(const store::Conversation& conversation, const std::string& user_id) {
  return conversation.user_a == user_id ? conversation.user_b : conversation.user_a;
}

bool is_member(const store::Conversation& conversation, const std::string& user_id) {
  return conversation.user_a == user_id || conversation.user_b == user_id;
}

}  // namespace

ChatService::ChatService(store::Store& store, const users::UserService& users, ImageClaims* images)
    : store_(store), users_(users), images_(images) {}

SendRequest ChatService::parse_send(const nlohmann::json& payload) {
  if (!payload.is_object()) {
    throw ApiError(ErrorCode::validation, "the message must be a JSON object");
  }
  SendRequest request;
  FieldProblems problems;
  collect(problems, [&] {
    request.to = *string_field(payload, "to", true);
    validate_id(request.to, "to");
  });
  collect(problems, [&] { request.text = parse_text(payload); });
  collect(problems, [&] { request.image = parse_image(payload); });
  collect(problems, [&] { request.client_id = parse_client_id(payload); });
  if (!problems.count("text") && !problems.count("image") && is_blank(request.text)) {
    // Whitespace beside an image is no caption; without one it is no message.
    if (request.image) {
      request.text.reset();
    } else {
      problems["text"] = "must not be empty when there is no image";
    }
  }
  if (!problems.empty()) throw_problems(problems);
  return request;
}

std::optional<SendRequest> ChatService::plain_send(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
  SendRequest request;  // a missing `to` stays empty, which is no id
  for (const auto& [key, value] : fields) {
    if (key == "to") {
      request.to = value;
    } else if (key == "text") {
      request.text = std::string(value);
    } else if (key == "clientId") {
      request.client_id = std::string(value);
    } else if (key == "image") {
      return std::nullopt;  // an image is an object: a string one is parse_send's error
    }
  }
  // Each check is parse_send's; it gives the error.
  if (!is_object_id(request.to)) return std::nullopt;
  if (request.text && (!text_length_ok(*request.text) || has_control_chars(*request.text, true))) {
    return std::nullopt;
  }
  if (request.client_id && !client_id_ok(*request.client_id)) return std::nullopt;
  if (is_blank(request.text)) return std::nullopt;
  return request;
}

namespace {
// Re-checked here because a SendRequest need not come from parse_send.
void check_send(const std::string& from, const SendRequest& request) {
  validate_id(request.to, "to");
  if (request.to == from) throw field_error("to", "must not be yourself");
  if (is_blank(request.text) && !request.image) {
    throw field_error("text", "must not be empty when there is no image");
  }
}

// The store's conflict on insert: the recipient does not exist (any more).
std::exception_ptr unknown_recipient_or(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const store::StoreConflict&) {
    return std::make_exception_ptr(ApiError(ErrorCode::not_found, "user not found"));
  } catch (...) {
    return error;
  }
}
DeliveryUpdate delivery_update(const store::Message& delivered) {
  return {delivered.id, delivered.conversation_id, delivered.from,
          delivered.delivered_ms.value_or(0)};
}
}  // namespace

void ChatService::send_text_async(const std::string& from, const SendRequest& request,
                                  SendDone done) {
  check_send(from, request);
  if (request.image) throw std::invalid_argument("send_text_async: an image message");
  store::Message message;
  message.from = from;
  message.to = request.to;
  message.text = request.text;
  message.client_id = request.client_id;
  message.created_ms = now_ms();
  // No look-up of the recipient first: the insert itself refuses an unknown
  // one (a conflict), which keeps this path free of blocking reads.
  store_.insert_message_async(
      std::move(message),
      [done = std::move(done)](store::InsertedMessage inserted, const std::exception_ptr& error) {
        if (error) return done(std::nullopt, unknown_recipient_or(error));
        done(SendResult{std::move(inserted.message), inserted.duplicate}, nullptr);
      });
}

void ChatService::mark_delivered_async(const std::string& recipient_id,
                                       const std::string& message_id, DeliveredDone done) {
  if (!is_object_id(message_id)) return done(std::nullopt, nullptr);
  store_.mark_delivered_async(message_id, recipient_id, now_ms(),
                              [done = std::move(done)](std::optional<store::Message> delivered,
                                                       const std::exception_ptr& error) {
                                if (error || !delivered) return done(std::nullopt, error);
                                done(delivery_update(*delivered), nullptr);
                              });
}

SendResult ChatService::send(const std::string& from, const SendRequest& request) {
  check_send(from, request);
  // Without a media service nobody can vouch for an image, and the contract
  // refuses images the server cannot vouch for.
  if (request.image && !images_) throw field_error("image", "unknown upload");
  if (!store_.find_user_by_id(request.to)) throw ApiError(ErrorCode::not_found, "user not found");

  store::Message message;
  message.from = from;
  message.to = request.to;
  message.text = request.text;
  // The stored metadata, not the client's copy: the message carries what the
  // server knows of the image (and claiming it keeps it from the sweep).
  if (request.image) message.image_json = images_->claim_for_message(from, *request.image).dump();
  message.client_id = request.client_id;
  return store_message(std::move(message));
}

SendResult ChatService::store_message(store::Message message) {
  message.created_ms = now_ms();
  try {
    store::InsertedMessage inserted = store_.insert_message(message);
    return {std::move(inserted.message), inserted.duplicate};
  } catch (const store::StoreConflict&) {
    // A user deleted between the caller's check and the insert.
    throw ApiError(ErrorCode::not_found, "user not found");
  }
}

SendResult ChatService::record_call(const std::string& caller, const std::string& callee,
                                    const nlohmann::json& call) {
  if (!store_.find_user_by_id(callee)) throw ApiError(ErrorCode::not_found, "user not found");
  store::Message message;
  message.from = caller;
  message.to = callee;
  message.call_json = call.dump();
  return store_message(std::move(message));
}

std::optional<DeliveryUpdate> ChatService::mark_delivered(const std::string& recipient_id,
                                                          const std::string& message_id) {
  // Acks arrive from clients; a malformed id is simply not a message of theirs.
  if (!is_object_id(message_id)) return std::nullopt;
  auto delivered = store_.mark_delivered(message_id, recipient_id, now_ms());
  if (!delivered) return std::nullopt;
  return delivery_update(*delivered);
}

std::optional<ReadUpdate> ChatService::mark_read(const std::string& reader_id,
                                                 const std::string& message_id) {
  validate_id(message_id, "messageId");
  auto message = store_.find_message(message_id);
  if (!message) throw ApiError(ErrorCode::not_found, "message not found");
  if (message->to != reader_id) {
    if (message->from == reader_id) throw field_error("messageId", "is not a message you received");
    throw ApiError(ErrorCode::forbidden, "not a member of this conversation");
  }
  return apply_read(reader_id, message->conversation_id, message->id, message->from);
}

std::optional<ReadUpdate> ChatService::mark_conversation_read(const std::string& reader_id,
                                                              const std::string& conversation_id,
                                                              const std::string& up_to_message_id) {
  FieldProblems problems;
  collect(problems, [&] { validate_id(conversation_id, "conversationId"); });
  collect(problems, [&] { validate_id(up_to_message_id, "upTo"); });
  if (!problems.empty()) throw_problems(problems);
  const store::Conversation conversation = member_conversation(reader_id, conversation_id);
  auto message = store_.find_message(up_to_message_id);
  if (!message) throw ApiError(ErrorCode::not_found, "message not found");
  if (message->conversation_id != conversation.id) {
    throw field_error("upTo", "is not a message of this conversation");
  }
  return apply_read(reader_id, conversation.id, message->id, peer_of(conversation, reader_id));
}

std::optional<ReadUpdate> ChatService::apply_read(const std::string& reader_id,
                                                  const std::string& conversation_id,
                                                  const std::string& up_to_message_id,
                                                  const std::string& peer_id) {
  const int64_t now = now_ms();
  const store::ReadResult result =
      store_.mark_read_up_to(reader_id, conversation_id, up_to_message_id, now);
  if (result.count == 0 || !result.newest_id) return std::nullopt;
  return ReadUpdate{*result.newest_id, conversation_id, peer_id, now, result.count};
}

std::vector<store::Message> ChatService::undelivered(const std::string& user_id, int limit,
                                                     const std::optional<std::string>& after) {
  return store_.list_undelivered(user_id, limit, after);
}

nlohmann::json ChatService::list_conversations(const std::string& user_id, int limit,
                                               const std::optional<std::string>& before) {
  check_limit(limit);
  std::optional<store::ConversationCursor> cursor;
  if (before) {
    validate_id(*before, "before");
    auto conversation = store_.find_conversation(*before);
    if (!conversation || !is_member(*conversation, user_id)) {
      throw field_error("before", "is not one of your conversations");
    }
    cursor = store::ConversationCursor{conversation->updated_ms, conversation->id};
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& summary : store_.list_conversations(user_id, limit, cursor)) {
    const store::Conversation& conversation = summary.conversation;
    // The peer cannot be missing (users cascade to their conversations), but
    // a null peer is better than failing the whole list if it ever is.
    auto peer = store_.find_user_by_id(peer_of(conversation, user_id));
    list.push_back({
        {"id", conversation.id},
        {"peer", peer ? users_.public_view(*peer) : nlohmann::json(nullptr)},
        {"lastMessage",
         summary.last_message ? message_json(*summary.last_message) : nlohmann::json(nullptr)},
        {"unreadCount", summary.unread_count},
        {"updatedAt", format_iso8601(conversation.updated_ms)},
    });
  }
  return {{"conversations", std::move(list)}};
}

nlohmann::json ChatService::list_messages(const std::string& user_id,
                                          const std::string& conversation_id, int limit,
                                          const std::optional<std::string>& before,
                                          const std::optional<std::string>& after) {
  FieldProblems problems;
  collect(problems, [&] { validate_id(conversation_id, "conversationId"); });
  if (before) collect(problems, [&] { validate_id(*before, "before"); });
  if (after) collect(problems, [&] { validate_id(*after, "after"); });
  collect(problems, [&] { check_limit(limit); });
  if (problems.empty() && before && after) problems["after"] = "cannot be combined with before";
  if (!problems.empty()) throw_problems(problems);

  const store::Conversation conversation = member_conversation(user_id, conversation_id);
  const store::MessagePage page = store_.list_messages(conversation.id, limit, before, after);
  nlohmann::json messages = nlohmann::json::array();
  for (const store::Message& message : page.messages) messages.push_back(message_json(message));
  return {{"messages", std::move(messages)}, {"hasMore", page.has_more}};
}

nlohmann::json ChatService::message_json(const store::Message& message) {
  return {
      {"id", message.id},
      {"conversationId", message.conversation_id},
      {"from", message.from},
      {"to", message.to},
      {"text", optional_string(message.text)},
      {"image", parsed_or_null(message.image_json)},
      {"call", parsed_or_null(message.call_json)},
      {"clientId", optional_string(message.client_id)},
      {"delivered", message.delivered_ms.has_value()},
      {"deliveredAt", time_or_null(message.delivered_ms)},
      {"read", message.read_ms.has_value()},
      {"readAt", time_or_null(message.read_ms)},
      {"createdAt", format_iso8601(message.created_ms)},
  };
}

namespace {

// A JSON string as nlohmann's dump writes it. Most fields (ids, times, the
// usual client id and a plain-ASCII text) need no escaping and are copied;
// anything else goes through the library.
void append_json_string(std::string& out, std::string_view s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  });
  if (!plain) {
    out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

void append_optional_string(std::string& out, const std::optional<std::string>& s) {
  if (s) {
    append_json_string(out, *s);
  } else {
    out += "null";
  }
}

void append_optional_time(std::string& out, const std::optional<int64_t>& ms) {
  append_optional_string(out, ms ? std::optional(format_iso8601(*ms)) : std::nullopt);
}

// Attachments are stored as JSON text; parsed and written again, as
// message_json does, so that a damaged one is null rather than broken JSON.
void append_stored_json(std::string& out, const std::optional<std::string>& json_text) {
  // Most messages have neither attachment: a null document's dump costs a
  // serializer (and its locale query) per field.
  if (!json_text) {
    out += "null";
    return;
  }
  out += parsed_or_null(json_text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

// Keys in the order nlohmann's (sorted) object writes them, so the text is
// byte for byte what message_json(message).dump() gives (tested).
std::string ChatService::message_json_text(const store::Message& message) {
  std::string out;
  out.reserve(256 + (message.text ? message.text->size() : 0));
  out += R"({"call":)";
  append_stored_json(out, message.call_json);
  out += R"(,"clientId":)";
  append_optional_string(out, message.client_id);
  out += R"(,"conversationId":)";
  append_json_string(out, message.conversation_id);
  out += R"(,"createdAt":)";
  append_json_string(out, format_iso8601(message.created_ms));
  out += R"(,"delivered":)";
  out += message.delivered_ms ? "true" : "false";
  out += R"(,"deliveredAt":)";
  append_optional_time(out, message.delivered_ms);
  out += R"(,"from":)";
  append_json_string(out, message.from);
  out += R"(,"id":)";
  append_json_string(out, message.id);
  out += R"(,"image":)";
  append_stored_json(out, message.image_json);
  out += R"(,"read":)";
  out += message.read_ms ? "true" : "false";
  out += R"(,"readAt":)";
  append_optional_time(out, message.read_ms);
  out += R"(,"text":)";
  append_optional_string(out, message.text);
  out += R"(,"to":)";
  append_json_string(out, message.to);
  out += '}';
  return out;
}

// The same order and spelling as the document {messageId, conversationId,
// deliveredAt} dumps (tested).
std::string ChatService::delivered_json_text(const DeliveryUpdate& update) {
  std::string out;
  out.reserve(128);
  out += R"({"conversationId":)";
  append_json_string(out, update.conversation_id);
  out += R"(,"deliveredAt":)";
  append_json_string(out, format_iso8601(update.delivered_ms));
  out += R"(,"messageId":)";
  append_json_string(out, update.message_id);
  out += '}';
  return out;
}

store::Conversation ChatService::member_conversation(const std::string& user_id,
                                                     const std::string& conversation_id) const {
  auto conversation = store_.find_conversation(conversation_id);
  if (!conversation) throw ApiError(ErrorCode::not_found, "conversation not found");
  if (!is_member(*conversation, user_id)) {
    throw ApiError(ErrorCode::forbidden, "not a member of this conversation");
  }
  return *conversation;
}

}  // namespace samwaad::chat
