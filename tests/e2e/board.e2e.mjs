// End to end in a real browser: the server (SQLite), grpcwebproxy, the built
// board served by `vite preview`, Debian's Chromium driven by playwright-core,
// and the Python simulator playing a short job. Prints "N passed, M failed".
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

const root = new URL("../..", import.meta.url).pathname;
const web = join(root, "client/web");
const require = createRequire(join(web, "package.json"));
const out = join(root, "build/test-output/e2e");
mkdirSync(out, { recursive: true });
const bins = {
  server: join(root, "build/server/leadboard-server"),
  proxy: join(root, "build/go-bin/grpcwebproxy"),
  grpcurl: join(root, "build/go-bin/grpcurl"),
  simulate: join(root, "build/py-venv/bin/leadboard-simulate"),
  chromium: "/usr/bin/chromium",
  board: join(web, "dist/index.html"),
};
const missing = Object.entries(bins).filter(([, path]) => !existsSync(path));
if (missing.length) {
  console.log(`SKIPPED: missing ${missing.map(([name, path]) => `${name} (${path})`).join(", ")}`);
  console.log("0 passed, 0 failed, 1 skipped");
  process.exit(0);
}

let passed = 0, failed = 0;
function check(name, ok, detail = "") {
  if (ok) { passed++; console.log(`ok    ${name}`); }
  else { failed++; console.log(`FAIL  ${name} ${detail}`); }
  return ok;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
async function until(what, fn, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) { try { const v = await fn(); if (v) return v; } catch {} await sleep(200); }
  return null;
}

const children = [];
const start = (cmd, args, opts = {}) => {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  child.stdout.on("data", () => {}); child.stderr.on("data", () => {});
  children.push(child);
  return child;
};
const data = mkdtempSync(join(tmpdir(), "leadboard-e2e-"));
const [grpcPort, proxyPort, debugPort, webPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
const startServer = () => start(bins.server, [`--listen=127.0.0.1:${grpcPort}`, `--data_dir=${data}`, "--progress_interval=1s"]);
const grpcurl = (method, body) =>
  JSON.parse(execFileSync(bins.grpcurl, ["-plaintext", "-d", JSON.stringify(body), `127.0.0.1:${grpcPort}`, `leadboard.v1.LeadBoard/${method}`]).toString());

let browser;
try {
  let server = startServer();
  start(bins.proxy, [`--backend_addr=127.0.0.1:${grpcPort}`, "--run_tls_server=false", "--allow_all_origins",
    "--server_http_max_write_timeout=0", `--server_http_debug_port=${proxyPort}`, `--server_http_tls_port=${debugPort}`]);
  start(join(web, "node_modules/.bin/vite"), ["preview", "--host", "127.0.0.1", "--port", String(webPort), "--strictPort"], { cwd: web });
  await until("server", () => { grpcurl("GetBoard", {}); return true; });

  const { chromium } = require("playwright-core");
  browser = await chromium.launch({
    executablePath: bins.chromium,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 1800, height: 1000 } });
  const url = `http://127.0.0.1:${webPort}/?api=http://127.0.0.1:${proxyPort}`;
  await until("board page", async () => (await page.goto(url)).ok());
  const connection = () => page.locator('[data-testid="connection-state"]').textContent();
  check("the board connects and goes live", await until("live", async () => (await connection()) === "live"));
  // "live" comes from the watch stream and the columns from GetBoard: two
  // requests, either may land first, so wait for the columns too.
  const expectedColumns =
    "column-harvested,column-intake,column-research,column-qualification,column-intelligence,column-strategy,column-outreach,column-enriched,column-failed";
  const columns = () =>
    page.locator('[data-testid^="column-"]').evaluateAll((els) => els.map((e) => e.dataset.testid).join(","));
  await until("columns", async () => (await columns()) === expectedColumns, 10000);
  const shown = await columns();
  check("columns come from GetBoard, in order", shown === expectedColumns, `columns: ${shown}`);

  const simulator = start(bins.simulate, ["--target", `127.0.0.1:${grpcPort}`, "--jobs", "1", "--leads", "3",
    "--speed", "20", "--seed", "7", "--failure-rate", "0", "--duplicate-rate", "0", "--run-id", "e2e", "--quiet"]);
  const card = 'lead-e2e-001-00';
  check("cards appear as leads are harvested", await until("cards", async () => (await page.locator('[data-testid^="card-"]').count()) >= 1));
  // Follow one card without reloading: it must be seen in several columns.
  const seen = new Set();
  const stageOf = () => page.locator(`[data-testid="card-${card}"]`).getAttribute("data-stage", { timeout: 500 });
  await until("enriched", async () => { const s = await stageOf(); if (s) seen.add(s); return s === "enriched"; }, 60000);
  check("a card moves column to column without a reload", seen.size >= 3, `stages seen: ${[...seen]}`);
  check("the card reaches Enriched", seen.has("enriched"), `stages seen: ${[...seen]}`);
  await page.screenshot({ path: join(out, "board.png"), fullPage: true });

  await page.locator(`[data-testid="card-${card}"]`).click();
  const modal = page.locator('[data-testid="lead-modal"]');
  check("clicking a card opens the details dialog", await until("modal", () => modal.isVisible(), 5000));
  const lead = grpcurl("GetLead", { lead_id: card });
  const pain = lead.enrichment?.pain_point_analysis?.pain_points?.[0]?.description;
  const competitor = lead.enrichment?.competitor_intelligence?.competitors?.[0]?.name;
  await page.getByRole("tab", { name: "Pain points" }).click();
  check("the dialog shows the job's pain points", !!pain && (await modal.textContent()).includes(pain), `expected ${pain}`);
  await page.getByRole("tab", { name: "Competitors" }).click();
  check("the dialog shows the job's competitors", !!competitor && (await modal.textContent()).includes(competitor), `expected ${competitor}`);
  check("the dialog is deep-linked", page.url().includes(`lead=${card}`));
  await page.screenshot({ path: join(out, "modal.png") });
  await page.keyboard.press("Escape");
  check("Escape closes the dialog", await until("closed", async () => !(await modal.isVisible()), 5000));

  await new Promise((r) => simulator.on("exit", r));
  const cards = await page.locator('[data-testid^="card-"]').count();
  server.kill("SIGKILL");
  check("the board notices the server is gone", await until("reconnecting", async () => (await connection()) !== "live", 15000));
  server = startServer();
  check("the board recovers after a restart", await until("live again", async () => (await connection()) === "live", 30000));
  check("no card is lost", (await page.locator('[data-testid^="card-"]').count()) === cards, `had ${cards}`);
  await page.screenshot({ path: join(out, "board-after-restart.png"), fullPage: true });
} catch (error) {
  check("the end-to-end run completes", false, String(error?.stack ?? error));
} finally {
  await browser?.close();
  for (const child of children) child.kill("SIGKILL");
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
