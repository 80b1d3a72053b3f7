/**
 * The Realtime GA protocol as the browser sees it on the `oai-events` data channel, without I/O.
 *
 * `parseServerEvent` turns the few server events the UI acts on into a typed union (anything else is
 * `null` and ignored); the `*Event` builders make the client events the UI sends. Names follow the GA
 * API (`response.output_audio_transcript.*`, not the beta `response.audio_transcript.*`).
 */

export type ServerEvent =
  | { kind: "session_created" }
  | { kind: "agent_transcript_delta"; itemId: string; delta: string }
  | { kind: "agent_transcript_done"; itemId: string; transcript: string }
  | { kind: "user_transcript"; itemId: string; transcript: string }
  | { kind: "user_transcript_failed"; itemId: string }
  | { kind: "function_call"; callId: string; name: string; arguments: string }
  | { kind: "speech_started"; itemId: string }
  | { kind: "response_done"; status: string; usage: Record<string, unknown> | null }
  | { kind: "error"; code: string; message: string }
  /** Agent audio: only on a WebSocket (the bridge's Voice Live relay); WebRTC carries audio as a track. */
  | { kind: "audio_delta"; itemId: string; delta: string };

type Handler = (event: Record<string, unknown>) => ServerEvent | null;

/** One entry per server event type the UI understands. */
const HANDLERS: Record<string, Handler> = {
  "session.created": () => ({ kind: "session_created" }),
  "response.output_audio_transcript.delta": (e) => {
    const itemId = str(e.item_id);
    const delta = str(e.delta);
    return itemId === null || delta === null ? null : { kind: "agent_transcript_delta", itemId, delta };
  },
  "response.output_audio_transcript.done": (e) => {
    const itemId = str(e.item_id);
    return itemId === null ? null : { kind: "agent_transcript_done", itemId, transcript: str(e.transcript) ?? "" };
  },
  "conversation.item.input_audio_transcription.completed": (e) => {
    const itemId = str(e.item_id);
    return itemId === null ? null : { kind: "user_transcript", itemId, transcript: str(e.transcript) ?? "" };
  },
  "conversation.item.input_audio_transcription.failed": (e) => {
    const itemId = str(e.item_id);
    return itemId === null ? null : { kind: "user_transcript_failed", itemId };
  },
  "response.function_call_arguments.done": (e) => {
    const callId = str(e.call_id);
    const name = str(e.name);
    if (callId === null || name === null) return null;
    return { kind: "function_call", callId, name, arguments: str(e.arguments) ?? "{}" };
  },
  "response.output_audio.delta": (e) => {
    const itemId = str(e.item_id);
    const delta = str(e.delta);
    return itemId === null || delta === null ? null : { kind: "audio_delta", itemId, delta };
  },
  "input_audio_buffer.speech_started": (e) => ({ kind: "speech_started", itemId: str(e.item_id) ?? "" }),
  "response.done": (e) => {
    const response = isRecord(e.response) ? e.response : {};
    const usage = isRecord(response.usage) ? response.usage : null;
    return { kind: "response_done", status: str(response.status) ?? "completed", usage };
  },
  error: (e) => {
    const error = isRecord(e.error) ? e.error : {};
    return {
      kind: "error",
      code: str(error.code) ?? str(error.type) ?? "error",
      message: str(error.message) ?? "The voice service reported an error.",
    };
  },
};

/** Parse one data-channel message; `null` for events the UI ignores or malformed JSON. */
export function parseServerEvent(data: unknown): ServerEvent | null {
  if (typeof data !== "string") return null;
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isRecord(event) || typeof event.type !== "string") return null;
  const handler = HANDLERS[event.type];
  return handler ? handler(event) : null;
}

/** `session.update`: the session object comes from the API (handoff) and already has `type: "realtime"`. */
export function sessionUpdateEvent(session: Record<string, unknown>): string {
  return JSON.stringify({ type: "session.update", session: { type: "realtime", ...session } });
}

export function functionCallOutputEvent(callId: string, output: string): string {
  return JSON.stringify({
    type: "conversation.item.create",
    item: { type: "function_call_output", call_id: callId, output },
  });
}

/** Microphone audio for a WebSocket session: base64 PCM16 at 24 kHz. */
export function audioAppendEvent(audio: string): string {
  return JSON.stringify({ type: "input_audio_buffer.append", audio });
}

/** After a barge-in on a WebSocket session: the model forgets what the user did not hear. */
export function truncateEvent(itemId: string, audioEndMs: number): string {
  return JSON.stringify({
    type: "conversation.item.truncate",
    item_id: itemId,
    content_index: 0,
    audio_end_ms: audioEndMs,
  });
}

/** `response.create`, optionally with per-response instructions (used for the opening greeting). */
export function responseCreateEvent(instructions?: string): string {
  return JSON.stringify(
    instructions ? { type: "response.create", response: { instructions } } : { type: "response.create" },
  );
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
