// The board a person works in: the top bar (Board / Agents, search,
// filters, connection, user), then the summary bar and the columns, or the
// Agents view (?view=agents); and the lead dialog (?lead=ID). The watch runs
// on both pages, so switching back shows a current board at once.
import { useMemo, useState } from "react";
import { describe } from "../api/errors";
import { hasFilters, noFilters } from "../board/filters";
import { boardViews, summarize } from "../board/view";
import { useBoardState } from "../hooks/useBoardState";
import { useBoardStream } from "../hooks/useBoardStream";
import { useColumns } from "../hooks/useColumns";
import { useFilters } from "../hooks/useFilters";
import { useMediaQuery } from "../hooks/useMediaQuery";
import { usePage, useStatsWindow } from "../hooks/usePage";
import { AgentsView } from "./agents/AgentsView";
import { useSelectedLead } from "../hooks/useSelectedLead";
import { BoardColumns } from "./BoardColumns";
import { LeadDialog } from "./lead/LeadDialog";
import { SummaryBar } from "./SummaryBar";
import { TopBar } from "./TopBar";

const noColumns: never[] = [];

export function Board() {
  const connection = useBoardStream();
  const columns = useColumns();
  const { filters, setFilters, match } = useFilters();
  const { state, moves, loading } = useBoardState();
  const [selected, select] = useSelectedLead();
  const narrow = useMediaQuery("(max-width: 760px)");
  const [filtersOpen, setFiltersOpen] = useState(false);
  const [page, setPage] = usePage();
  const [statsWindow, setStatsWindow] = useStatsWindow();

  const columnList = columns.data ?? noColumns;
  const ids = useMemo(() => columnList.map((c) => c.id), [columnList]);
  const views = useMemo(() => boardViews(state, moves, ids, match), [state, moves, ids, match]);
  const summary = useMemo(() => summarize(views), [views]);
  const filtered = hasFilters(filters);

  return (
    <div className={`app ${narrow ? "app-narrow" : ""}`}>
      <TopBar
        connection={connection}
        filters={filters}
        setFilters={setFilters}
        narrow={narrow}
        filtersOpen={filtersOpen}
        toggleFilters={() => setFiltersOpen((o) => !o)}
        page={page}
        setPage={setPage}
      />
      {page === "agents" && (
        <AgentsView filters={filters} setFilters={setFilters} statsWindow={statsWindow} setStatsWindow={setStatsWindow} />
      )}
      {page === "board" && (
        <SummaryBar summary={summary} synced={state.synced} filtered={filtered} onClear={() => setFilters(noFilters)} />
      )}
      {page === "board" && columns.isError && (
        <div className="error-banner" role="alert">Cannot load the board: {describe(columns.error)}</div>
      )}
      {page === "board" && <BoardColumns
        columns={columnList}
        views={views}
        state={state}
        moves={moves}
        loading={loading}
        connection={connection}
        filtered={filtered}
        narrow={narrow}
        onOpen={select}
      />}
      {selected && <LeadDialog leadId={selected} columns={columnList} onClose={() => select(null)} />}
    </div>
  );
}
