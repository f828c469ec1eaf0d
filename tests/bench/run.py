#!/usr/bin/env python3
"""leadboard's benchmarks, one command: prints every figure and writes
build/bench/results.md (tables, method, machine), build/bench/growth.csv
(10k to 1M stored leads) and build/bench/fanout.csv (1 to 10,000 watchers).
Asserts nothing about speed. --quick runs every part briefly (CI proves the
benchmarks still run). PostgreSQL rows need LEADBOARD_TEST_POSTGRES_URL.

Parts:
  in-process  Google Benchmark: engine, transport ceiling, repository commit
              vs the storage ceiling (the same rows bulk loaded), and
              GetAgentStats over 100,000 and 1,000,000 stored agent steps,
              and a board's reads (GetLead, ListLeads, CountByStage, ListJobs).
  ingest      `leadboard bench` against the real server (1, 4, 16 streams,
              realistic lead runs) and against null_server (the transport
              ceiling as a process, same client); 1,000 watchers attached.
  fan-out     1, 100, 1,000, 10,000 watchers: deliveries/s at full speed,
              server CPU per delivery, RSS per idle watcher, and latency at
              a fixed offered load; the 5,000 events/s multi-tenant case.
  growth      ingest and latency with 10k, 100k, 1M stored leads.
  moves       people's moves (MoveLead), each timed until a second watcher
              receives it, on both databases.
  conflation  full-speed ingest with 10 and 100 watchers of one user at the
              default queue limit: plain watchers (cut off?) against
              conflating ones (never cut off; each must end with every
              lead's final revision), and how many changes were conflated.
  catch-up    100,000 stored leads, 1 % changed while a watcher was away
              and the log trimmed: a full snapshot against a catch-up.
  many-watchers 100,000 idle watchers (1,000 connections, a client process
              of their own) held open: what they cost the server over a
              heartbeat interval, then one active watcher at 200 events/s
              beside them: its latency and the server's CPU.
  baseline    the replaced app's architecture (tests/bench/baseline: one
              webhook POST per event, a PostgreSQL write per event,
              Socket.IO rooms) and leadboard with the same work in one run
              (8 workers, 10 watchers of one user); leadboard again at the
              app's rate for latency at the same load. Needs PostgreSQL.

--compare BUILD_DIR runs the ingest part (and fan-out's fixed-load case)
with BUILD_DIR's server and this build's, alternating, in one run: the
before/after figure for a change, with the noise of the same minutes.
"""
import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
OUT = BUILD / "bench"
SERVER = BUILD / "server" / "leadboard-server"
CLI = BUILD / "client" / "cpp" / "leadboard"
NULL_SERVER = BUILD / "tests" / "bench" / "null_server"


def log(*args):
    print(*args, flush=True)


