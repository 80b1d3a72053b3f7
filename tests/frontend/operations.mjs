// Browser side of tests/frontend/test_browser_operations.py: the Live and Dashboard screens.
//
// Usage: node operations.mjs <scenario>, with E2E_CONFIG holding JSON:
//   {baseUrl, chromium, screenshots, failures, timeoutMs, statsQuery?}
// Prints one line per step; exits 1 with the failing step and the page's text on failure.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const config = JSON.parse(process.env.E2E_CONFIG ?? "{}");
const scenario = process.argv[2];
const timeout = config.timeoutMs ?? 30_000;

function log(step) {
  console.log(`step: ${step}`);
}

async function shot(page, name, folder = config.screenshots) {
  if (!folder) return;
  mkdirSync(folder, { recursive: true });
  await page.screenshot({ path: join(folder, `${name}.png`), fullPage: true });
  log(`screenshot ${join(folder, name)}.png`);
}

async function waitForText(locator, pattern) {
  await locator.filter({ hasText: pattern }).first().waitFor({ timeout });
}

const scenarios = {
  /** A phone call under way: listed live, followed line by line, coached, then ended by the supervisor. */
  async live(page) {
    await page.goto(config.baseUrl + "/live");
    const row = page.getByRole("row").filter({ hasText: /Phone/ });
    await row.first().waitFor({ timeout });
    await waitForText(row, /Phone/);
    log("call listed live");
    await waitForText(row, /May I ask why/);
    await shot(page, "live");
    await row.first().getByRole("link").click();
    const lines = page.locator(".live-lines");
    await waitForText(lines.locator(".live-agent"), /May I ask why/);
    log("lines followed as they happen");
    await page.getByLabel(/Coach the agent/).fill("Offer the loyalty discount.");
    await page.getByRole("button", { name: "Send guidance" }).click();
    await page.getByText("Guidance sent to the agent.").waitFor({ timeout });
    log("coaching sent");
    await waitForText(lines.locator(".live-agent"), /loyalty discount/);
    const spoken = await lines.locator(".live-agent").allInnerTexts();
    if (spoken.some((line) => /note that down/.test(line))) throw new Error("the agent ignored the coaching");
    log("agent's next line follows the coaching");
    await waitForText(page.locator(".action-log"), /Coached/);
    await shot(page, "live-call");
    await page.getByRole("button", { name: "End call" }).click();
    await waitForText(page.locator(".facts"), /Completed/);
    await waitForText(page.locator(".action-log"), /Ended the call/);
    log("call ended by the supervisor");
  },

  /** KPIs of seeded conversations: tiles, outcomes over time, handle-time histogram. */
  async dashboard(page) {
    await page.goto(`${config.baseUrl}/dashboard?${config.statsQuery}`);
    const tiles = page.getByLabel("Totals for the range");
    await tiles.waitFor({ timeout });
    const expected = {
      Conversations: "5",
      Containment: "75.0%",
      "Transfer rate": "25.0%",
      Abandonment: "20.0%",
      "Tool failure rate": "50.0%",
      Tokens: "975",
    };
    for (const [label, value] of Object.entries(expected)) {
      const tile = tiles.locator(".kpi-tile").filter({ has: page.getByText(label, { exact: true }) });
      const shown = (await tile.locator("dd").innerText()).trim();
      if (shown !== value) throw new Error(`${label}: expected ${value}, shown ${shown}`);
    }
    log("tiles show the seeded figures");
    await page.getByRole("img", { name: /Outcomes over time/ }).waitFor({ timeout });
    const table = page.locator("table").filter({ hasText: "Outcomes over time" });
    const rows = await table.locator("tbody tr").allInnerTexts();
    if (rows.length !== 2 || !/^11-02\s+2\s+1\s+0\s+1/.test(rows[0])) throw new Error(`outcome rows: ${rows}`);
    log("outcomes over time per day");
    await shot(page, "dashboard");
    await page.getByLabel("Channel").selectOption("web");
    await page.getByRole("button", { name: "Show" }).click();
    await waitForText(tiles.locator(".kpi-tile"), /Conversations\s*1$/);
    log("channel filter");
  },
};

async function main() {
  const run = scenarios[scenario];
  if (!run) throw new Error(`unknown scenario '${scenario}'`);
  const browser = await chromium.launch({
    executablePath: config.chromium,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
  const page = await (await browser.newContext({ viewport: { width: 1100, height: 760 } })).newPage();
  page.on("pageerror", (error) => console.log(`page error: ${error.message}`));
  try {
    await run(page);
    console.log("ok");
  } catch (error) {
    console.log(`FAILED: ${error.message.split("\n")[0]}`);
    console.log("page text:\n" + ((await page.locator("body").innerText().catch(() => "")) || "(none)"));
    await shot(page, scenario, config.failures).catch(() => {});
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

await main();
