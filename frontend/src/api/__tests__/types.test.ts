import { describe, expect, it } from "vitest";
import { describeSpeech, type Agent } from "../types";

const AGENT: Agent = {
  name: "healthcare",
  display_name: "Contoso Health scheduling",
  description: "",
  voice: "en-US-Ava:DragonHDLatestNeural",
  backend: "voice-live",
  web_voice: "shimmer",
  handoffs: [],
  greeting: "",
};

describe("describeSpeech", () => {
  it("says a Voice Live agent speaks with its Azure voice on the web when the bridge relays it", () => {
    const relayed = { ...AGENT, web_backend: "voice-live" as const, web_voice: AGENT.voice };
    expect(describeSpeech(relayed)).toBe("Voice Live, en-US-Ava:DragonHDLatestNeural");
  });

  it("names the Realtime fallback of a Voice Live agent's web sessions without a bridge", () => {
    expect(describeSpeech({ ...AGENT, web_backend: "realtime" })).toBe(
      "Voice Live, en-US-Ava:DragonHDLatestNeural (on the web: Realtime, shimmer)",
    );
  });

  it("describes a Realtime agent by its voice", () => {
    expect(describeSpeech({ ...AGENT, backend: "realtime", voice: "alloy" })).toBe("Realtime, alloy");
  });
});
