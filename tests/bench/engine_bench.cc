// In-process costs: decoding, validation and the stage engine per event.
#include <benchmark/benchmark.h>

#include "engine/event_decoder.h"
#include "engine/event_validator.h"
#include "engine/stage_engine.h"
#include "sample_run.h"

namespace leadboard::bench {
namespace {

void BM_DecodeAndValidate(benchmark::State& state) {
  std::vector<std::string> wire;
  for (const auto& e : LeadRun("r", 0)) wire.push_back(e.SerializeAsString());
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    v1::PipelineEvent event;
    std::string id;
    const std::string& w = wire[i++ % wire.size()];
    bytes += w.size();
    benchmark::DoNotOptimize(engine::DecodeEvent(w, &event, &id));
    benchmark::DoNotOptimize(engine::ValidateEvent(event));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_DecodeAndValidate);

void BM_StageEngineWholeRun(benchmark::State& state) {
  const engine::BoardConfig board = engine::BoardConfig::Default();
  const engine::StageEngine engine(board);
  const std::vector<v1::PipelineEvent> events = LeadRun("r", 0);
  for (auto _ : state) {
    std::optional<v1::Lead> lead;
    for (const auto& e : events) {
      lead = std::get<engine::LeadTransition>(engine.ApplyToLead(lead ? &*lead : nullptr, e)).lead;
    }
    benchmark::DoNotOptimize(lead);
  }
  state.SetItemsProcessed(state.iterations() * events.size());
}
BENCHMARK(BM_StageEngineWholeRun);

}  // namespace
}  // namespace leadboard::bench

BENCHMARK_MAIN();
