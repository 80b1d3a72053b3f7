import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ApiClient } from "../../api/client";
import { RealtimeSession } from "../../realtime/session";
import { apiError, fakeFetch, json, type FakeFetch, type Handler } from "../../test/fakeFetch";
import { FakePeerConnection, fakeMicStream } from "../../test/fakeWebRtc";
import { AGENTS, renderWith } from "../../test/render";
import { VoiceAgentScreen } from "../VoiceAgentScreen";

const GRANT = {
  session_id: "s1",
  ephemeral_key: "ek_test",
  expires_at: 0,
  realtime_url: "https://res.openai.azure.com/openai/v1/realtime/calls",
  deployment: "gpt-realtime",
  voice: "alloy",
  agent: "triage",
};

function setup(routes: Record<string, Handler> = {}, mic: { deny?: boolean } = {}) {
  const fake: FakeFetch = fakeFetch({
    "GET /api/agents": () => json({ agents: AGENTS }),
    "POST /api/session": () => json(GRANT),
    "POST /openai/v1/realtime/calls": () => new Response("v=0\r\n", { status: 201 }),
    ...routes,
  });
  const pcs: FakePeerConnection[] = [];
  const mics: ReturnType<typeof fakeMicStream>[] = [];
  const createSession = () =>
    new RealtimeSession({
      api: new ApiClient("", fake.fetch),
      createPeerConnection: () => {
        const pc = new FakePeerConnection();
        pcs.push(pc);
        return pc as unknown as RTCPeerConnection;
      },
      getUserMedia: async () => {
        if (mic.deny) throw Object.assign(new Error("denied"), { name: "NotAllowedError" });
        const m = fakeMicStream();
        mics.push(m);
        return m.stream;
      },
      fetch: fake.fetch,
    });
  renderWith(<VoiceAgentScreen />, fake, { createSession });
  return { fake, pcs, mics };
}

/** The Start button, once the agents have loaded and one is selected. */
async function startButton() {
  const button = await screen.findByRole("button", { name: "Start conversation" });
  await waitFor(() => expect(button).toBeEnabled());
  return button;
}

/** Click Start and open the data channel once the SDP exchange is done. */
async function startConversation(pcs: FakePeerConnection[]) {
  fireEvent.click(await startButton());
  await waitFor(() => expect(pcs.at(-1)?.remoteDescription).toBeTruthy());
  const channel = pcs.at(-1)!.channel;
  act(() => channel.open());
  return channel;
}

