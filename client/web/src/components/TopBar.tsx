// The bar at the top: name, the Board / Agents switch, search and filters
// (on the board; behind a button when narrow), the connection state (always
// visible) and the user menu.
import type { Filters } from "../board/filters";
import { activeFilterCount } from "../board/filters";
import type { Page } from "../board/route";
import type { ConnectionState } from "../hooks/useBoardStream";
import { ConnectionBadge } from "./ConnectionBadge";
import { FilterBar } from "./FilterBar";
import { SearchBox } from "./SearchBox";
import { UserMenu } from "./UserMenu";

export function TopBar(props: {
  connection: ConnectionState;
  filters: Filters;
  setFilters: (f: Filters) => void;
  narrow: boolean;
  filtersOpen: boolean;
  toggleFilters: () => void;
  page: Page;
  setPage: (page: Page) => void;
}) {
  const { filters, setFilters, narrow, page } = props;
  const onBoard = page === "board";
  const active = activeFilterCount(filters);
  return (
    <header className="topbar">
      <div className="topbar-row">
        <h1 className="brand">leadboard</h1>
        <nav className="page-switch" aria-label="View">
          {(["board", "agents"] as const).map((p) => (
            <button key={p} type="button" aria-current={page === p ? "page" : undefined}
                    className={page === p ? "page-active" : ""} onClick={() => props.setPage(p)} data-testid={`page-${p}`}>
              {p === "board" ? "Board" : "Agents"}
            </button>
          ))}
        </nav>
        {onBoard && <SearchBox value={filters.q} onChange={(q) => setFilters({ ...filters, q })} />}
        {onBoard && !narrow && <FilterBar filters={filters} setFilters={setFilters} />}
        {onBoard && narrow && (
          <button className="filters-button" aria-expanded={props.filtersOpen} onClick={props.toggleFilters}
                  data-testid="filters-button">
            Filters{active ? ` · ${active}` : ""}
          </button>
        )}
        <ConnectionBadge connection={props.connection} />
        <UserMenu />
      </div>
      {onBoard && narrow && props.filtersOpen && (
        <div className="topbar-filters">
          <FilterBar filters={filters} setFilters={setFilters} />
        </div>
      )}
    </header>
  );
}
