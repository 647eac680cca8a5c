// The Socket.IO server of Samwaad: authenticates sockets, routes the chat,
// presence and typing events of the contract, fans messages out to every
// socket of a user, and tracks who is online. Runs on the network I/O thread
// (see engine.hpp); storage and hashing go through Runtime::blocking, and each
// socket's storage work runs in order, one job at a time.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "calls/call_registry.hpp"
#include "realtime/engine.hpp"
#include "realtime/protocol/socketio.hpp"
#include "users/presence.hpp"

namespace samwaad::auth {
class AuthService;
}
namespace samwaad::chat {
class ChatService;
struct SendResult;
struct SendRequest;
struct ReadUpdate;
}  // namespace samwaad::chat
namespace samwaad::users {
class UserService;
}
namespace samwaad::store {
class Store;
struct Message;
}  // namespace samwaad::store

namespace samwaad::realtime {

// A message on its way to a socket: its id and its contract JSON, serialized.
struct PushedMessage {
  std::string id;
  std::string json;
};

struct HubDeps {
  Runtime& runtime;
  auth::AuthService& auth;
  chat::ChatService& chat;
  users::UserService& users;
  store::Store& store;
};

struct HubOptions {
  std::chrono::milliseconds auth_timeout{10000};  // to authenticate after connecting
  int offline_batch = 500;                        // undelivered messages read per page on connect
  std::chrono::milliseconds ring_timeout{30000};  // CALL_RING_TIMEOUT_MS
};

class Hub final : public EngineHandler, public users::PresenceView {
 public:
  Hub(HubDeps deps, HubOptions options = {});
  ~Hub() override;

  // EngineHandler (I/O thread)
  void on_open(const std::shared_ptr<EngineConnection>& connection) override;
  void on_message(EngineConnection& connection, eio::Packet packet) override;
  void on_close(EngineConnection& connection, std::string_view reason) override;

  // PresenceView (any thread)
  bool is_online(const std::string& user_id) const override;
  std::optional<int64_t> recent_last_seen(const std::string& user_id) const override;

  // From any thread: effects of REST calls and logouts.
  void message_sent_elsewhere(const chat::SendResult& result);
  void messages_read_elsewhere(const chat::ReadUpdate& update);
  void session_revoked(const std::string& session_id);
  // `user-updated {user}` (public view) to the user's other sockets, its
  // conversation partners and its presence subscribers.
  void profile_changed(const nlohmann::json& user);

  std::size_t socket_count() const { return clients_.size(); }

  struct Client;

 private:
  using Json = nlohmann::json;

  void handle_packet(Client& client, protocol::socketio::Packet packet);
  void handle_connect(Client& client, const protocol::socketio::Packet& packet);
  // Runs what the client sent while its CONNECT was being answered.
  void handle_early_packets(Client& client);
  void handle_event(Client& client, const Json& args, std::optional<uint64_t> ack_id);
  void handle_ack(Client& client, uint64_t id);

  void authenticate(Client& client, const std::string& token, std::optional<uint64_t> ack_id,
                    bool during_connect);
  void on_authenticated(Client& client);
  void on_send_message(Client& client, const Json& payload, std::optional<uint64_t> ack_id);
  // A text message (no image) to the store's group commit; the ack follows
  // once it is durable.
  void send_text(Client& client, chat::SendRequest&& request, std::optional<uint64_t> ack_id);
  // send-message from a connected, authenticated socket in its common shape
  // (socketio::scan_plain_event, ChatService::plain_send), without a JSON
  // document; false leaves the packet to the decoder and handle_packet,
  // which give the same outcome or the error.
  bool try_plain_send(Client& client, const eio::Packet& packet);
  void on_message_read(Client& client, const Json& payload, std::optional<uint64_t> ack_id);
  void on_typing(Client& client, const Json& payload, std::optional<uint64_t> ack_id);
  void on_presence_subscribe(Client& client, const Json& payload, std::optional<uint64_t> ack_id);

