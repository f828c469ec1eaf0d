// The transport ceiling: the same events streamed over loopback gRPC to a
// bare LeadBoard service that parses and discards them (stores nothing).
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>

#include "null_service.h"
#include "sample_run.h"

namespace leadboard::bench {
namespace {

void BM_TransportCeiling(benchmark::State& state) {
  NullService service;
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
