#include "realtime/hub.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "auth/auth_service.hpp"
#include "chat/chat_service.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "core/validate.hpp"
#include "realtime/hub_client.hpp"
#include "store/store.hpp"
#include "users/user_service.hpp"

namespace samwaad::realtime {

namespace sio = protocol::socketio;
using Json = nlohmann::json;
using namespace hub_detail;  // NOLINT(google-build-using-namespace): the hub's own helpers

// Completions of store writes arrive on the store's committer thread. They
// are queued here and run on the I/O thread in batches: one post (one
// wake-up) carries everything that completed meanwhile, in completion order.
class Hub::Inbox : public std::enable_shared_from_this<Inbox> {
 public:
  explicit Inbox(Runtime& runtime) : runtime_(runtime) {}

  void push(std::function<void()> fn) {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      items_.push_back(std::move(fn));
      if (items_.size() > 1) return;  // the drain posted for the first one takes it too
    }
    runtime_.post([self = shared_from_this()] { self->drain(); });
  }

  // Once the hub is gone nothing more runs (a durable message whose ack is
  // lost is redelivered, and a client resends with its clientId).
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    items_.clear();
  }

 private:
  void drain() {
    std::vector<std::function<void()>> ready;
    {
      std::lock_guard lock(mutex_);
      ready.swap(items_);
    }
    for (auto& fn : ready) fn();
  }

  Runtime& runtime_;
  std::mutex mutex_;
  std::vector<std::function<void()>> items_;  // guarded by mutex_
  bool closed_ = false;                       // guarded by mutex_
};

Hub::Hub(HubDeps deps, HubOptions options)
    : deps_(deps), options_(options), inbox_(std::make_shared<Inbox>(deps.runtime)) {}

Hub::~Hub() {
  *alive_ = false;
  inbox_->close();
}

bool Hub::is_online(const std::string& user_id) const {
  std::lock_guard lock(online_mutex_);
  return online_.count(user_id) > 0;
}

std::optional<int64_t> Hub::recent_last_seen(const std::string& user_id) const {
  std::lock_guard lock(online_mutex_);
  auto it = last_seen_pending_.find(user_id);
  if (it == last_seen_pending_.end()) return std::nullopt;
  return it->second.ms;
}

void Hub::on_open(const std::shared_ptr<EngineConnection>& connection) {
  auto client = std::make_unique<Client>();
  client->connection = connection;
  client->id = connection->id();
  client->sid = random_hex(10);
  auto id = client->id;
  // Nobody may linger unauthenticated: connect and authenticate within the bound.
  client->auth_timer = deps_.runtime.after(options_.auth_timeout, [this, id] {
    auto it = clients_.find(id);
    if (it != clients_.end() && !it->second->authenticated) kick(*it->second);
  });
  clients_.emplace(id, std::move(client));
}

void Hub::on_message(EngineConnection& connection, eio::Packet packet) {
  auto it = clients_.find(connection.id());
  if (it == clients_.end()) return;
  Client& client = *it->second;
  if (try_plain_send(client, packet)) return;
  auto decoded = client.decoder.add(packet);
  if (!decoded) {
    // A peer that breaks the protocol is closed, as the reference server does.
    spdlog::debug(R"({{"msg":"socket.io parse error","sid":"{}"}})", client.sid);
    connection.close();
    return;
  }
  if (decoded.value()) handle_packet(client, std::move(*decoded.value()));
}

void Hub::on_close(EngineConnection& connection, std::string_view) {
  auto it = clients_.find(connection.id());
  if (it == clients_.end()) return;
  drop(*it->second);
}