def run_figures(args, options):
    """Runs a load generator (args, then --key value per option; True: a bare
    --key) that prints its figures as one JSON line last; returns them, with
    "ok" set from its exit code."""
    for key, value in options.items():
        args = args + ([f"--{key}"] if value is True else [f"--{key}", str(value)])
    run = subprocess.run(args, capture_output=True, text=True, timeout=900)
    try:
        figures = json.loads(run.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        figures = {}
    figures["ok"] = run.returncode == 0
    if run.returncode != 0:
        log(f"  {Path(args[1] if args[0] == 'node' else args[0]).name}:",
            run.stderr.strip()[-400:])
    return figures


class Server:
    """A server process on an ephemeral port (leadboard-server or null_server)."""

    def __init__(self, database=None, binary=None, queue_limit=1000000, extra=(), command=None,
                 metrics=False):
        self.dir = tempfile.mkdtemp(prefix="leadboard-bench-")
        port_file = os.path.join(self.dir, "port")
        self.metrics = None
        if metrics:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.metrics = f"127.0.0.1:{s.getsockname()[1]}"
            extra = (*extra, f"--metrics_listen={self.metrics}")
        if command is not None:
            cmd = command(port_file)
        elif database is None:
            cmd = [str(NULL_SERVER), port_file]
        else:
            cmd = [str(binary or SERVER), "--listen=127.0.0.1:0", f"--database={database}",
                   f"--port_file={port_file}", f"--watch_queue_limit={queue_limit}",
                   "--log_level=warn", *extra]
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited: {open(self.log.name).read()}")
            time.sleep(0.05)
        self.target = f"127.0.0.1:{open(port_file).read().strip()}"

    def bench(self, **options):
        """Runs `leadboard bench --json` with options; returns its figures."""
        args = [str(CLI), "--target", self.target, "bench", "--json",
                "--server_pid", str(self.proc.pid)]
        return run_figures(args, options)

    def latency_split(self):
        """Means of the server's latency histograms so far, in ms: an
        event's wait for its transaction, the transaction, the fan-out."""
        text = urllib.request.urlopen(f"http://{self.metrics}/metrics", timeout=10).read().decode()
        values = dict(re.findall(r"^(leadboard_\w+_seconds_(?:sum|count)) (\S+)$", text, re.M))
        means = {}
        for part, name in (("queue", "commit_queue"), ("commit", "commit"), ("fanout", "fanout")):
            count = float(values.get(f"leadboard_{name}_seconds_count", 0))
            if count:
                means[part] = 1000 * float(values[f"leadboard_{name}_seconds_sum"]) / count
        return means

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def databases(quick):
    """(name, url factory) per backend; a fresh database per call."""
    def sqlite():
        directory = tempfile.mkdtemp(prefix="leadboard-bench-db-")
        DIRECTORIES.append(directory)
        return f"sqlite:{directory}/bench.db"
    out = [("SQLite", sqlite)]
    pg = os.environ.get("LEADBOARD_TEST_POSTGRES_URL")
    if pg:
        counter = [0]

        def postgres():
            # A fresh schema per server, dropped at the end of the run.
            counter[0] += 1
            schema = f"bench_{os.getpid()}_{counter[0]}"
            subprocess.run(["psql", "-q", "-d", pg.split("?")[0], "-c",
                            f"CREATE SCHEMA {schema}"], check=True, capture_output=True)
            SCHEMAS.append((pg, schema))
            sep = "&" if "?" in pg else "?"
            return f"{pg}{sep}options=-csearch_path%3D{schema}"
        out.append(("PostgreSQL", postgres))
    return out


SCHEMAS = []
DIRECTORIES = []


def clean_up():
    for directory in DIRECTORIES:
        shutil.rmtree(directory, ignore_errors=True)
    for pg, schema in SCHEMAS:
        subprocess.run(["psql", "-q", "-d", pg.split("?")[0], "-c",
                        f"DROP SCHEMA IF EXISTS {schema} CASCADE"], capture_output=True)


def k(x):
    """A rate for a table: 12.3 k / 1.23 M."""
    if not x:
        return "–"
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.0f}"


def ms(x):
    return "–" if x is None else f"{x:.1f}"


def split(r):
    """An at-rate run's latency split inside the server, as text."""
    parts = r.get("split_ms") or {}
    if not parts:
        return "–"
    return " / ".join(f"{parts[p]:.2f}" if p in parts else "–"
                      for p in ("queue", "commit", "fanout"))


def ratio(a, b):
    return "–" if not a or not b else f"{a / b:.2f}"


def mark(r):
    return "" if r.get("ok") else " (incomplete)"


# In-process benchmarks timed per call rather than as a rate: name prefix ->
# (unit, what the report says of them).
PER_CALL = {
    "BM_Reads": ("µs", "A board's reads through the repository, one call each; the name is "
                 "backend/read/leads per job, 10 jobs of enriched leads stored (0 GetLead with "
                 "its timeline, 1 ListLeads of 50, 2 CountByStage of one user, 3 ListJobs, a "
                 "page holding all 10 jobs, 4 ListJobs of one user with 5,000 newer jobs of "
                 "others stored):"),
    "BM_AgentStats": ("ms", "GetAgentStats (the repository's query, one call) over stored agent "
                      "steps; the name is backend/steps/filter (0 none, 1 one job, 2 one "
                      "user's last 24 h, 3 everybody's last 24 h):"),
}


def google_benchmarks(quick):
    """Runs the in-process benchmarks; returns their figures and the
    binaries that failed (exited non-zero, or ran no benchmark)."""
    log("== in process (Google Benchmark)")
    results = {}
    broken = []
    for binary in ("engine_bench", "transport_bench", "store_bench"):
        path = BUILD / "tests" / "bench" / binary
        args = [str(path), f"--benchmark_min_time={0.05 if quick else 1}",
                "--benchmark_format=json"]
        if quick:
            # No million-row fill, no 10,000-lead one. (A negative filter:
            # this Google Benchmark matches with POSIX regular expressions,
            # which have no lookahead.)
            args.append("--benchmark_filter=-(BM_AgentStats.*/1000000/|BM_Reads.*/1000/)")
        run = subprocess.run(args, capture_output=True, text=True)
        benchmarks = json.loads(run.stdout or "{}").get("benchmarks", [])
        if run.returncode != 0 or not benchmarks:
            log(f"  {binary} failed (exit {run.returncode}): {run.stderr.strip()[-500:]}")
            broken.append(binary)
        for b in benchmarks:
            if b.get("error_occurred"):
                log(f"  {b['name']}: skipped ({b.get('error_message')})")
                continue
            if b["name"].startswith(tuple(PER_CALL)):
                # A query's latency, not a rate: time per call, in the
                # benchmark's own unit.
                results[b["name"]] = b.get("real_time", 0)
                counted = ", ".join(f"{int(b[c]):,} {c.replace('_', ' ')}"
                                    for c in ("steps_matched", "rows") if c in b)
                log(f"  {b['name']} ({b.get('label', '')}{', ' + counted if counted else ''}): "
                    f"{b.get('real_time', 0):.1f} {b.get('time_unit', '')} per call")
                continue
            results[b["name"]] = b.get("items_per_second", 0)
            log(f"  {b['name']}: {k(results[b['name']])} items/s")
    return results, broken


