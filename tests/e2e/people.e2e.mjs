// People at work on one board: two browser contexts (Ana and Bruno) drag
// cards into the people's columns and see each other's moves; both drag the
// same card at once and one wins; the keyboard moves cards (the card menu
// and dnd-kit's keyboard sensor); pipeline columns refuse drops; search and
// filters narrow the cards and the totals and live in the URL; the history
// tab shows the moves; screenshots at 1600 and 400 px.
import { join } from "node:path";
import { dragHold, exited, openBoard, out, sleep, stageOf, startStack, until, waitLive } from "./lib.mjs";

export const name = "people's columns";

export async function run(results, browser) {
  const check = results.check.bind(results);
  const stack = await startStack();
  try {
    await until(() => { stack.grpcurl("GetBoard", {}); return true; });
    const simulator = stack.simulate(["--jobs", "2", "--leads", "6", "--speed", "50", "--seed", "11",
      "--failure-rate", "0.1", "--duplicate-rate", "0", "--run-id", "people"]);
    const ana = await openBoard(browser, stack.url(), { name: "Ana" });
    const bruno = await openBoard(browser, stack.url(), { name: "Bruno" });
    check("both people's boards go live", !!(await waitLive(ana)) && !!(await waitLive(bruno)));
    await exited(simulator);
    const all = stack.grpcurl("ListLeads", { page_size: 1000 }).leads;
    const enriched = all.filter((l) => l.stage === "enriched");
    const company = (l) => l.profile?.company_name ?? l.id;
    if (!check("the simulated jobs enrich enough leads", enriched.length >= 6, `enriched: ${enriched.length}`)) return;
    for (const page of [ana, bruno]) {
      await until(async () => Number(await page.getByTestId("count-enriched").textContent()) === enriched.length, 10000);
    }
    await sleep(500); // let the last cards' glow and layout settle
    const [first, contested, keyboard, refused, sensor, meeting] = enriched.map((l) => l.id);

    // 1. A drag in one board is seen in the other within a second.
    const drop = await dragHold(ana, first, "reviewing");
    await ana.screenshot({ path: join(out, "dragging.png") });
    await drop();
    const dropped = Date.now();
    check("a dragged card lands in the people's column at once", await until(async () => (await stageOf(ana, first)) === "reviewing", 300, 10));
    const seen = await until(async () => (await stageOf(bruno, first)) === "reviewing" && Date.now(), 3000, 10);
    check("the other person sees the move within a second", !!seen && seen - dropped <= 1000, seen ? `after ${seen - dropped} ms` : "never");
    // No flicker: from the drop until it settles, the mover's card is only ever in the new column.
    const stages = new Set();
    const flickerEnd = Date.now() + 1200;
    while (Date.now() < flickerEnd) { stages.add(await stageOf(ana, first)); await sleep(5); }
    check("the card never flickers back while the move settles", stages.size === 1 && stages.has("reviewing"), `seen in: ${[...stages]}`);
    const moved = stack.grpcurl("GetLead", { lead_id: first });
    check("the server has the move, by Ana", moved.stage === "reviewing" && moved.stage_entered_by?.name === "Ana",
      JSON.stringify({ stage: moved.stage, by: moved.stage_entered_by }));
    check("the card settles (no longer pending)", await until(async () =>
      (await ana.locator(`[data-testid="card-${first}"]`).getAttribute("data-pending")) === null, 3000));

    // 2. Both drag the same card at once: one wins, the other is told who.
    const holdA = await dragHold(ana, contested, "reviewing");
    const holdB = await dragHold(bruno, contested, "first_messages");
    await Promise.all([holdA(), holdB()]);
    const winner = await until(() => {
      const l = stack.grpcurl("GetLead", { lead_id: contested });
      return l.stage !== "enriched" && l;
    }, 5000);
    const both = await until(async () =>
      winner && (await stageOf(ana, contested)) === winner.stage && (await stageOf(bruno, contested)) === winner.stage, 5000, 50);
    check("both boards end with the card in the winner's column", !!both, `server: ${winner?.stage}`);
    const winnerName = winner?.stage_entered_by?.name;
    const loser = winnerName === "Ana" ? bruno : ana;
    const title = winner?.stage === "reviewing" ? "Reviewing" : "First messages";
    const message = `${winnerName} moved ${company(winner ?? {})} to ${title} first`;
    const toast = await until(async () => (await loser.getByTestId("toast").allTextContents()).find((t) => t.includes(message)), 5000);
    check("the loser is told who moved the card first", !!toast, `expected "${message}", toasts: ${await loser.getByTestId("toast").allTextContents()}`);
    await loser.screenshot({ path: join(out, "conflict.png") });

    // 3. Pipeline columns refuse a drop, and say why.
    const holdR = await dragHold(ana, refused, "failed");
    const reason = await until(() => ana.getByTestId("refusal-failed").textContent({ timeout: 300 }), 2000);
    check("a pipeline column says why it refuses the card", reason === "Agents move cards here", `shown: ${reason}`);
    await holdR();
    await sleep(500);
    check("the refused card stays where it was", (await stageOf(ana, refused)) === "enriched" &&
      stack.grpcurl("GetLead", { lead_id: refused }).stage === "enriched");

    // 4. The keyboard path: the card's menu, Move to…, with a note.
    await bruno.locator(`[data-testid="card-${keyboard}"] [data-testid="move-menu-button"]`).focus();
    await bruno.keyboard.press("Enter");
    check("the card menu opens from the keyboard", await until(() => bruno.getByTestId("move-menu").isVisible(), 2000));
    const focused = await bruno.evaluate(() => document.activeElement?.getAttribute("role"));
    check("the menu takes the focus", focused === "menuitem", `focused: ${focused}`);
    await bruno.getByTestId("move-note").focus();
    await bruno.keyboard.type("call on Monday");
    await bruno.getByTestId("move-to-negotiating").focus();
    await bruno.keyboard.press("Enter");
    const keyed = await until(async () => (await stageOf(ana, keyboard)) === "negotiating", 3000);
    const keyedLead = stack.grpcurl("GetLead", { lead_id: keyboard });
    check("a keyboard move reaches the server and the other board", !!keyed && keyedLead.stage === "negotiating"
      && keyedLead.stage_note === "call on Monday", JSON.stringify({ stage: keyedLead.stage, note: keyedLead.stage_note }));

    // 5. dnd-kit's keyboard sensor: space picks up, arrows choose, space drops.
    await ana.locator(`[data-testid="card-${sensor}"]`).focus();
    await ana.keyboard.press("Space");
    await sleep(150);
    const sensorCompany = company(enriched.find((l) => l.id === sensor));
    const announced = await ana.locator('[id^="DndLiveRegion"]').textContent().catch(() => "");
    // dnd-kit's live region holds the latest announcement: the pick-up, or where the card now is.
    check("a screen reader hears which card was picked up", announced.includes(sensorCompany), `heard: ${announced}`);
    for (let i = 0; i < 2; i++) { await ana.keyboard.press("ArrowRight"); await sleep(150); }
    const over = await ana.locator('[id^="DndLiveRegion"]').textContent().catch(() => "");
    check("... and which column it is over", over.includes("is over Reviewing"), `heard: ${over}`);
    await ana.keyboard.press("Space");
    const sensed = await until(async () => (await stageOf(bruno, sensor)) === "reviewing", 3000);
    check("space, arrows and space move a card to the next column that takes it", !!sensed,
      `server stage: ${stack.grpcurl("GetLead", { lead_id: sensor }).stage}`);

    // 6. Meetings scheduled add up in the summary bar.
    const meetingsBefore = Number(await ana.getByTestId("summary-meetings").textContent());
    await bruno.locator(`[data-testid="card-${meeting}"] [data-testid="move-menu-button"]`).click();
    await bruno.getByTestId("move-to-meeting_scheduled").click();
    check("the summary counts meetings scheduled", !!(await until(async () =>
      Number(await ana.getByTestId("summary-meetings").textContent()) === meetingsBefore + 1, 3000)));

    // 7. Search and filters narrow the cards and the totals, in the URL.
    const leads = stack.grpcurl("ListLeads", { page_size: 1000 }).leads;
    const total = () => ana.getByTestId("summary-total").textContent().then(Number);
    const cardsShown = () => ana.locator('[data-testid^="card-"]').count();
    check("the summary counts every lead", (await until(async () => (await total()) === leads.length, 3000)) !== null,
      `${await total()} vs ${leads.length}`);
    const query = company(leads.find((l) => l.stage === "enriched")).split(" ")[0].toLowerCase();
    const matching = leads.filter((l) => `${company(l)} ${l.profile?.website ?? ""}`.toLowerCase().includes(query));
    await ana.locator("body").click({ position: { x: 5, y: 990 } });
    await ana.keyboard.press("/");
    await ana.keyboard.type(query);
    const searched = await until(async () => (await total()) === matching.length && (await cardsShown()) === matching.length, 3000);
    check("search narrows the cards and the totals", !!searched,
      `"${query}": ${await cardsShown()} cards, total ${await total()}, expected ${matching.length}`);
    check("the search is in the URL", new URL(ana.url()).searchParams.get("q") === query, ana.url());
    await ana.getByTestId("search").fill("");

    const high = leads.filter((l) => l.qualification_tier === "QUALIFICATION_TIER_HIGH_POTENTIAL");
    const highEnriched = high.filter((l) => l.stage === "enriched");
    await ana.getByTestId("filter-tier-high").click();
    const tiered = await until(async () => (await total()) === high.length &&
      Number(await ana.getByTestId("count-enriched").textContent()) === highEnriched.length, 3000);
    check("the tier filter narrows the cards, column counts and summary", !!tiered,
      `total ${await total()} (expected ${high.length}), enriched ${await ana.getByTestId("count-enriched").textContent()} (expected ${highEnriched.length})`);
    check("the high-potential count follows", Number(await ana.getByTestId("summary-high").textContent()) === high.length);
    await ana.getByTestId("filter-failed").click();
    const failedHigh = high.filter((l) => l.error);
    check("filters combine (high and failed)", !!(await until(async () => (await total()) === failedHigh.length, 3000)),
      `total ${await total()}, expected ${failedHigh.length}`);
    await ana.getByTestId("filter-failed").click();
    const shared = ana.url();
    check("the filters are in the URL", new URL(shared).searchParams.get("tier") === "high", shared);
    const third = await openBoard(browser, shared, { name: "Carla" });
    await waitLive(third);
    check("a shared URL opens the same view", !!(await until(async () =>
      Number(await third.getByTestId("summary-total").textContent()) === high.length, 5000)) &&
      (await third.getByTestId("filter-tier-high").getAttribute("aria-pressed")) === "true");
    await third.context().close();
    await ana.getByTestId("clear-filters").click();
    check("clearing the filters shows every lead again", !!(await until(async () => (await total()) === leads.length, 3000)));

    // 8. The history tab shows the moves.
    await ana.locator(`[data-testid="card-${keyboard}"]`).click();
    await ana.getByRole("tab", { name: "History" }).click();
    const history = stack.grpcurl("GetLead", { lead_id: keyboard }).history ?? [];
    const visits = await until(async () => {
      const n = await ana.getByTestId("history-visit").count();
      return n > 0 && n === history.length && n;
    }, 5000);
    const text = await ana.getByTestId("history").textContent().catch(() => "");
    check("the history tab lists every stage visit", !!visits, `${await ana.getByTestId("history-visit").count()} shown, ${history.length} in GetLead`);
    check("the history names the mover and the note", text.includes("Negotiating") && text.includes("Bruno") && text.includes("call on Monday"), text.slice(0, 300));
    check("the history adds up time per column", (await ana.getByTestId("time-in-stage").locator("tr").count()) >= 3);
    await ana.screenshot({ path: join(out, "history.png") });
    await ana.keyboard.press("Escape");

    // 9. How it looks: 1600 px and 400 px.
    await sleep(300);
    await ana.screenshot({ path: join(out, "board-1600.png") });
    await ana.setViewportSize({ width: 400, height: 860 });
    const narrow = await until(async () => await ana.getByTestId("column-switcher").isVisible(), 3000);
    check("at 400 px one column shows at a time, with a switcher", !!narrow && (await ana.locator("[data-column]").count()) === 1);
    check("at 400 px the connection state stays visible", await ana.getByTestId("connection-state").isVisible());
    await ana.getByTestId("column-switcher").selectOption("enriched");
    await sleep(200);
    await ana.screenshot({ path: join(out, "board-400.png") });
    await ana.getByTestId("filters-button").click();
    check("at 400 px the filters open behind a button", await ana.getByTestId("filter-tier-high").isVisible());
    await ana.screenshot({ path: join(out, "board-400-filters.png") });
    check("no script error on either page", ana.errors.length + bruno.errors.length === 0, [...ana.errors, ...bruno.errors].join("; "));
    await ana.context().close();
    await bruno.context().close();
  } finally {
    stack.stop();
  }
}