void Hub::drop(Client& client) {
  auto node = clients_.extract(client.id);
  if (node.empty()) return;
  auto owned = std::move(node.mapped());
  for (const auto& watched : owned->watching) {
    auto w = watchers_.find(watched);
    if (w != watchers_.end()) {
      w->second.erase(owned.get());
      if (w->second.empty()) watchers_.erase(w);
    }
  }
  if (owned->authenticated) {
    bool last_socket = false;
    if (auto u = users_.find(owned->user_id); u != users_.end()) {
      std::erase(u->second, owned.get());
      if (u->second.empty()) {
        users_.erase(u);
        last_socket = true;
        std::lock_guard lock(online_mutex_);
        online_.erase(owned->user_id);
      }
    }
    // Emitting below may drop other clients (over their queue bound), which
    // re-enters here: no iterator into users_ is held across it.
    calls_after_drop(*owned, last_socket);
    if (last_socket) user_went_offline(owned->user_id);
  }
  if (owned->connection->is_open()) owned->connection->close();
}

void Hub::kick(Client& client) {
  // DISCONNECT first, so the client knows it was the server and does not
  // fall into a reconnect loop.
  if (client.connected) {
    for (auto& p : sio::to_engineio(sio::encode({sio::PacketType::disconnect, "/", {}, {}, 0}))) {
      client.connection->send(std::move(p));
    }
  }
  client.connection->close();
}

void Hub::handle_packet(Client& client, sio::Packet packet) {
  switch (packet.type) {
    case sio::PacketType::connect: handle_connect(client, packet); return;
    case sio::PacketType::disconnect: client.connection->close(); return;
    case sio::PacketType::event:
    case sio::PacketType::binary_event:
    case sio::PacketType::ack:
    case sio::PacketType::binary_ack:
      if (packet.nsp != "/") return;
      if (!client.connected) {
        // Before any CONNECT: not served (as the reference server ignores
        // packets for a namespace the socket has not joined).
        if (!client.authenticating) return;
        if (client.early_packets.size() >= kMaxEarlyPackets) {
          client.connection->close();
          return;
        }
        client.early_packets.push_back(std::move(packet));
        return;
      }
      if (packet.type == sio::PacketType::event || packet.type == sio::PacketType::binary_event) {
        handle_event(client, *packet.data, packet.id);
      } else if (packet.id) {
        handle_ack(client, *packet.id);
      }
      return;
    default: client.connection->close(); return;
  }
}

void Hub::handle_connect(Client& client, const sio::Packet& packet) {
  if (packet.nsp != "/") {
    auto encoded = sio::encode({sio::PacketType::connect_error,
                                packet.nsp,
                                Json{{"message", "Invalid namespace"}},
                                {},
                                0});
    for (auto& p : sio::to_engineio(std::move(encoded))) client.connection->send(std::move(p));
    return;
  }
  if (client.connected || client.authenticating) return;
  std::optional<std::string> token;
  if (packet.data && packet.data->is_object()) {
    auto t = packet.data->find("token");
    if (t != packet.data->end() && !t->is_null()) {
      // A token that is not a string is a bad token, not an absent one.
      token = t->is_string() ? t->get<std::string>() : std::string();
    }
  }
  if (!token && client.connection->handshake_token()) token = client.connection->handshake_token();
  if (token) {
    authenticate(client, *token, std::nullopt, true);
    return;
  }
  // The original design's clients connect first and send `authenticate` later.
  client.connected = true;
  auto encoded = sio::encode({sio::PacketType::connect, "/", Json{{"sid", client.sid}}, {}, 0});
  for (auto& p : sio::to_engineio(std::move(encoded))) client.connection->send(std::move(p));
}

