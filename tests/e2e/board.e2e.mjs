// The live board: it connects, shows GetBoard's columns in order, cards
// appear as a simulated job harvests leads and move column to column without
// a reload, the details dialog shows what GetLead reports, the board
// survives a server killed with SIGKILL, and a burst it was cut off from
// comes back as a replay in batches that leaves it exactly as the server is.
import { join } from "node:path";
import { connectionOf, exited, openBoard, out, startStack, until, waitLive } from "./lib.mjs";

export const name = "live board";

export async function run(results, browser) {
  const check = results.check.bind(results);
  const stack = await startStack();
  try {
    await until(() => { stack.grpcurl("GetBoard", {}); return true; });
    const page = await openBoard(browser, stack.url(), { width: 1800, height: 1000, countBatches: true, requests: true });
    check("the board connects and goes live", await waitLive(page));
    // "live" comes from the watch stream and the columns from GetBoard: two
    // requests, either may land first, so wait for the columns too.
    const expected = stack.grpcurl("GetBoard", {}).columns.map((c) => c.id).join(",");
    const columns = () => page.locator("[data-column]").evaluateAll((els) => els.map((e) => e.dataset.column).join(","));
    await until(async () => (await columns()) === expected, 10000);
    const shown = await columns();
    check("columns come from GetBoard, in order", shown === expected, `columns: ${shown}, expected ${expected}`);
    check("the board has the people's columns after Enriched and Failed",
      /enriched,failed,reviewing,first_messages,negotiating,meeting_scheduled,disqualified$/.test(shown), shown);
    check("an empty board says what will appear", await until(() => page.getByTestId("board-empty").isVisible(), 5000));
    // The board counts its own cards: it asks GetBoard for the columns
    // alone (a grpc-web frame of 5 bytes, then columns_only = true: field 3,
    // varint 1), so the server reads no lead for it.
    const asked = page.requests.filter((r) => r.url().endsWith("/leadboard.v1.LeadBoard/GetBoard"))
      .map((r) => r.postDataBuffer()?.subarray(5).toString("hex"));
    check("the board asks GetBoard for its columns only", asked.length > 0 && asked.every((m) => m === "1801"),
      `GetBoard messages: ${JSON.stringify(asked)}`);

    const simulator = stack.simulate(["--jobs", "1", "--leads", "3", "--speed", "20", "--seed", "7",
      "--failure-rate", "0", "--duplicate-rate", "0", "--run-id", "e2e"]);
    const card = "lead-e2e-001-00";
    check("cards appear as leads are harvested", await until(async () => (await page.locator('[data-testid^="card-"]').count()) >= 1));
    // Follow one card without reloading: it must be seen in several columns.
    const seen = new Set();
    const stageOf = () => page.locator(`[data-testid="card-${card}"]`).getAttribute("data-stage", { timeout: 500 });
    await until(async () => { const s = await stageOf(); if (s) seen.add(s); return s === "enriched"; }, 60000, 50);
    check("a card moves column to column without a reload", seen.size >= 3, `stages seen: ${[...seen]}`);
    check("the card reaches Enriched", seen.has("enriched"), `stages seen: ${[...seen]}`);
    await page.screenshot({ path: join(out, "board.png") });

    await page.locator(`[data-testid="card-${card}"]`).click();
    const modal = page.locator('[data-testid="lead-modal"]');
    check("clicking a card opens the details dialog", await until(() => modal.isVisible(), 5000));
    const lead = stack.grpcurl("GetLead", { lead_id: card });
    const pain = lead.enrichment?.pain_point_analysis?.pain_points?.[0]?.description;
    const competitor = lead.enrichment?.competitor_intelligence?.competitors?.[0]?.name;
    await page.getByRole("tab", { name: "Pain points" }).click();
    check("the dialog shows the job's pain points", !!pain && (await until(async () => (await modal.textContent()).includes(pain), 5000)), `expected ${pain}`);
    await page.getByRole("tab", { name: "Competitors" }).click();
    check("the dialog shows the job's competitors", !!competitor && (await modal.textContent()).includes(competitor), `expected ${competitor}`);
    check("the dialog is deep-linked", page.url().includes(`lead=${card}`));
    await page.screenshot({ path: join(out, "modal.png") });
    await page.keyboard.press("Escape");
    check("Escape closes the dialog", await until(async () => !(await modal.isVisible()), 5000));

    await exited(simulator);
    await until(async () => (await page.locator('[data-testid^="card-"]').count()) === 3, 10000);
    const cards = await page.locator('[data-testid^="card-"]').count();
    stack.server.kill("SIGKILL");
    check("the board notices the server is gone", await until(async () => (await connectionOf(page)) !== "live", 15000));
    stack.startServer();
    check("the board recovers after a restart", await waitLive(page));
    check("no card is lost", (await page.locator('[data-testid^="card-"]').count()) === cards, `had ${cards}`);
    await page.screenshot({ path: join(out, "board-after-restart.png") });

    // A burst while the board is cut off (the proxy killed, the server up):
    // back, the board resumes from its last revision, and the replay, all
    // of it waiting at once, comes in batches. Folded one by one, they
    // must leave every lead in the column the server has it in.
    const batchesBefore = await page.evaluate(() => window.watchBatches);
    stack.proxy.kill("SIGKILL");
    await exited(stack.proxy);
    await exited(stack.simulate(["--jobs", "2", "--leads", "15", "--speed", "0", "--seed", "11",
      "--failure-rate", "0.3", "--run-id", "burst"]));
    const server = Object.fromEntries(stack.grpcurl("ListLeads", { page_size: 1000 }).leads.map((l) => [l.id, l.stage]));
    stack.startProxy();
    await page.setViewportSize({ width: 1800, height: 8000 }); // every card drawn: columns are virtualized
    const shownStages = () => page.locator('[data-testid^="card-"][data-stage]').evaluateAll((els) =>
      Object.fromEntries(els.map((e) => [e.dataset.testid.slice("card-".length), e.dataset.stage])));
    const differences = (shown) => [...new Set([...Object.keys(server), ...Object.keys(shown)])]
      .filter((id) => shown[id] !== server[id]).map((id) => `${id}: ${shown[id]} (server ${server[id]})`);
    await until(async () => differences(await shownStages()).length === 0, 30000);
    const wrong = differences(await shownStages());
    const batches = (await page.evaluate(() => window.watchBatches)) - batchesBefore;
    check("after a burst replayed in batches, the board has every lead where the server has it",
      batches > 0 && wrong.length === 0, `${batches} batches; ${Object.keys(server).length} leads; wrong: ${wrong.join(", ")}`);
    check("no script error on the page", page.errors.length === 0, page.errors.join("; "));
    await page.context().close();
  } finally {
    stack.stop();
  }
}
