// A bare LeadBoard service that parses ingested events and stores nothing:
// the transport ceiling. GetBoard answers revision 0 (so `leadboard bench`
// can run against it); everything else is unimplemented.
#ifndef LEADBOARD_TESTS_BENCH_NULL_SERVICE_H_
#define LEADBOARD_TESTS_BENCH_NULL_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "leadboard/v1/leadboard.grpc.pb.h"

namespace leadboard::bench {

class NullService final : public v1::LeadBoard::CallbackService {
  grpc::ServerReadReactor<v1::PipelineEvent>* IngestEvents(grpc::CallbackServerContext*,
                                                           v1::IngestSummary* summary) override {
    class Reactor final : public grpc::ServerReadReactor<v1::PipelineEvent> {
     public:
      explicit Reactor(v1::IngestSummary* summary) : summary_(summary) { StartRead(&event_); }
      void OnReadDone(bool ok) override {
        if (!ok) {
          Finish(grpc::Status::OK);
          return;
        }
        summary_->set_accepted(summary_->accepted() + 1);
        StartRead(&event_);
      }
      void OnDone() override { delete this; }

     private:
      v1::IngestSummary* summary_;
      v1::PipelineEvent event_;
    };
    return new Reactor(summary);
  }

  grpc::ServerUnaryReactor* GetBoard(grpc::CallbackServerContext* ctx, const v1::GetBoardRequest*,
                                     v1::Board*) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace leadboard::bench

#endif  // LEADBOARD_TESTS_BENCH_NULL_SERVICE_H_
