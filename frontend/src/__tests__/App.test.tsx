import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { App } from "../App";
import { fakeFetch, json } from "../test/fakeFetch";
import { AGENTS, renderWith } from "../test/render";

function setup(features = { phone: true, campaigns: true }) {
  const fake = fakeFetch({
    "GET /api/agents": () => json({ agents: AGENTS }),
    "GET /api/calls": () => json({ calls: [], next_page_token: null }),
    "GET /api/source-phone-number": () => json({ phone_number: "+18005550100" }),
  });
  renderWith(<App />, fake, { features });
  return fake;
}

describe("App", () => {
  it("opens on the voice agent and marks it current in the navigation", async () => {
    setup();
    expect(screen.getByRole("heading", { level: 1, name: "Voice agent" })).toBeInTheDocument();
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(nav).toHaveTextContent("Voice agentDialerCall historyLiveDashboardCampaigns");
    expect(screen.getByRole("link", { name: "Voice agent" })).toHaveAttribute("aria-current", "page");
    await screen.findByRole("radio", { name: /Front desk/ });
  });

  it("navigates in place, updates the URL and title, and moves focus to the new heading", async () => {
    setup();
    fireEvent.click(screen.getByRole("link", { name: "Call history" }));
    const heading = await screen.findByRole("heading", { level: 1, name: "Call history" });
    expect(window.location.pathname).toBe("/calls");
    expect(document.title).toBe("Call history · Agentic Call Center");
    await waitFor(() => expect(heading).toHaveFocus());
    expect(screen.getByRole("link", { name: "Call history" })).toHaveAttribute("aria-current", "page");
  });

  it("follows the browser's back button", async () => {
    setup();
    fireEvent.click(screen.getByRole("link", { name: "Dialer" }));
    await screen.findByRole("heading", { level: 1, name: "Dialer" });
    window.history.back();
    await screen.findByRole("heading", { level: 1, name: "Voice agent" });
  });

  it("leaves switched-off features out of the navigation", () => {
    setup({ phone: false, campaigns: false });
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(nav).toHaveTextContent("Voice agentCall history");
  });

  it("shows a not-found page for unknown paths", () => {
    window.history.replaceState(null, "", "/nowhere");
    setup();
    expect(screen.getByRole("heading", { level: 1, name: "Page not found" })).toBeInTheDocument();
  });

  it("offers a skip link to the content", () => {
    setup();
    expect(screen.getByRole("link", { name: "Skip to content" })).toHaveAttribute("href", "#main");
    expect(screen.getByRole("main")).toHaveAttribute("id", "main");
  });
});
