import { describe, expect, it, vi } from "vitest";
import { ApiClient } from "../../api/client";
import type { SessionGrant } from "../../api/types";
import { apiError, fakeFetch, json, type Handler } from "../../test/fakeFetch";
import { FakePeerConnection, fakeMicStream } from "../../test/fakeWebRtc";
import { RealtimeSession, SessionState, type SessionDeps, type SessionEvent } from "../session";

const GRANT: SessionGrant = {
  session_id: "sess_1",
  ephemeral_key: "ek_secret_123",
  expires_at: 1_900_000_000,
  realtime_url: "https://res.openai.azure.com/openai/v1/realtime/calls",
  deployment: "gpt-realtime",
  voice: "alloy",
  agent: "triage",
};
const SDP_ANSWER = "v=0\r\no=fake-answer\r\n";

function setup(routes: Record<string, Handler> = {}, deps: Partial<SessionDeps> = {}) {
  const fake = fakeFetch({
    "POST /api/session": () => json(GRANT),
    "POST /openai/v1/realtime/calls": () =>
      new Response(SDP_ANSWER, { status: 201, headers: { "Content-Type": "application/sdp" } }),
    ...routes,
  });
  const pcs: FakePeerConnection[] = [];
  const mic = fakeMicStream();
  const session = new RealtimeSession({
    api: new ApiClient("", fake.fetch),
    createPeerConnection: () => {
      const pc = new FakePeerConnection();
      pcs.push(pc);
      return pc as unknown as RTCPeerConnection;
    },
    getUserMedia: async () => mic.stream,
    fetch: fake.fetch,
    ...deps,
  });
  const events: SessionEvent[] = [];
  session.subscribe((e) => events.push(e));
  const pc = () => {
    if (pcs.length !== 1) throw new Error(`expected one peer connection, got ${pcs.length}`);
    return pcs[0];
  };
  /** Start and open the data channel: the session is then Connected. */
  const connect = async (agent = "triage", greeting?: string) => {
    await session.start(agent, { greeting });
    pc().channel.open();
    return pc().channel;
  };
  return { fake, session, events, pc, pcs, mic, connect };
}

function failures(events: SessionEvent[]) {
  return events.flatMap((e) => (e.type === "failed" ? [e.error.kind] : []));
}

describe("RealtimeSession connecting", () => {
  it("mints a session, posts the SDP offer with the ephemeral key and applies the answer", async () => {
    const { fake, session, pc, mic, connect } = setup();
    const channel = await connect("triage");

    expect(JSON.parse(String(fake.calls("POST /api/session")[0].body))).toEqual({ agent: "triage" });
    const sdp = fake.calls("POST /openai/v1/realtime/calls")[0];
    expect(sdp.url.href).toBe(GRANT.realtime_url);
    expect(sdp.headers.authorization).toBe("Bearer ek_secret_123");
    expect(sdp.headers["content-type"]).toBe("application/sdp");
    expect(sdp.body).toBe("v=0\r\no=fake-offer\r\n");
    expect(pc().remoteDescription).toEqual({ type: "answer", sdp: SDP_ANSWER });
    expect(pc().tracks).toEqual([mic.track]);
    expect(channel.label).toBe("oai-events");
    expect(session.state).toBe(SessionState.Connected);
  });

  it("asks the model to greet first with the agent's greeting once the channel opens", async () => {
    const { connect } = setup();
    const channel = await connect("triage", "Hello, how can I help?");
    const [greet] = channel.sentOfType("response.create");
    expect(JSON.stringify(greet)).toContain("Hello, how can I help?");
  });

  it("never lets the ephemeral key out in any event", async () => {
    const { events, connect } = setup();
    const channel = await connect();
    channel.receive({ type: "session.created", session: {} });
    expect(JSON.stringify(events)).not.toContain("ek_secret_123");
  });

  it("reports the states it goes through and the first agent", async () => {
    const { events, connect } = setup();
    await connect("triage");
    expect(events.filter((e) => e.type === "state").map((e) => (e as { state: string }).state)).toEqual([
      "connecting",
      "connected",
    ]);
    expect(events).toContainEqual({ type: "agent", agent: "triage", previous: null });
  });

  it("hands the remote audio stream to the page", async () => {
    const { events, pc, connect } = setup();
    await connect();
    const remote = { id: "remote" } as unknown as MediaStream;
    pc().addRemoteStream(remote);
    expect(events).toContainEqual({ type: "remote_stream", stream: remote });
  });
});