void Hub::authenticate(Client& client, const std::string& token, std::optional<uint64_t> ack_id,
                       bool during_connect) {
  client.authenticating = true;
  auto principal = std::make_shared<std::optional<auth::Principal>>();
  auto user_json = std::make_shared<Json>();
  auto error = std::make_shared<std::exception_ptr>();
  enqueue(
      client,
      [this, token, principal, user_json, error] {
        try {
          *principal = deps_.auth.authenticate(token);
          *user_json = deps_.users.owner_view(deps_.users.get((*principal)->user_id));
        } catch (...) {
          *error = std::current_exception();
        }
      },
      [this, principal, user_json, error, ack_id, during_connect](Client& c) {
        c.authenticating = false;
        if (*error || !*principal) {
          if (during_connect) {
            c.early_packets.clear();
            auto encoded = sio::encode(
                {sio::PacketType::connect_error, "/", Json{{"message", "unauthorized"}}, {}, 0});
            for (auto& p : sio::to_engineio(std::move(encoded))) c.connection->send(std::move(p));
          } else {
            ack(c, ack_id, error_body(ApiError(ErrorCode::unauthorized, "unauthorized")));
          }
          return;
        }
        if (c.authenticated) {  // a second `authenticate`: answer, change nothing
          ack(c, ack_id, ok({{"user", *user_json}}));
          return;
        }
        c.authenticated = true;
        c.user_id = (*principal)->user_id;
        c.session_id = (*principal)->session_id;
        c.auth_timer.reset();
        if (during_connect) {
          c.connected = true;
          auto encoded = sio::encode({sio::PacketType::connect, "/", Json{{"sid", c.sid}}, {}, 0});
          for (auto& p : sio::to_engineio(std::move(encoded))) c.connection->send(std::move(p));
        } else {
          ack(c, ack_id, ok({{"user", *user_json}}));
        }
        on_authenticated(c);
        handle_early_packets(c);
      });
}

void Hub::handle_early_packets(Client& client) {
  auto early = std::move(client.early_packets);
  client.early_packets.clear();
  const std::string id = client.id;
  for (auto& packet : early) {
    // Handling one may drop the client (a kick, a queue over its bound).
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    handle_packet(*it->second, std::move(packet));
  }
}

void Hub::on_authenticated(Client& client) {
  auto& sockets = users_[client.user_id];
  sockets.push_back(&client);
  if (sockets.size() == 1) {
    {
      std::lock_guard lock(online_mutex_);
      online_.insert(client.user_id);
    }
    user_came_online(client);
  }
  // Offline delivery: everything not yet acknowledged by any socket of this user.
  client.catching_up = true;
  catch_up(client, std::nullopt);
}

void Hub::catch_up(Client& client, std::optional<std::string> after) {
  auto page = std::make_shared<std::vector<PushedMessage>>();
  std::string user_id = client.user_id;
  enqueue(
      client,
      [this, page, user_id, after] {
        for (const auto& m : deps_.chat.undelivered(user_id, options_.offline_batch, after)) {
          page->push_back(pushed(m));
        }
      },
      [this, page](Client& c) {
        const bool more = static_cast<int>(page->size()) == options_.offline_batch;
        const std::optional<std::string> last =
            page->empty() ? std::nullopt : std::optional<std::string>(page->back().id);
        // Pushed page by page; live messages stay held until the last page,
        // since any of them may also be in a later page.
        for (const auto& message : *page) {
          if (c.pending_receipts.size() >= kMaxPendingReceipts) break;  // the rest on reconnect
          c.caught_up_ids.insert(message.id);
          emit_message_received(c, message);
        }
        if (more && c.pending_receipts.size() < kMaxPendingReceipts) return catch_up(c, last);
        c.catching_up = false;
        auto held = std::move(c.held_while_catching_up);
        c.held_while_catching_up.clear();
        std::stable_sort(held.begin(), held.end(),
                         [](const auto& x, const auto& y) { return x.id < y.id; });
        for (const auto& message : held) push_message_received(c, message);
        auto id = c.id;
        c.forget_caught_up = deps_.runtime.after(std::chrono::seconds(5), [this, id] {
          auto it = clients_.find(id);
          if (it == clients_.end()) return;
          // Released, not just cleared: an idle socket keeps neither the set's
          // buckets nor the timer's handle.
          std::unordered_set<std::string>().swap(it->second->caught_up_ids);
          it->second->forget_caught_up.reset();  // the running callback owns what it uses
        });
      });
}

