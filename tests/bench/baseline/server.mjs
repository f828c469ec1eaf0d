#!/usr/bin/env node
// The baseline webhook service: the architecture of the app leadboard
// replaces, rebuilt so the two can be benchmarked side by side. Pipelines
// POST one event per request to /webhook; the service writes PostgreSQL for
// each event (the event row, then the lead's row), awaiting each write, and
// emits the lead's change to the owner's Socket.IO room, where browsers watch.
// It is meant to be faithful and straightforward: neither slowed down nor
// tuned (no batching, no queue, autocommit with synchronous_commit on).
//
//   node server.mjs --database URL --schema NAME --port-file FILE [--port 0]
//
// URL is postgresql:///DB (local Unix socket, current user) or
// postgresql://user[:password]@host[:port]/DB. NAME is created if missing and
// is the search_path of every pooled connection. Once listening on
// 127.0.0.1, the chosen port is written to FILE. SIGTERM closes cleanly.
import { renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import pg from "pg";
import { Server as SocketServer } from "socket.io";

const MAX_BODY_BYTES = 1 << 20;

// The lead's stage after each kind of event; kinds not listed change no card.
const STAGE_OF = {
  lead_generated: () => "harvested",
  lead_enrichment_start: () => "intake",
  agent_start: () => "enriching",
  tool_call_start: () => "enriching",
  agent_end: () => "enriching",
  pipeline_end: (e) => (e.success ? "enriched" : "failed"),
  lead_enrichment_end: (e) => (e.success ? "enriched" : "failed"),
  pipeline_error: () => "failed",
};

const SCHEMA_SQL = (schema) => `
  CREATE SCHEMA IF NOT EXISTS ${schema};
  CREATE TABLE IF NOT EXISTS ${schema}.events (
    id bigserial PRIMARY KEY,
    lead_id text,
    user_id text,
    event_type text,
    payload jsonb NOT NULL,
    received_at timestamptz DEFAULT now());
  CREATE TABLE IF NOT EXISTS ${schema}.leads (
    lead_id text PRIMARY KEY,
    user_id text NOT NULL,
    stage text NOT NULL,
    state jsonb NOT NULL,
    updated_at timestamptz NOT NULL);`;

const INSERT_EVENT = `
  INSERT INTO events (lead_id, user_id, event_type, payload) VALUES ($1, $2, $3, $4::jsonb)`;

// The state keeps earlier keys (the last agent, the package) that an event
// does not carry: jsonb || merges the new summary over the stored one.
const UPSERT_LEAD = `
  INSERT INTO leads (lead_id, user_id, stage, state, updated_at) VALUES ($1, $2, $3, $4, now())
  ON CONFLICT (lead_id) DO UPDATE SET user_id = EXCLUDED.user_id, stage = EXCLUDED.stage,
    state = leads.state || EXCLUDED.state, updated_at = EXCLUDED.updated_at`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      database: { type: "string" },
      schema: { type: "string" },
      "port-file": { type: "string" },
      port: { type: "string", default: "0" },
    },
  });
  if (!values.database || !values["port-file"] || !/^[a-z_][a-z0-9_]{0,62}$/.test(values.schema ?? "")) {
    console.error("usage: node server.mjs --database URL --schema NAME --port-file FILE [--port 0]");
    console.error("  NAME: lower-case letters, digits and _");
    process.exit(2);
  }
  return { ...values, port: Number(values.port) };
}

// node-pg reads no Unix socket from postgresql:///DB, so the URL is taken apart here.
function poolConfig(url, schema) {
  const u = new URL(url);
  if (u.protocol !== "postgresql:" && u.protocol !== "postgres:") throw new Error(`not a PostgreSQL URL: ${url}`);
  return {
    host: u.hostname ? decodeURIComponent(u.hostname) : "/var/run/postgresql",
    port: u.port ? Number(u.port) : 5432,
    user: u.username ? decodeURIComponent(u.username) : userInfo().username,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.slice(1)),
    max: 10,
    options: `-c search_path=${schema}`,
  };
}

