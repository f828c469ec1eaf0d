// The filters, kept in the URL (replaceState while typing, so Back leaves
// the board rather than undoing keystrokes).
import { useCallback, useEffect, useMemo, useState } from "react";
import { formatFilters, matcher, parseFilters, type Filters } from "../board/filters";

export function useFilters() {
  const [filters, setState] = useState<Filters>(() => parseFilters(window.location.search));
  useEffect(() => {
    const onPop = () => setState(parseFilters(window.location.search));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const setFilters = useCallback((next: Filters) => {
    const search = formatFilters(next, window.location.search);
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${search}`);
    setState(next);
  }, []);
  const match = useMemo(() => matcher(filters), [filters]);
  return { filters, setFilters, match };
}