void Hub::user_came_online(Client& client) {
  auto user_id = client.user_id;
  auto info = std::make_shared<Json>();
  auto peers = std::make_shared<std::unordered_set<std::string>>();
  enqueue(
      client,
      [this, user_id, info, peers] {
        auto user = deps_.users.get(user_id);
        auto view = deps_.users.public_view(user);
        *info = {{"userId", user_id}, {"name", view["name"]}, {"avatar", view["avatar"]}};
        auto conversations = deps_.chat.list_conversations(user_id, 100, std::nullopt);
        for (const auto& c : conversations["conversations"])
          peers->insert(c["peer"]["id"].get<std::string>());
      },
      [this, user_id, info, peers](Client&) {
        auto& known = peers_[user_id];
        known.insert(peers->begin(), peers->end());
        for (const auto& peer : known) peers_[peer].insert(user_id);
        std::set<Client*> targets;
        if (auto w = watchers_.find(user_id); w != watchers_.end()) targets = w->second;
        for (const auto& peer : known) {
          if (auto u = users_.find(peer); u != users_.end())
            targets.insert(u->second.begin(), u->second.end());
        }
        for (Client* target : targets) emit(*target, "user-online", *info);
      });
}

void Hub::user_went_offline(const std::string& user_id) {
  int64_t now = now_ms();
  Json payload{{"userId", user_id}, {"lastSeen", format_iso8601(now)}};
  std::set<Client*> targets;
  if (auto w = watchers_.find(user_id); w != watchers_.end()) targets = w->second;
  if (auto p = peers_.find(user_id); p != peers_.end()) {
    for (const auto& peer : p->second) {
      if (auto u = users_.find(peer); u != users_.end())
        targets.insert(u->second.begin(), u->second.end());
    }
  }
  {
    // Until the store has it, REST reads the time from here (recent_last_seen).
    std::lock_guard lock(online_mutex_);
    last_seen_pending_[user_id] = {now, 0};
  }
  for (Client* target : targets) emit(*target, "user-offline", payload);
  // Queued for the store's next batch, not a blocking job each: a burst of
  // disconnects shares a few commits.
  try {
    deps_.store.set_last_seen_async(
        user_id, now, [this, inbox = inbox_, user_id, now](const std::exception_ptr& error) {
          inbox->push([this, user_id, now, error] { last_seen_stored(user_id, now, error); });
        });
  } catch (...) {
    last_seen_stored(user_id, now, std::current_exception());
  }
}

void Hub::last_seen_stored(const std::string& user_id, int64_t ms,
                           const std::exception_ptr& error) {
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error(R"({{"msg":"last seen not saved","error":{}}})",
                    Json(std::string(e.what())).dump());
    } catch (...) {
      spdlog::error(R"({"msg":"last seen not saved"})");
    }
    return;  // not marked stored: REST keeps reading it from memory
  }
  std::lock_guard lock(online_mutex_);
  auto it = last_seen_pending_.find(user_id);
  if (it != last_seen_pending_.end() && it->second.ms == ms) it->second.stored_at = now_ms();
  forget_stored_last_seen();
}

// An entry stays a while after its write: a REST read that loaded the user
// from the store just before the write committed checks here just after, and
// must still find the new time (it did not, once in a few hundred runs).
void Hub::forget_stored_last_seen() {
  constexpr int64_t kKeepMs = 10000;
  const int64_t now = now_ms();
  // Cheap to keep a few; swept at most once a second.
  if (last_seen_pending_.size() < 256 || now - last_seen_swept_ms_ < 1000) return;
  last_seen_swept_ms_ = now;
  std::erase_if(last_seen_pending_, [now, keep_ms = kKeepMs](const auto& entry) {
    return entry.second.stored_at != 0 && now - entry.second.stored_at > keep_ms;
  });
}

