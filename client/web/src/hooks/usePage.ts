// The page shown (board or agents) and the Agents view's time window, both
// in the URL: switching pages is a history entry (Back returns), a window
// change replaces the current one.
import { useCallback, useEffect, useState } from "react";
import { formatWindow, parseWindow, type StatsWindow } from "../board/agentStats";
import { formatPage, parsePage, type Page } from "../board/route";

function useUrlState<T>(parse: (search: string) => T): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => parse(window.location.search));
  useEffect(() => {
    const onPop = () => setValue(parse(window.location.search));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, [parse]);
  return [value, setValue];
}

export function usePage(): [Page, (page: Page) => void] {
  const [page, setState] = useUrlState(parsePage);
  const setPage = useCallback((next: Page) => {
    if (next === parsePage(window.location.search)) return;
    window.history.pushState(null, "", `${window.location.pathname}${formatPage(next, window.location.search)}`);
    setState(next);
  }, [setState]);
  return [page, setPage];
}

export function useStatsWindow(): [StatsWindow, (w: StatsWindow) => void] {
  const [win, setState] = useUrlState(parseWindow);
  const setWindow = useCallback((next: StatsWindow) => {
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${formatWindow(next, window.location.search)}`);
    setState(next);
  }, [setState]);
  return [win, setWindow];
}
