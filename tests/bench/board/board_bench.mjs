#!/usr/bin/env node
// The board benchmark: for each N, a fresh server is seeded with N leads
// (`leadboard bench --mix harvest`), the built board is opened through
// grpcwebproxy in Debian's Chromium, and it prints
//   - time to interactive: navigation start to the board live with its
//     cards drawn and the main thread free (a frame, then a task, run),
//     with the watch's own marks (snapshot received, snapshot shown);
//   - JS heap after a forced GC, once loaded and after the live phase;
//   - under 100 changes/s (live_changes.py: status updates to 100 of the
//     seeded leads, round robin): the share of wall time spent in long
//     tasks, and change-to-paint latency: each event's message is the time
//     it was made, the card's activity line shows it, and the page notes
//     when that text has been painted.
// It prints figures and never fails on timing (exit 1 only if it cannot run).
//
//   node tests/bench/board/board_bench.mjs [N ...] [--seconds S] [--rate R]
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bins, exited, launchBrowser, missingBinaries, root, until } from "../../e2e/lib.mjs";
import { startStack } from "../../e2e/lib.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  args.splice(at, 2);
  return value;
};
const seconds = option("--seconds", 20);
const rate = option("--rate", 100);
const sizes = args.length ? args.map(Number) : [10_000, 100_000];
const cli = join(root, "build/client/cpp/leadboard");
const python = join(root, "build/py-venv/bin/python");
const here = new URL(".", import.meta.url).pathname;

const missing = missingBinaries();
if (missing.length) {
  console.error(`board bench: missing ${missing.join(", ")} (run deploy/setup_web.sh and build the server)`);
  process.exit(1);
}

// Runs in the page before the board: long tasks, and when stamped activity
// lines are painted.
function instrument() {
  const bench = (window.__bench = { longTasks: [], live: null, interactive: null, latencies: [], seen: new Set(), watching: false });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longTasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
  const stampOf = (text) => /\b(\d{18,20}) intake \d+/.exec(text ?? "")?.[1];
  const observer = new MutationObserver((mutations) => {
    if (!bench.live) {
      const state = document.querySelector('[data-testid="connection-state"]');
      if (state?.textContent === "live" && document.querySelector('[data-testid^="card-"]')) {
        bench.live = performance.now();
        requestAnimationFrame(() => setTimeout(() => (bench.interactive = performance.now())));
      }
    }
    if (!bench.watching) return;
    const fresh = [];
    for (const m of mutations) {
      const nodes = m.type === "characterData" ? [m.target.parentElement] : [...m.addedNodes];
      for (const node of nodes) {
        if (!node || node.nodeType !== 1) continue;
        const lines = node.matches?.(".card-activity") ? [node] : node.querySelectorAll?.(".card-activity") ?? [];
        for (const line of lines) {
          const stamp = stampOf(line.textContent);
          if (stamp && !bench.seen.has(stamp)) {
            bench.seen.add(stamp);
            fresh.push(stamp);
          }
        }
      }
    }
    if (fresh.length) {
      // Painted: after the next frame has been produced.
      requestAnimationFrame(() => setTimeout(() => {
        const now = performance.timeOrigin + performance.now();
        for (const stamp of fresh) bench.latencies.push(now - Number(BigInt(stamp) / 1000n) / 1000);
      }));
    }
  });
  observer.observe(document, { subtree: true, childList: true, characterData: true });
}

const pct = (sorted, p) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
const mb = (bytes) => `${(bytes / 1048576).toFixed(0)} MB`;
const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;

