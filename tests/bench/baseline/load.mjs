#!/usr/bin/env node
// Load generator for the baseline webhook service (server.mjs): pipeline
// workers POST realistic lead runs, one event per request, each awaiting its
// response as a pipeline calling a webhook does, while Socket.IO watchers
// (the browsers) time each event from its sending to its arrival. The lead
// runs mirror leadboard's own benchmark (client/cpp/cli/sample_run.h), as the
// Python pipelines would send them in JSON (docs/domain.md).
// Prints one JSON line of figures on stdout; logs go to stderr.
//
//   node load.mjs --target http://127.0.0.1:PORT --workers 8 --events N
//       [--rate R] [--watchers 10] [--user bench] [--server-pid PID]
//
// Exit 0 when every request got 200 and every watcher got every event.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { io } from "socket.io-client";

const EVENTS_PER_RUN = 47;
const CONNECT_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const DELIVERY_WAIT_MS = 10_000;
const AGENTS = [
  "TavilyEnrichmentAgent", "ContactExtractionAgent", "PainPointDeepeningAgent",
  "LeadQualificationAgent", "CompetitorIdentificationAgent", "BuyingTriggerIdentificationAgent",
  "ValuePropositionCustomizationAgent", "StrategicQuestionGenerationAgent",
  "ToTStrategyGenerationAgent", "ToTStrategyEvaluationAgent", "ToTActionPlanSynthesisAgent",
  "DetailedApproachPlanAgent", "ObjectionHandlingAgent", "B2BPersonalizedMessageAgent",
  "InternalBriefingSummaryAgent",
];

// Wall-clock milliseconds, sub-millisecond, comparable across processes.
const now = () => performance.timeOrigin + performance.now();

function usage(message) {
  console.error(`load: ${message}`);
  console.error("usage: node load.mjs --target http://127.0.0.1:PORT --workers 8 --events N " +
    "[--rate R] [--watchers 10] [--user bench] [--server-pid PID]");
  process.exit(2);
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      target: { type: "string" },
      workers: { type: "string", default: "8" },
      events: { type: "string" },
      rate: { type: "string" },
      watchers: { type: "string", default: "10" },
      user: { type: "string", default: "bench" },
      "server-pid": { type: "string" },
    },
  });
  const int = (name, min) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) usage(`--${name} must be an integer >= ${min}`);
    return n;
  };
  if (!values.target) usage("--target is required");
  const rate = values.rate === undefined ? null : Number(values.rate);
  if (rate !== null && !(rate > 0)) usage("--rate must be > 0");
  return {
    target: values.target.replace(/\/$/, ""),
    workers: int("workers", 1),
    runs: Math.ceil(int("events", 1) / EVENTS_PER_RUN),
    rate,
    watchers: int("watchers", 0),
    user: values.user,
    serverPid: values["server-pid"] === undefined ? null : int("server-pid", 1),
  };
}

// The enrichment package of a lead's successful end, shaped like the
// pipelines' ComprehensiveProspectPackage and sized like FullPackage().
function finalPackage() {
  const times = (n, f) => Array.from({ length: n }, (_, i) => f(i));
  return {
    analyzed_lead: {
      company_sector: "Tecnologia - SaaS B2B",
      main_services: times(4, (i) => `Serviço de automação ${i}`),
      general_diagnosis: "d".repeat(600),
    },
    enhanced_strategy: {
      pain_point_analysis: {
        primary_pain_category: "Processos manuais excessivos",
        urgency_level: "high",
        detailed_pain_points: times(4, (i) => ({
          pain_description: `Sistemas desconectados ${i}${"p".repeat(150)}`,
          business_impact: "i".repeat(150),
          solution_alignment: "s".repeat(150),
        })),
      },
      lead_qualification: { qualification_tier: "Alto Potencial", qualification_score: 0.82 },
      competitor_intelligence: {
        identified_competitors: ["HubSpot", "Salesforce", "RD Station", "Pipedrive"].map((name) => ({
          name,
          description: "c".repeat(200),
        })),
      },
      value_propositions: times(3, (i) => ({ title: `Proposta ${i}`, key_benefit: "b".repeat(200) })),
      strategic_questions: times(3, () => "q".repeat(120)),
      objection_framework: {
        common_objections: times(3, () => ({ objection: "o".repeat(100), suggested_response: "r".repeat(300) })),
      },
      internal_briefing: { executive_summary: "e".repeat(800) },
    },
    enhanced_personalized_message: { primary_message: { body: "m".repeat(1200) } },
  };
}

// One lead's 47 events, in order, as JSON text without sent_at: the
// harvest, start / tool call / end for each of the 15 agents, and the end.
function leadRun(job, lead, user) {
  let second = 1767225600;
  const event = (eventType, agentName, extra) => ({
    event_type: eventType,
    lead_id: `${job}-lead-${lead}`,
    job_id: job,
    user_id: user,
    timestamp: new Date(second++ * 1000).toISOString().slice(0, 19),
    agent_name: agentName,
    ...extra,
  });
  const events = [event("lead_generated", "", {
    lead_data: { company_name: "TechStart Solutions", website: "https://techstart.com", description: "x".repeat(300) },
  })];
  for (const agent of AGENTS) {
    events.push(event("agent_start", agent, { message: "Analisando o lead" }));
    events.push(event("tool_call_start", agent, { tool_name: "tavily_search" }));
    events.push(event("agent_end", agent, { success: true, message: "r".repeat(200) }));
  }
  events.push(event("pipeline_end", "", { success: true, final_package: finalPackage() }));
  return events.map((e) => JSON.stringify(e));
}

