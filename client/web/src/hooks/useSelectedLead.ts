// The lead whose dialog is open, deep-linked as ?lead=ID.
import { useCallback, useEffect, useState } from "react";

const read = () => new URLSearchParams(window.location.search).get("lead");

export function useSelectedLead(): [string | null, (id: string | null) => void] {
  const [selected, setSelected] = useState<string | null>(read);
  useEffect(() => {
    const onPop = () => setSelected(read());
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const select = useCallback((id: string | null) => {
    const params = new URLSearchParams(window.location.search);
    if (id) params.set("lead", id);
    else params.delete("lead");
    const search = params.toString();
    window.history.pushState(null, "", `${window.location.pathname}${search ? `?${search}` : ""}`);
    setSelected(id);
  }, []);
  return [selected, select];
}
