// Which page the board shows, in the URL like the filters: the columns
// (default) or the Agents view (?view=agents). Other parameters are kept.
export type Page = "board" | "agents";

export function parsePage(search: string): Page {
  return new URLSearchParams(search).get("view") === "agents" ? "agents" : "board";
}

export function formatPage(page: Page, search: string): string {
  const p = new URLSearchParams(search);
  if (page === "board") p.delete("view");
  else p.set("view", page);
  const text = p.toString();
  return text ? `?${text}` : "";
}
