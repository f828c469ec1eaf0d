// The transport ceiling: the same events streamed over loopback gRPC to a
// bare LeadBoard service that parses and discards them (stores nothing).
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>

#include "leadboard/v1/leadboard.grpc.pb.h"
#include "sample_events.h"

namespace leadboard::bench {
namespace {

class NullIngest final : public v1::LeadBoard::CallbackService {
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
};

void BM_TransportCeiling(benchmark::State& state) {
  NullIngest service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  auto stub = v1::LeadBoard::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  const int n = static_cast<int>(state.range(0));
  std::vector<v1::PipelineEvent> events;
  for (int lead = 0; static_cast<int>(events.size()) < n; ++lead) {
    for (auto& e : LeadRun("t", lead)) events.push_back(std::move(e));
  }
  events.resize(n);
  for (auto _ : state) {
    grpc::ClientContext context;
    v1::IngestSummary summary;
    auto writer = stub->IngestEvents(&context, &summary);
    for (const auto& e : events) writer->Write(e);
    writer->WritesDone();
    if (!writer->Finish().ok() || summary.accepted() != n) state.SkipWithError("stream failed");
  }
  state.SetItemsProcessed(state.iterations() * n);
  server->Shutdown();
}
BENCHMARK(BM_TransportCeiling)->Arg(1000)->UseRealTime();

}  // namespace
}  // namespace leadboard::bench

BENCHMARK_MAIN();