async function measure(browser, n) {
  const stack = await startStack();
  try {
    await until(() => { stack.grpcurl("GetBoard", {}); return true; });
    const seedStart = Date.now();
    execFileSync(cli, ["--target", stack.target, "bench", "--mix", "harvest", "--events", String(n), "--streams", "4",
      "--watchers", "0"], { stdio: "ignore" });
    const seeded = Date.now() - seedStart;
    // The same snapshot over plain gRPC, without proxy or browser (the CLI
    // counts snapshot entries as changes and exits after N).
    const grpcStart = Date.now();
    const watch = spawn(cli, ["--target", stack.target, "watch", "--json", "--limit", String(n)], { stdio: ["ignore", "ignore", "ignore"] });
    const timer = setTimeout(() => watch.kill("SIGKILL"), 120_000);
    const grpcOk = (await exited(watch)) === 0;
    clearTimeout(timer);
    const grpcSnapshot = grpcOk ? Date.now() - grpcStart : NaN;

    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    await context.addInitScript(instrument);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const profile = process.env.BOARD_BENCH_PROFILE; // a path prefix: CPU profiles of both phases
    if (profile) {
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.start");
    }
    await until(async () => (await page.goto(stack.url())).ok(), 20000, 300);
    const tti = await until(() => page.evaluate(() => window.__bench.interactive), 180_000, 50);
    if (profile) writeFileSync(`${profile}-${n}-load.cpuprofile`, JSON.stringify((await cdp.send("Profiler.stop")).profile));
    const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType("mark")
      .filter((m) => m.name.startsWith("leadboard:")).map((m) => [m.name.slice(10), m.startTime])));
    const shown = await page.evaluate(() => Number(document.querySelector('[data-testid="summary-total"]')?.textContent?.replace(/,/g, "")));
    const loadTasks = await page.evaluate(() => window.__bench.longTasks.reduce((s, [, d]) => s + d, 0));
    await cdp.send("HeapProfiler.collectGarbage");
    const heapLoaded = (await cdp.send("Runtime.getHeapUsage")).usedSize;

    // Live phase.
    if (profile) await cdp.send("Profiler.start");
    const start = await page.evaluate(() => { window.__bench.watching = true; window.__bench.longTasks = []; return performance.now(); });
    const ids = stack.grpcurl("ListLeads", { page_size: 100, stage: "harvested" }).leads.map((l) => l.id);
    const live = spawn(python, [join(here, "live_changes.py"), stack.target, String(rate), String(seconds)],
      { stdio: ["pipe", "ignore", "inherit"] });
    live.stdin.end(ids.join("\n") + "\n");
    await exited(live);
    await new Promise((r) => setTimeout(r, 500));
    const phase = await page.evaluate((t0) => {
      const b = window.__bench;
      const t1 = performance.now();
      const busy = b.longTasks.filter(([s]) => s >= t0).reduce((s, [, d]) => s + d, 0);
      return { wall: t1 - t0, busy, longTasks: b.longTasks.length, latencies: b.latencies };
    }, start);
    if (profile) {
      const { profile: data } = await cdp.send("Profiler.stop");
      writeFileSync(`${profile}-${n}-live.cpuprofile`, JSON.stringify(data));
    }
    await cdp.send("HeapProfiler.collectGarbage");
    const heapAfter = (await cdp.send("Runtime.getHeapUsage")).usedSize;
    const changes = stack.grpcurl("GetBoard", {}).revision;
    await context.close();
    const lat = phase.latencies.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    return { n, seeded, grpcSnapshot, tti, marks, shown, loadTasks, heapLoaded, heapAfter, phase, lat, changes };
  } finally {
    stack.stop();
  }
}

const browser = await launchBrowser();
const rows = [];
try {
  for (const n of sizes) {
    process.stdout.write(`board bench: N = ${n.toLocaleString("en-US")} ...\n`);
    rows.push(await measure(browser, n));
  }
} finally {
  await browser.close();
}

const cpu = execFileSync("sh", ["-c", "nproc; grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).toString().trim().split("\n");
const chromium = execFileSync(bins.chromium, ["--version"]).toString().trim();
console.log(`\nboard bench ${new Date().toISOString().slice(0, 10)}: ${cpu[0]} cores,${cpu[1] ?? ""}; ${chromium}; live phase ${seconds} s at ${rate} changes/s (live_changes.py)`);
for (const r of rows) {
  const m = r.marks;
  console.log(`\nN = ${r.n.toLocaleString("en-US")} leads (seeded in ${sec(r.seeded)}; the board shows ${r.shown?.toLocaleString("en-US")})`);
  console.log(`  time to interactive    ${r.tti ? sec(r.tti) : "not reached"}` +
    (m["snapshot-received"] ? ` (watch opened at ${sec(m["watch-open"])}, snapshot received ${sec(m["snapshot-received"])}, shown ${sec(m["snapshot-published"])})` : ""));
  console.log(`  long tasks while loading ${sec(r.loadTasks)}; the same snapshot over plain gRPC (leadboard watch, JSON out): ${sec(r.grpcSnapshot)}`);
  console.log(`  JS heap                ${mb(r.heapLoaded)} loaded, ${mb(r.heapAfter)} after the live phase`);
  console.log(`  live phase             ${sec(r.phase.wall)}: long tasks ${(100 * r.phase.busy / r.phase.wall).toFixed(1)} % of wall time (${r.phase.longTasks} tasks, ${sec(r.phase.busy)})`);
  console.log(`  change to paint        ${r.lat.length} stamped changes: p50 ${pct(r.lat, 0.5).toFixed(0)} ms, p95 ${pct(r.lat, 0.95).toFixed(0)} ms, p99 ${pct(r.lat, 0.99).toFixed(0)} ms, max ${(r.lat.at(-1) ?? NaN).toFixed(0)} ms; ${(100 * r.lat.filter((x) => x <= 100).length / Math.max(1, r.lat.length)).toFixed(1)} % within 100 ms`);
}
