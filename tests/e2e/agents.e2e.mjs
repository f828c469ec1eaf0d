// Agents at work, against a real server started with a short
// --stall_after=2s: the lead dialog's Timeline draws one bar per agent step
// GetLead reports (a failed step and a retry marked, a step that never
// ended, a running step growing live, a selector for an earlier run); the
// Agents view shows a row per agent with GetAgentStats's figures and
// follows new events without a reload; a lead whose run goes silent gets a
// stalled badge, its column counts it, the Stalled filter shows it, and its
// next event clears it.
// Events are sent with grpcurl's IngestEvents (a client stream), so every
// step and its time are known.
import { join } from "node:path";
import { openBoard, out, serverHasFlag, sleep, startStack, until, waitLive } from "./lib.mjs";

export const name = "agents";

const kJob = "agents-e2e";
const kStallJob = "stall-e2e";
const kTimelineLead = "agents-e2e-timeline";
const kStallLead = "agents-e2e-stall";
const kError = "TimeoutError: Request to LLM provider timed out after 60s";

const iso = (ms) => new Date(ms).toISOString();
let nextEvent = 0;
const event = (type, at, fields) => ({ event_id: `agents-e2e-${++nextEvent}`, user_id: "demo", type: `EVENT_TYPE_${type}`, occurred_at: iso(at), ...fields });
const profile = (company) => ({ company_name: company, website: `https://${company.toLowerCase().replace(/\W+/g, "")}.example`, sector: "SaaS" });

// A run that is over: intake succeeds (one tool call), qualification fails
// then succeeds on its 2nd attempt, pain-point deepening never ends.
function finishedRun(t0) {
  const lead = { lead_id: kTimelineLead, job_id: kJob };
  const s = (sec) => t0 + sec * 1000;
  return [
    event("LEAD_GENERATED", s(0), { ...lead, lead: profile("Timeline Analytics") }),
    event("LEAD_ENRICHMENT_START", s(1), { ...lead, lead: profile("Timeline Analytics") }),
    event("AGENT_START", s(2), { ...lead, agent_name: "LeadIntakeAgent" }),
    event("TOOL_CALL_START", s(3), { ...lead, agent_name: "LeadIntakeAgent", tool_name: "tavily_search" }),
    event("TOOL_CALL_END", s(4), { ...lead, agent_name: "LeadIntakeAgent", tool_name: "tavily_search" }),
    event("AGENT_END", s(5), { ...lead, agent_name: "LeadIntakeAgent", success: true }),
    event("AGENT_START", s(6), { ...lead, agent_name: "LeadQualificationAgent" }),
    event("AGENT_END", s(9), { ...lead, agent_name: "LeadQualificationAgent", success: false, message: kError, error_type: "TimeoutError" }),
    event("AGENT_START", s(11), { ...lead, agent_name: "LeadQualificationAgent" }),
    event("AGENT_END", s(15), { ...lead, agent_name: "LeadQualificationAgent", success: true }),
    event("AGENT_START", s(16), { ...lead, agent_name: "PainPointDeepeningAgent" }),
    event("LEAD_ENRICHMENT_END", s(20), { ...lead, success: true }),
  ];
}

// A run that goes silent with an agent at work.
function silentRun(t0) {
  const lead = { lead_id: kStallLead, job_id: kStallJob };
  return [
    event("LEAD_GENERATED", t0, { ...lead, lead: profile("Stalled Logistics") }),
    event("LEAD_ENRICHMENT_START", t0 + 500, { ...lead, lead: profile("Stalled Logistics") }),
    event("AGENT_START", t0 + 1000, { ...lead, agent_name: "TavilyEnrichmentAgent" }),
  ];
}

const ms = (d) => (d === undefined ? undefined : Math.round(parseFloat(d) * 1000));
const number = (text) => Number(String(text).replace(/[^\d.]/g, ""));

