import { describe, expect, it } from "vitest";
import { ApiClient, ApiError } from "../client";
import type { CampaignSettings } from "../types";
import { apiError, fakeFetch, json } from "../../test/fakeFetch";

const SETTINGS: CampaignSettings = {
  name: "Renewals",
  agent: "retail",
  script: "Remind {name}",
  calling_window: { days: ["mon"], start: "09:00", end: "17:00", time_zone: "UTC" },
  pacing: { max_concurrent: 2, max_calls_per_minute: 5 },
  attempts: { max_per_contact: 3, retry_delay_minutes: 60 },
  voicemail_policy: "hang_up",
};

describe("ApiClient", () => {
  it("prefixes paths with the configured base URL and drops empty query values", async () => {
    const fake = fakeFetch({ "GET /api/calls": () => json({ calls: [], next_page_token: null }) });
    const api = new ApiClient("https://func.example.net", fake.fetch);
    await api.listCalls({ direction: "inbound", outcome: "", from: undefined, page_token: "p2" });
    const url = fake.requests[0].url;
    expect(url.origin).toBe("https://func.example.net");
    expect(url.pathname).toBe("/api/calls");
    expect([...url.searchParams.entries()]).toEqual([
      ["direction", "inbound"],
      ["page_token", "p2"],
    ]);
  });

  it("sends JSON bodies with a JSON content type", async () => {
    const fake = fakeFetch({ "POST /api/session": () => json({ session_id: "s1" }) });
    await new ApiClient("", fake.fetch).createSession("telecom");
    const request = fake.calls("POST /api/session")[0];
    expect(request.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(String(request.body))).toEqual({ agent: "telecom" });
  });

  it("turns the API's error body into an ApiError with its status and code", async () => {
    const fake = fakeFetch({ "POST /api/call": () => apiError(422, "invalid_input", "number must be E.164") });
    const error = await new ApiClient("", fake.fetch).placeCall({ number: "123" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: "invalid_input", message: "number must be E.164" });
  });

  it("hides a non-JSON gateway page behind a generic message", async () => {
    const fake = fakeFetch({
      "GET /api/agents": () => new Response("<html>Bad Gateway secret-stacktrace</html>", { status: 502 }),
    });
    const error = (await new ApiClient("", fake.fetch).listAgents().catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe("http_502");
    expect(error.message).not.toContain("secret");
  });

  it("reports a dropped connection as network_error", async () => {
    const failing = (() => Promise.reject(new TypeError("Failed to fetch"))) as typeof fetch;
    const error = (await new ApiClient("", failing).listAgents().catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ status: 0, code: "network_error" });
  });

  it("lets an abort through as an AbortError rather than an API error", async () => {
    const controller = new AbortController();
    controller.abort();
    const fake = fakeFetch({ "GET /api/agents": () => json({ agents: [] }) });
    const error = await new ApiClient("", fake.fetch).listAgents(controller.signal).catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
  });

  it("rejects a successful response that is not JSON", async () => {
    const fake = fakeFetch({ "GET /api/agents": () => new Response("oops", { status: 200 }) });
    const error = (await new ApiClient("", fake.fetch).listAgents().catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe("bad_response");
  });

  it("uploads a campaign as multipart with the CSV file and the settings as JSON", async () => {
    const fake = fakeFetch({
      "POST /api/campaigns": () => json({ campaign: { id: "c1" }, accepted: 1, rejected: [] }, 201),
    });
    const file = new File(["phone,name\n+14155550123,Ada\n"], "list.csv", { type: "text/csv" });
    const result = await new ApiClient("", fake.fetch).createCampaignFromCsv(SETTINGS, file);
    expect(result.accepted).toBe(1);
    const request = fake.calls("POST /api/campaigns")[0];
    // The browser sets the multipart boundary itself; a hand-set content type would break it.
    expect(request.headers["content-type"]).toBeUndefined();
    const form = request.body as FormData;
    expect(JSON.parse(String(form.get("settings")))).toEqual(SETTINGS);
    const contacts = form.get("contacts") as File;
    expect(contacts.name).toBe("list.csv");
    expect(await readText(contacts)).toContain("+14155550123,Ada");
  });

  it("encodes ids in paths and builds the export link", async () => {
    const fake = fakeFetch({
      "POST /api/campaigns/a%2Fb/pause": () => json({ campaign: { id: "a/b", status: "paused" } }),
    });
    const api = new ApiClient("http://127.0.0.1:7071", fake.fetch);
    const campaign = await api.controlCampaign("a/b", "pause");
    expect(campaign.status).toBe("paused");
    expect(api.campaignExportUrl("c 1")).toBe("http://127.0.0.1:7071/api/campaigns/c%201/export.csv");
  });

  it("reads the source phone number and the tool list", async () => {
    const fake = fakeFetch({
      "GET /api/source-phone-number": () => json({ phone_number: "+18005550100" }),
      "GET /api/tools": (r) =>
        json({ tools: [{ type: "function", name: r.url.searchParams.get("channel") }], tool_choice: "auto" }),
    });
    const api = new ApiClient("", fake.fetch);
    expect(await api.getSourcePhoneNumber()).toBe("+18005550100");
    expect((await api.listTools("web")).tools[0].name).toBe("web");
  });
});

/** jsdom's Blob has no text(); FileReader is there. */
function readText(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}
