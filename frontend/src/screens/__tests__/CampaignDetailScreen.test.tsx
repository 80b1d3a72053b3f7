import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Campaign } from "../../api/types";
import { fakeFetch, json, apiError } from "../../test/fakeFetch";
import { renderWith } from "../../test/render";
import { CampaignDetailScreen } from "../CampaignDetailScreen";

function campaign(status: string, overrides: Partial<Campaign["counters"]> = {}): Campaign {
  return {
    id: "c1",
    name: "Renewals",
    status,
    agent: "retail",
    total: 10,
    counters: {
      pending: 3,
      in_progress: 1,
      completed: 4,
      no_answer: 1,
      busy: 0,
      failed: 0,
      voicemail: 1,
      do_not_call: 0,
      transferred: 0,
      ...overrides,
    },
  };
}

function setup(initial: string) {
  let status = initial;
  const fake = fakeFetch({
    "GET /api/campaigns/c1": () => json({ campaign: campaign(status) }),
    "GET /api/campaigns/c1/contacts": (r) =>
      json({
        contacts:
          r.url.searchParams.get("outcome") === "no_answer"
            ? [{ name: "Bob", phone: "+1415555••01", outcome: "no_answer", attempts: 2, call_id: "k2" }]
            : [
                { name: "Ada", phone: "+1415555••00", outcome: "completed", attempts: 1, call_id: "k1" },
                { name: "Bob", phone: "+1415555••01", outcome: "no_answer", attempts: 2, call_id: "k2" },
              ],
        next_page_token: null,
      }),
    "POST /api/campaigns/c1/pause": () => {
      status = "paused";
      return json({ campaign: campaign(status) });
    },
    "POST /api/campaigns/c1/resume": () => {
      status = "running";
      return json({ campaign: campaign(status) });
    },
    "POST /api/campaigns/c1/cancel": () => {
      status = "cancelled";
      return json({ campaign: campaign(status) });
    },
  });
  renderWith(<CampaignDetailScreen campaignId="c1" />, fake);
  return fake;
}

describe("CampaignDetailScreen", () => {
  it("charts progress by outcome with an accessible description and table", async () => {
    setup("running");
    const chart = await screen.findByRole("img", { name: /Contacts of Renewals by outcome/ });
    expect(chart).toHaveAccessibleName(expect.stringContaining("Completed: 4"));
    expect(chart).toHaveAccessibleName(expect.stringContaining("No answer: 1"));
    const table = screen.getByRole("table", { name: "Contacts of Renewals by outcome" });
    expect(within(table).getByRole("rowheader", { name: "Pending" }).nextSibling).toHaveTextContent("3");
    expect(screen.getByText(/6 of 10 contacts done/)).toBeInTheDocument();
  });

  it("pauses and resumes a running campaign", async () => {
    const fake = setup("running");
    fireEvent.click(await screen.findByRole("button", { name: "Pause" }));
    const resume = await screen.findByRole("button", { name: "Resume" });
    expect(fake.calls("POST /api/campaigns/c1/pause")).toHaveLength(1);
    fireEvent.click(resume);
    await screen.findByRole("button", { name: "Pause" });
    expect(fake.calls("POST /api/campaigns/c1/resume")).toHaveLength(1);
  });

  it("cancels only after confirmation, then offers no more controls", async () => {
    const fake = setup("running");
    fireEvent.click(await screen.findByRole("button", { name: "Cancel campaign" }));
    expect(fake.calls("POST /api/campaigns/c1/cancel")).toHaveLength(0);
    const confirm = screen.getByRole("group", { name: "Confirm cancel" });
    fireEvent.click(within(confirm).getByRole("button", { name: "Yes, cancel" }));
    await waitFor(() => expect(screen.getByText("Cancelled")).toBeInTheDocument());
    expect(fake.calls("POST /api/campaigns/c1/cancel")).toHaveLength(1);
    expect(screen.queryByRole("button", { name: "Pause" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel campaign" })).not.toBeInTheDocument();
  });

  it("links the CSV export", async () => {
    setup("completed");
    const link = await screen.findByRole("link", { name: "Export results (CSV)" });
    expect(link).toHaveAttribute("href", "/api/campaigns/c1/export.csv");
    expect(link).toHaveAttribute("download");
  });

  it("filters contacts by outcome", async () => {
    const fake = setup("completed");
    await screen.findByText("Ada");
    fireEvent.change(screen.getByLabelText("Outcome"), { target: { value: "no_answer" } });
    await waitFor(() => expect(screen.queryByText("Ada")).not.toBeInTheDocument());
    expect(screen.getByText("Bob")).toBeInTheDocument();
    expect(fake.calls("GET /api/campaigns/c1/contacts").at(-1)!.url.searchParams.get("outcome")).toBe("no_answer");
  });

  it("stops polling once the campaign has finished", async () => {
    const fake = setup("completed");
    await screen.findByText("Ada");
    await new Promise((r) => setTimeout(r, 60));
    expect(fake.calls("GET /api/campaigns/c1")).toHaveLength(1);
  });

  it("shows why a control was refused", async () => {
    const fake = setup("running");
    fake.on("POST /api/campaigns/c1/pause", () => apiError(409, "conflict", "Campaign is already finishing"));
    fireEvent.click(await screen.findByRole("button", { name: "Pause" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Campaign is already finishing");
  });
});