void Hub::handle_event(Client& client, const Json& args, std::optional<uint64_t> ack_id) {
  static const Json kNoPayload;
  const auto& name = args.at(0).get_ref<const std::string&>();
  const Json& payload = args.size() > 1 ? args[1] : kNoPayload;  // no copy of the tree
  try {
    if (name == "authenticate") {
      if (client.authenticating) return;
      const auto& body = require_object(payload);
      auto token = string_field(body, "token", true);
      authenticate(client, *token, ack_id, false);
      return;
    }
    if (!client.authenticated) throw ApiError(ErrorCode::unauthorized, "authenticate first");
    if (name == "send-message") return on_send_message(client, payload, ack_id);
    if (name == "message-read") return on_message_read(client, payload, ack_id);
    if (name == "typing") return on_typing(client, payload, ack_id);
    if (name == "presence-subscribe") return on_presence_subscribe(client, payload, ack_id);
    if (name == "signal-offer") return on_signal_offer(client, payload, ack_id);
    if (name == "signal-answer") return on_signal_answer(client, payload, ack_id);
    if (name == "signal-ice") return on_signal_ice(client, payload, ack_id);
    if (name == "call-decline") return on_call_decline(client, payload, ack_id);
    if (name == "call-end") return on_call_end(client, payload, ack_id);
    throw ApiError(ErrorCode::validation, "unknown event: " + name.substr(0, 64));
  } catch (const ApiError& e) {
    ack(client, ack_id, error_body(e));
  }
}

bool Hub::try_plain_send(Client& client, const eio::Packet& packet) {
  if (packet.binary || packet.type != eio::PacketType::message || !client.connected ||
      !client.authenticated || client.decoder.awaiting_attachments()) {
    return false;
  }
  auto event = sio::scan_plain_event(packet.data);
  if (!event || event->name != "send-message") return false;
  auto request = chat::ChatService::plain_send(event->fields);
  if (!request) return false;
  send_text(client, std::move(*request), event->id);
  return true;
}

void Hub::send_text(Client& client, chat::SendRequest&& request, std::optional<uint64_t> ack_id) {
  // Straight to the store's group commit, no worker thread in between.
  enqueue_write(
      client, [this, request = std::move(request), from = client.user_id, id = client.id, ack_id] {
        // Runs on the store's thread, maybe after the hub is gone (a shutdown
        // with writes in flight): it touches nothing of the hub but the inbox,
        // which drops what arrives once the hub has closed it.
        auto done = [this, inbox = inbox_, id, ack_id](std::optional<chat::SendResult> result,
                                                       std::exception_ptr error) {
          inbox->push([this, id, ack_id, result = std::move(result), error]() mutable {
            send_completed(id, ack_id, std::move(result), error);
          });
        };
        try {
          deps_.chat.send_text_async(from, request, done);
        } catch (...) {
          done(std::nullopt, std::current_exception());
        }
      });
}

void Hub::on_send_message(Client& client, const Json& payload, std::optional<uint64_t> ack_id) {
  auto request = chat::ChatService::parse_send(require_object(payload));
  if (!request.image) return send_text(client, std::move(request), ack_id);
  auto from = client.user_id;
  // Claiming an image reads and writes storage first: a blocking job.
  auto result = std::make_shared<std::optional<chat::SendResult>>();
  auto error = std::make_shared<std::exception_ptr>();
  enqueue(
      client,
      [this, request, result, error, from] {
        try {
          *result = deps_.chat.send(from, request);
        } catch (...) {
          *error = std::current_exception();
        }
      },
      [this, result, error, ack_id](Client& c) {
        if (*error) return ack_error(c, ack_id, *error);
        // Durable before the ack: the store committed it.
        auto message = pushed((*result)->message);
        ack_sent(c, ack_id, message);
        if (!(*result)->duplicate) deliver(**result, message, c.id);
      });
}

void Hub::send_completed(const std::string& client_id, std::optional<uint64_t> ack_id,
                         std::optional<chat::SendResult> result, std::exception_ptr error) {
  auto it = clients_.find(client_id);
  Client* client = it == clients_.end() ? nullptr : it->second.get();
  if (error) {
    if (client) ack_error(*client, ack_id, error);
  } else {
    auto message = pushed(result->message);
    // Durable before the ack: the store committed it.
    if (client) ack_sent(*client, ack_id, message);
    // The recipient gets it even if the sender left meanwhile.
    if (!result->duplicate) deliver(*result, message, client_id);
  }
  // Emitting may have dropped the sender (over its queue bound).
  if (auto again = clients_.find(client_id); again != clients_.end()) {
    write_finished(*again->second);
  }
}

