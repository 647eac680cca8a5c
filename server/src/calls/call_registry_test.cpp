#include "calls/call_registry.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace samwaad::calls {
namespace {

const std::string kCall = "65f0a1b2c3d4e5f6a7b8c9d0";
const std::string kAlice = "aaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kBob = "bbbbbbbbbbbbbbbbbbbbbbbb";
const std::string kCarol = "cccccccccccccccccccccccc";

ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ApiError& e) {
    return e.code();
  }
  ADD_FAILURE() << "no ApiError thrown";
  return ErrorCode::internal;
}

class CallRegistryTest : public ::testing::Test {
 protected:
  void ring() { registry.start(kCall, kAlice, "alice-tab", kBob, {{"video", true}}, 1000); }
  CallRegistry registry{CallRegistry::Limits{3, 2}};
};

TEST_F(CallRegistryTest, RingingCallBelongsToBothParties) {
  ring();
  ASSERT_NE(registry.call_of(kAlice), nullptr);
  EXPECT_EQ(registry.call_of(kBob)->id, kCall);
  EXPECT_EQ(registry.call_of(kCarol), nullptr);
  EXPECT_EQ(registry.ringing_for_callee(kBob), kCall);
  EXPECT_EQ(registry.ringing_for_callee(kAlice), std::nullopt);
  EXPECT_EQ(registry.find(kCall)->state, CallState::ringing);
}

TEST_F(CallRegistryTest, CallerAlreadyInACallOrReusedIdIsAConflict) {
  ring();
  EXPECT_EQ(
      code_of([&] { registry.start("65f0a1b2c3d4e5f6a7b8c9d1", kAlice, "t", kCarol, {}, 1); }),
      ErrorCode::conflict);
  EXPECT_EQ(code_of([&] { registry.start(kCall, kCarol, "t", kBob, {}, 1); }), ErrorCode::conflict);
}

TEST_F(CallRegistryTest, SignalsFromOutsidersAreForbidden) {
  ring();
  EXPECT_NO_THROW(registry.for_signal(kCall, kAlice, kBob));
  EXPECT_NO_THROW(registry.for_signal(kCall, kBob, kAlice));
  EXPECT_EQ(code_of([&] { registry.for_signal(kCall, kCarol, kBob); }), ErrorCode::forbidden);
  EXPECT_EQ(code_of([&] { registry.for_signal(kCall, kAlice, kCarol); }), ErrorCode::forbidden);
  EXPECT_EQ(code_of([&] { registry.for_signal("65f0a1b2c3d4e5f6a7b8c9ff", kAlice, kBob); }),
            ErrorCode::forbidden);
}

TEST_F(CallRegistryTest, OnlyTheCalleeAnswersAndOnlyOnce) {
  ring();
  EXPECT_EQ(code_of([&] { registry.answer(kCall, kAlice, "alice-tab", 2000); }),
            ErrorCode::forbidden);
  EXPECT_EQ(code_of([&] { registry.answer(kCall, kCarol, "carol", 2000); }), ErrorCode::forbidden);
  registry.answer(kCall, kBob, "bob-tab-2", 2000);
  EXPECT_EQ(registry.find(kCall)->state, CallState::active);
  EXPECT_EQ(registry.find(kCall)->callee_socket, "bob-tab-2");
  EXPECT_EQ(code_of([&] { registry.answer(kCall, kBob, "bob-tab-1", 2100); }), ErrorCode::conflict);
  EXPECT_EQ(registry.ringing_for_callee(kBob), std::nullopt);
}

TEST_F(CallRegistryTest, EarlyCandidatesAreHandedOverInOrderAndBounded) {
  ring();
  for (int i = 0; i < 4; ++i) {
    bool kept = registry.keep_early_candidate(kCall, true, {{"candidate", std::to_string(i)}});
    EXPECT_EQ(kept, i < 3);
  }
  EXPECT_TRUE(registry.keep_early_candidate(kCall, false, {{"candidate", "callee"}}));
  auto early = registry.answer(kCall, kBob, "bob", 2000);
  ASSERT_EQ(early.from_caller.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(early.from_caller[i]["candidate"], std::to_string(i));
  ASSERT_EQ(early.from_callee.size(), 1u);
  EXPECT_EQ(early.from_callee[0]["candidate"], "callee");
  EXPECT_TRUE(registry.find(kCall)->early_from_caller.empty());
}

TEST_F(CallRegistryTest, EndedCallsLeaveARecordAndAnswerConflict) {
  ring();
  registry.answer(kCall, kBob, "bob", 2000);
  auto record = registry.end(kCall, Outcome::answered, 2000 + 192'400);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->duration_s, 192);
  auto json = record->to_json();
  EXPECT_EQ(json["outcome"], "answered");
  EXPECT_EQ(json["caller"], kAlice);
  EXPECT_EQ(json["callee"], kBob);
  EXPECT_EQ(json["duration"], 192);
  EXPECT_EQ(json["startedAt"], "1970-01-01T00:00:01.000Z");
  EXPECT_EQ(registry.call_of(kAlice), nullptr);
  EXPECT_EQ(registry.call_of(kBob), nullptr);
  EXPECT_FALSE(registry.end(kCall, Outcome::answered, 1));  // only once
  EXPECT_EQ(code_of([&] { registry.for_signal(kCall, kAlice, kBob); }), ErrorCode::conflict);
  EXPECT_EQ(code_of([&] { registry.answer(kCall, kBob, "bob", 3); }), ErrorCode::conflict);
  EXPECT_EQ(code_of([&] { registry.start(kCall, kAlice, "t", kBob, {}, 1); }), ErrorCode::conflict);
}

TEST_F(CallRegistryTest, UnansweredCallsLastZeroSeconds) {
  ring();
  auto record = registry.end(kCall, Outcome::missed, 31'000);
  EXPECT_EQ(record->duration_s, 0);
  EXPECT_EQ(record->to_json()["outcome"], "missed");
}

TEST_F(CallRegistryTest, RemembersOnlyABoundedNumberOfEndedCalls) {
  const std::string ids[] = {"65f0a1b2c3d4e5f6a7b8c901", "65f0a1b2c3d4e5f6a7b8c902",
                             "65f0a1b2c3d4e5f6a7b8c903"};
  for (const auto& id : ids) {
    registry.start(id, kAlice, "t", kBob, {}, 1);
    registry.end(id, Outcome::missed, 2);
  }
  EXPECT_FALSE(registry.ended_recently(ids[0]));  // limit 2: forgotten, now just unknown
  EXPECT_TRUE(registry.ended_recently(ids[1]));
  EXPECT_TRUE(registry.ended_recently(ids[2]));
}

TEST_F(CallRegistryTest, FindsTheCallsASocketIsBoundTo) {
  ring();
  EXPECT_EQ(registry.calls_bound_to("alice-tab"), std::vector<std::string>{kCall});
  EXPECT_TRUE(registry.calls_bound_to("bob-tab").empty());  // ringing: not bound yet
  registry.answer(kCall, kBob, "bob-tab", 2000);
  EXPECT_EQ(registry.calls_bound_to("bob-tab"), std::vector<std::string>{kCall});
}

}  // namespace
}  // namespace samwaad::calls
