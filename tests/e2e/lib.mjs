// What the browser tests share: the binaries, a check() that counts, a
// stack (the server on SQLite, grpcwebproxy, the built board served by
// `vite preview`) on free ports, and Debian's Chromium through
// playwright-core (never a downloaded browser).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const root = new URL("../..", import.meta.url).pathname;
export const web = join(root, "client/web");
export const out = join(root, "build/test-output/e2e");
mkdirSync(out, { recursive: true });
const require = createRequire(join(web, "package.json"));

export const bins = {
  server: join(root, "build/server/leadboard-server"),
  proxy: join(root, "build/go-bin/grpcwebproxy"),
  grpcurl: join(root, "build/go-bin/grpcurl"),
  simulate: join(root, "build/py-venv/bin/leadboard-simulate"),
  chromium: "/usr/bin/chromium",
  board: join(web, "dist/index.html"),
};

export function missingBinaries() {
  return Object.entries(bins).filter(([, path]) => !existsSync(path)).map(([name, path]) => `${name} (${path})`);
}

export class Results {
  passed = 0;
  failed = 0;
  skipped = 0;
  check(name, ok, detail = "") {
    if (ok) { this.passed++; console.log(`ok    ${name}`); }
    else { this.failed++; console.log(`FAIL  ${name} ${detail}`); }
    return ok;
  }
  // A check that could not run here (say, the server predates a feature):
  // counted and printed as skipped, never as passed.
  skip(name, why) {
    this.skipped++;
    console.log(`SKIP  ${name} (${why})`);
  }
}

// Whether the server binary knows a flag (its --help lists it).
export function serverHasFlag(flag) {
  const r = spawnSync(bins.server, ["--helpfull"], { encoding: "utf8", timeout: 10000 });
  return `${r.stdout}${r.stderr}`.includes(`--${flag}`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

// Polls fn until it returns something truthy (returned) or ms pass (null).
export async function until(fn, ms = 30000, every = 100) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { const v = await fn(); if (v) return v; } catch {}
    await sleep(every);
  }
  return null;
}

// The server, the proxy and the board on free ports. `serverArgs` are added
// to the server's flags (--tokens_file=...).
export async function startStack({ serverArgs = [] } = {}) {
  const children = [];
  const start = (cmd, args, opts = {}) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
    child.stdout.on("data", () => {});
    child.stderr.on("data", () => {});
    children.push(child);
    return child;
  };
  const data = mkdtempSync(join(tmpdir(), "leadboard-e2e-"));
  const [grpcPort, proxyPort, tlsPort, webPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const stack = {
    grpcPort, proxyPort, webPort, data,
    target: `127.0.0.1:${grpcPort}`,
    server: null,
    proxy: null,
    url: (params = "") => `http://127.0.0.1:${webPort}/?api=http://127.0.0.1:${proxyPort}${params}`,
    startServer() {
      stack.server = start(bins.server, [`--listen=127.0.0.1:${grpcPort}`, `--data_dir=${data}`, "--progress_interval=1s", ...serverArgs]);
      return stack.server;
    },
    startProxy() {
      stack.proxy = start(bins.proxy, [`--backend_addr=127.0.0.1:${grpcPort}`, "--run_tls_server=false", "--allow_all_origins",
        "--server_http_max_write_timeout=0", `--server_http_debug_port=${proxyPort}`, `--server_http_tls_port=${tlsPort}`]);
      return stack.proxy;
    },
    grpcurl(method, body, token = "") {
      const auth = token ? ["-H", `authorization: Bearer ${token}`] : [];
      return JSON.parse(execFileSync(bins.grpcurl,
        ["-plaintext", ...auth, "-d", JSON.stringify(body), `127.0.0.1:${grpcPort}`, `leadboard.v1.LeadBoard/${method}`],
        { stdio: ["ignore", "pipe", "pipe"] }).toString());
    },
    // Streams `events` (PipelineEvent objects in protobuf JSON) to
    // IngestEvents in one client stream; returns the IngestSummary.
    ingest(events, token = "") {
      const auth = token ? ["-H", `authorization: Bearer ${token}`] : [];
      return JSON.parse(execFileSync(bins.grpcurl,
        ["-plaintext", ...auth, "-d", "@", `127.0.0.1:${grpcPort}`, "leadboard.v1.LeadBoard/IngestEvents"],
        { input: events.map((e) => JSON.stringify(e)).join("\n"), stdio: ["pipe", "pipe", "pipe"] }).toString());
    },
    simulate(args, token = "") {
      return start(bins.simulate, ["--target", `127.0.0.1:${grpcPort}`, ...(token ? ["--token", token] : []), "--quiet", ...args]);
    },
    stop() {
      for (const child of children) child.kill("SIGKILL");
    },
  };
  stack.startServer();
  stack.startProxy();
  start(join(web, "node_modules/.bin/vite"), ["preview", "--host", "127.0.0.1", "--port", String(webPort), "--strictPort"], { cwd: web });
  return stack;
}

