// Sign-in: with --tokens_file the board asks for a token, refuses a wrong
// one, works with a board token (the watch carries it too: cards arrive),
// and signs out.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bins, exited, openBoard, out, startStack, until, waitLive } from "./lib.mjs";

export const name = "sign-in";

const hash = (token) => execFileSync(bins.server, ["--hash_token"], { input: token }).toString().trim().split(/\s+/)[0];

export async function run(results, browser) {
  const check = results.check.bind(results);
  const tokens = join(out, "tokens.txt");
  writeFileSync(tokens, [
    `${hash("e2e-board")} board demo`,
    `${hash("e2e-worker")} worker demo`,
  ].join("\n") + "\n");
  const stack = await startStack({ serverArgs: [`--tokens_file=${tokens}`] });
  try {
    await until(() => { stack.grpcurl("GetBoard", {}, "e2e-board"); return true; });
    await exited(stack.simulate(["--jobs", "1", "--leads", "2", "--speed", "50", "--seed", "3", "--failure-rate", "0",
      "--duplicate-rate", "0", "--run-id", "auth", "--user", "demo"], "e2e-worker"));
    const page = await openBoard(browser, stack.url());
    const signIn = page.getByTestId("sign-in");
    check("without a token the board asks for one", !!(await until(() => signIn.isVisible(), 10000)));
    check("no card is shown before signing in", (await page.locator('[data-testid^="card-"]').count()) === 0);
    await page.screenshot({ path: join(out, "sign-in.png") });

    await page.getByLabel("Board token").fill("not-a-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    const refusal = await until(() => page.getByTestId("sign-in-error").textContent({ timeout: 300 }), 10000);
    check("a wrong token is refused", !!refusal && refusal.includes("refused"), `shown: ${refusal}`);

    await page.getByLabel("Board token").fill("e2e-board");
    await page.getByLabel("Your name").fill("Dora");
    await page.getByRole("button", { name: "Sign in" }).click();
    check("with a board token the board goes live", !!(await waitLive(page, 15000)));
    check("the watch carries the token: cards arrive", !!(await until(async () => (await page.locator('[data-testid^="card-"]').count()) === 2, 10000)));
    const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem("leadboard.session") ?? "{}"));
    check("the token is kept for the browser session", stored.token === "e2e-board" && stored.name === "Dora");
    await page.reload();
    check("a reload stays signed in", !!(await waitLive(page, 15000)) && !(await signIn.isVisible()));

    const lead = stack.grpcurl("ListLeads", { page_size: 10 }, "e2e-board").leads.find((l) => l.stage === "enriched");
    await page.locator(`[data-testid="card-${lead.id}"] [data-testid="move-menu-button"]`).click();
    await page.getByTestId("move-to-reviewing").click();
    const moved = await until(() => {
      const l = stack.grpcurl("GetLead", { lead_id: lead.id }, "e2e-board");
      return l.stage === "reviewing" && l;
    }, 5000);
    check("a signed-in move is made with the token", !!moved, JSON.stringify(moved?.stage_entered_by));

    await page.getByTestId("user-menu").click();
    await page.getByTestId("sign-out").click();
    check("signing out goes back to the sign-in screen", !!(await until(() => signIn.isVisible(), 5000)));
    check("signing out forgets the token", (await page.evaluate(() => JSON.parse(sessionStorage.getItem("leadboard.session") ?? "{}").token)) === "");
    check("no script error on the page", page.errors.length === 0, page.errors.join("; "));
    await page.context().close();
  } finally {
    stack.stop();
  }
}
