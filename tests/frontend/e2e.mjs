// Browser side of tests/frontend/test_browser_e2e.py: one scenario per run, in Debian's Chromium.
//
// Usage: node e2e.mjs <scenario>, with E2E_CONFIG holding JSON:
//   {baseUrl, chromium, wav, screenshots, failures, timeoutMs, phoneNumber?, csvPath?}
// Prints one line per step; exits 1 with the failing step and the page's text on failure.
// playwright-core drives the given executable and never downloads a browser.
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
  await page.screenshot({ path: join(folder, `${name}.png`) });
  log(`screenshot ${join(folder, name)}.png`);
}

/** Wait until `locator` has text matching `pattern` (the locator may match several elements). */
async function waitForText(locator, pattern) {
  await locator.filter({ hasText: pattern }).first().waitFor({ timeout });
}

const scenarios = {
  /** Web voice agent: greeting, a handoff (tool card + banner), a tool call of the new agent, end. */
  async web_conversation(page) {
    await page.goto(config.baseUrl + "/");
    const start = page.getByRole("button", { name: "Start conversation" });
    await page.getByRole("radio", { name: /Concierge/ }).check({ timeout });
    log("agents loaded");
    await start.click();
    await waitForText(page.locator(".session-state"), /^Connected$/);
    log("connected over WebRTC");
    const transcript = page.getByRole("log", { name: "Conversation transcript" });
    await waitForText(transcript.locator(".bubble-agent"), /thanks for calling Contoso/);
    log("greeting in the transcript");
    await page.getByRole("article", { name: "Tool call handoff_to_agent: Done" }).waitFor({ timeout });
    await waitForText(transcript.locator(".handoff-line"), /handed the conversation to Contoso Mobile support/);
    await waitForText(page.locator(".speaking-banner"), /Contoso Mobile support/);
    log("handoff card and banner");
    await waitForText(transcript.locator(".bubble-user"), /internet/);
    log("caller's words transcribed");
    const balance = page.getByRole("article", { name: "Tool call get_account_balance: Done" });
    await balance.waitFor({ timeout });
    await waitForText(transcript.locator(".bubble-agent"), /Your balance is/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "voice-agent");
    await balance.getByText("Arguments and result").click();
    await waitForText(balance.locator("pre"), /ACC-1001/);
    log("tool call card with its arguments");
    await page.getByRole("button", { name: "End conversation" }).click();
    await waitForText(page.locator(".session-state"), /^Conversation ended$/);
    log("conversation ended");
  },

  /** A Voice Live agent: the session runs over the bridge's WebSocket (PCM16), not WebRTC. */
  async voice_live_conversation(page) {
    const sockets = [];
    page.on("websocket", (socket) => sockets.push(socket.url()));
    await page.goto(config.baseUrl + "/");
    await page.getByRole("radio", { name: /Contoso Health scheduling/ }).check({ timeout });
    log("agents loaded");
    await page.getByRole("button", { name: "Start conversation" }).click();
    await waitForText(page.locator(".session-state"), /^Connected$/);
    if (!sockets.some((url) => url.includes("/web/realtime?agent=healthcare&token="))) {
      throw new Error(`no bridge WebSocket was opened: ${sockets.join(", ")}`);
    }
    log("connected through the bridge");
    const transcript = page.getByRole("log", { name: "Conversation transcript" });
    await waitForText(transcript.locator(".bubble-agent"), /Contoso Health scheduling/);
    log("greeting in the transcript");
    await waitForText(transcript.locator(".bubble-user"), /dermatology/);
    log("caller's words transcribed");
    const slots = page.getByRole("article", { name: "Tool call find_appointment_slots: Done" });
    await slots.waitFor({ timeout });
    await waitForText(transcript.locator(".bubble-agent"), /open slots/);
    log("tool call card and the answer");
    await page.getByRole("button", { name: "End conversation" }).click();
    await waitForText(page.locator(".session-state"), /^Conversation ended$/);
    log("conversation ended");
  },

  /** Offline assistant: the fake microphone asks for an account's balance; PocketSphinx hears it, a tool answers. */
  async assistant(page) {
    await page.goto(config.baseUrl + "/");
    await page.getByRole("radio", { name: /Contoso Mobile support/ }).check({ timeout });
    await page.getByRole("button", { name: "Start conversation" }).click();
    const transcript = page.getByRole("log", { name: "Conversation transcript" });
    await waitForText(transcript.locator(".bubble-agent"), /Contoso Mobile support/);
    log("greeting spoken");
    // PocketSphinx hears eSpeak through Chromium's audio processing and Opus: close, not always exact.
    await waitForText(transcript.locator(".bubble-user"), /account|balance/);
    log("caller heard");
    await page
      .getByRole("article", { name: /Tool call get_account_balance/ })
      .first()
      .waitFor({ timeout });
    await waitForText(transcript.locator(".bubble-agent"), /Your balance is/);
    log("tool answered");
    await page.getByRole("button", { name: "End conversation" }).click();
    await waitForText(page.locator(".session-state"), /^Conversation ended$/);
  },

  /** Dialer: place a call, follow it until it ends, then find it in the call history and open it. */
  async dialer(page) {
    await page.goto(config.baseUrl + "/dialer");
    await page.getByLabel("Phone number").fill(config.phoneNumber);
    await page.getByLabel("Agent", { exact: true }).selectOption({ label: "Concierge" });
    await page.getByRole("button", { name: "Place call" }).click();
    const status = page.locator(".live-call .call-status");
    await status.waitFor({ timeout });
    log("call placed");
    await waitForText(status, /Outcome:\s*Completed/);
    log("call followed to its outcome");
    await shot(page, "dialer");
    await page.getByRole("link", { name: "Call history" }).click();
    const row = page.getByRole("row").filter({ hasText: config.phoneNumber });
    await row.first().waitFor({ timeout });
    await waitForText(row, /Completed/);
    log("call in the history");
    await shot(page, "call-history");
    await page.getByLabel("Outcome").selectOption({ label: "No answer" });
    await page.getByText("No calls match these filters.").waitFor({ timeout });
    await page.getByLabel("Outcome").selectOption({ label: "Completed" });
    await row.first().waitFor({ timeout });
    log("outcome filter");
    await row.first().getByRole("link").first().click();
    // The phone caller asked about the internet: the scripted agent handed over to telecom.
    await page.getByRole("article", { name: "Tool call handoff_to_agent: Done" }).waitFor({ timeout });
    await waitForText(page.getByRole("list", { name: "Call transcript" }).getByRole("listitem"), /internet/);
    log("call details with the tool call and the transcript");
    await shot(page, "call-detail");
  },

  /** Campaigns: create from a CSV with one bad row, see the rejection, then progress on the detail page. */
  async campaign(page) {
    await page.goto(config.baseUrl + "/campaigns");
    await page.getByLabel("Name", { exact: true }).fill("E2E renewals");
    await page.getByLabel("Goal and script").fill("Remind {name} that the plan renews next week.");
    await page.getByLabel("Contacts (CSV)").setInputFiles(config.csvPath);
    for (const day of ["Sat", "Sun"]) await page.getByLabel(day, { exact: true }).check();
    await page.getByLabel("Window opens").fill("00:00");
    await page.getByLabel("Window closes").fill("23:59");
    await page.getByLabel("Default time zone").fill("UTC");
    await page.getByRole("button", { name: "Create campaign" }).click();
    const result = page.locator(".upload-result");
    await waitForText(result, /1 row was rejected/);
    await waitForText(result.getByRole("row"), /^\s*4/);
    log("bad row reported with its line");
    await result.scrollIntoViewIfNeeded();
    await shot(page, "campaigns");
    await result.getByRole("link").click();
    await page.getByRole("heading", { name: "Progress by outcome" }).waitFor({ timeout });
    // Both good contacts answer and hang up after the greeting: the counters and the chart move.
    await waitForText(page.getByRole("status"), /\b2 of 2 contacts done/);
    log("campaign done");
    await waitForText(page.locator("figure.chart tr").filter({ hasText: "Completed" }), /Completed\s*2$/);
    log("progress by outcome");
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "campaign-detail");
  },
};

async function main() {
  const run = scenarios[scenario];
  if (!run) throw new Error(`unknown scenario '${scenario}'; known: ${Object.keys(scenarios).join(", ")}`);
  const browser = await chromium.launch({
    executablePath: config.chromium,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${config.wav}`,
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") console.log(`browser console: ${message.text()}`);
  });
  page.on("pageerror", (error) => console.log(`page error: ${error.message}`));
  try {
    await run(page);
    console.log("ok");
  } catch (error) {
    console.log(`FAILED: ${error.message.split("\n")[0]}`);
    console.log(
      "page text:\n" +
        ((await page
          .locator("body")
          .innerText()
          .catch(() => "")) || "(none)"),
    );
    await shot(page, scenario, config.failures).catch(() => {});
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

await main();
