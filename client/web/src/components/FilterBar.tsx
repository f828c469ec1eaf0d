// Filters: job (stalled jobs marked), sector, qualification tier, ROI
// potential range, stalled only, failed only.
import { useMemo, useState } from "react";
import { sectorsOf, type Filters, type TierKey } from "../board/filters";
import { useBoardStore } from "../hooks/useBoardState";
import { useJobs } from "../hooks/useJobs";

const tiers: [TierKey, string][] = [
  ["high", "High"],
  ["medium", "Medium"],
  ["low", "Low"],
  ["not", "Not qualified"],
  ["none", "Not yet qualified"],
];

export function FilterBar({ filters, setFilters }: { filters: Filters; setFilters: (f: Filters) => void }) {
  const jobs = useJobs();
  const store = useBoardStore();
  // Sectors are read from the board when the list is opened, not on every change.
  const [sectorsAt, setSectorsAt] = useState(0);
  const sectors = useMemo(() => sectorsOf(store.state.byId.values()).slice(0, 200), [store, sectorsAt]); // eslint-disable-line react-hooks/exhaustive-deps
  const set = (part: Partial<Filters>) => setFilters({ ...filters, ...part });
  const toggleTier = (tier: TierKey) =>
    set({ tiers: filters.tiers.includes(tier) ? filters.tiers.filter((t) => t !== tier) : [...filters.tiers, tier] });
  const range = (text: string) => (text === "" ? null : Math.min(100, Math.max(0, Number(text))));

  return (
    <div className="filters" role="group" aria-label="Filters">
      <select aria-label="Job" value={filters.job} onChange={(e) => set({ job: e.target.value })}
              onFocus={() => jobs.refetch()} data-testid="filter-job">
        <option value="">All jobs</option>
        {filters.job && !jobs.data?.some((j) => j.id === filters.job) && <option value={filters.job}>{filters.job}</option>}
        {jobs.data?.map((job) => (
          <option key={job.id} value={job.id} data-stalled={job.stalledSince ? "true" : undefined}>
            {job.query ? `${job.query.slice(0, 40)}` : job.id}{job.stalledSince ? " (stalled)" : ""}
          </option>
        ))}
      </select>
      <select aria-label="Sector" value={filters.sector} onChange={(e) => set({ sector: e.target.value })}
              onFocus={() => setSectorsAt(Date.now())} onPointerDown={() => setSectorsAt(Date.now())}
              data-testid="filter-sector">
        <option value="">All sectors</option>
        {filters.sector && !sectors.includes(filters.sector) && <option value={filters.sector}>{filters.sector}</option>}
        {sectors.map((s) => (
          <option key={s} value={s}>{s}</option>
        ))}
      </select>
      <fieldset className="tier-filter" aria-label="Qualification tier">
        {tiers.map(([key, label]) => (
          <button key={key} type="button" className={`chip-toggle chip-${key}`} aria-pressed={filters.tiers.includes(key)}
                  onClick={() => toggleTier(key)} data-testid={`filter-tier-${key}`}>
            {label}
          </button>
        ))}
      </fieldset>
      <span className="roi-filter">
        ROI
        <input type="number" min={0} max={100} step={5} aria-label="Minimum ROI potential (%)" placeholder="0"
               value={filters.roiMin ?? ""} onChange={(e) => set({ roiMin: range(e.target.value) })} data-testid="filter-roi-min" />
        –
        <input type="number" min={0} max={100} step={5} aria-label="Maximum ROI potential (%)" placeholder="100"
               value={filters.roiMax ?? ""} onChange={(e) => set({ roiMax: range(e.target.value) })} data-testid="filter-roi-max" />
        %
      </span>
      <button type="button" className="chip-toggle stalled-toggle" aria-pressed={filters.stalled}
              title="Only leads whose run has gone silent"
              onClick={() => set({ stalled: !filters.stalled })} data-testid="filter-stalled">
        Stalled
      </button>
      <button type="button" className="chip-toggle failed-toggle" aria-pressed={filters.failed}
              onClick={() => set({ failed: !filters.failed })} data-testid="filter-failed">
        Failed
      </button>
    </div>
  );
}
