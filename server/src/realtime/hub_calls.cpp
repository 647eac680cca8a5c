// Calls: the contract's one-to-one WebRTC signalling. The hub relays offers,
// answers and ICE candidates between the one socket of each side that is in
// the call, keeps the call's state in calls_ (ringing -> active -> ended), and
// turns every ended call into a record in the conversation.
#include <spdlog/spdlog.h>

#include "chat/chat_service.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"
#include "core/validate.hpp"
#include "realtime/hub.hpp"
#include "realtime/hub_client.hpp"

namespace samwaad::realtime {

using Json = nlohmann::json;
using calls::Outcome;
using namespace hub_detail;  // NOLINT(google-build-using-namespace): the hub's own helpers

namespace {

// An SDP of a one-to-one audio/video call is a few KB; 64 KiB leaves room for
// many codecs and simulcast while keeping a socket from relaying megabytes.
constexpr std::size_t kMaxSdpBytes = 64 * 1024;
constexpr std::size_t kMaxCandidateBytes = 4 * 1024;
constexpr std::size_t kMaxReasonChars = 64;

// The contract's call refusals that are not HTTP error codes: `busy`, `offline`.
Json refusal(std::string_view code, std::string_view message) {
  return {{"ok", false}, {"error", {{"code", code}, {"message", message}}}};
}

std::string peer_id(const Json& body, const std::string& self) {
  auto to = *string_field(body, "to", true);
  validate_id(to, "to");
  if (to == self) throw field_error("to", "must not be yourself");
  return to;
}

std::string call_id_field(const Json& body) {
  auto id = *string_field(body, "callId", true);
  validate_id(id, "callId");
  return id;
}

std::string sdp_field(const Json& body) {
  auto sdp = *string_field(body, "sdp", true);
  if (sdp.empty()) throw field_error("sdp", "must not be empty");
  if (sdp.size() > kMaxSdpBytes) throw field_error("sdp", "must be at most 65536 bytes");
  return sdp;
}

// RTCIceCandidateInit ({candidate, sdpMid, sdpMLineIndex, ...}) or a bare
// candidate string; relayed as it came.
Json candidate_field(const Json& body) {
  auto c = body.find("candidate");
  if (c == body.end() || !(c->is_object() || c->is_string())) {
    throw field_error("candidate", "must be an RTCIceCandidate object or string");
  }
  if (c->dump().size() > kMaxCandidateBytes)
    throw field_error("candidate", "must be at most 4096 bytes");
  return *c;
}

Json media_field(const Json& body) {
  auto m = body.find("media");
  if (m == body.end() || m->is_null()) return {{"video", true}};
  if (!m->is_object()) throw field_error("media", "must be an object like {video: true}");
  auto video = m->find("video");
  if (video == m->end() || video->is_null()) return {{"video", true}};
  if (!video->is_boolean()) throw field_error("media", "video must be a boolean");
  return {{"video", video->get<bool>()}};
}

}  // namespace

void Hub::emit_to_socket(const std::string& client_id, const std::string& event,
                         const Json& payload) {
  if (auto c = clients_.find(client_id); c != clients_.end()) emit(*c->second, event, payload);
}

void Hub::on_signal_offer(Client& client, const Json& payload, std::optional<uint64_t> ack_id) {
  const auto& body = require_object(payload);
  const auto to = peer_id(body, client.user_id);
  const auto sdp = sdp_field(body);
  const auto media = media_field(body);
  std::optional<std::string> requested_id = string_field(body, "callId", false);
  if (requested_id) validate_id(*requested_id, "callId");

  // An offer inside a call that is already up renegotiates it (a camera
  // switched on, an ICE restart): relayed to the peer's socket in the call.
  if (requested_id && (calls_.find(*requested_id) || calls_.ended_recently(*requested_id))) {
    const auto& call = calls_.for_signal(*requested_id, client.user_id, to);
    if (call.state != calls::CallState::active)
      throw ApiError(ErrorCode::conflict, "the call is not up yet");
    bool from_caller = call.caller == client.user_id;
    const auto& own_socket = from_caller ? call.caller_socket : call.callee_socket;
    if (own_socket != client.id)
      throw ApiError(ErrorCode::forbidden, "this socket is not in the call");
    emit_to_socket(from_caller ? call.callee_socket : call.caller_socket, "signal-offer",
                   {{"from", client.user_id}, {"sdp", sdp}, {"callId", call.id}, {"media", media}});
    return ack(client, ack_id, ok({{"callId", call.id}}));
  }

  if (calls_.call_of(client.user_id))
    throw ApiError(ErrorCode::conflict, "you are already in a call");
  const std::string call_id = requested_id ? *requested_id : new_object_id();
  const int64_t now = now_ms();
  auto refuse = [&](Outcome outcome, std::string_view code, std::string_view message) {
    ack(client, ack_id, refusal(code, message));
    record_call({call_id, client.user_id, to, now, 0, outcome});
  };
  if (calls_.call_of(to)) return refuse(Outcome::busy, "busy", "the user is in another call");
  auto callee = users_.find(to);
  if (callee == users_.end()) return refuse(Outcome::missed, "offline", "the user is offline");

  calls_.start(call_id, client.user_id, client.id, to, media, now);
  ack(client, ack_id, ok({{"callId", call_id}}));
  emit_to_user(to, "signal-offer",
               {{"from", client.user_id}, {"sdp", sdp}, {"callId", call_id}, {"media", media}});
  auto alive = alive_;
  ring_timers_[call_id] = deps_.runtime.after(options_.ring_timeout, [this, alive, call_id] {
    if (!*alive) return;
    const auto* call = calls_.find(call_id);
    if (call && call->state == calls::CallState::ringing)
      end_call(call_id, Outcome::missed, "timeout", {});
  });
}

void Hub::on_signal_answer(Client& client, const Json& payload, std::optional<uint64_t> ack_id) {
  const auto& body = require_object(payload);
  const auto to = peer_id(body, client.user_id);
  const auto call_id = call_id_field(body);
  const auto sdp = sdp_field(body);
  const auto& call = calls_.for_signal(call_id, client.user_id, to);
  auto early = calls_.answer(call_id, client.user_id, client.id, now_ms());
  ring_timers_.erase(call_id);
  const std::string caller_socket = call.caller_socket;
  const std::string caller = call.caller;
  ack(client, ack_id, ok({{"callId", call_id}}));
  emit_to_socket(caller_socket, "signal-answer",
                 {{"from", client.user_id}, {"sdp", sdp}, {"callId", call_id}});
  for (auto& candidate : early.from_callee) {
    emit_to_socket(
        caller_socket, "signal-ice",
        {{"from", client.user_id}, {"candidate", std::move(candidate)}, {"callId", call_id}});
  }
  for (auto& candidate : early.from_caller) {
    emit(client, "signal-ice",
         {{"from", caller}, {"candidate", std::move(candidate)}, {"callId", call_id}});
  }
  emit_to_user(client.user_id, "call-answered-elsewhere", {{"callId", call_id}}, client.id);
}

void Hub::on_signal_ice(Client& client, const Json& payload, std::optional<uint64_t> ack_id) {
  const auto& body = require_object(payload);
  const auto to = peer_id(body, client.user_id);
  const auto call_id = call_id_field(body);
  auto candidate = candidate_field(body);
  const auto& call = calls_.for_signal(call_id, client.user_id, to);
  const bool from_caller = call.caller == client.user_id;
  if (from_caller && call.caller_socket != client.id) {
    throw ApiError(ErrorCode::forbidden, "this socket is not in the call");
  }
  if (call.state == calls::CallState::ringing) {
    // Nobody to give it to yet: kept, in order, until the answer.
    calls_.keep_early_candidate(call_id, from_caller, std::move(candidate));
    return ack(client, ack_id, ok());
  }
  if (!from_caller && call.callee_socket != client.id) {
    throw ApiError(ErrorCode::forbidden, "this socket is not in the call");
  }
  emit_to_socket(
      from_caller ? call.callee_socket : call.caller_socket, "signal-ice",
      {{"from", client.user_id}, {"candidate", std::move(candidate)}, {"callId", call_id}});
  ack(client, ack_id, ok());
}

void Hub::on_call_decline(Client& client, const Json& payload, std::optional<uint64_t> ack_id) {
  const auto& body = require_object(payload);
  const auto to = peer_id(body, client.user_id);
  const auto call_id = call_id_field(body);
  std::string reason = "declined";
  if (auto r = string_field(body, "reason", false); r && !r->empty()) {
    if (utf8_length(*r).value_or(0) > kMaxReasonChars)
      throw field_error("reason", "must be at most 64 characters");
    reason = *r;
  }
  const auto& call = calls_.for_signal(call_id, client.user_id, to);
  if (call.callee != client.user_id)
    throw ApiError(ErrorCode::forbidden, "only the callee declines");
  if (call.state != calls::CallState::ringing) {
    throw ApiError(ErrorCode::conflict, "the call was already answered");
  }
  const std::string caller_socket = call.caller_socket;
  ack(client, ack_id, ok());
  emit_to_socket(caller_socket, "call-decline",
                 {{"from", client.user_id}, {"callId", call_id}, {"reason", reason}});
  // The callee's other tabs stop ringing.
  emit_to_user(client.user_id, "call-declined-elsewhere", {{"callId", call_id}}, client.id);
  ring_timers_.erase(call_id);
  if (auto record = calls_.end(call_id, Outcome::declined, now_ms())) record_call(*record);
}

void Hub::on_call_end(Client& client, const Json& payload, std::optional<uint64_t> ack_id) {
  const auto& body = require_object(payload);
  const auto to = peer_id(body, client.user_id);
  const auto call_id = call_id_field(body);
  const auto& call = calls_.for_signal(call_id, client.user_id, to);
  const bool from_caller = call.caller == client.user_id;
  const bool ringing = call.state == calls::CallState::ringing;
  if (ringing && !from_caller) {
    // The callee hanging up a ringing call is a decline by another name.
    ack(client, ack_id, ok());
    emit_to_user(client.user_id, "call-declined-elsewhere", {{"callId", call_id}}, client.id);
    return end_call(call_id, Outcome::declined, "declined", client.user_id);
  }
  const auto& own_socket = from_caller ? call.caller_socket : call.callee_socket;
  if (own_socket != client.id)
    throw ApiError(ErrorCode::forbidden, "this socket is not in the call");
  ack(client, ack_id, ok());
  end_call(call_id, ringing ? Outcome::missed : Outcome::answered, "hangup", client.user_id);
}

void Hub::end_call(const std::string& call_id, Outcome outcome, const std::string& reason,
                   const std::string& ended_by) {
  const auto* call = calls_.find(call_id);
  if (!call) return;
  // Copies: emitting may drop clients, and end() below frees the call.
  const std::string caller = call->caller, callee = call->callee;
  const std::string caller_socket = call->caller_socket, callee_socket = call->callee_socket;
  const bool ringing = call->state == calls::CallState::ringing;
  ring_timers_.erase(call_id);
  auto record = calls_.end(call_id, outcome, now_ms());
  if (ended_by != caller) {
    emit_to_socket(caller_socket, "call-end",
                   {{"from", callee}, {"callId", call_id}, {"reason", reason}});
  }
  if (ended_by != callee) {
    Json payload{{"from", caller}, {"callId", call_id}, {"reason", reason}};
    if (ringing) {
      emit_to_user(callee, "call-end", payload);  // every tab that rings
    } else {
      emit_to_socket(callee_socket, "call-end", payload);
    }
  }
  if (record) record_call(*record);
}

void Hub::calls_after_drop(const Client& client, bool last_socket_of_user) {
  for (const auto& call_id : calls_.calls_bound_to(client.id)) {
    const auto* call = calls_.find(call_id);
    if (!call) continue;
    bool ringing = call->state == calls::CallState::ringing;
    end_call(call_id, ringing ? Outcome::failed : Outcome::answered, "disconnected",
             client.user_id);
  }
  // A callee whose every tab is gone cannot answer any more.
  if (last_socket_of_user) {
    if (auto ringing = calls_.ringing_for_callee(client.user_id)) {
      end_call(*ringing, Outcome::failed, "disconnected", client.user_id);
    }
  }
}

void Hub::record_call(const calls::CallRecord& record) {
  auto alive = alive_;
  auto result = std::make_shared<std::optional<chat::SendResult>>();
  deps_.runtime.blocking(
      [this, record, result] {
        try {
          *result = deps_.chat.record_call(record.caller, record.callee, record.to_json());
        } catch (const ApiError& e) {
          // An offer to an id that is no user: there is no conversation to record it in.
          spdlog::debug(R"({{"msg":"call not recorded","callId":"{}","error":{}}})", record.id,
                        Json(std::string(e.what())).dump());
        } catch (const std::exception& e) {
          spdlog::error(R"({{"msg":"call not recorded","callId":"{}","error":{}}})", record.id,
                        Json(std::string(e.what())).dump());
        }
      },
      [this, alive, result] {
        if (*alive && *result) deliver(**result, pushed((*result)->message), {});
      });
}

}  // namespace samwaad::realtime
