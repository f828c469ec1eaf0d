// Runs the browser suites one after another against real stacks and prints
// "N passed, M failed" (", K skipped" when a check could not run here; exit
// 1 on any failure).
import { launchBrowser, missingBinaries, Results } from "./lib.mjs";
import * as agents from "./agents.e2e.mjs";
import * as auth from "./auth.e2e.mjs";
import * as board from "./board.e2e.mjs";
import * as people from "./people.e2e.mjs";

const missing = missingBinaries();
if (missing.length) {
  console.log(`SKIPPED: missing ${missing.join(", ")}`);
  console.log("0 passed, 0 failed, 1 skipped");
  process.exit(0);
}
const only = process.argv.slice(2);
const suites = [board, people, auth, agents].filter((s) => !only.length || only.some((o) => s.name.includes(o)));
const results = new Results();
const browser = await launchBrowser();
try {
  for (const suite of suites) {
    console.log(`--- ${suite.name}`);
    try {
      await suite.run(results, browser);
    } catch (error) {
      results.check(`the ${suite.name} suite completes`, false, String(error?.stack ?? error));
    }
  }
} finally {
  await browser.close();
}
console.log(`${results.passed} passed, ${results.failed} failed${results.skipped ? `, ${results.skipped} skipped` : ""}`);
process.exit(results.failed ? 1 : 0);
