// The hub's per-socket state and small helpers, shared by the files that
// implement Hub (hub.cpp: chat and presence; hub_calls.cpp: calls). Internal
// to realtime/: nothing outside the hub includes this.
#pragma once

#include <functional>
#include <list>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/error.hpp"
#include "realtime/hub.hpp"
#include "realtime/protocol/socketio.hpp"

namespace samwaad::realtime {

namespace sio = protocol::socketio;

struct Hub::Client {
  std::shared_ptr<EngineConnection> connection;
  std::string id;          // engine id
  std::string sid;         // Socket.IO socket id
  bool connected = false;  // CONNECT to "/" accepted
  bool authenticated = false;
  bool authenticating = false;
  // Events and acks sent after CONNECT but before its answer, by a client
  // that does not wait for it: handled in order once connected, dropped if
  // the CONNECT is refused.
  std::vector<sio::Packet> early_packets;
  std::string user_id;
  std::string session_id;
  std::unique_ptr<Runtime::Timer> auth_timer;
  sio::Decoder decoder;
  uint64_t next_ack_id = 1;
  std::unordered_map<uint64_t, std::string> pending_receipts;  // ack id -> message id
  // While the offline backlog is being read, live messages for this socket
  // wait here: the backlog may hold them too, and it is older. Both are then
  // pushed once each, in id (= commit) order.
  bool catching_up = false;
  std::vector<PushedMessage> held_while_catching_up;
  // Pushed from the backlog. Kept a few seconds after the catch-up: a message
  // the backlog query saw may be committed but not yet handed to deliver()
  // (the sender's completion runs later), which would push it again.
  std::unordered_set<std::string> caught_up_ids;
  std::unique_ptr<Runtime::Timer> forget_caught_up;
  std::set<std::string> watching;
  // This socket's work that must keep its order (see Hub::pump). A list:
  // an empty std::deque allocates over 500 bytes, on every idle socket.
  struct Job {
    bool blocking = false;  // runs alone on the worker pool; else a store write
    std::function<void()> start;
  };
  std::list<Job> jobs;
  bool blocking_running = false;
  int writes_in_flight = 0;
  bool reads_paused = false;  // this socket's backlog passed kMaxBacklog (see Hub::pump)
};

namespace hub_detail {

inline constexpr std::size_t kMaxPendingReceipts = 10000;
inline constexpr std::size_t kMaxWatched = 500;
// Work one socket may have queued or in flight before the hub stops reading
// from it; reading resumes once half of it is done. Without it a client that
// sends faster than the store commits grows the server's queues without bound.
inline constexpr std::size_t kMaxBacklog = 64;
// Packets held while a CONNECT is being answered; a client sending more
// than this before the answer is closed.
inline constexpr std::size_t kMaxEarlyPackets = 64;

inline nlohmann::json ok(nlohmann::json extra = nlohmann::json::object()) {
  extra["ok"] = true;
  return extra;
}

inline nlohmann::json error_body(const ApiError& e) {
  return {{"ok", false}, {"error", e.to_json()}};
}

inline const nlohmann::json& require_object(const nlohmann::json& payload) {
  if (!payload.is_object()) throw ApiError(ErrorCode::validation, "payload must be an object");
  return payload;
}

}  // namespace hub_detail

}  // namespace samwaad::realtime