export async function launchBrowser() {
  const { chromium } = require("playwright-core");
  return chromium.launch({
    executablePath: bins.chromium,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export const exited = (child) => new Promise((resolve) => {
  if (child.exitCode !== null) resolve(child.exitCode);
  else child.on("exit", resolve);
});

// A page of the board whose person is `name` (kept as the board keeps it).
// With `countBatches`, the page counts the watch responses that arrive as
// a batch in `window.watchBatches` (see countWatchBatches).
// With `requests`, page.requests holds every request the page made.
export async function openBoard(browser, url, { name = "", token = "", width = 1600, height = 1000, countBatches = false, requests = false } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  if (countBatches) await context.addInitScript(countWatchBatches);
  if (name || token) {
    await context.addInitScript(([n, t]) => {
      try {
        if (!sessionStorage.getItem("leadboard.session")) sessionStorage.setItem("leadboard.session", JSON.stringify({ token: t, name: n }));
      } catch {} // about:blank has no storage
    }, [name, token]);
  }
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  if (requests) {
    page.requests = [];
    page.on("request", (r) => page.requests.push(r));
  }
  await until(async () => (await page.goto(url)).ok(), 20000, 300);
  page.errors = errors;
  return page;
}

// Runs in the page before the board: reads a copy of every WatchLeads
// grpc-web stream and counts the responses whose `change` is a batch
// (field 6 of WatchLeadsResponse), so a test knows what the board itself
// received rather than what the server meant to send.
function countWatchBatches() {
  window.watchBatches = 0;
  const varint = (bytes, at) => {
    let value = 0, shift = 0, byte;
    do { byte = bytes[at.i++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return value;
  };
  // Whether a message has field 6 at its top level (the oneof's batch).
  const isBatch = (bytes) => {
    const at = { i: 0 };
    while (at.i < bytes.length) {
      const tag = varint(bytes, at);
      if (tag >>> 3 === 6) return true;
      const type = tag & 7;
      if (type === 0) varint(bytes, at);
      else if (type === 1) at.i += 8;
      else if (type === 2) { const length = varint(bytes, at); at.i += length; }
      else if (type === 5) at.i += 4;
      else return false;
    }
    return false;
  };
  const count = async (stream) => {
    const reader = stream.getReader();
    let buffer = new Uint8Array(0);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const joined = new Uint8Array(buffer.length + value.length);
      joined.set(buffer);
      joined.set(value, buffer.length);
      buffer = joined;
      // grpc-web frames: a flag byte (0x80: trailers), a 4-byte length.
      while (buffer.length >= 5) {
        const length = new DataView(buffer.buffer, buffer.byteOffset).getUint32(1);
        if (buffer.length < 5 + length) break;
        if (!(buffer[0] & 0x80) && isBatch(buffer.subarray(5, 5 + length))) window.watchBatches++;
        buffer = buffer.subarray(5 + length);
      }
    }
  };
  const fetch = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!String(input?.url ?? input).endsWith("/leadboard.v1.LeadBoard/WatchLeads") || !response.body) return response;
    const [copy, body] = response.body.tee();
    count(copy).catch(() => {}); // a cancelled watch ends its copy too
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

export const connectionOf = (page) => page.locator('[data-testid="connection-state"]').textContent({ timeout: 1000 });
export const waitLive = (page, ms = 30000) => until(async () => (await connectionOf(page)) === "live", ms);
export const stageOf = (page, leadId) =>
  page.locator(`[data-testid="card-${leadId}"]`).first().getAttribute("data-stage", { timeout: 300 }).catch(() => null);

// Drags the card of `leadId` with the mouse onto the column `columnId` and
// holds it there; returns a function that drops it.
export async function dragHold(page, leadId, columnId) {
  await page.locator(`[data-testid="card-${leadId}"]`).scrollIntoViewIfNeeded();
  const card = await page.locator(`[data-testid="card-${leadId}"]`).boundingBox();
  const column = await page.locator(`[data-testid="column-${columnId}"]`).boundingBox();
  if (!card || !column) throw new Error(`drag: no card ${leadId} or column ${columnId} on screen`);
  await page.mouse.move(card.x + card.width / 2, card.y + 16);
  await page.mouse.down();
  await page.mouse.move(card.x + card.width / 2 + 12, card.y + 24, { steps: 4 });
  await page.mouse.move(column.x + column.width / 2, column.y + Math.min(240, column.height / 2), { steps: 8 });
  await sleep(80);
  return () => page.mouse.up();
}
