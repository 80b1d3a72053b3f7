import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { CallDetail } from "../../api/types";
import { apiError, fakeFetch, json, type Handler } from "../../test/fakeFetch";
import { AGENTS, renderWith } from "../../test/render";
import { DialerScreen } from "../DialerScreen";

function record(overrides: Partial<CallDetail["record"]> = {}): CallDetail["record"] {
  return {
    call_id: "call-1",
    direction: "outbound",
    agent: "triage",
    status: "ringing",
    outcome: null,
    started_at: "2025-01-01T10:00:00Z",
    answered_at: null,
    ended_at: null,
    duration_s: null,
    estimated_cost: null,
    tool_calls: 0,
    usage: {},
    ...overrides,
  };
}

function setup(routes: Record<string, Handler> = {}, features = { phone: true, campaigns: true }) {
  const fake = fakeFetch({
    "GET /api/source-phone-number": () => json({ phone_number: "+18005550100" }),
    "GET /api/agents": () => json({ agents: AGENTS }),
    "POST /api/call": () => json({ call_id: "call-1", status_url: "/api/calls/call-1" }, 202),
    ...routes,
  });
  renderWith(<DialerScreen />, fake, { features });
  return fake;
}

const dial = (number: string) => {
  fireEvent.change(screen.getByLabelText("Phone number"), { target: { value: number } });
  fireEvent.click(screen.getByRole("button", { name: "Place call" }));
};

describe("DialerScreen", () => {
  it("shows the number calls come from", async () => {
    setup();
    expect(await screen.findByText("+18005550100")).toBeInTheDocument();
  });

  it("refuses a number that is not E.164 and says why, without calling the API", async () => {
    const fake = setup();
    await screen.findByText("+18005550100");
    dial("415 555 0123");
    const input = screen.getByLabelText("Phone number");
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(input).toHaveAccessibleDescription(/Start with \+ and the country code/);
    expect(fake.calls("POST /api/call")).toHaveLength(0);
  });

  it("places the call with the normalised number and chosen agent, then follows it until it ends", async () => {
    let polls = 0;
    const fake = setup({
      "GET /api/calls/call-1": () => {
        polls += 1;
        if (polls === 1) return apiError(404, "not_found", "no record yet");
        if (polls === 2) return json({ record: record({ status: "connected" }), transcript: [] });
        return json({
          record: record({ status: "ended", outcome: "completed", ended_at: "2025-01-01T10:01:05Z", duration_s: 65 }),
          transcript: [{ role: "agent", text: "Hello, this is the front desk.", ts: "2025-01-01T10:00:05Z" }],
        });
      },
    });
    await screen.findByRole("option", { name: "Billing" });
    fireEvent.change(screen.getByLabelText("Agent"), { target: { value: "billing" } });
    fireEvent.change(screen.getByLabelText("Context for the agent (optional)"), {
      target: { value: "Overdue invoice" },
    });
    dial("+1 (415) 555-0123");

    const live = await screen.findByRole("region", { name: "Call in progress" });
    expect(JSON.parse(String(fake.calls("POST /api/call")[0].body))).toEqual({
      number: "+14155550123",
      agent: "billing",
      context: "Overdue invoice",
    });
    await waitFor(() => expect(within(live).getByRole("status")).toHaveTextContent("Outcome: Completed"));
    expect(within(live).getByRole("status")).toHaveTextContent("Duration: 1:05");
    expect(within(live).getByText("Hello, this is the front desk.")).toBeInTheDocument();
    expect(within(live).getByRole("link", { name: "Open call details" })).toHaveAttribute("href", "/calls/call-1");
    // The 404 before the record existed was not shown as an error, and polling stopped at the end.
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    const settled = polls;
    await new Promise((r) => setTimeout(r, 50));
    expect(polls).toBe(settled);
  });

  it("shows why the API refused the call", async () => {
    setup({ "POST /api/call": () => apiError(429, "rate_limited", "Too many calls; try again in a minute") });
    await screen.findByText("+18005550100");
    dial("+14155550123");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The call was not placed");
    expect(alert).toHaveTextContent("Too many calls; try again in a minute");
  });

  it("explains when phone calling is not configured", async () => {
    setup({
      "GET /api/source-phone-number": () => apiError(503, "not_configured", "ACS is not configured (ACS_ENDPOINT)"),
    });
    expect(await screen.findByText("Phone calling is not available on this deployment.")).toBeInTheDocument();
    expect(screen.getByText("ACS is not configured (ACS_ENDPOINT)")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Place call" })).not.toBeInTheDocument();
  });

  it("hides the dialer when the phone feature is switched off", () => {
    setup({}, { phone: false, campaigns: true });
    expect(screen.getByText("Phone calling is not available on this deployment.")).toBeInTheDocument();
  });
});