export async function run(results, browser) {
  const check = results.check.bind(results);
  const stalls = serverHasFlag("stall_after");
  const stack = await startStack({ serverArgs: stalls ? ["--stall_after=2s"] : [] });
  try {
    await until(() => { stack.grpcurl("GetBoard", {}); return true; });
    const statsAvailable = (() => {
      try { stack.grpcurl("GetAgentStats", {}); return true; } catch { return false; }
    })();
    const now = Date.now();
    const summary = stack.ingest([...finishedRun(now - 120_000), ...silentRun(now - 2000)]);
    check("the events are accepted", !summary.rejected?.length && Number(summary.accepted) >= 15, JSON.stringify(summary));

    const page = await openBoard(browser, stack.url(), { width: 1600, height: 1000 });
    check("the board goes live", !!(await waitLive(page)));

    // (a) The timeline: one bar per step GetLead reports.
    const lead = stack.grpcurl("GetLead", { lead_id: kTimelineLead });
    const runs = lead.runs ?? [];
    const steps = runs[runs.length - 1]?.steps ?? [];
    if (!runs.length) {
      results.skip("the Timeline tab draws GetLead's agent steps", "this server's GetLead has no runs yet");
    } else {
      await page.locator(`[data-testid="card-${kTimelineLead}"]`).click();
      await page.getByRole("tab", { name: "Timeline" }).click();
      const bars = page.getByTestId("timeline-bar");
      const drawn = await until(async () => (await bars.count()) === steps.length && steps.length, 5000);
      check("the timeline draws one bar per agent step of GetLead", !!drawn && steps.length === 4,
        `${await bars.count()} bars, ${steps.length} steps in GetLead`);
      const rows = await page.getByTestId("timeline-row").evaluateAll((els) => els.map((e) => e.dataset.agent));
      const agents = [...new Set(steps.map((s) => s.agent))];
      check("... a row per agent", rows.length === agents.length && agents.every((a) => rows.includes(a)),
        `rows ${rows}, agents ${agents}`);
      const failedSteps = steps.filter((s) => s.status === "STEP_STATUS_FAILED");
      const failedBars = page.locator('[data-testid="timeline-bar"][data-state="failed"]');
      const failedLabel = (await failedBars.first().getAttribute("aria-label").catch(() => "")) ?? "";
      const failedText = (await failedBars.first().textContent().catch(() => "")) ?? "";
      check("a failed step is marked, in words and with its error", failedSteps.length === 1 && (await failedBars.count()) === 1
        && /failed/.test(failedText) && failedText.includes("✕") && failedLabel.includes(kError), `${failedText} | ${failedLabel}`);
      const retry = page.locator('[data-testid="timeline-bar"][data-attempt="2"]');
      check("the retry is marked as the 2nd attempt", steps.some((s) => s.attempt === 2) && (await retry.count()) === 1
        && (await retry.textContent()).includes("2nd attempt"), await retry.textContent().catch(() => ""));
      const unfinished = page.locator('[data-testid="timeline-bar"][data-state="unfinished"]');
      check("a step that never ended looks different and says so",
        steps.some((s) => s.status === "STEP_STATUS_UNFINISHED") && (await unfinished.count()) === 1
        && (await unfinished.textContent()).includes("never ended"), `GetLead statuses: ${steps.map((s) => s.status)}`);
      await page.locator('[data-testid="timeline-bar"]').first().focus();
      const details = await page.getByTestId("step-details").textContent().catch(() => "");
      check("focusing a bar shows its duration and tool calls", /Duration\s*3\.0s/.test(details) && /Tool calls\s*1/.test(details), details);
      await page.screenshot({ path: join(out, "timeline.png") });
      await page.keyboard.press("Escape");
    }

    // (c) Stalls: the silent run's card gets a badge, its column counts it.
    const card = page.locator(`[data-testid="card-${kStallLead}"]`);
    if (!stalls) {
      results.skip("a silent run's card gets a stalled badge, counted, filtered and cleared", "this server has no --stall_after flag yet");
    } else {
      const badge = card.getByTestId("stalled-badge");
      const shown = await until(() => badge.isVisible(), 15000, 200);
      check("a lead whose run goes silent gets a stalled badge", !!shown);
      const stage = await card.getAttribute("data-stage");
      const badgeText = await badge.textContent().catch(() => "");
      check("the badge says for how long, in words", /Stalled \d+ (s|min)/.test(badgeText), badgeText);
      const label = (await badge.getAttribute("aria-label")) ?? "";
      check("... and has an accessible label", /Stalled \d+ (s|min): no event/.test(label), label);
      const first = /(\d+) s/.exec(badgeText)?.[1];
      await sleep(2200);
      const later = /(\d+) s/.exec(await badge.textContent())?.[1];
      check("the badge keeps counting on the shared clock", first !== undefined && Number(later) > Number(first), `${first} -> ${later}`);
      const columnCount = page.getByTestId(`stalled-${stage}`);
      check("the column header counts the stalled card", !!(await until(async () => (await columnCount.textContent()) === "1", 3000)),
        `column ${stage}: ${await columnCount.textContent().catch(() => "none")}`);
      const listed = stack.grpcurl("ListLeads", { stalled: true }).leads ?? [];
      check("ListLeads(stalled) agrees", listed.length === 1 && listed[0].id === kStallLead, JSON.stringify(listed.map((l) => l.id)));
      const board = stack.grpcurl("GetBoard", {}).columns.find((c) => c.id === stage);
      check("GetBoard's stalled_count agrees", Number(board?.stalled_count) === 1, JSON.stringify(board));

      await page.getByTestId("filter-stalled").click();
      const cards = page.locator('[data-testid^="card-"]');
      const filtered = await until(async () => (await cards.count()) === 1 && (await card.isVisible()), 3000);
      check("the Stalled filter shows only the stalled card", !!filtered, `${await cards.count()} cards shown`);
      check("the Stalled filter is in the URL", new URL(page.url()).searchParams.get("stalled") === "1", page.url());
      await page.screenshot({ path: join(out, "stalled.png") });
      await page.getByTestId("filter-stalled").click();

      await page.getByTestId("filter-job").focus(); // refreshes the jobs
      const stalledJob = await until(async () =>
        (await page.locator(`[data-testid="filter-job"] option[value="${kStallJob}"]`).textContent()).includes("stalled"), 8000, 300);
      const jobs = stack.grpcurl("ListJobs", {}).jobs ?? [];
      check("a stalled job is marked in the job filter", !!stalledJob && !!jobs.find((j) => j.id === kStallJob)?.stalled_since,
        JSON.stringify(jobs.map((j) => [j.id, j.stalled_since])));
      await page.locator("body").click({ position: { x: 5, y: 990 } });
    }

    // (b) The Agents view: a row per agent, GetAgentStats's figures.
    if (!statsAvailable) {
      results.skip("the Agents view shows GetAgentStats per agent", "this server has no GetAgentStats yet");
    } else {
      await page.getByTestId("page-agents").click();
      check("the Agents view is in the URL", new URL(page.url()).searchParams.get("view") === "agents", page.url());
      await page.getByTestId("window-all").click();
      const compare = async (request) => {
        const stats = stack.grpcurl("GetAgentStats", request);
        const expected = stats.agents ?? [];
        const shown = await page.getByTestId("agent-row").evaluateAll((rows) => rows.map((r) => {
          const cells = {};
          for (const td of r.querySelectorAll("td")) cells[td.dataset.field] = { value: td.dataset.value, text: td.textContent };
          return { agent: r.dataset.agent, cells };
        }));
        const problems = [];
        if (shown.length !== expected.length) problems.push(`${shown.length} rows, ${expected.length} agents`);
        for (const a of expected) {
          const row = shown.find((r) => r.agent === a.agent);
          if (!row) { problems.push(`no row for ${a.agent}`); continue; }
          for (const field of ["steps", "succeeded", "failed", "unfinished", "running", "retries"]) {
            const want = Number(a[field] ?? 0);
            if (number(row.cells[field].text) !== want) problems.push(`${a.agent} ${field}: ${row.cells[field].text} != ${want}`);
          }
          const ended = Number(a.succeeded ?? 0) + Number(a.failed ?? 0);
          if (ended > 0) {
            const rate = Number(a.failure_rate ?? 0);
            if (Math.abs(Number(row.cells.failureRate.value) - rate) > 1e-9) problems.push(`${a.agent} failure rate ${row.cells.failureRate.value} != ${rate}`);
            if (number(row.cells.failureRate.text) !== Number((rate * 100).toFixed(1))) problems.push(`${a.agent} failure rate text ${row.cells.failureRate.text}`);
            for (const field of ["p50", "p95", "max"]) {
              const want = ms(a[field] ?? "0s");
              if (Math.abs(Number(row.cells[field].value) - want) > 1) problems.push(`${a.agent} ${field}: ${row.cells[field].value} ms != ${want} ms`);
            }
          } else if (row.cells.failureRate.text !== "–") problems.push(`${a.agent}: a rate with no ended step`);
        }
        return { problems, expected, stats };
      };
      let last = { problems: ["not compared"] };
      const same = await until(async () => { last = await compare({}); return last.problems.length === 0; }, 8000, 300);
      check("the Agents view shows a row per agent with GetAgentStats's figures", !!same && last.expected.length >= 4,
        `${last.problems.join("; ")} (${last.expected?.length} agents)`);
      const qualification = last.expected?.find((a) => a.agent === "leadqualification");
      check("... which count the failed step and the retry", Number(qualification?.failed) === 1 && Number(qualification?.retries) === 1,
        JSON.stringify(qualification));
      const total = await page.getByTestId("agents-steps").textContent().catch(() => "");
      check("... and the steps in all", number(total) === Number(last.stats?.steps), `${total} vs ${last.stats?.steps}`);
      check("the chart draws p50 and p95 per agent that ended a step",
        (await page.getByTestId("latency-bar").count()) === last.expected.filter((a) => Number(a.succeeded ?? 0) + Number(a.failed ?? 0) > 0).length);
      await page.screenshot({ path: join(out, "agents.png"), fullPage: true });

      // The board's job filter narrows the statistics.
      await page.getByTestId("agents-job").selectOption(kJob);
      let byJob = { problems: ["not compared"] };
      const narrowed = await until(async () => { byJob = await compare({ job_id: kJob }); return byJob.problems.length === 0; }, 8000, 300);
      check("the job filter narrows the statistics to the job's agents", !!narrowed
        && !byJob.expected.some((a) => a.agent === "tavilyenrichment"), byJob.problems.join("; "));
      check("the job filter is the board's (in the URL)", new URL(page.url()).searchParams.get("job") === kJob, page.url());
      await page.getByTestId("agents-job").selectOption("");
      await page.getByTestId("window-1h").click();
      const hour = await until(async () => (await compare({ since: iso(Date.now() - 3600_000) })).problems.length === 0, 8000, 300);
      check("the last hour's window shows the same steps (all are recent)", !!hour);
    }

    // The silent run speaks again: the badge goes; the Agents view follows.
    const running = statsAvailable ? Number(stack.grpcurl("GetAgentStats", {}).agents?.find((a) => a.agent === "tavilyenrichment")?.running ?? 0) : 0;
    stack.ingest([event("AGENT_END", Date.now(), { lead_id: kStallLead, job_id: kStallJob, agent_name: "TavilyEnrichmentAgent", success: true })]);
    if (statsAvailable) {
      const followed = await until(async () => {
        const cell = page.locator('[data-testid="agent-row"][data-agent="tavilyenrichment"] [data-field="running"]');
        return number(await cell.textContent()) === running - 1;
      }, 8000, 200);
      check("the Agents view follows new events without a reload", !!followed && running === 1, `running was ${running}`);
      await page.getByTestId("page-board").click();
    }
    if (stalls) {
      await waitLive(page);
      const cleared = await until(async () => (await card.getByTestId("stalled-badge").count()) === 0, 5000);
      check("the lead's next event clears the badge", !!cleared);
      const stage = await card.getAttribute("data-stage");
      check("... and the column's stalled count", (await page.getByTestId(`stalled-${stage}`).count()) === 0);
    }

    // A running step grows live: a new agent starts on the stall lead.
    const startedAt = Date.now();
    stack.ingest([event("AGENT_START", startedAt, { lead_id: kStallLead, job_id: kStallJob, agent_name: "ContactExtractionAgent" })]);
    const withRunning = await until(() => {
      const l = stack.grpcurl("GetLead", { lead_id: kStallLead });
      const steps = l.runs?.[l.runs.length - 1]?.steps ?? [];
      return steps.some((s) => s.status === "STEP_STATUS_RUNNING") && l;
    }, 5000);
    if (!withRunning) {
      results.skip("a running step grows live on the timeline", "GetLead reports no running step");
    } else {
      await page.goto(stack.url(`&lead=${kStallLead}`));
      await waitLive(page);
      await page.getByRole("tab", { name: "Timeline" }).click();
      const bar = page.locator('[data-testid="timeline-bar"][data-state="running"]');
      await until(() => bar.count(), 5000);
      const before = await bar.first().evaluate((e) => e.getBoundingClientRect().width).catch(() => 0);
      const textBefore = await bar.first().textContent().catch(() => "");
      await sleep(2500);
      const after = await bar.first().evaluate((e) => e.getBoundingClientRect().width).catch(() => 0);
      const textAfter = await bar.first().textContent().catch(() => "");
      check("a running step grows live while its run runs", after > before && textAfter !== textBefore,
        `width ${before} -> ${after}, "${textBefore}" -> "${textAfter}"`);
      await page.screenshot({ path: join(out, "timeline-running.png") });
    }

    // A second run: the selector shows the earlier one.
    const again = Date.now();
    const lead2 = { lead_id: kTimelineLead, job_id: kJob };
    stack.ingest([
      event("LEAD_ENRICHMENT_START", again, { ...lead2, lead: profile("Timeline Analytics") }),
      event("AGENT_START", again + 100, { ...lead2, agent_name: "LeadIntakeAgent" }),
      event("AGENT_END", again + 1100, { ...lead2, agent_name: "LeadIntakeAgent", success: true }),
    ]);
    const twoRuns = await until(() => (stack.grpcurl("GetLead", { lead_id: kTimelineLead }).runs ?? []).length === 2, 5000);
    if (!twoRuns) {
      results.skip("a selector shows earlier runs", "GetLead does not report a second run");
    } else {
      await page.goto(stack.url(`&lead=${kTimelineLead}`));
      await waitLive(page);
      await page.getByRole("tab", { name: "Timeline" }).click();
      const picker = page.getByTestId("timeline-run");
      const current = await until(async () => (await picker.locator("option:checked").textContent()).startsWith("Run 2 of 2 (current)"), 5000);
      check("a lead with two runs shows the current one, with a run selector", !!current
        && (await page.getByTestId("timeline-bar").count()) === 1);
      await picker.selectOption("0");
      check("choosing the earlier run draws its steps", !!(await until(async () => (await page.getByTestId("timeline-bar").count()) === steps.length, 3000)),
        `${await page.getByTestId("timeline-bar").count()} bars`);
    }
    check("no script error on the page", page.errors.length === 0, page.errors.join("; "));
    await page.context().close();
  } finally {
    stack.stop();
  }
}
