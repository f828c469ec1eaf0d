// The engine's central promise, as a test helper: the final state does not
// depend on the order events arrive in.
#ifndef LEADBOARD_TESTS_UNIT_ORDER_INDEPENDENCE_H_
#define LEADBOARD_TESTS_UNIT_ORDER_INDEPENDENCE_H_

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "engine/stage_engine.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace leadboard::testing {

// Applies `events` in every order to `start` (none: a new lead); `move`, if
// given, lands as soon as the lead accepts it. Every order must end in the
// same lead, in `expected_stage`; that lead is returned.
inline v1::Lead ExpectOrderIndependent(const engine::StageEngine& engine,
                                       const std::vector<v1::PipelineEvent>& events,
                                       const std::string& expected_stage,
                                       const std::optional<v1::Lead>& start = std::nullopt,
                                       const std::optional<engine::Move>& move = std::nullopt) {
  std::vector<int> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  std::optional<v1::Lead> reference;
  int orders = 0;
  do {
    std::optional<v1::Lead> lead = start;
    bool moved = !move.has_value();
    auto try_move = [&] {
      if (moved || !lead) return;
      absl::StatusOr<engine::LeadTransition> t = engine.ApplyMove(*lead, *move);
      if (t.ok()) {
        lead = t->lead;
        moved = true;
      }
    };
    try_move();
    for (int i : order) {
      auto applied = engine.ApplyToLead(lead ? &*lead : nullptr, events[i]);
      lead = std::get<engine::LeadTransition>(applied).lead;
      try_move();
    }
    EXPECT_TRUE(moved) << "order #" << orders << ": the move was never accepted";
    EXPECT_EQ(lead->stage(), expected_stage);
    if (!reference) {
      reference = lead;
    } else {
      std::string diff;
      google::protobuf::util::MessageDifferencer differencer;
      differencer.ReportDifferencesToString(&diff);
      if (!differencer.Compare(*reference, *lead)) {
        ADD_FAILURE() << "order #" << orders << ": " << diff;
        break;
      }
    }
    ++orders;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_GT(orders, 1);
  return reference.value_or(v1::Lead());
}

}  // namespace leadboard::testing

#endif  // LEADBOARD_TESTS_UNIT_ORDER_INDEPENDENCE_H_
