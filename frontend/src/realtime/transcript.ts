/**
 * The live transcript of a web conversation as a pure reducer over `SessionEvent`s.
 *
 * Ordering matters more than arrival: the caller's words are transcribed after the agent has often
 * started answering, so a placeholder is inserted when the caller starts speaking and filled in when
 * the transcription completes. Tool calls and handoffs appear inline, where they happened.
 */
import type { SessionEvent, ToolCallView } from "./session";

export type TranscriptEntry =
  | { kind: "message"; id: string; role: "agent" | "user"; text: string; final: boolean; agent: string | null }
  | { kind: "tool"; id: string; call: ToolCallView }
  | { kind: "handoff"; id: string; from: string | null; to: string }
  | { kind: "notice"; id: string; text: string };

export interface TranscriptState {
  entries: TranscriptEntry[];
  /** The agent speaking now (changes on handoff). */
  agent: string | null;
  /** Counter for ids of entries that have none of their own. */
  seq: number;
}

export const EMPTY_TRANSCRIPT: TranscriptState = { entries: [], agent: null, seq: 0 };

/** Shown while a caller's words are still being transcribed. */
export const PENDING_USER_TEXT = "…";
/** Shown when the service could not transcribe what the caller said. */
export const UNTRANSCRIBED_TEXT = "(not transcribed)";

export function reduceTranscript(state: TranscriptState, event: SessionEvent): TranscriptState {
  switch (event.type) {
    case "transcript":
      return event.role === "agent" ? agentText(state, event) : userText(state, event);
    case "user_speaking":
      if (event.itemId === "" || findMessage(state, event.itemId) >= 0) return state;
      return append(state, {
        kind: "message",
        id: event.itemId,
        role: "user",
        text: PENDING_USER_TEXT,
        final: false,
        agent: null,
      });
    case "tool":
      return upsertTool(state, event.call);
    case "agent":
      if (event.previous === null) return { ...state, agent: event.agent };
      return {
        ...append(state, { kind: "handoff", id: `handoff-${state.seq}`, from: event.previous, to: event.agent }),
        agent: event.agent,
        seq: state.seq + 1,
      };
    case "notice":
      return {
        ...append(state, { kind: "notice", id: `notice-${state.seq}`, text: event.message }),
        seq: state.seq + 1,
      };
    default:
      return state;
  }
}

type TextEvent = Extract<SessionEvent, { type: "transcript" }>;

function agentText(state: TranscriptState, event: TextEvent): TranscriptState {
  const index = findMessage(state, event.itemId);
  if (index < 0) {
    return append(state, {
      kind: "message",
      id: event.itemId,
      role: "agent",
      text: event.text,
      final: event.final,
      agent: state.agent,
    });
  }
  const entry = state.entries[index] as Extract<TranscriptEntry, { kind: "message" }>;
  // A delta extends the line; `done` carries the whole transcript and replaces it.
  const text = event.final ? event.text || entry.text : entry.text + event.text;
  return replace(state, index, { ...entry, text, final: event.final });
}

function userText(state: TranscriptState, event: TextEvent): TranscriptState {
  const text = event.text.trim() || UNTRANSCRIBED_TEXT;
  const index = findMessage(state, event.itemId);
  const entry: TranscriptEntry = { kind: "message", id: event.itemId, role: "user", text, final: true, agent: null };
  return index < 0 ? append(state, entry) : replace(state, index, entry);
}

function upsertTool(state: TranscriptState, call: ToolCallView): TranscriptState {
  const id = `tool-${call.callId}`;
  const index = state.entries.findIndex((e) => e.kind === "tool" && e.id === id);
  const entry: TranscriptEntry = { kind: "tool", id, call };
  return index < 0 ? append(state, entry) : replace(state, index, entry);
}

function findMessage(state: TranscriptState, itemId: string): number {
  return state.entries.findIndex((e) => e.kind === "message" && e.id === itemId);
}

function append(state: TranscriptState, entry: TranscriptEntry): TranscriptState {
  return { ...state, entries: [...state.entries, entry] };
}

function replace(state: TranscriptState, index: number, entry: TranscriptEntry): TranscriptState {
  const entries = state.entries.slice();
  entries[index] = entry;
  return { ...state, entries };
}