def ingest(quick, dbs):
    log("== ingest")
    streams = [1, 4] if quick else [1, 4, 16]
    events = 470 if quick else 94000
    rows = []
    with Server() as null:
        for s in streams:
            r = null.bench(streams=s, events=events, watchers=0, batch=1000)
            log(f"  transport ceiling, {s} streams: {k(r.get('events_per_second'))} events/s")
            rows.append(("transport ceiling (null_server)", s, 0, r))
    for name, url in dbs:
        with Server(url()) as server:
            for s in streams:
                r = server.bench(streams=s, events=events, watchers=0, batch=1000)
                log(f"  {name}, {s} streams: {k(r.get('events_per_second'))} events/s")
                rows.append((name, s, 0, r))
        # The same ingest with 1,000 watchers attached: idle (watching
        # users that get no events), then receiving, one per user, so each
        # change goes to one of them (a team watching its own board).
        watchers = 10 if quick else 1000
        with Server(url()) as server:
            r = server.bench(streams=4, events=events, watchers=0, idle_watchers=watchers,
                             batch=1000)
            log(f"  {name}, 4 streams, {watchers} idle watchers: "
                f"{k(r.get('events_per_second'))} events/s")
            rows.append((name, 4, f"{watchers:,} idle", r))
        with Server(url()) as server:
            r = server.bench(streams=4, events=events, watchers=watchers, users=watchers,
                             batch=1000)
            log(f"  {name}, 4 streams, {watchers} receiving watchers: "
                f"{k(r.get('events_per_second'))} events/s")
            rows.append((name, 4, f"{watchers:,} receiving", r))
    return rows


