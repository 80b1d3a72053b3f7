import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, fakeFetch, json } from "../../test/fakeFetch";
import { renderWith } from "../../test/render";
import { CallDetailScreen } from "../CallDetailScreen";

const DETAIL = {
  record: {
    call_id: "c1",
    direction: "inbound",
    agent: "telecom",
    status: "ended",
    outcome: "transferred",
    started_at: "2025-03-01T09:00:00Z",
    answered_at: "2025-03-01T09:00:02Z",
    ended_at: "2025-03-01T09:02:05Z",
    duration_s: 125,
    estimated_cost: 0.0042,
    tool_calls: 2,
    usage: { input_tokens: 1200, output_tokens: 800 },
    summary: { reason: "Internet down", resolution: "Transferred to a technician" },
  },
  // As GET /api/calls/{id} sends them: the record counts tool calls, the events list them.
  tool_calls: [
    { name: "check_outage", arguments: { zip: "98052" }, output: '{"outage":false}', ok: true, duration_ms: 41 },
    { name: "escalate_to_human", arguments: { reason: "angry" }, output: '{"error":"no agent"}', ok: false },
  ],
  transcript: [
    { role: "agent", text: "Thanks for calling.", ts: "2025-03-01T09:00:03Z" },
    { role: "caller", text: "My internet is down.", ts: "2025-03-01T09:00:06Z" },
  ],
};

describe("CallDetailScreen", () => {
  it("shows the outcome, duration, cost, summary, tool calls and transcript", async () => {
    const fake = fakeFetch({ "GET /api/calls/c1": () => json(DETAIL) });
    renderWith(<CallDetailScreen callId="c1" />, fake);
    const facts = await screen.findByRole("region", { name: "Call facts" });
    expect(within(facts).getByText("Transferred")).toBeInTheDocument();
    expect(within(facts).getByText("2:05")).toBeInTheDocument();
    expect(within(facts).getByText("$0.0042")).toBeInTheDocument();
    expect(within(facts).getByText("1200")).toBeInTheDocument();
    expect(screen.getByText("Transferred to a technician")).toBeInTheDocument();
    expect(screen.getByRole("article", { name: "Tool call check_outage: Done" })).toHaveTextContent("41 ms");
    expect(screen.getByRole("article", { name: "Tool call escalate_to_human: Failed" })).toBeInTheDocument();
    const transcript = screen.getByRole("list", { name: "Call transcript" });
    expect(
      within(transcript)
        .getAllByRole("listitem")
        .map((li) => li.querySelector("p")?.textContent),
    ).toEqual(["Thanks for calling.", "My internet is down."]);
  });

  it("says when the call does not exist, without a retry", async () => {
    const fake = fakeFetch({ "GET /api/calls/nope": () => apiError(404, "not_found", "No call nope") });
    renderWith(<CallDetailScreen callId="nope" />, fake);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Call not found");
    expect(within(alert).queryByRole("button")).not.toBeInTheDocument();
    expect(fake.calls("GET /api/calls/nope")).toHaveLength(1);
  });
});
