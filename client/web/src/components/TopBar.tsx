// The bar at the top: name, search, filters (behind a button when narrow),
// the connection state (always visible) and the user menu.
import type { Filters } from "../board/filters";
import { activeFilterCount } from "../board/filters";
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
}) {
  const { filters, setFilters, narrow } = props;
  const active = activeFilterCount(filters);
  return (
    <header className="topbar">
      <div className="topbar-row">
        <h1 className="brand">leadboard</h1>
        <SearchBox value={filters.q} onChange={(q) => setFilters({ ...filters, q })} />
        {!narrow && <FilterBar filters={filters} setFilters={setFilters} />}
        {narrow && (
          <button className="filters-button" aria-expanded={props.filtersOpen} onClick={props.toggleFilters}
                  data-testid="filters-button">
            Filters{active ? ` · ${active}` : ""}
          </button>
        )}
        <ConnectionBadge connection={props.connection} />
        <UserMenu />
      </div>
      {narrow && props.filtersOpen && (
        <div className="topbar-filters">
          <FilterBar filters={filters} setFilters={setFilters} />
        </div>
      )}
    </header>
  );
}