def fan_out(quick, dbs):
    log("== fan-out (SQLite)")
    counts = [1, 10] if quick else [1, 100, 1000, 10000]
    sqlite = dbs[0][1]
    rows = []
    for w in counts:
        # Full speed: about 2 M deliveries (20k events for one watcher).
        events = max(47, min(20000, 2000000 // w)) if not quick else 470
        with Server(sqlite()) as server:
            full = server.bench(streams=2, events=events, watchers=w, batch=1000)
        # Fixed offered load, well under saturation: 20k deliveries/s (at
        # most 1,000 events/s), for about ten seconds. Every change goes
        # to every watcher at once, so the last of them receives it after
        # the whole burst: latency grows with the watcher count. The
        # server's CPU per delivery here is the fair comparison between
        # watcher counts: at full speed the load generator, on the same
        # cores, falls behind 10,000 streams first.
        rate = max(1, min(1000, 20000 // w))
        with Server(sqlite()) as server:
            fixed = server.bench(streams=min(2, rate), events=max(10, rate * (1 if quick else 10)),
                                 watchers=w, rate=rate, batch=1000)
        log(f"  {w} watchers: {k(full.get('deliveries_per_second'))} deliveries/s; "
            f"at {rate} events/s p99 {ms(fixed.get('latency_ms_p99'))} ms; "
            f"{full.get('rss_kib_per_watcher', 0):.1f} KiB per idle watcher")
        rows.append((w, rate, full, fixed))
    # The latency case: 5,000 events/s, 1,000 watchers, each
    # watching its own user's board.
    w, rate = (10, 500) if quick else (1000, 5000)
    with Server(sqlite()) as server:
        tenant = server.bench(streams=4, events=rate * (1 if quick else 5), watchers=w, users=w,
                              rate=rate, batch=1000)
    log(f"  {rate} events/s over {w} users' watchers: p99 {ms(tenant.get('latency_ms_p99'))} ms")
    return rows, (w, rate, tenant)


def moves(quick, dbs):
    log("== moves (MoveLead -> a second watcher)")
    rows = []
    for name, url in dbs:
        with Server(url()) as server:
            r = server.bench(mix="moves", events=50 if quick else 2000)
        log(f"  {name}: {k(r.get('moves_per_second'))} moves/s; to watcher p50 "
            f"{ms(r.get('to_watcher_ms_p50'))} ms, p99 {ms(r.get('to_watcher_ms_p99'))} ms")
        rows.append((name, r))
    return rows


def conflation(quick, dbs):
    log("== conflation (SQLite, default --watch_queue_limit of 10,000)")
    events = 470 if quick else 94000
    rows = []
    for w in ([2] if quick else [10, 100]):
        for conflate in (False, True):
            with Server(dbs[0][1](), queue_limit=10000) as server:
                options = dict(streams=4, events=events, watchers=w, batch=1000)
                if conflate:
                    options["conflate"] = True
                r = server.bench(**options)
            cut = r.get("errors", 0)
            log(f"  {w} watchers, {'conflating' if conflate else 'plain'}: "
                f"{k(r.get('events_per_second'))} events/s, {r.get('delivered')} of "
                f"{r.get('changes', 0) * w} changes delivered, {cut} watchers cut off"
                + (f", {r.get('watchers_exact')} of {w} ended with every lead's final revision"
                   if conflate else ""))
            # A plain watcher being cut off is what this part shows, not a
            # failure; a conflating one must complete.
            if not conflate:
                r["ok"] = True
            rows.append((w, conflate, r))
    return rows


def catch_up(quick, dbs):
    log("== catch-up (a watcher away while 1 % of the leads changed; log trimmed)")
    rows = []
    leads = 2000 if quick else 100000
    for name, url in dbs:
        with Server(url(), extra=("--retention=2s", "--trim_interval=500ms")) as server:
            r = server.bench(mix="catchup", events=leads)
        log(f"  {name}, {leads:,} leads: snapshot {r.get('snapshot_bytes', 0) / 1048576:.1f} MiB "
            f"in {r.get('snapshot_seconds', 0):.3f} s; catch-up "
            f"{r.get('catch_up_bytes', 0) / 1024:.0f} KiB in {r.get('catch_up_seconds', 0):.3f} s")
        rows.append((name, r))
    return rows


BASELINE = ROOT / "tests" / "bench" / "baseline"


class Baseline(Server):
    """The replaced app's architecture as a process: tests/bench/baseline
    (one webhook POST per event, a PostgreSQL write per event, Socket.IO
    rooms), on a fresh schema dropped at the end of the run."""

    def __init__(self, pg):
        schema = f"baseline_{os.getpid()}_{len(SCHEMAS)}"
        SCHEMAS.append((pg, schema))
        super().__init__(command=lambda port_file: [
            "node", str(BASELINE / "server.mjs"), "--database", pg.split("?")[0], "--schema",
            schema, "--port-file", port_file])

    def load(self, **options):
        """Runs load.mjs with options; returns its figures."""
        args = ["node", str(BASELINE / "load.mjs"), "--target", f"http://{self.target}",
                "--server-pid", str(self.proc.pid)]
        return run_figures(args, options)


def baseline(quick, dbs):
    """The same shape of work on the replaced app's architecture and on
    leadboard, in one run: 8 workers, 10 watchers of one user receiving
    every change, realistic lead runs. leadboard then runs again at the
    app's own rate, for latency at the same load."""
    log("== against the replaced app's architecture (webhook, PostgreSQL per event, Socket.IO)")
    pg = os.environ.get("LEADBOARD_TEST_POSTGRES_URL")
    if not pg:
        log("  skipped: the app's architecture needs LEADBOARD_TEST_POSTGRES_URL")
        return []
    lock = BASELINE / "package-lock.json"
    modules = BASELINE / "node_modules"
    if not modules.exists() or lock.stat().st_mtime > modules.stat().st_mtime:
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=BASELINE, check=True)
        modules.touch()
    with Baseline(pg) as app:
        app_run = app.load(workers=8, events=470 if quick else 47000, watchers=10)
    rate = int(app_run.get("events_per_second") or 0)
    log(f"  app: {k(rate)} events/s, p50 {ms(app_run.get('latency_ms_p50'))} ms, "
        f"p99 {ms(app_run.get('latency_ms_p99'))} ms")
    rows = [("the app's architecture (PostgreSQL)", app_run, app_run)]
    if not rate:
        return rows
    for name, url in dbs:
        with Server(url()) as server:
            full = server.bench(streams=8, events=470 if quick else 94000, watchers=10,
                                batch=1000)
        with Server(url(), metrics=True) as server:
            at_rate = server.bench(streams=8, events=max(470, rate * (2 if quick else 15)),
                                   watchers=10, rate=rate, batch=1000)
            at_rate["split_ms"] = server.latency_split()
        log(f"  leadboard on {name}: {k(full.get('events_per_second'))} events/s "
            f"(x{ratio(full.get('events_per_second'), rate)}); at the app's {k(rate)} events/s "
            f"p50 {ms(at_rate.get('latency_ms_p50'))} ms, p99 {ms(at_rate.get('latency_ms_p99'))} ms"
            f"; in the server (means): {split(at_rate)}")
        rows.append((f"leadboard, {name}", full, at_rate))
    return rows


def cpu_seconds(pid):
    """A process's user + system CPU seconds so far (Linux /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    """A process's resident set in KiB (Linux /proc)."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def many_watchers(quick, dbs, binary=None, extra=()):
    """Idle watchers held open by a client process of their own (so the
    active watcher's client is not slowed by them), the server's CPU while
    they are idle, then one watcher receiving 200 events/s beside them."""
    idle = 2000 if quick else 100000
    window = 5 if quick else 35   # a heartbeat interval (30 s) and some
    active_seconds = 2 if quick else 10
    log(f"== many watchers ({idle:,} idle, SQLite)")
    with Server(dbs[0][1](), binary=binary, extra=extra) as server:
        rss_before = rss_kib(server.proc.pid)
        holder = subprocess.Popen(
            [str(CLI), "--target", server.target, "bench", "--json", "--server_pid",
             str(server.proc.pid), "--watchers", "0", "--idle_watchers", str(idle),
             "--watchers_per_connection", "100", "--events", "0", "--streams", "1",
             "--hold", str(window + active_seconds + 30)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started = time.time()
        line = holder.stderr.readline()  # "bench: N watchers synced; holding ..."
        synced_seconds = time.time() - started
        if "synced" not in line:
            holder.kill()
            log("  idle watchers did not sync:", line.strip())
            return {"ok": False}
        time.sleep(1)
        rss = (rss_kib(server.proc.pid) - rss_before) / idle
        cpu_before = cpu_seconds(server.proc.pid)
        time.sleep(window)
        idle_cpu = cpu_seconds(server.proc.pid) - cpu_before
        active = server.bench(streams=1, events=200 * active_seconds, rate=200, watchers=1,
                              batch=100)
        holder.kill()
        holder.communicate(timeout=120)
    r = dict(active)
    r.update(idle=idle, synced_seconds=synced_seconds, idle_window=window, idle_cpu=idle_cpu,
             rss_kib_per_watcher_idle=rss)
    log(f"  {idle:,} idle watchers synced in {synced_seconds:.1f} s, "
        f"{rss or 0:.1f} KiB each; idle for {window} s: server CPU {idle_cpu:.2f} s "
        f"({1000 * idle_cpu / window:.0f} ms/s)")
    log(f"  beside them, 1 watcher at 200 events/s: p50 {ms(active.get('latency_ms_p50'))} ms, "
        f"p99 {ms(active.get('latency_ms_p99'))} ms; server CPU "
        f"{active.get('server_cpu_seconds', 0):.2f} s in {active_seconds} s")
    return r


def compare(quick, dbs, other_build, rounds):
    """Ingest (4 streams, realistic runs) and 100 watchers at a fixed load,
    with the other build's server and this one's, alternating."""
    other = Path(other_build) / "server" / "leadboard-server"
    events = 470 if quick else 94000
    log(f"== compare: {other} (before) vs {SERVER} (after), {rounds} rounds")
    table = []
    for name, url in dbs:
        figures = {"before": [], "after": []}
        latency = {"before": [], "after": []}
        for _ in range(rounds):
            for label, binary in (("before", other), ("after", SERVER)):
                with Server(url(), binary) as server:
                    r = server.bench(streams=4, events=events, watchers=0, batch=1000)
                figures[label].append(r.get("events_per_second") or 0)
                with Server(url(), binary) as server:
                    r = server.bench(streams=2, events=200 if quick else 5000, watchers=100,
                                     rate=1000, batch=1000)
                latency[label].append(r.get("latency_ms_p99") or 0)
        med = lambda xs: sorted(xs)[len(xs) // 2]
        b, a = med(figures["before"]), med(figures["after"])
        lb, la = med(latency["before"]), med(latency["after"])
        log(f"  {name}: ingest {k(b)} -> {k(a)} events/s (x{a / b if b else 0:.2f}); "
            f"100 watchers at 1,000 events/s p99 {ms(lb)} -> {ms(la)} ms "
            f"(runs: {[k(x) for x in figures['before']]} / {[k(x) for x in figures['after']]})")
        table.append((name, b, a, lb, la))
    return table


def growth(quick, dbs):
    log("== cost growth with stored leads")
    sizes = [1000, 2000] if quick else [10000, 100000, 1000000]
    rows = []
    for name, url in dbs:
        with Server(url()) as server:
            stored = 0
            for size in sizes:
                # Fill with harvested leads (one event each) up to `size`.
                if size > stored:
                    fill = server.bench(mix="harvest", streams=4, events=size - stored,
                                        watchers=0, batch=2000)
                    if not fill.get("ok"):
                        log(f"  {name}: could not store {size} leads")
                        break
                    stored = size
                events = 470 if quick else 47000
                full = server.bench(streams=4, events=events, watchers=0, batch=1000)
                fixed = server.bench(streams=2, events=470 if quick else 5000, watchers=10,
                                     rate=1000, batch=1000)
                log(f"  {name}, {size} leads: {k(full.get('events_per_second'))} events/s, "
                    f"p99 {ms(fixed.get('latency_ms_p99'))} ms at 1,000 events/s")
                rows.append((name, size, full, fixed))
    return rows


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} "
            f"{platform.release()}; {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}")


def report(quick, gb, ingest_rows, fan_rows, tenant, growth_rows, move_rows=(),
           conflation_rows=(), catch_up_rows=(), many=None, baseline_rows=()):
    lines = ["# leadboard benchmarks", "",
             f"Machine: {machine()}. The load generator (`leadboard bench`) runs on the "
             "same cores as the server." + (" **Quick run: figures are not meaningful.**"
                                           if quick else ""), ""]
    lines += ["## In process (Google Benchmark)", "", "| benchmark | items/s |", "|---|---|"]
    lines += [f"| {name} | {k(v)} |" for name, v in gb.items()
              if not name.startswith(tuple(PER_CALL))]
    for prefix, (unit, caption) in PER_CALL.items():
        calls = [(name, v) for name, v in gb.items() if name.startswith(prefix)]
        if calls:
            lines += ["", caption, "", f"| benchmark | {unit} per call |", "|---|---|"]
            lines += [f"| {name} | {v:.1f} |" for name, v in calls]
    lines += [""]
    for backend, key in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        repo = gb.get(f"BM_CommitBatch/{backend}/1000/real_time")
        ceiling = gb.get(f"BM_StorageCeiling/{backend}/1000/iterations:30/real_time")
        if repo and ceiling:
            lines.append(f"- {key}: the repository commits {k(repo)} events/s in batches of "
                         f"1,000, {ratio(repo, ceiling)} of the storage ceiling ({k(ceiling)}).")
    lines += ["", "## Ingest (`leadboard bench`, realistic lead runs, durable commits)", "",
              "| server | streams | watchers | events/s | of transport ceiling | "
              "of storage ceiling | server events/s per core |", "|---|---|---|---|---|---|---|"]
    transport = {s: r.get("events_per_second") for n, s, w, r in ingest_rows
                 if n.startswith("transport")}
    storage = {"SQLite": gb.get("BM_StorageCeiling/sqlite/1000/iterations:30/real_time"),
               "PostgreSQL": gb.get("BM_StorageCeiling/postgres/1000/iterations:30/real_time")}
    for name, s, w, r in ingest_rows:
        eps = r.get("events_per_second")
        cpu = r.get("server_cpu_seconds")
        per_core = r.get("accepted", 0) / cpu if cpu else None
        lines.append(f"| {name}{mark(r)} | {s} | {w} | {k(eps)} | "
                     f"{'–' if name.startswith('transport') else ratio(eps, transport.get(s))} | "
                     f"{ratio(eps, storage.get(name))} | {k(per_core)} |")
    lines += ["", "## Fan-out (SQLite, realistic lead runs, every watcher sees every change)", "",
              "| watchers | deliveries/s | server deliveries/s per core | RSS per idle watcher | "
              "offered events/s | server deliveries/s per core at that load | p50 ms | p99 ms | "
              "p99.9 ms |", "|---|---|---|---|---|---|---|---|---|"]
    for w, rate, full, fixed in fan_rows:
        cpu = full.get("server_cpu_seconds")
        per_core = full.get("delivered", 0) / cpu if cpu else None
        fixed_cpu = fixed.get("server_cpu_seconds")
        fixed_per_core = fixed.get("delivered", 0) / fixed_cpu if fixed_cpu else None
        lines.append(f"| {w:,}{mark(full)}{mark(fixed)} | {k(full.get('deliveries_per_second'))} | "
                     f"{k(per_core)} | {full.get('rss_kib_per_watcher', 0):.1f} KiB | {rate:,} | "
                     f"{k(fixed_per_core)} | "
                     f"{ms(fixed.get('latency_ms_p50'))} | {ms(fixed.get('latency_ms_p99'))} | "
                     f"{ms(fixed.get('latency_ms_p999'))} |")
    w, rate, t = tenant
    lines += ["", f"Multi-tenant: {rate:,} events/s over {w:,} users, one watcher each: "
              f"p50 {ms(t.get('latency_ms_p50'))} ms, p99 {ms(t.get('latency_ms_p99'))} ms, "
              f"p99.9 {ms(t.get('latency_ms_p999'))} ms{mark(t)}.", ""]
    lines += ["## Cost growth with stored leads", "",
              "| database | stored leads | events/s (4 streams) | p50 ms | p99 ms "
              "(1,000 events/s, 10 watchers) |", "|---|---|---|---|---|"]
    for name, size, full, fixed in growth_rows:
        lines.append(f"| {name}{mark(full)}{mark(fixed)} | {size:,} | "
                     f"{k(full.get('events_per_second'))} | {ms(fixed.get('latency_ms_p50'))} | "
                     f"{ms(fixed.get('latency_ms_p99'))} |")
    if move_rows:
        lines += ["", "## People's moves (sequential MoveLead, timed to a second watcher)", "",
                  "| database | moves/s | answered p50 ms | p99 ms | to watcher p50 ms | p99 ms |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {name} | {k(r.get('moves_per_second'))} | {ms(r.get('move_ms_p50'))} | "
                  f"{ms(r.get('move_ms_p99'))} | {ms(r.get('to_watcher_ms_p50'))} | "
                  f"{ms(r.get('to_watcher_ms_p99'))} |" for name, r in move_rows]
    if conflation_rows:
        lines += ["", "## Conflation (full-speed ingest, watchers of one user, queue limit 10,000)",
                  "", "| watchers | kind | events/s | changes delivered | conflated away | cut off "
                  "| ended exact |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {w} | {'conflating' if c else 'plain'} | {k(r.get('events_per_second'))} | "
                  f"{r.get('delivered')} | {r.get('conflated') if c else '-'} | {r.get('errors')} "
                  f"| {r.get('watchers_exact') if c else '-'} |" for w, c, r in conflation_rows]
    if catch_up_rows:
        lines += ["", "## Catch-up against a full snapshot (1 % of the leads changed)", "",
                  "| database | leads | snapshot MiB | snapshot s | catch-up KiB | catch-up s |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {name} | {r.get('leads')} | {r.get('snapshot_bytes', 0) / 1048576:.1f} | "
                  f"{r.get('snapshot_seconds', 0):.3f} | {r.get('catch_up_bytes', 0) / 1024:.0f} | "
                  f"{r.get('catch_up_seconds', 0):.3f} |" for name, r in catch_up_rows]
    if many and many.get("idle"):
        lines += ["", f"## Many watchers ({many['idle']:,} idle, {many['idle'] // 100:,} "
                  "connections, SQLite)", "",
                  f"- Synced in {many['synced_seconds']:.1f} s; "
                  f"{many.get('rss_kib_per_watcher_idle') or 0:.1f} KiB of server RSS each.",
                  f"- Idle for {many['idle_window']} s (heartbeats included): server CPU "
                  f"{many['idle_cpu']:.2f} s, {1000 * many['idle_cpu'] / many['idle_window']:.0f} "
                  "ms per second.",
                  f"- Beside them, one watcher receiving 200 events/s: p50 "
                  f"{ms(many.get('latency_ms_p50'))} ms, p99 {ms(many.get('latency_ms_p99'))} ms, "
                  f"p99.9 {ms(many.get('latency_ms_p999'))} ms; server CPU "
                  f"{many.get('server_cpu_seconds', 0):.2f} s for the run{mark(many)}."]
    if baseline_rows:
        app_rate = baseline_rows[0][1].get("events_per_second")
        lines += ["", "## Against the replaced app's architecture (8 workers, 10 watchers of one "
                  "user, realistic lead runs)", "",
                  "The app: one webhook POST per event, a PostgreSQL write per event, Socket.IO "
                  "rooms (tests/bench/baseline). Latency for leadboard is at the app's own rate.",
                  "The last column is what leadboard's server itself wrote to storage per "
                  "event at that rate (SQLite's log and checkpoints; PostgreSQL's own processes "
                  "write its files). The one before it splits the time inside leadboard's server "
                  "at that rate (means of its histograms): an event's wait for its transaction, "
                  "the transaction, and the fan-out to the 10 watchers; the rest of an event's way is "
                  "the network, gRPC and the load generator's own threads.",
                  "", "| system | events/s | × the app | p50 ms | p99 ms | server CPU s | "
                  "in the server: queue / commit / fan-out ms | server disk KiB/event |",
                  "|---|---|---|---|---|---|---|---|"]
        disk = lambda r: (f"{r['server_disk_kib_per_event']:.1f}"
                          if (r.get("server_disk_kib_per_event") or 0) > 0 else "–")
        lines += [f"| {name}{mark(full)}{mark(at_rate)} | {k(full.get('events_per_second'))} | "
                  f"{ratio(full.get('events_per_second'), app_rate)} | "
                  f"{ms(at_rate.get('latency_ms_p50'))} | {ms(at_rate.get('latency_ms_p99'))} | "
                  f"{full.get('server_cpu_seconds') or 0:.1f} | {split(at_rate)} | {disk(at_rate)} |"
                  for name, full, at_rate in baseline_rows]
    (OUT / "results.md").write_text("\n".join(lines) + "\n")
    with open(OUT / "growth.csv", "w") as csv:
        csv.write("database,stored_leads,events_per_second,latency_ms_p50,latency_ms_p99\n")
        for name, size, full, fixed in growth_rows:
            csv.write(f"{name},{size},{full.get('events_per_second', '')},"
                      f"{fixed.get('latency_ms_p50', '')},{fixed.get('latency_ms_p99', '')}\n")
    with open(OUT / "fanout.csv", "w") as csv:
        csv.write("watchers,deliveries_per_second,server_deliveries_per_core_second,"
                  "rss_kib_per_idle_watcher,offered_events_per_second,latency_ms_p50,"
                  "latency_ms_p99,latency_ms_p999\n")
        for w, rate, full, fixed in fan_rows:
            cpu = full.get("server_cpu_seconds")
            per_core = full.get("delivered", 0) / cpu if cpu else ""
            csv.write(f"{w},{full.get('deliveries_per_second', '')},{per_core},"
                      f"{full.get('rss_kib_per_watcher', '')},{rate},"
                      f"{fixed.get('latency_ms_p50', '')},{fixed.get('latency_ms_p99', '')},"
                      f"{fixed.get('latency_ms_p999', '')}\n")
    log("\n" + "\n".join(lines))
    log(f"\nresults: {OUT / 'results.md'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="brief runs: prove it works")
    parser.add_argument("--only", choices=["in-process", "ingest", "fan-out", "growth", "moves",
                                           "conflation", "catch-up", "many-watchers",
                                           "baseline"],
                        action="append", help="run only these parts (repeatable)")
    parser.add_argument("--compare", metavar="BUILD_DIR",
                        help="before/after: another build's server against this one")
    parser.add_argument("--rounds", type=int, default=3, help="rounds for --compare")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    parts = set(args.only or ["in-process", "ingest", "fan-out", "growth", "moves", "conflation",
                              "catch-up", "many-watchers", "baseline"])
    dbs = databases(args.quick)
    if args.compare:
        try:
            compare(args.quick, dbs, args.compare, args.rounds)
        finally:
            clean_up()
        return 0
    try:
        gb, broken = google_benchmarks(args.quick) if "in-process" in parts else ({}, [])
        ingest_rows = ingest(args.quick, dbs) if "ingest" in parts else []
        fan_rows, tenant = fan_out(args.quick, dbs) if "fan-out" in parts else ([], (0, 0, {}))
        growth_rows = growth(args.quick, dbs) if "growth" in parts else []
        move_rows = moves(args.quick, dbs) if "moves" in parts else []
        conflation_rows = conflation(args.quick, dbs) if "conflation" in parts else []
        catch_up_rows = catch_up(args.quick, dbs) if "catch-up" in parts else []
        many = many_watchers(args.quick, dbs) if "many-watchers" in parts else None
        baseline_rows = baseline(args.quick, dbs) if "baseline" in parts else []
    finally:
        clean_up()
    report(args.quick, gb, ingest_rows, fan_rows, tenant, growth_rows, move_rows, conflation_rows,
           catch_up_rows, many, baseline_rows)
    failed = [r for rows in (ingest_rows, growth_rows, move_rows, conflation_rows, catch_up_rows)
              for *_, r in rows if not r.get("ok")]
    failed += [r for _, a, b in baseline_rows for r in (a, b) if not r.get("ok")]
    if many is not None and not many.get("ok"):
        failed.append(many)
    failed += [r for _, _, a, b in fan_rows for r in (a, b) if not r.get("ok")]
    failed += [{"binary": b} for b in broken]
    if failed:
        # Not a speed check: a run that did not complete means the benchmark
        # (or the service) is broken.
        log(f"{len(failed)} benchmark run(s) did not complete")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
