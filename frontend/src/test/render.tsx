/** Render a screen (or the whole app) with fake services: real ApiClient over a fake fetch. */
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { ApiClient } from "../api/client";
import type { Agent } from "../api/types";
import { ServicesProvider, type AppServices } from "../context";
import { readRuntimeConfig } from "../config";
import type { RealtimeSession } from "../realtime/session";
import type { FakeFetch } from "./fakeFetch";

export const AGENTS: Agent[] = [
  {
    name: "triage",
    display_name: "Front desk",
    description: "Finds out what you need",
    voice: "alloy",
    handoffs: ["billing"],
    greeting: "Hello, how can I help?",
  },
  {
    name: "billing",
    display_name: "Billing",
    description: "Balances and payments",
    voice: "en-US-Ava:DragonHDLatestNeural",
    backend: "voice-live",
    web_voice: "alloy",
    handoffs: [],
    greeting: "Billing here.",
  },
];

export function renderWith(
  ui: ReactElement,
  fake: FakeFetch,
  options: { createSession?: () => RealtimeSession; features?: { phone: boolean; campaigns: boolean } } = {},
) {
  const config = readRuntimeConfig({ apiBaseUrl: "", features: options.features ?? { phone: true, campaigns: true } });
  const services: AppServices = {
    config,
    api: new ApiClient("", fake.fetch),
    createSession:
      options.createSession ??
      (() => {
        throw new Error("this test starts no voice session");
      }),
    pollMs: 10,
  };
  return render(<ServicesProvider services={services}>{ui}</ServicesProvider>);
}