  // Calls (hub_calls.cpp): signalling relayed between the two sockets in a
  // call, with the state kept in calls_.
  void on_signal_offer(Client& client, const Json& payload, std::optional<uint64_t> ack_id);
  void on_signal_answer(Client& client, const Json& payload, std::optional<uint64_t> ack_id);
  void on_signal_ice(Client& client, const Json& payload, std::optional<uint64_t> ack_id);
  void on_call_decline(Client& client, const Json& payload, std::optional<uint64_t> ack_id);
  void on_call_end(Client& client, const Json& payload, std::optional<uint64_t> ack_id);
  // Ends the call: the record goes into the conversation; `reason` goes to
  // the sockets still in it, except those of `ended_by` (who knows already).
  void end_call(const std::string& call_id, calls::Outcome outcome, const std::string& reason,
                const std::string& ended_by);
  void record_call(const calls::CallRecord& record);
  void calls_after_drop(const Client& client, bool last_socket_of_user);
  void emit_to_socket(const std::string& client_id, const std::string& event, const Json& payload);

  // The message as every event carrying it shows it, serialized once.
  static PushedMessage pushed(const store::Message& message);
  void ack_sent(Client& client, std::optional<uint64_t> ack_id, const PushedMessage& message);
  void deliver(const chat::SendResult& result, const PushedMessage& message,
               const std::string& skip_client);
  // Offline delivery, one page of `offline_batch` after `after` at a time.
  void catch_up(Client& client, std::optional<std::string> after);
  void push_message_received(Client& client,
                             const PushedMessage& message);  // held while catching up
  void emit_message_received(Client& client, const PushedMessage& message);
  void announce_read(const chat::ReadUpdate& update);
  void user_came_online(Client& client);
  void user_went_offline(const std::string& user_id);
  void forget_stored_last_seen();  // with online_mutex_ held
  // On the I/O thread once the store has (or failed to store) a last-seen time.
  void last_seen_stored(const std::string& user_id, int64_t ms, const std::exception_ptr& error);

  void emit(Client& client, const std::string& event, Json payload,
            std::optional<uint64_t> ack_id = {});
  void emit_to_user(const std::string& user_id, const std::string& event, const Json& payload,
                    const std::string& skip_client = {});
  void emit_json_to_user(const std::string& user_id, const std::string& event,
                         const std::string& payload_json, const std::string& skip_client = {});
  void ack(Client& client, std::optional<uint64_t> ack_id, Json body);
  void ack_error(Client& client, std::optional<uint64_t> ack_id, const std::exception_ptr& error);
  void kick(Client& client);
  void drop(Client& client);

  // Runs `work` on the worker pool once the client's earlier work finished,
  // then `done` on the I/O thread if the client is still there.
  void enqueue(Client& client, std::function<void()> work, std::function<void(Client&)> done);
  // Queues a store write after the client's earlier blocking work: `start`
  // hands it to the store, whose completion must call write_finished. Writes
  // do not wait for each other (the store keeps their order).
  void enqueue_write(Client& client, std::function<void()> start);
  void write_finished(Client& client);
  // Starts what may start of the client's queued work.
  void pump(Client& client);
  // Stops reading from a socket whose backlog is full, and reads on once it
  // has drained by half.
  void pace_reading(Client& client);
  void send_completed(const std::string& client_id, std::optional<uint64_t> ack_id,
                      std::optional<chat::SendResult> result, std::exception_ptr error);

  HubDeps deps_;
  HubOptions options_;
  std::unordered_map<std::string, std::unique_ptr<Client>> clients_;        // by engine id
  std::unordered_map<std::string, std::vector<Client*>> users_;             // authenticated sockets
  std::unordered_map<std::string, std::set<Client*>> watchers_;             // presence subscribers
  std::unordered_map<std::string, std::unordered_set<std::string>> peers_;  // conversation partners
  calls::CallRegistry calls_;
  std::unordered_map<std::string, std::unique_ptr<Runtime::Timer>> ring_timers_;  // by call id
  mutable std::mutex online_mutex_;
  std::unordered_set<std::string> online_;  // mirrors users_ keys for other threads
  // Last-seen times announced in user-offline, kept until a while after the
  // store has them (see forget_stored_last_seen); guarded by online_mutex_.
  struct AnnouncedLastSeen {
    int64_t ms = 0;
    int64_t stored_at = 0;  // when the store write finished; 0: in flight
  };
  std::unordered_map<std::string, AnnouncedLastSeen> last_seen_pending_;
  int64_t last_seen_swept_ms_ = 0;  // guarded by online_mutex_
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Where completions arriving on the store's thread wait for the I/O thread
  // (hub.cpp). Shared with those completions, which may outlive the hub.
  class Inbox;
  std::shared_ptr<Inbox> inbox_;
};

}  // namespace samwaad::realtime
