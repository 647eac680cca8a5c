#include "calls/call_registry.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/time.hpp"

namespace samwaad::calls {

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::answered: return "answered";
    case Outcome::missed: return "missed";
    case Outcome::declined: return "declined";
    case Outcome::busy: return "busy";
    case Outcome::failed: return "failed";
  }
  return "failed";
}

nlohmann::json CallRecord::to_json() const {
  return {{"id", id},
          {"caller", caller},
          {"callee", callee},
          {"startedAt", format_iso8601(started_ms)},
          {"duration", duration_s},
          {"outcome", outcome_name(outcome)}};
}

CallRegistry::CallRegistry() : CallRegistry(Limits{}) {}
CallRegistry::CallRegistry(Limits limits) : limits_(limits) {}

const Call* CallRegistry::call_of(const std::string& user_id) const {
  auto u = by_user_.find(user_id);
  return u == by_user_.end() ? nullptr : find(u->second);
}

const Call* CallRegistry::find(const std::string& call_id) const {
  auto it = calls_.find(call_id);
  return it == calls_.end() ? nullptr : &it->second;
}

Call& CallRegistry::mutable_call(const std::string& call_id) {
  auto it = calls_.find(call_id);
  if (it != calls_.end()) return it->second;
  if (ended_recently(call_id)) throw ApiError(ErrorCode::conflict, "the call has ended");
  throw ApiError(ErrorCode::forbidden, "not a call of yours");
}

const Call& CallRegistry::start(std::string call_id, std::string caller, std::string caller_socket,
                                std::string callee, nlohmann::json media, int64_t now_ms) {
  if (calls_.count(call_id) || ended_recently(call_id)) {
    throw ApiError(ErrorCode::conflict, "callId is already in use");
  }
  if (by_user_.count(caller)) throw ApiError(ErrorCode::conflict, "you are already in a call");
  Call call;
  call.id = call_id;
  call.caller = std::move(caller);
  call.callee = std::move(callee);
  call.caller_socket = std::move(caller_socket);
  call.started_ms = now_ms;
  call.media = std::move(media);
  by_user_[call.caller] = call_id;
  by_user_[call.callee] = call_id;
  return calls_.emplace(call_id, std::move(call)).first->second;
}

const Call& CallRegistry::for_signal(const std::string& call_id, const std::string& user_id,
                                     const std::string& to) const {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) {
    if (ended_recently(call_id)) throw ApiError(ErrorCode::conflict, "the call has ended");
    throw ApiError(ErrorCode::forbidden, "not a call of yours");
  }
  const Call& call = it->second;
  bool parties = (call.caller == user_id && call.callee == to) ||
                 (call.callee == user_id && call.caller == to);
  if (!parties) throw ApiError(ErrorCode::forbidden, "not a call of yours");
  return call;
}

CallRegistry::EarlyCandidates CallRegistry::answer(const std::string& call_id,
                                                   const std::string& user_id,
                                                   const std::string& socket, int64_t now_ms) {
  Call& call = mutable_call(call_id);
  if (call.callee != user_id) {
    if (call.caller == user_id) throw ApiError(ErrorCode::forbidden, "only the callee answers");
    throw ApiError(ErrorCode::forbidden, "not a call of yours");
  }
  if (call.state != CallState::ringing)
    throw ApiError(ErrorCode::conflict, "the call was already answered");
  call.state = CallState::active;
  call.callee_socket = socket;
  call.answered_ms = now_ms;
  return {std::exchange(call.early_from_caller, {}), std::exchange(call.early_from_callee, {})};
}

bool CallRegistry::keep_early_candidate(const std::string& call_id, bool from_caller,
                                        nlohmann::json candidate) {
  Call& call = mutable_call(call_id);
  auto& queue = from_caller ? call.early_from_caller : call.early_from_callee;
  if (queue.size() >= limits_.early_candidates) return false;
  queue.push_back(std::move(candidate));
  return true;
}

std::optional<CallRecord> CallRegistry::end(const std::string& call_id, Outcome outcome,
                                            int64_t now_ms) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return std::nullopt;
  const Call& call = it->second;
  CallRecord record{call.id, call.caller, call.callee, call.started_ms, 0, outcome};
  if (call.state == CallState::active) {
    record.duration_s = std::max<int64_t>(0, (now_ms - call.answered_ms) / 1000);
  }
  for (const auto* user : {&call.caller, &call.callee}) {
    auto u = by_user_.find(*user);
    if (u != by_user_.end() && u->second == call_id) by_user_.erase(u);
  }
  calls_.erase(it);
  remember_ended(call_id);
  return record;
}

std::vector<std::string> CallRegistry::calls_bound_to(const std::string& socket) const {
  std::vector<std::string> ids;
  for (const auto& [id, call] : calls_) {
    if (call.caller_socket == socket || call.callee_socket == socket) ids.push_back(id);
  }
  return ids;
}

std::optional<std::string> CallRegistry::ringing_for_callee(const std::string& user_id) const {
  const Call* call = call_of(user_id);
  if (call && call->state == CallState::ringing && call->callee == user_id) return call->id;
  return std::nullopt;
}

bool CallRegistry::ended_recently(const std::string& call_id) const {
  return ended_.count(call_id) > 0;
}

void CallRegistry::remember_ended(const std::string& call_id) {
  if (ended_.emplace(call_id, true).second) ended_order_.push_back(call_id);
  while (ended_order_.size() > limits_.remembered_ended) {
    ended_.erase(ended_order_.front());
    ended_order_.pop_front();
  }
}

}  // namespace samwaad::calls