describe("RealtimeSession failures", () => {
  it("reports a denied microphone and mints no session", async () => {
    const denied = Object.assign(new Error("Permission denied"), { name: "NotAllowedError" });
    const { fake, session, events, pcs } = setup({}, { getUserMedia: () => Promise.reject(denied) });
    await session.start("triage");
    expect(failures(events)).toEqual(["mic_denied"]);
    expect(session.state).toBe(SessionState.Failed);
    expect(fake.calls("POST /api/session")).toHaveLength(0);
    expect(pcs).toHaveLength(0);
  });

  it("reports a missing microphone", async () => {
    const missing = Object.assign(new Error("none"), { name: "NotFoundError" });
    const { session, events } = setup({}, { getUserMedia: () => Promise.reject(missing) });
    await session.start("triage");
    expect(failures(events)).toEqual(["no_microphone"]);
  });

  it("reports a session the API refused, with the API's reason, and releases the microphone", async () => {
    const { session, events, mic } = setup({
      "POST /api/session": () => apiError(503, "not_configured", "Realtime is not configured"),
    });
    await session.start("triage");
    const failed = events.find((e) => e.type === "failed");
    expect(failed).toMatchObject({ error: { kind: "session_refused" } });
    expect((failed as { error: Error }).error.message).toContain("Realtime is not configured");
    expect(mic.track.stopped).toBe(true);
  });

  it("reports an SDP exchange the voice service refused and closes the connection", async () => {
    const { session, events, pc } = setup({
      "POST /openai/v1/realtime/calls": () => new Response("unauthorized", { status: 401 }),
    });
    await session.start("triage");
    expect(failures(events)).toEqual(["session_refused"]);
    expect(pc().closed).toBe(true);
  });

  it("reports an unreachable voice service as a failed connection", async () => {
    const { session, events } = setup({
      "POST /openai/v1/realtime/calls": () => Promise.reject(new TypeError("Failed to fetch")),
    });
    await session.start("triage");
    expect(failures(events)).toEqual(["connection_failed"]);
  });

  it("reports a connection lost after it was up and stops the microphone", async () => {
    const { session, events, pc, mic, connect } = setup();
    await connect();
    pc().setConnectionState("failed");
    expect(failures(events)).toEqual(["connection_lost"]);
    expect(session.state).toBe(SessionState.Failed);
    expect(mic.track.stopped).toBe(true);
  });

  it("treats the data channel closing on its own as a lost connection", async () => {
    const { events, connect } = setup();
    const channel = await connect();
    channel.close();
    expect(failures(events)).toEqual(["connection_lost"]);
  });

  it("gives up when the data channel does not open in time", async () => {
    const { session, events } = setup({}, { connectTimeoutMs: 5 });
    await session.start("triage");
    await vi.waitFor(() => expect(failures(events)).toEqual(["connection_failed"]));
  });

  it("refuses to start twice", async () => {
    const { session, connect } = setup();
    await connect();
    await expect(session.start("triage")).rejects.toThrow(/Illegal session transition/);
  });
});

