import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { CallRecord } from "../../api/types";
import { apiError, fakeFetch, json } from "../../test/fakeFetch";
import { renderWith } from "../../test/render";
import { CallHistoryScreen } from "../CallHistoryScreen";

function call(id: string, overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    call_id: id,
    direction: "inbound",
    agent: "telecom",
    status: "ended",
    outcome: "completed",
    started_at: "2025-03-01T09:00:00Z",
    answered_at: "2025-03-01T09:00:02Z",
    ended_at: "2025-03-01T09:02:05Z",
    duration_s: 123,
    estimated_cost: 0.37,
    tool_calls: 0,
    usage: {},
    ...overrides,
  };
}

describe("CallHistoryScreen", () => {
  it("lists calls with outcome, duration and cost, each linking to its detail", async () => {
    const fake = fakeFetch({
      "GET /api/calls": () =>
        json({
          calls: [
            call("c1", { from_number: "+15550100001", to_number: "+18005550100" }),
            call("c2", { outcome: "no_answer", direction: "outbound", to_number: "+15550100002" }),
          ],
          next_page_token: null,
        }),
    });
    renderWith(<CallHistoryScreen />, fake);
    await waitFor(() => expect(screen.getAllByRole("row")).toHaveLength(3));
    const rows = screen.getAllByRole("row");
    expect(within(rows[1]).getByText("2:03")).toBeInTheDocument();
    expect(within(rows[1]).getByText("$0.37")).toBeInTheDocument();
    expect(within(rows[2]).getByText("No answer")).toBeInTheDocument();
    // The customer's number: the caller of an inbound call, the callee of an outbound one.
    expect(within(rows[1]).getByText("+15550100001")).toBeInTheDocument();
    expect(within(rows[2]).getByText("+15550100002")).toBeInTheDocument();
    expect(within(rows[1]).getByRole("link")).toHaveAttribute("href", "/calls/c1");
  });

  it("sends the filters to the API and starts over at the first page", async () => {
    const fake = fakeFetch({ "GET /api/calls": () => json({ calls: [], next_page_token: null }) });
    renderWith(<CallHistoryScreen />, fake);
    await screen.findByText("No calls match these filters.");
    fireEvent.change(screen.getByLabelText("Direction"), { target: { value: "outbound" } });
    fireEvent.change(screen.getByLabelText("Outcome"), { target: { value: "voicemail" } });
    fireEvent.change(screen.getByLabelText("From"), { target: { value: "2025-03-01" } });
    await waitFor(() => {
      const last = fake.requests.at(-1)!.url.searchParams;
      expect(last.get("direction")).toBe("outbound");
      expect(last.get("outcome")).toBe("voicemail");
      expect(new Date(last.get("from")!).getTime()).toBe(new Date("2025-03-01T00:00:00").getTime());
      expect(last.has("page_token")).toBe(false);
    });
  });

  it("filters by no answer with the backend's spelling of the outcome", async () => {
    const fake = fakeFetch({ "GET /api/calls": () => json({ calls: [], next_page_token: null }) });
    renderWith(<CallHistoryScreen />, fake);
    await screen.findByText("No calls match these filters.");
    const option = screen.getByRole("option", { name: "No answer" });
    fireEvent.change(screen.getByLabelText("Outcome"), { target: { value: option.getAttribute("value") } });
    await waitFor(() => expect(fake.requests.at(-1)!.url.searchParams.get("outcome")).toBe("no_answer"));
  });

  it("loads the next page with the token and appends it", async () => {
    const fake = fakeFetch({
      "GET /api/calls": (r) =>
        r.url.searchParams.get("page_token") === "p2"
          ? json({ calls: [call("c2")], next_page_token: null })
          : json({ calls: [call("c1")], next_page_token: "p2" }),
    });
    renderWith(<CallHistoryScreen />, fake);
    fireEvent.click(await screen.findByRole("button", { name: "Load more" }));
    await waitFor(() => expect(screen.getAllByRole("row")).toHaveLength(3));
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("shows a load failure with a retry that works", async () => {
    let fail = true;
    const fake = fakeFetch({
      "GET /api/calls": () =>
        fail
          ? apiError(503, "storage_unavailable", "Storage is not reachable")
          : json({ calls: [call("c1")], next_page_token: null }),
    });
    renderWith(<CallHistoryScreen />, fake);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Storage is not reachable");
    fail = false;
    fireEvent.click(within(alert).getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(screen.getAllByRole("row")).toHaveLength(2));
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});