PushedMessage Hub::pushed(const store::Message& message) {
  return {message.id, chat::ChatService::message_json_text(message)};
}

void Hub::ack_sent(Client& client, std::optional<uint64_t> ack_id, const PushedMessage& message) {
  if (!ack_id) return;
  client.connection->send(
      sio::encode_ack(*ack_id, R"({"message":)" + message.json + R"(,"ok":true})"));
}

void Hub::deliver(const chat::SendResult& result, const PushedMessage& message,
                  const std::string& skip_client) {
  const auto& m = result.message;
  peers_[m.from].insert(m.to);
  peers_[m.to].insert(m.from);
  if (auto u = users_.find(m.to); u != users_.end()) {
    auto targets = u->second;  // push may drop a client that is over its queue bound
    for (Client* target : targets) push_message_received(*target, message);
  }
  emit_json_to_user(m.from, "message-sent", R"({"message":)" + message.json + "}", skip_client);
}

void Hub::push_message_received(Client& client, const PushedMessage& message) {
  if (client.pending_receipts.size() + client.held_while_catching_up.size() >=
      kMaxPendingReceipts) {
    return;  // redelivered on reconnect
  }
  if (client.catching_up) {
    client.held_while_catching_up.push_back(message);
    return;
  }
  if (!client.caught_up_ids.empty() && !client.caught_up_ids.insert(message.id).second) {
    return;  // already pushed from the backlog
  }
  emit_message_received(client, message);
}

void Hub::emit_message_received(Client& client, const PushedMessage& message) {
  uint64_t id = client.next_ack_id++;
  client.pending_receipts.emplace(id, message.id);
  client.connection->send(
      sio::encode_event("message-received", R"({"message":)" + message.json + "}", id));
}

void Hub::handle_ack(Client& client, uint64_t id) {
  auto it = client.pending_receipts.find(id);
  if (it == client.pending_receipts.end()) return;
  std::string message_id = std::move(it->second);
  client.pending_receipts.erase(it);
  // Receipts need no order among themselves: straight to the store.
  deps_.chat.mark_delivered_async(
      client.user_id, message_id,
      [this, inbox = inbox_](std::optional<chat::DeliveryUpdate> update,
                             std::exception_ptr error) {  // on the store's thread, as above
        if (error) {
          try {
            std::rethrow_exception(error);
          } catch (const std::exception& e) {
            spdlog::warn(R"({{"msg":"delivery not recorded","error":{}}})",
                         Json(std::string(e.what())).dump());
          }
          return;
        }
        if (!update) return;
        inbox->push([this, u = std::move(*update)] {
          emit_json_to_user(u.sender_id, "message-delivered",
                            chat::ChatService::delivered_json_text(u));
        });
      });
}

void Hub::on_message_read(Client& client, const Json& payload, std::optional<uint64_t> ack_id) {
  const auto& body = require_object(payload);
  auto message_id = *string_field(body, "messageId", true);
  validate_id(message_id, "messageId");
  auto update = std::make_shared<std::optional<chat::ReadUpdate>>();
  auto error = std::make_shared<std::exception_ptr>();
  auto reader = client.user_id;
  enqueue(
      client,
      [this, update, error, reader, message_id] {
        try {
          *update = deps_.chat.mark_read(reader, message_id);
        } catch (...) {
          *error = std::current_exception();
        }
      },
      [this, update, error, ack_id](Client& c) {
        if (*error) return ack_error(c, ack_id, *error);
        Json body = ok();
        if (*update) {
          body["conversationId"] = (*update)->conversation_id;
          body["readAt"] = format_iso8601((*update)->read_ms);
          announce_read(**update);
        }
        ack(c, ack_id, body);
      });
}

void Hub::announce_read(const chat::ReadUpdate& update) {
  emit_to_user(update.sender_id, "message-read-confirm",
               {{"messageId", update.message_id},
                {"conversationId", update.conversation_id},
                {"readAt", format_iso8601(update.read_ms)}});
}

