/**
 * One web conversation with a voice agent, independent of React: over WebRTC (Realtime GA), or, for a
 * Voice Live agent, over a WebSocket to the bridge, which relays the same GA events (docs/voice-live.md).
 *
 * The session owns the microphone, the peer connection and the `oai-events` data channel. It runs the
 * function calls the model asks for through the API, applies agent handoffs with `session.update`, and
 * reports what happens as `SessionEvent`s. The ephemeral key lives only inside `connect()`: it is never
 * emitted, stored on the object or logged. Browser APIs are injected so tests drive it with fakes.
 */
import { ApiError, type ApiClient } from "../api/client";
import type { ConversationGrant, RealtimeGrant, SessionGrant, VoiceLiveGrant } from "../api/types";
import {
  audioAppendEvent,
  functionCallOutputEvent,
  parseServerEvent,
  responseCreateEvent,
  sessionUpdateEvent,
  truncateEvent,
  type ServerEvent,
} from "./events";
import type { PcmAudio, PcmCapture, PcmPlayer } from "./pcmAudio";

export enum SessionState {
  Idle = "idle",
  Connecting = "connecting",
  Connected = "connected",
  Ended = "ended",
  Failed = "failed",
}

/** Legal moves; `Ended` and `Failed` are final (a retry makes a new session). */
const TRANSITIONS: Record<SessionState, SessionState[]> = {
  [SessionState.Idle]: [SessionState.Connecting],
  [SessionState.Connecting]: [SessionState.Connected, SessionState.Ended, SessionState.Failed],
  [SessionState.Connected]: [SessionState.Ended, SessionState.Failed],
  [SessionState.Ended]: [],
  [SessionState.Failed]: [],
};

export type SessionErrorKind =
  "mic_denied" | "no_microphone" | "session_refused" | "connection_failed" | "connection_lost";

export class SessionError extends Error {
  readonly kind: SessionErrorKind;

  constructor(kind: SessionErrorKind, message: string) {
    super(message);
    this.name = "SessionError";
    this.kind = kind;
  }
}

export type ToolCallStatus = "running" | "ok" | "error";

export interface ToolCallView {
  callId: string;
  name: string;
  arguments: string;
  status: ToolCallStatus;
  /** The tool's output (parsed JSON when possible) or the error message. */
  result?: unknown;
}

export type SessionEvent =
  | { type: "state"; state: SessionState }
  | { type: "failed"; error: SessionError }
  | { type: "agent"; agent: string; previous: string | null }
  | { type: "remote_stream"; stream: MediaStream }
  | { type: "transcript"; role: "agent" | "user"; itemId: string; text: string; final: boolean }
  | { type: "user_speaking"; itemId: string }
  | { type: "tool"; call: ToolCallView }
  | { type: "notice"; message: string }
  | { type: "usage"; usage: Record<string, unknown> }
  | { type: "conversation"; conversation: ConversationGrant };

export interface SessionDeps {
  api: Pick<ApiClient, "createSession" | "callFunction">;
  createPeerConnection: () => RTCPeerConnection;
  getUserMedia: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
  fetch: typeof fetch;
  /** A WebSocket to the bridge (Voice Live agents); absent where only WebRTC is wired. */
  createWebSocket?: (url: string) => WebSocket;
  /** PCM16 capture and playback for the WebSocket path. */
  pcmAudio?: () => PcmAudio;
  /** How long the data channel may take to open after the SDP exchange. */
  connectTimeoutMs?: number;
}

export interface StartOptions {
  /** The agent's greeting: the model says it first so the customer knows the line is live. */
  greeting?: string;
}

const DATA_CHANNEL = "oai-events";

/** Where client events go: the WebRTC data channel or the bridge's WebSocket. */
interface EventChannel {
  isOpen(): boolean;
  send(message: string): void;
  close(): void;
}

/** Close codes the bridge refuses a browser with (bridge/server.py): 4000 + the HTTP status. */
const BRIDGE_REFUSALS: Record<number, string> = {
  4401: "The voice session's token was refused (expired or already used). Please retry.",
  4403: "This page may not open a voice session here.",
  4429: "Too many voice sessions were started from here. Wait a minute, then retry.",
  1013: "The voice service is busy. Please retry in a moment.",
};
export class RealtimeSession {
  /** Lifecycle; changed only through `transition`. */
  state: SessionState = SessionState.Idle;
  /** The agent speaking now; changes on handoff. */
  agent: string | null = null;
  /** Set once the microphone is granted; the level meter reads it. */
  micStream: MediaStream | null = null;