// What the lead's card becomes after this event, or null if it has none.
function leadChange(event) {
  const stageOf = STAGE_OF[event.event_type];
  if (!stageOf || typeof event.lead_id !== "string" || typeof event.user_id !== "string") return null;
  const stage = stageOf(event);
  const state = { stage, last_event_type: event.event_type };
  if (event.agent_name) state.last_agent = event.agent_name;
  if (event.event_type === "pipeline_end" && event.final_package) state.final_package = event.final_package;
  return { stage, state };
}

// One event: its row, its lead's row, then the room of the lead's owner.
async function ingest(pool, io, body, event) {
  await pool.query(INSERT_EVENT, [event.lead_id ?? null, event.user_id ?? null, event.event_type, body]);
  const change = leadChange(event);
  if (!change) return;
  await pool.query(UPSERT_LEAD, [event.lead_id, event.user_id, change.stage, change.state]);
  io.to(`user:${event.user_id}`).emit("lead_update", {
    lead_id: event.lead_id,
    stage: change.stage,
    event_type: event.event_type,
    agent_name: event.agent_name,
    sent_at: event.sent_at,
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(Object.assign(new Error("body too large"), { status: 413 }));
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

// The event in a webhook body, or null when it is not a JSON event object.
function parseEvent(body) {
  try {
    const event = JSON.parse(body);
    return event && typeof event === "object" && typeof event.event_type === "string" ? event : null;
  } catch {
    return null;
  }
}

function reply(res, status, payload) {
  const text = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function handleWebhook(pool, io, req, res) {
  const body = await readBody(req);
  const event = parseEvent(body);
  if (!event) return reply(res, 400, { ok: false, error: "body must be a JSON event with event_type" });
  await ingest(pool, io, body, event);
  reply(res, 200, { ok: true });
}

function handler(pool, io) {
  return (req, res) => {
    if (req.method === "GET" && req.url === "/healthz") return reply(res, 200, { ok: true });
    if (req.method !== "POST" || req.url !== "/webhook") return reply(res, 404, { ok: false });
    handleWebhook(pool, io, req, res).catch((err) => {
      if (!err.status) console.error("webhook:", err.message);
      if (!res.headersSent) reply(res, err.status ?? 500, { ok: false, error: err.message });
    });
  };
}

// Browsers name their user when connecting (auth: {user_id}) and watch its room.
function socketRooms() {
  const io = new SocketServer({ serveClient: false });
  io.use((socket, next) => {
    const user = socket.handshake.auth?.user_id;
    next(typeof user === "string" && user ? undefined : new Error("auth.user_id required"));
  });
  io.on("connection", (socket) => socket.join(`user:${socket.handshake.auth.user_id}`));
  return io;
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server.address().port));
  });
}

// Written whole, then renamed, so that a reader never sees a partial port.
function writePortFile(file, port) {
  writeFileSync(`${file}.tmp`, `${port}\n`);
  renameSync(`${file}.tmp`, file);
}

function closeOnSignals(io, pool) {
  const close = async (signal) => {
    console.error(`baseline server: ${signal}, closing`);
    await new Promise((resolve) => io.close(resolve));
    await pool.end();
    process.exit(0);
  };
  process.once("SIGTERM", close);
  process.once("SIGINT", close);
}

async function main() {
  const options = parseOptions();
  const pool = new pg.Pool(poolConfig(options.database, options.schema));
  pool.on("error", (err) => console.error("pool (idle connection):", err.message));
  await pool.query(SCHEMA_SQL(options.schema));
  const io = socketRooms();
  const server = createServer(handler(pool, io));
  io.attach(server);
  const port = await listen(server, options.port);
  closeOnSignals(io, pool);
  writePortFile(options["port-file"], port);
  console.error(`baseline server: listening on 127.0.0.1:${port}, schema ${options.schema}`);
}

main().catch((err) => {
  console.error("baseline server:", err.message);
  process.exit(1);
});
