import { describe, expect, it } from "vitest";
import { ApiClient } from "../../api/client";
import type { VoiceLiveGrant } from "../../api/types";
import { fakeFetch, json } from "../../test/fakeFetch";
import { fakeMicStream } from "../../test/fakeWebRtc";
import type { PcmAudio, PcmPlayer, PlaybackCut } from "../pcmAudio";
import { RealtimeSession, SessionState, type SessionEvent } from "../session";

const GRANT: VoiceLiveGrant = {
  session_id: "web_1",
  backend: "voice-live",
  bridge_url: "wss://bridge.example/web/realtime",
  bridge_token: "tok.en+/=",
  expires_at: 1_900_000_000,
  voice: "en-US-Ava:DragonHDLatestNeural",
  agent: "healthcare",
};

/** The bridge's side of the browser socket. */
class FakeSocket extends EventTarget {
  readyState = 0;
  readonly sent: Record<string, unknown>[] = [];
  closedWith: number | null = null;

  constructor(readonly url: string) {
    super();
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.dispatchEvent(new Event("open"));
  }

  receive(event: Record<string, unknown>): void {
    this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(event) }));
  }

  serverClose(code: number): void {
    this.readyState = 3;
    const event = new Event("close") as Event & { code: number };
    Object.defineProperty(event, "code", { value: code });
    this.dispatchEvent(event);
  }

  ofType(type: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.type === type);
  }
}

class FakePlayer implements PcmPlayer {
  readonly queued: [string, string][] = [];
  closed = false;

  enqueue(itemId: string, b64: string): void {
    this.queued.push([itemId, b64]);
  }

  stop(): PlaybackCut | null {
    const last = this.queued.at(-1);
    this.queued.length = 0;
    return last ? { itemId: last[0], playedMs: 420 } : null;
  }

  close(): void {
    this.closed = true;
  }
}

function setup() {
  const fake = fakeFetch({
    "POST /api/session": () => json(GRANT),
    "POST /api/function-call": () => json({ call_id: "call_1", output: '{"slots":2}', ok: true }),
  });
  const sockets: FakeSocket[] = [];
  const player = new FakePlayer();
  const mic = fakeMicStream();
  let sendChunk: ((b64: string) => void) | null = null;
  let captureStopped = false;
  const audio: PcmAudio = {
    capture: async (_stream, onChunk) => {
      sendChunk = onChunk;
      return { stop: () => (captureStopped = true) };
    },
    player: () => player,
  };
  let peerConnections = 0;
  const session = new RealtimeSession({
    api: new ApiClient("", fake.fetch),
    createPeerConnection: () => {
      peerConnections += 1;
      throw new Error("no WebRTC for a Voice Live agent");
    },
    getUserMedia: async () => mic.stream,
    fetch: fake.fetch,
    createWebSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket as unknown as WebSocket;
    },
    pcmAudio: () => audio,
  });
  const events: SessionEvent[] = [];
  session.subscribe((e) => events.push(e));
  const connect = async (greeting?: string) => {
    await session.start("healthcare", { greeting });
    sockets[0].open();
    await Promise.resolve();
    await Promise.resolve();
    return sockets[0];
  };
  return {
    fake,
    session,
    events,
    sockets,
    player,
    connect,
    chunk: (b64: string) => sendChunk?.(b64),
    captureStopped: () => captureStopped,
    peerConnections: () => peerConnections,
  };
}

describe("RealtimeSession with a Voice Live agent (through the bridge)", () => {
  it("opens the bridge socket with the session token, greets and streams the microphone as PCM events", async () => {
    const { fake, session, connect, chunk, peerConnections } = setup();
    const socket = await connect("Hello, this is Contoso Health.");
    expect(socket.url).toBe(
      "wss://bridge.example/web/realtime?agent=healthcare&token=" + encodeURIComponent("tok.en+/="),
    );
    expect(session.state).toBe(SessionState.Connected);
    expect(peerConnections()).toBe(0);
    expect(fake.calls("POST /openai/v1/realtime/calls")).toHaveLength(0);
    expect(JSON.stringify(socket.ofType("response.create")[0])).toContain("Hello, this is Contoso Health.");
    chunk("AAAA");
    expect(socket.ofType("input_audio_buffer.append")).toEqual([{ type: "input_audio_buffer.append", audio: "AAAA" }]);
  });

  it("plays agent audio, and on barge-in stops it and truncates the item at the heard position", async () => {
    const { connect, player, events } = setup();
    const socket = await connect();
    socket.receive({ type: "response.output_audio.delta", item_id: "item_a", delta: "AQID" });
    expect(player.queued).toEqual([["item_a", "AQID"]]);
    socket.receive({ type: "input_audio_buffer.speech_started", item_id: "item_u" });
    expect(player.queued).toEqual([]);
    expect(socket.ofType("conversation.item.truncate")).toEqual([
      { type: "conversation.item.truncate", item_id: "item_a", content_index: 0, audio_end_ms: 420 },
    ]);
    expect(events).toContainEqual({ type: "user_speaking", itemId: "item_u" });
    socket.receive({ type: "input_audio_buffer.speech_started", item_id: "item_v" });
    expect(socket.ofType("conversation.item.truncate")).toHaveLength(1); // nothing was playing
  });

  it("shows transcripts and runs tools through the API, asking for handoffs in Voice Live's dialect", async () => {
    const { connect, fake, events } = setup();
    const socket = await connect();
    socket.receive({ type: "response.output_audio_transcript.done", item_id: "item_a", transcript: "Hi there." });
    socket.receive({
      type: "response.function_call_arguments.done",
      call_id: "call_1",
      name: "find_slots",
      arguments: "{}",
    });
    socket.receive({ type: "response.done", response: { status: "completed", usage: { total_tokens: 5 } } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(JSON.parse(String(fake.calls("POST /api/function-call")[0].body))).toMatchObject({
      name: "find_slots",
      agent: "healthcare",
      backend: "voice-live",
    });
    const outputs = socket.ofType("conversation.item.create");
    expect(outputs).toEqual([
      {
        type: "conversation.item.create",
        item: { type: "function_call_output", call_id: "call_1", output: '{"slots":2}' },
      },
    ]);
    expect(events).toContainEqual({
      type: "transcript",
      role: "agent",
      itemId: "item_a",
      text: "Hi there.",
      final: true,
    });
    expect(events).toContainEqual({ type: "usage", usage: { total_tokens: 5 } });
    expect(socket.ofType("response.create")).toHaveLength(2); // the greeting, then after the tool
  });

  it("names the bridge's refusal when it closes the socket with 4401 before the session starts", async () => {
    const { session, sockets, events } = setup();
    await session.start("healthcare");
    sockets[0].serverClose(4401);
    const failed = events.find((e) => e.type === "failed");
    expect(failed?.type === "failed" && failed.error.kind).toBe("session_refused");
    expect(failed?.type === "failed" && failed.error.message).toMatch(/token was refused/);
  });

  it("ending the session closes the socket, stops the capture and the playback", async () => {
    const { session, connect, player, captureStopped } = setup();
    const socket = await connect();
    session.end();
    expect(socket.closedWith).toBe(1000);
    expect(captureStopped()).toBe(true);
    expect(player.closed).toBe(true);
  });
});