  private readonly deps: SessionDeps;
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  private pc: RTCPeerConnection | null = null;
  private channel: EventChannel | null = null;
  /** The WebSocket path's microphone capture and agent playback. */
  private capture: PcmCapture | null = null;
  private player: PcmPlayer | null = null;
  /** "voice-live" when the session runs through the bridge: tool handoffs come in its dialect. */
  private backend: "realtime" | "voice-live" = "realtime";
  /** Client events sent before the channel opened; flushed on open. */
  private outbox: string[] = [];
  /** Tool calls of the response in flight; `response.create` waits for all of them. */
  private pendingTools: Promise<void>[] = [];
  /** Aborts the session request and the SDP exchange when the user ends while connecting. */
  private readonly abort = new AbortController();
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private greeting: string | undefined;

  constructor(deps: SessionDeps) {
    this.deps = deps;
  }

  /** Subscribe to session events; returns the unsubscribe function. */
  subscribe(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Get the microphone, mint a session for `agent`, and connect. Failures are reported, never thrown. */
  async start(agent: string, options: StartOptions = {}): Promise<void> {
    this.transition(SessionState.Connecting);
    this.agent = agent;
    this.greeting = options.greeting;
    try {
      // The microphone first: no session (which costs money) is minted for a user who says no.
      this.micStream = await this.openMicrophone();
      if (this.state !== SessionState.Connecting) return this.cleanup();
      await this.connect(agent);
    } catch (err) {
      if (this.state === SessionState.Connecting) this.fail(toSessionError(err));
    }
  }

  /** Mute or unmute the microphone without renegotiating. */
  setMuted(muted: boolean): void {
    for (const track of this.micStream?.getAudioTracks() ?? []) track.enabled = !muted;
  }

  /** Hang up: close the channel and connection and release the microphone. */
  end(): void {
    if (this.state === SessionState.Ended || this.state === SessionState.Failed) return;
    if (this.state === SessionState.Idle) {
      this.state = SessionState.Ended;
      return;
    }
    this.abort.abort();
    this.transition(SessionState.Ended);
    this.cleanup();
  }

  private async openMicrophone(): Promise<MediaStream> {
    try {
      return await this.deps.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === "NotAllowedError" || name === "SecurityError") {
        throw new SessionError(
          "mic_denied",
          "Microphone access was denied. Allow the microphone for this site in your browser, then retry.",
        );
      }
      throw new SessionError("no_microphone", "No usable microphone was found. Connect one, then retry.");
    }
  }

  private async connect(agent: string): Promise<void> {
    const signal = this.abort.signal;
    let grant: SessionGrant;
    try {
      grant = await this.deps.api.createSession(agent, signal);
    } catch (err) {
      if (err instanceof ApiError) {
        throw new SessionError("session_refused", `The voice session was refused: ${err.message}`);
      }
      throw err;
    }
    if (this.state !== SessionState.Connecting) return this.cleanup();
    if (grant.conversation) this.emit({ type: "conversation", conversation: grant.conversation });
    if (grant.backend === "voice-live") return this.connectBridge(grant);
    return this.connectWebRtc(grant);
  }