void Hub::on_typing(Client& client, const Json& payload, std::optional<uint64_t> ack_id) {
  const auto& body = require_object(payload);
  auto to = *string_field(body, "to", true);
  validate_id(to, "to");
  bool active = true;
  if (auto a = body.find("active"); a != body.end() && !a->is_null()) {
    if (!a->is_boolean()) throw field_error("active", "must be a boolean");
    active = a->get<bool>();
  }
  if (to != client.user_id)
    emit_to_user(to, "typing", {{"from", client.user_id}, {"active", active}});
  ack(client, ack_id, ok());
}

void Hub::on_presence_subscribe(Client& client, const Json& payload,
                                std::optional<uint64_t> ack_id) {
  const auto& body = require_object(payload);
  auto ids = body.find("userIds");
  if (ids == body.end() || !ids->is_array())
    throw field_error("userIds", "must be an array of ids");
  if (ids->size() > kMaxWatched) throw field_error("userIds", "must list at most 500 ids");
  std::vector<std::string> wanted;
  for (const auto& id : *ids) {
    if (!id.is_string() || !is_object_id(id.get<std::string>())) {
      throw field_error("userIds", "must be an array of 24-character hex ids");
    }
    wanted.push_back(id.get<std::string>());
  }
  if (client.watching.size() + wanted.size() > kMaxWatched * 2) {
    throw field_error("userIds", "too many subscriptions on this socket");
  }
  for (const auto& id : wanted) {
    client.watching.insert(id);
    watchers_[id].insert(&client);
  }
  auto seen = std::make_shared<std::vector<std::pair<std::string, int64_t>>>();
  enqueue(
      client,
      [this, wanted, seen] {
        for (const auto& id : wanted) {
          if (auto user = deps_.store.find_user_by_id(id))
            seen->emplace_back(id, user->last_seen_ms);
        }
      },
      [this, seen, ack_id](Client& c) {
        Json users = Json::array();
        for (const auto& [id, last_seen] : *seen) {
          users.push_back(
              {{"userId", id},
               {"status", users_.count(id) ? "online" : "offline"},
               {"lastSeen", last_seen ? Json(format_iso8601(last_seen)) : Json(nullptr)}});
        }
        ack(c, ack_id, ok({{"users", users}}));
      });
}

void Hub::emit(Client& client, const std::string& event, Json payload,
               std::optional<uint64_t> ack_id) {
  client.connection->send(sio::encode_event(event, sio::dump_json(payload), ack_id));
}

void Hub::emit_to_user(const std::string& user_id, const std::string& event, const Json& payload,
                       const std::string& skip_client) {
  if (users_.count(user_id))
    emit_json_to_user(user_id, event, sio::dump_json(payload), skip_client);
}

void Hub::emit_json_to_user(const std::string& user_id, const std::string& event,
                            const std::string& payload_json, const std::string& skip_client) {
  auto u = users_.find(user_id);
  if (u == users_.end()) return;
  // Encoded once; every socket gets the same frame.
  auto frame = sio::encode_event(event, payload_json);
  auto targets = u->second;  // sending may drop a client that is over its queue bound
  for (Client* target : targets) {
    if (target->id != skip_client) target->connection->send(frame);
  }
}

void Hub::ack(Client& client, std::optional<uint64_t> ack_id, Json body) {
  if (!ack_id) return;
  client.connection->send(sio::encode_ack(*ack_id, sio::dump_json(body)));
}

void Hub::ack_error(Client& client, std::optional<uint64_t> ack_id,
                    const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const ApiError& e) {
    ack(client, ack_id, error_body(e));
  } catch (const store::StoreUnavailable&) {
    ack(client, ack_id, error_body(ApiError(ErrorCode::unavailable, "storage is unavailable")));
  } catch (const std::exception& e) {
    spdlog::error(R"({{"msg":"realtime handler failed","error":{}}})",
                  Json(std::string(e.what())).dump());
    ack(client, ack_id, error_body(ApiError(ErrorCode::internal, "internal error")));
  }
}

