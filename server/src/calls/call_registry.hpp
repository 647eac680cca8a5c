// The state of every one-to-one call on this node: who rings whom, which
// socket of each side is in the call, and what the call left behind when it
// ended. Pure bookkeeping with no I/O and no clock of its own (times are
// passed in), so the rules of the contract's Calls section are unit-tested
// here and the realtime hub only does the fan-out.
#pragma once

#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace samwaad::calls {

enum class CallState { ringing, active };

enum class Outcome { answered, missed, declined, busy, failed };
std::string_view outcome_name(Outcome outcome);

struct Call {
  std::string id;
  std::string caller;
  std::string callee;
  std::string caller_socket;  // the socket that placed the call
  std::string callee_socket;  // the socket that answered; empty while ringing
  CallState state = CallState::ringing;
  int64_t started_ms = 0;   // when the offer arrived
  int64_t answered_ms = 0;  // 0 while ringing
  nlohmann::json media;     // {video: bool}
  // ICE candidates sent while ringing wait here, in order, until the answer:
  // the caller's because the answering socket is not known yet, the callee's
  // because the caller cannot use them before it has the answer.
  std::deque<nlohmann::json> early_from_caller;
  std::deque<nlohmann::json> early_from_callee;
};

// What an ended call leaves in the conversation (the contract's `call`).
struct CallRecord {
  std::string id;
  std::string caller;
  std::string callee;
  int64_t started_ms = 0;
  int64_t duration_s = 0;  // whole seconds from answer to end; 0 if never answered
  Outcome outcome = Outcome::missed;

  nlohmann::json to_json() const;  // {id, caller, callee, startedAt, duration, outcome}
};

class CallRegistry {
 public:
  struct Limits {
    std::size_t early_candidates = 64;    // per call, kept while ringing
    std::size_t remembered_ended = 4096;  // ended ids kept to answer `conflict`, not `forbidden`
  };
  CallRegistry();
  explicit CallRegistry(Limits limits);

  // The call `user_id` is in (ringing or active), if any.
  const Call* call_of(const std::string& user_id) const;
  const Call* find(const std::string& call_id) const;

  // A new ringing call. The caller must not be in a call already (conflict),
  // `call_id` must be new (conflict). Busy/offline checks are the caller's.
  const Call& start(std::string call_id, std::string caller, std::string caller_socket,
                    std::string callee, nlohmann::json media, int64_t now_ms);

  // The call `call_id` as seen by `user_id` sending a signal addressed to
  // `to`: throws forbidden if the call is unknown or the two are not its
  // parties, conflict if it already ended.
  const Call& for_signal(const std::string& call_id, const std::string& user_id,
                         const std::string& to) const;

  struct EarlyCandidates {
    std::deque<nlohmann::json> from_caller;  // for the answering socket
    std::deque<nlohmann::json> from_callee;  // for the caller, after the answer
  };
  // The callee answered from `socket`: ringing -> active. Throws forbidden if
  // `user_id` is not the callee, conflict if the call is not ringing.
  // Returns the candidates kept while ringing, to forward in order.
  EarlyCandidates answer(const std::string& call_id, const std::string& user_id,
                         const std::string& socket, int64_t now_ms);

  // Keeps a candidate sent while ringing until the answer. False when the
  // bound is reached (the candidate is dropped; ICE still has the later ones).
  bool keep_early_candidate(const std::string& call_id, bool from_caller, nlohmann::json candidate);

  // Ends the call (if it exists) and returns its record.
  std::optional<CallRecord> end(const std::string& call_id, Outcome outcome, int64_t now_ms);

  // Calls a socket takes part in as the caller's or the answering socket.
  std::vector<std::string> calls_bound_to(const std::string& socket) const;
  // The ringing call `user_id` is being called in, if any.
  std::optional<std::string> ringing_for_callee(const std::string& user_id) const;

  bool ended_recently(const std::string& call_id) const;
  std::size_t size() const { return calls_.size(); }

 private:
  Call& mutable_call(const std::string& call_id);
  void remember_ended(const std::string& call_id);

  Limits limits_;
  std::unordered_map<std::string, Call> calls_;           // by call id
  std::unordered_map<std::string, std::string> by_user_;  // user id -> call id
  std::deque<std::string> ended_order_;
  std::unordered_map<std::string, bool> ended_;
};

}  // namespace samwaad::calls