  /** A Voice Live agent: a WebSocket to the bridge, PCM16 both ways, the same GA events. */
  private connectBridge(grant: VoiceLiveGrant): void {
    const { createWebSocket, pcmAudio } = this.deps;
    if (!createWebSocket || !pcmAudio) {
      throw new SessionError("connection_failed", "This browser cannot open a Voice Live session.");
    }
    this.backend = "voice-live";
    const url = `${grant.bridge_url}?agent=${encodeURIComponent(grant.agent)}&token=${encodeURIComponent(grant.bridge_token)}`;
    const socket = createWebSocket(url);
    const audio = pcmAudio();
    this.player = audio.player();
    this.channel = {
      isOpen: () => socket.readyState === 1, // WebSocket.OPEN
      send: (message) => socket.send(message),
      close: () => socket.close(1000, "session ended"),
    };
    socket.addEventListener("open", () => {
      this.handleChannelOpen();
      const stream = this.micStream;
      if (!stream || this.state !== SessionState.Connected) return;
      audio
        .capture(stream, (chunk) => this.send(audioAppendEvent(chunk)))
        .then(
          (capture) => {
            if (this.state === SessionState.Connected) this.capture = capture;
            else capture.stop();
          },
          () => this.fail(new SessionError("no_microphone", "The microphone could not be read.")),
        );
    });
    socket.addEventListener("message", (event) => this.handleMessage((event as MessageEvent).data));
    socket.addEventListener("close", (event) => {
      const code = (event as CloseEvent).code;
      const refusal = BRIDGE_REFUSALS[code];
      if (refusal && this.state === SessionState.Connecting) this.fail(new SessionError("session_refused", refusal));
      else if (refusal) this.lose(refusal);
      else this.lose("The voice connection closed unexpectedly.");
    });
    this.connectTimer = setTimeout(() => {
      if (this.state === SessionState.Connecting) {
        this.fail(new SessionError("connection_failed", "The voice connection did not open in time."));
      }
    }, this.deps.connectTimeoutMs ?? 15_000);
  }

  private async connectWebRtc(grant: RealtimeGrant): Promise<void> {
    const signal = this.abort.signal;
    const pc = this.deps.createPeerConnection();
    this.pc = pc;
    pc.addEventListener("track", (event) => {
      const stream = (event as RTCTrackEvent).streams[0];
      if (stream) this.emit({ type: "remote_stream", stream });
    });
    pc.addEventListener("connectionstatechange", () => this.handleConnectionState(pc.connectionState));
    for (const track of this.micStream?.getAudioTracks() ?? []) pc.addTrack(track, this.micStream!);

    const channel = pc.createDataChannel(DATA_CHANNEL);
    this.channel = {
      isOpen: () => channel.readyState === "open",
      send: (message) => channel.send(message),
      close: () => channel.close(),
    };
    channel.addEventListener("open", () => this.handleChannelOpen());
    channel.addEventListener("message", (event) => this.handleMessage((event as MessageEvent).data));
    channel.addEventListener("close", () => this.lose("The voice connection closed unexpectedly."));

    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    let response: Response;
    try {
      response = await this.deps.fetch(grant.realtime_url, {
        method: "POST",
        body: offer.sdp,
        headers: { Authorization: `Bearer ${grant.ephemeral_key}`, "Content-Type": "application/sdp" },
        signal,
      });
    } catch (err) {
      if ((err as { name?: string }).name === "AbortError") return;
      throw new SessionError("connection_failed", "Cannot reach the voice service. Check your connection.");
    }
    if (!response.ok) {
      throw new SessionError("session_refused", `The voice service refused the call (HTTP ${response.status}).`);
    }
    const answer = await response.text();
    if (this.state !== SessionState.Connecting) return;
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
    this.connectTimer = setTimeout(() => {
      if (this.state === SessionState.Connecting) {
        this.fail(new SessionError("connection_failed", "The voice connection did not open in time."));
      }
    }, this.deps.connectTimeoutMs ?? 15_000);
  }

  private handleChannelOpen(): void {
    if (this.state !== SessionState.Connecting) return;
    this.clearConnectTimer();
    this.transition(SessionState.Connected);
    this.emit({ type: "agent", agent: this.agent ?? "", previous: null });
    for (const message of this.outbox.splice(0)) this.channel?.send(message);
    // The model speaks first with the agent's greeting.
    const instructions = this.greeting
      ? `Greet the customer now with exactly this sentence: "${this.greeting}"`
      : undefined;
    this.send(responseCreateEvent(instructions));
  }

  private handleConnectionState(state: RTCPeerConnectionState): void {
    if (state !== "failed") return;
    if (this.state === SessionState.Connecting) {
      this.fail(new SessionError("connection_failed", "The voice connection could not be established."));
    } else {
      this.lose("The voice connection was lost.");
    }
  }

  private handleMessage(data: unknown): void {
    const event = parseServerEvent(data);
    if (event === null || this.state !== SessionState.Connected) return;
    this.dispatch(event);
  }