void Hub::enqueue(Client& client, std::function<void()> work, std::function<void(Client&)> done) {
  auto id = client.id;
  auto alive = alive_;
  client.jobs.push_back(
      {true, [this, alive, id, work = std::move(work), done = std::move(done)]() mutable {
         deps_.runtime.blocking(std::move(work), [this, alive, id, done = std::move(done)] {
           if (!*alive) return;
           auto found = clients_.find(id);
           if (found == clients_.end()) return;
           done(*found->second);
           // `done` may have dropped the client.
           found = clients_.find(id);
           if (found == clients_.end()) return;
           found->second->blocking_running = false;
           pump(*found->second);
         });
       }});
  pump(client);
}

void Hub::enqueue_write(Client& client, std::function<void()> start) {
  client.jobs.push_back({false, std::move(start)});
  pump(client);
}

void Hub::write_finished(Client& client) {
  --client.writes_in_flight;
  pump(client);
}

// Blocking jobs run alone, one at a time; store writes start as soon as no
// blocking job is ahead of them, without waiting for each other: the store
// completes a client's messages in the order they were queued, and its
// receipts too (store.hpp).
void Hub::pump(Client& client) {
  while (!client.jobs.empty() && !client.blocking_running) {
    Client::Job& next = client.jobs.front();
    if (next.blocking && client.writes_in_flight > 0) break;
    auto start = std::move(next.start);
    const bool blocking = next.blocking;
    client.jobs.pop_front();
    if (blocking) {
      client.blocking_running = true;
      start();
      break;
    }
    ++client.writes_in_flight;
    start();
  }
  pace_reading(client);
}

void Hub::pace_reading(Client& client) {
  const std::size_t backlog = client.jobs.size() +
                              static_cast<std::size_t>(client.writes_in_flight) +
                              (client.blocking_running ? 1 : 0);
  if (!client.reads_paused && backlog >= kMaxBacklog) {
    client.reads_paused = true;
    client.connection->pause_reading(true);
  } else if (client.reads_paused && backlog <= kMaxBacklog / 2) {
    client.reads_paused = false;
    client.connection->pause_reading(false);
  }
}

void Hub::message_sent_elsewhere(const chat::SendResult& result) {
  auto alive = alive_;
  deps_.runtime.post([this, alive, result] {
    if (*alive && !result.duplicate) deliver(result, pushed(result.message), {});
  });
}

void Hub::messages_read_elsewhere(const chat::ReadUpdate& update) {
  auto alive = alive_;
  deps_.runtime.post([this, alive, update] {
    if (*alive) announce_read(update);
  });
}

void Hub::profile_changed(const nlohmann::json& user) {
  auto alive = alive_;
  deps_.runtime.post([this, alive, user] {
    if (!*alive) return;
    const std::string user_id = user.value("id", "");
    std::set<Client*> targets;
    if (auto w = watchers_.find(user_id); w != watchers_.end()) targets = w->second;
    std::vector<std::string> people{user_id};
    if (auto p = peers_.find(user_id); p != peers_.end())
      people.insert(people.end(), p->second.begin(), p->second.end());
    for (const auto& id : people) {
      if (auto u = users_.find(id); u != users_.end())
        targets.insert(u->second.begin(), u->second.end());
    }
    // Encoded once; emitting may drop a client over its queue bound, so the
    // targets are re-checked by id.
    std::vector<std::string> ids;
    for (Client* c : targets) ids.push_back(c->id);
    for (const auto& id : ids) {
      if (auto c = clients_.find(id); c != clients_.end())
        emit(*c->second, "user-updated", {{"user", user}});
    }
  });
}

void Hub::session_revoked(const std::string& session_id) {
  auto alive = alive_;
  deps_.runtime.post([this, alive, session_id] {
    if (!*alive) return;
    std::vector<Client*> targets;
    for (auto& [id, client] : clients_) {
      if (client->authenticated && client->session_id == session_id)
        targets.push_back(client.get());
    }
    for (Client* c : targets) kick(*c);
  });
}

}  // namespace samwaad::realtime