describe("VoiceAgentScreen", () => {
  it("lists the agents to choose from, the first one selected", async () => {
    setup();
    const picker = await screen.findByRole("group", { name: "Choose an agent" });
    const radios = within(picker).getAllByRole("radio");
    expect(radios.map((r) => (r as HTMLInputElement).value)).toEqual(["triage", "billing"]);
    await waitFor(() => expect(within(picker).getByRole("radio", { name: /Front desk/ })).toBeChecked());
  });

  it("shows each agent's speech backend and voice", async () => {
    setup();
    const picker = await screen.findByRole("group", { name: "Choose an agent" });
    expect(await within(picker).findByRole("radio", { name: /Front desk/ })).toHaveAccessibleName(/Realtime, alloy/);
    expect(within(picker).getByRole("radio", { name: /Billing/ })).toHaveAccessibleName(
      /Voice Live, en-US-Ava:DragonHDLatestNeural \(on the web: Realtime, alloy\)/,
    );
  });

  it("starts a conversation with the chosen agent and shows both sides live", async () => {
    const { fake, pcs } = setup();
    fireEvent.click(await screen.findByRole("radio", { name: /Billing/ }));
    const channel = await startConversation(pcs);
    expect(JSON.parse(String(fake.calls("POST /api/session")[0].body))).toEqual({ agent: "billing" });
    expect(screen.getByText("Connected")).toBeInTheDocument();
    expect(screen.getByText(/Speaking with/)).toHaveTextContent("Speaking with Billing");
    expect(screen.getByRole("group", { name: "Choose an agent" })).toBeDisabled();

    act(() => {
      channel.receive({ type: "response.output_audio_transcript.delta", item_id: "a1", delta: "Billing " });
      channel.receive({ type: "response.output_audio_transcript.delta", item_id: "a1", delta: "here." });
      channel.receive({ type: "input_audio_buffer.speech_started", item_id: "u1" });
      channel.receive({
        type: "conversation.item.input_audio_transcription.completed",
        item_id: "u1",
        transcript: "What do I owe?",
      });
    });
    const log = screen.getByRole("log", { name: "Conversation transcript" });
    expect(within(log).getByText("Billing here.")).toBeInTheDocument();
    expect(within(log).getByText("What do I owe?")).toBeInTheDocument();
  });

  it("shows a tool call as a card and the handoff to another agent", async () => {
    const { pcs } = setup({
      "POST /api/function-call": () =>
        json({ call_id: "h1", output: '{"ok":true}', session: { instructions: "billing" }, agent: "billing" }),
    });
    const channel = await startConversation(pcs);
    act(() =>
      channel.receive({
        type: "response.function_call_arguments.done",
        call_id: "h1",
        name: "handoff_to_agent",
        arguments: '{"agent":"billing"}',
      }),
    );
    expect(await screen.findByRole("article", { name: "Tool call handoff_to_agent: Done" })).toBeInTheDocument();
    expect(screen.getByText(/handed the conversation to/)).toHaveTextContent(
      "Front desk handed the conversation to Billing.",
    );
    expect(screen.getByText(/Speaking with/)).toHaveTextContent("Speaking with Billing");
  });

  it("mutes the microphone and shows the meter as muted", async () => {
    const { pcs, mics } = setup();
    await startConversation(pcs);
    const mute = screen.getByRole("button", { name: "Mute" });
    expect(mute).toHaveAttribute("aria-pressed", "false");
    fireEvent.click(mute);
    expect(screen.getByRole("button", { name: "Unmute" })).toHaveAttribute("aria-pressed", "true");
    expect(mics[0].track.enabled).toBe(false);
    expect(screen.getByRole("meter", { name: "Microphone level" })).toHaveAttribute("aria-valuetext", "Muted");
  });

  it("ends the conversation and releases the microphone", async () => {
    const { pcs, mics } = setup();
    await startConversation(pcs);
    fireEvent.click(screen.getByRole("button", { name: "End conversation" }));
    expect(screen.getByText("Conversation ended")).toBeInTheDocument();
    expect(pcs[0].closed).toBe(true);
    expect(mics[0].track.stopped).toBe(true);
    expect(screen.getByRole("button", { name: "Start conversation" })).toBeEnabled();
  });

  it("explains a blocked microphone and offers a retry", async () => {
    const { fake } = setup({}, { deny: true });
    fireEvent.click(await startButton());
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Microphone blocked");
    expect(alert).toHaveTextContent(/Allow the microphone/);
    expect(within(alert).getByRole("button", { name: "Retry" })).toBeInTheDocument();
    expect(fake.calls("POST /api/session")).toHaveLength(0);
  });

  it("shows a refused session with the API's reason", async () => {
    setup({ "POST /api/session": () => apiError(429, "rate_limited", "Too many sessions, wait a minute") });
    fireEvent.click(await startButton());
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Session refused");
    expect(alert).toHaveTextContent("Too many sessions, wait a minute");
  });

  it("reports a lost connection and reconnects on retry with a fresh session", async () => {
    const { fake, pcs } = setup();
    await startConversation(pcs);
    act(() => pcs[0].setConnectionState("failed"));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Connection lost");
    fireEvent.click(within(alert).getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(pcs).toHaveLength(2));
    await waitFor(() => expect(pcs[1]?.remoteDescription).toBeTruthy());
    act(() => pcs[1].channel.open());
    expect(screen.getByText("Connected")).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(fake.calls("POST /api/session")).toHaveLength(2);
  });

  it("shows when the agent list cannot be loaded", async () => {
    setup({ "GET /api/agents": () => apiError(500, "internal", "boom (request r-1)") });
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not load the agents");
    expect(screen.getByRole("button", { name: "Start conversation" })).toBeDisabled();
  });
});