  private dispatch(event: ServerEvent): void {
    switch (event.kind) {
      case "session_created":
        return;
      case "agent_transcript_delta":
        return this.emit({ type: "transcript", role: "agent", itemId: event.itemId, text: event.delta, final: false });
      case "agent_transcript_done":
        return this.emit({
          type: "transcript",
          role: "agent",
          itemId: event.itemId,
          text: event.transcript,
          final: true,
        });
      case "user_transcript":
        return this.emit({
          type: "transcript",
          role: "user",
          itemId: event.itemId,
          text: event.transcript,
          final: true,
        });
      case "user_transcript_failed":
        return this.emit({ type: "transcript", role: "user", itemId: event.itemId, text: "", final: true });
      case "speech_started":
        this.bargeIn();
        return this.emit({ type: "user_speaking", itemId: event.itemId });
      case "audio_delta":
        this.player?.enqueue(event.itemId, event.delta);
        return;
      case "function_call":
        this.pendingTools.push(this.runTool(event.callId, event.name, event.arguments));
        return;
      case "response_done":
        if (event.usage) this.emit({ type: "usage", usage: event.usage });
        void this.continueAfterTools();
        return;
      case "error":
        return this.emit({ type: "notice", message: event.message });
    }
  }

  /** Execute one tool call through the API and give its output (or a structured error) to the model. */
  private async runTool(callId: string, name: string, args: string): Promise<void> {
    this.emit({ type: "tool", call: { callId, name, arguments: args, status: "running" } });
    let output: string;
    try {
      const result = await this.deps.api.callFunction(
        {
          name,
          call_id: callId,
          arguments: args,
          agent: this.agent ?? undefined,
          ...(this.backend === "voice-live" ? { backend: this.backend } : {}),
        },
        this.abort.signal,
      );
      output = result.output;
      this.emit({ type: "tool", call: { callId, name, arguments: args, status: "ok", result: parseJson(output) } });
      if (result.session) this.handOff(result.session, result.agent);
    } catch (err) {
      if (this.state !== SessionState.Connected) return;
      const error =
        err instanceof ApiError
          ? { code: err.code, message: err.message }
          : { code: "tool_failed", message: String(err) };
      output = JSON.stringify({ error });
      this.emit({ type: "tool", call: { callId, name, arguments: args, status: "error", result: error.message } });
    }
    this.send(functionCallOutputEvent(callId, output));
  }

  /** The user talks over the agent: stop playing it and tell the model how much was heard. */
  private bargeIn(): void {
    const cut = this.player?.stop();
    if (cut) this.send(truncateEvent(cut.itemId, cut.playedMs));
  }

  private handOff(session: Record<string, unknown>, agent: string | undefined): void {
    this.send(sessionUpdateEvent(session));
    if (agent && agent !== this.agent) {
      const previous = this.agent;
      this.agent = agent;
      this.emit({ type: "agent", agent, previous });
    }
  }

  /** After a response that called tools, ask for the next response once every output is in. */
  private async continueAfterTools(): Promise<void> {
    if (this.pendingTools.length === 0) return;
    const batch = this.pendingTools.splice(0);
    await Promise.all(batch);
    if (this.state === SessionState.Connected) this.send(responseCreateEvent());
  }

  private send(message: string): void {
    if (this.channel?.isOpen()) this.channel.send(message);
    else this.outbox.push(message);
  }

  private lose(message: string): void {
    if (this.state === SessionState.Connected || this.state === SessionState.Connecting) {
      this.fail(
        new SessionError(this.state === SessionState.Connected ? "connection_lost" : "connection_failed", message),
      );
    }
  }

  private fail(error: SessionError): void {
    this.transition(SessionState.Failed);
    this.emit({ type: "failed", error });
    this.cleanup();
  }

  private transition(to: SessionState): void {
    if (!TRANSITIONS[this.state].includes(to)) {
      throw new Error(`Illegal session transition: ${this.state} -> ${to}`);
    }
    this.state = to;
    this.emit({ type: "state", state: to });
  }

  private cleanup(): void {
    this.clearConnectTimer();
    const channel = this.channel;
    this.channel = null;
    channel?.close();
    const pc = this.pc;
    this.pc = null;
    pc?.close();
    this.capture?.stop();
    this.capture = null;
    this.player?.close();
    this.player = null;
    for (const track of this.micStream?.getTracks() ?? []) track.stop();
    this.outbox = [];
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private emit(event: SessionEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

function toSessionError(err: unknown): SessionError {
  if (err instanceof SessionError) return err;
  return new SessionError("connection_failed", "The voice connection could not be established.");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
