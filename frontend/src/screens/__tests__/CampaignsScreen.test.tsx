import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Campaign } from "../../api/types";
import { apiError, fakeFetch, json, type Handler } from "../../test/fakeFetch";
import { AGENTS, renderWith } from "../../test/render";
import { CampaignsScreen } from "../CampaignsScreen";

const COUNTERS = {
  pending: 3,
  in_progress: 1,
  completed: 4,
  no_answer: 1,
  busy: 0,
  failed: 0,
  voicemail: 1,
  do_not_call: 0,
  transferred: 0,
};

const CAMPAIGN: Campaign = {
  id: "c1",
  name: "Renewals",
  status: "running",
  agent: "retail",
  counters: COUNTERS,
  total: 10,
};

function setup(routes: Record<string, Handler> = {}) {
  const fake = fakeFetch({
    "GET /api/campaigns": () => json({ campaigns: [CAMPAIGN] }),
    "GET /api/agents": () => json({ agents: AGENTS }),
    ...routes,
  });
  renderWith(<CampaignsScreen />, fake);
  return fake;
}

function chooseCsv(text: string, name = "contacts.csv") {
  const file = new File([text], name, { type: "text/csv" });
  fireEvent.change(screen.getByLabelText("Contacts (CSV)"), { target: { files: [file] } });
}

describe("CampaignsScreen", () => {
  it("lists campaigns with their progress", async () => {
    setup();
    const link = await screen.findByRole("link", { name: "Renewals" });
    expect(link).toHaveAttribute("href", "/campaigns/c1");
    const row = link.closest("tr")!;
    expect(within(row).getByText("6 / 10")).toBeInTheDocument();
    expect(within(row).getByText("Running")).toBeInTheDocument();
  });

  it("checks the form before uploading anything", async () => {
    const fake = setup();
    await screen.findByRole("option", { name: "Billing" });
    fireEvent.click(screen.getByRole("button", { name: "Create campaign" }));
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("Give the campaign a name.");
    expect(alert).toHaveTextContent("Choose a contacts CSV file.");
    expect(fake.calls("POST /api/campaigns")).toHaveLength(0);
  });

  it("creates a campaign from a CSV and lists the rows the server rejected", async () => {
    const fake = setup({
      "POST /api/campaigns": () =>
        json(
          {
            campaign: { ...CAMPAIGN, id: "c2", name: "Reminders", status: "scheduled", total: 2 },
            accepted: 2,
            rejected: [{ line: 3, reason: "phone is not E.164: 555-0100" }],
          },
          201,
        ),
    });
    await screen.findByRole("option", { name: "Billing" });
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Reminders" } });
    fireEvent.change(screen.getByLabelText("Agent"), { target: { value: "billing" } });
    fireEvent.change(screen.getByLabelText("Goal and script"), { target: { value: "Remind {name}" } });
    fireEvent.click(screen.getByRole("checkbox", { name: "Sat" }));
    fireEvent.change(screen.getByLabelText("Max concurrent calls"), { target: { value: "3" } });
    fireEvent.click(screen.getByRole("radio", { name: "Hang up" }));
    chooseCsv("phone,name\n+14155550100,Ada\n555-0100,Bob\n+14155550101,Cy\n");
    fireEvent.click(screen.getByRole("button", { name: "Create campaign" }));

    const result = await screen.findByText(/rejected/);
    expect(result.closest(".upload-result")).toHaveTextContent(
      "Created Reminders with 2 contacts. 1 row was rejected:",
    );
    const rejected = screen.getByRole("table", { name: "Rejected rows" });
    expect(within(rejected).getByText("3")).toBeInTheDocument();
    expect(within(rejected).getByText("phone is not E.164: 555-0100")).toBeInTheDocument();

    const form = fake.calls("POST /api/campaigns")[0].body as FormData;
    const settings = JSON.parse(String(form.get("settings")));
    expect(settings).toMatchObject({
      name: "Reminders",
      agent: "billing",
      script: "Remind {name}",
      calling_window: { days: ["mon", "tue", "wed", "thu", "fri", "sat"], start: "09:00", end: "18:00" },
      pacing: { max_concurrent: 3 },
      voicemail_policy: "hang_up",
    });
    expect((form.get("contacts") as File).name).toBe("contacts.csv");
    // The list is refreshed after creating.
    await waitFor(() => expect(fake.calls("GET /api/campaigns").length).toBeGreaterThanOrEqual(2));
  });

  it("shows a campaign the server refused as a whole", async () => {
    setup({ "POST /api/campaigns": () => apiError(400, "invalid_csv", "The CSV has no phone column") });
    await screen.findByRole("option", { name: "Billing" });
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "X" } });
    chooseCsv("name\nAda\n");
    fireEvent.click(screen.getByRole("button", { name: "Create campaign" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The campaign was not created");
    expect(alert).toHaveTextContent("The CSV has no phone column");
  });

  it("explains when campaigns are not configured", async () => {
    setup({ "GET /api/campaigns": () => apiError(503, "not_configured", "Campaigns need ACS") });
    expect(await screen.findByText("Campaigns is not available on this deployment.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Create campaign" })).not.toBeInTheDocument();
  });
});