// The event's JSON with sent_at added as its last field.
const stamped = (json, sentAt) => `${json.slice(0, -1)},"sent_at":${sentAt}}`;

// POSTs one event, stamping it right before sending; true on a 200.
function post(url, agent, json, stats) {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (ok, reason) => {
      if (settled) return;
      settled = true;
      resolve(ok || failed(stats, reason));
    };
    const body = stamped(json, now());
    stats.firstSend ??= now();
    const req = http.request(url, {
      method: "POST",
      agent,
      timeout: REQUEST_TIMEOUT_MS,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      res.on("end", () => settle(res.statusCode === 200, `HTTP ${res.statusCode}`));
      res.on("error", (err) => settle(false, err.message));
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", (err) => settle(false, err.message));
    req.end(body);
  });
}

// Counts a failed request, logging the first few; returns false.
function failed(stats, reason) {
  if (++stats.errors <= 5) console.error(`load: request failed: ${reason}`);
  return false;
}

// A pipeline worker: its share of the lead runs (round robin), each in
// order, one request at a time. With a rate, the worker's k-th event has
// the slot k * workers + w of the whole schedule, kept against the start.
async function worker(w, options, job, stats) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = `${options.target}/webhook`;
  let k = 0;
  for (let run = w; run < options.runs; run += options.workers) {
    for (const json of leadRun(job, run, options.user)) {
      if (options.rate) await sleepUntil(stats.start + ((k++ * options.workers + w) * 1000) / options.rate);
      await post(url, agent, json, stats);
      stats.lastResponse = now();
    }
  }
  agent.destroy();
}

async function sleepUntil(time) {
  const wait = time - now();
  if (wait > 0) await sleep(wait);
}

// A browser watching the user's room: records each event's latency.
function watcher(target, user, job, latencies) {
  const socket = io(target, { transports: ["websocket"], auth: { user_id: user }, forceNew: true, reconnection: false });
  socket.on("lead_update", (update) => {
    if (update.lead_id?.startsWith(`${job}-`)) latencies.push(now() - update.sent_at);
  });
  return socket;
}

function connected(socket) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("watcher did not connect in time")), CONNECT_TIMEOUT_MS);
    socket.once("connect", () => resolve(clearTimeout(timer)));
    socket.once("connect_error", (err) => reject(new Error(`watcher could not connect: ${err.message}`)));
  });
}

async function waitForDeliveries(latencies, expected) {
  const deadline = now() + DELIVERY_WAIT_MS;
  while (latencies.length < expected && now() < deadline) await sleep(20);
}

// The server's CPU time so far (user + system), in seconds; null without a pid.
function serverCpuSeconds(pid) {
  if (pid === null) return null;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime and stime: fields 14 and 15
  return ticks / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));
}

// Nearest-rank percentile of sorted values, in ms to 0.01; null if none.
function percentile(sorted, q) {
  if (!sorted.length) return null;
  return round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)], 2);
}

const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main() {
  const options = parseOptions();
  const job = `bench-${randomUUID().slice(0, 8)}`;
  const latencies = [];
  const sockets = Array.from({ length: options.watchers }, () => watcher(options.target, options.user, job, latencies));
  await Promise.all(sockets.map(connected));

  const events = options.runs * EVENTS_PER_RUN;
  const clientCpu = process.cpuUsage();
  const serverCpu = serverCpuSeconds(options.serverPid);
  const stats = { start: now(), firstSend: null, lastResponse: null, errors: 0 };
  console.error(`load: ${events} events (${options.runs} lead runs of ${EVENTS_PER_RUN}), ${options.workers} workers, ` +
    `${options.watchers} watchers, ${options.rate ? `${options.rate} events/s` : "full speed"}, job ${job}`);
  await Promise.all(Array.from({ length: options.workers }, (_, w) => worker(w, options, job, stats)));
  const seconds = (stats.lastResponse - stats.firstSend) / 1000;
  const expected = events * options.watchers;
  await waitForDeliveries(latencies, expected);
  const serverCpuUsed = options.serverPid === null ? null : serverCpuSeconds(options.serverPid) - serverCpu;
  const clientCpuUsed = process.cpuUsage(clientCpu);
  sockets.forEach((socket) => socket.disconnect());

  const sorted = Float64Array.from(latencies).sort();
  const result = {
    events,
    seconds: round(seconds, 3),
    events_per_second: round(events / seconds, 1),
    errors: stats.errors,
    watchers: options.watchers,
    deliveries: latencies.length,
    deliveries_expected: expected,
    latency_ms_p50: percentile(sorted, 0.5),
    latency_ms_p99: percentile(sorted, 0.99),
    latency_ms_p999: percentile(sorted, 0.999),
    server_cpu_seconds: serverCpuUsed === null ? null : round(serverCpuUsed, 2),
    client_cpu_seconds: round((clientCpuUsed.user + clientCpuUsed.system) / 1e6, 2),
  };
  console.log(JSON.stringify(result));
  process.exit(result.errors === 0 && result.deliveries === expected ? 0 : 1);
}

main().catch((err) => {
  console.error(`load: ${err.message}`);
  process.exit(1);
});
