// Terse construction of PipelineEvents for tests.
#ifndef LEADBOARD_TESTS_UNIT_EVENT_BUILDER_H_
#define LEADBOARD_TESTS_UNIT_EVENT_BUILDER_H_

#include <string>

#include "leadboard/v1/event.pb.h"

namespace leadboard::testing {

// An event of `type` for lead "L1", job "J1", user "u1" at 2026-01-01 plus
// `second` seconds.
inline v1::PipelineEvent MakeEvent(const std::string& id, v1::EventType type, int second,
                                   const std::string& agent = "", bool success = false) {
  v1::PipelineEvent event;
  event.set_event_id(id);
  event.set_lead_id("L1");
  event.set_job_id("J1");
  event.set_user_id("u1");
  event.set_type(type);
  event.mutable_occurred_at()->set_seconds(1767225600 + second);
  event.set_agent_name(agent);
  event.set_success(success);
  return event;
}

}  // namespace leadboard::testing

#endif  // LEADBOARD_TESTS_UNIT_EVENT_BUILDER_H_