describe("RealtimeSession conversation", () => {
  it("turns GA transcript events into transcript events for both sides", async () => {
    const { events, connect } = setup();
    const channel = await connect();
    channel.receive({ type: "input_audio_buffer.speech_started", item_id: "u1" });
    channel.receive({ type: "response.output_audio_transcript.delta", item_id: "a1", delta: "Hel" });
    channel.receive({ type: "response.output_audio_transcript.done", item_id: "a1", transcript: "Hello" });
    channel.receive({ type: "conversation.item.input_audio_transcription.completed", item_id: "u1", transcript: "Hi" });
    channel.receive({ type: "error", error: { code: "rate_limited", message: "Slow down" } });
    channel.receive({ type: "unknown.event" });
    channel.dispatchEvent(new MessageEvent("message", { data: "{not json" }));
    const convo = events.filter((e) => ["transcript", "user_speaking", "notice"].includes(e.type));
    expect(convo).toEqual([
      { type: "user_speaking", itemId: "u1" },
      { type: "transcript", role: "agent", itemId: "a1", text: "Hel", final: false },
      { type: "transcript", role: "agent", itemId: "a1", text: "Hello", final: true },
      { type: "transcript", role: "user", itemId: "u1", text: "Hi", final: true },
      { type: "notice", message: "Slow down" },
    ]);
  });

  it("runs a tool call through the API, returns its output, then asks for the next response", async () => {
    const { fake, connect } = setup({
      "POST /api/function-call": () => json({ call_id: "call_1", output: '{"balance": 42.5}' }),
    });
    const channel = await connect("triage");
    const greetings = channel.sentOfType("response.create").length;
    channel.receive({
      type: "response.function_call_arguments.done",
      call_id: "call_1",
      name: "get_balance",
      arguments: '{"account":"A1"}',
    });
    channel.receive({ type: "response.done", response: { status: "completed" } });

    await vi.waitFor(() => expect(channel.sentOfType("response.create")).toHaveLength(greetings + 1));
    expect(JSON.parse(String(fake.calls("POST /api/function-call")[0].body))).toEqual({
      name: "get_balance",
      call_id: "call_1",
      arguments: '{"account":"A1"}',
      agent: "triage",
    });
    const types = channel.sent.map((m) => m.type);
    expect(types.lastIndexOf("conversation.item.create")).toBeLessThan(types.lastIndexOf("response.create"));
    expect(channel.sentOfType("conversation.item.create")[0]).toEqual({
      type: "conversation.item.create",
      item: { type: "function_call_output", call_id: "call_1", output: '{"balance": 42.5}' },
    });
  });

  it("waits for every tool call of a response before one response.create", async () => {
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    const { connect } = setup({
      "POST /api/function-call": async (r) => {
        const body = JSON.parse(String(r.body)) as { call_id: string };
        if (body.call_id === "slow") await slow;
        return json({ call_id: body.call_id, output: "{}" });
      },
    });
    const channel = await connect();
    const before = channel.sentOfType("response.create").length;
    channel.receive({ type: "response.function_call_arguments.done", call_id: "fast", name: "a", arguments: "{}" });
    channel.receive({ type: "response.function_call_arguments.done", call_id: "slow", name: "b", arguments: "{}" });
    channel.receive({ type: "response.done", response: {} });
    await vi.waitFor(() => expect(channel.sentOfType("conversation.item.create")).toHaveLength(1));
    expect(channel.sentOfType("response.create")).toHaveLength(before);
    release();
    await vi.waitFor(() => expect(channel.sentOfType("response.create")).toHaveLength(before + 1));
    expect(channel.sentOfType("conversation.item.create")).toHaveLength(2);
  });

  it("gives the model a structured error when the tool call fails, and shows it failed", async () => {
    const { events, connect } = setup({
      "POST /api/function-call": () => apiError(422, "invalid_arguments", "account is required"),
    });
    const channel = await connect();
    channel.receive({
      type: "response.function_call_arguments.done",
      call_id: "c1",
      name: "get_balance",
      arguments: "{}",
    });
    channel.receive({ type: "response.done", response: {} });
    await vi.waitFor(() => expect(channel.sentOfType("conversation.item.create")).toHaveLength(1));
    const item = channel.sentOfType("conversation.item.create")[0].item as { output: string };
    expect(JSON.parse(item.output)).toEqual({ error: { code: "invalid_arguments", message: "account is required" } });
    const last = events.filter((e) => e.type === "tool").at(-1);
    expect(last).toMatchObject({ call: { callId: "c1", status: "error", result: "account is required" } });
  });

  it("applies a handoff with session.update and names the new agent in later calls", async () => {
    const handoffSession = { type: "realtime", instructions: "You are billing.", tools: [] };
    const { fake, session, events, connect } = setup({
      "POST /api/function-call": (r) => {
        const body = JSON.parse(String(r.body)) as { name: string; call_id: string };
        return body.name === "handoff_to_agent"
          ? json({ call_id: body.call_id, output: '{"ok":true}', session: handoffSession, agent: "billing" })
          : json({ call_id: body.call_id, output: "{}" });
      },
    });
    const channel = await connect("triage");
    channel.receive({
      type: "response.function_call_arguments.done",
      call_id: "h1",
      name: "handoff_to_agent",
      arguments: '{"agent":"billing"}',
    });
    await vi.waitFor(() => expect(channel.sentOfType("session.update")).toHaveLength(1));
    expect(channel.sentOfType("session.update")[0]).toEqual({ type: "session.update", session: handoffSession });
    expect(events).toContainEqual({ type: "agent", agent: "billing", previous: "triage" });
    expect(session.agent).toBe("billing");

    channel.receive({
      type: "response.function_call_arguments.done",
      call_id: "b1",
      name: "get_balance",
      arguments: "{}",
    });
    await vi.waitFor(() => expect(fake.calls("POST /api/function-call")).toHaveLength(2));
    expect(JSON.parse(String(fake.calls("POST /api/function-call")[1].body)).agent).toBe("billing");
  });

  it("mutes and unmutes the microphone track", async () => {
    const { session, mic, connect } = setup();
    await connect();
    session.setMuted(true);
    expect(mic.track.enabled).toBe(false);
    session.setMuted(false);
    expect(mic.track.enabled).toBe(true);
  });

  it("ends cleanly: closes the connection, releases the microphone, reports no failure", async () => {
    const { session, events, pc, mic, connect } = setup();
    await connect();
    session.end();
    expect(session.state).toBe(SessionState.Ended);
    expect(pc().closed).toBe(true);
    expect(mic.track.stopped).toBe(true);
    expect(failures(events)).toEqual([]);
  });

  it("ending while the session is being minted opens no connection", async () => {
    let answer: (r: Response) => void = () => {};
    const { fake, session, pcs, mic } = setup({
      "POST /api/session": () => new Promise<Response>((resolve) => (answer = resolve)),
    });
    const started = session.start("triage");
    await vi.waitFor(() => expect(fake.calls("POST /api/session")).toHaveLength(1));
    session.end();
    answer(json(GRANT));
    await started;
    expect(pcs).toHaveLength(0);
    expect(fake.calls("POST /openai/v1/realtime/calls")).toHaveLength(0);
    expect(mic.track.stopped).toBe(true);
  });
});
