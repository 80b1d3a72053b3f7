import { describe, expect, it } from "vitest";
import type { SessionEvent } from "../session";
import { EMPTY_TRANSCRIPT, PENDING_USER_TEXT, UNTRANSCRIBED_TEXT, reduceTranscript } from "../transcript";

const run = (events: SessionEvent[]) => events.reduce(reduceTranscript, EMPTY_TRANSCRIPT);

describe("reduceTranscript", () => {
  it("builds the agent's line from deltas and replaces it with the final transcript", () => {
    const state = run([
      { type: "agent", agent: "triage", previous: null },
      { type: "transcript", role: "agent", itemId: "a1", text: "Hel", final: false },
      { type: "transcript", role: "agent", itemId: "a1", text: "lo", final: false },
    ]);
    expect(state.entries).toEqual([
      { kind: "message", id: "a1", role: "agent", text: "Hello", final: false, agent: "triage" },
    ]);
    const done = reduceTranscript(state, {
      type: "transcript",
      role: "agent",
      itemId: "a1",
      text: "Hello!",
      final: true,
    });
    expect(done.entries[0]).toMatchObject({ text: "Hello!", final: true });
  });

  it("keeps the caller's words where they were spoken, before the agent's answer", () => {
    const state = run([
      { type: "user_speaking", itemId: "u1" },
      { type: "transcript", role: "agent", itemId: "a1", text: "Sure", final: true },
      { type: "transcript", role: "user", itemId: "u1", text: "What is my balance?", final: true },
    ]);
    expect(state.entries.map((e) => (e.kind === "message" ? [e.role, e.text] : e.kind))).toEqual([
      ["user", "What is my balance?"],
      ["agent", "Sure"],
    ]);
  });

  it("shows a placeholder while transcribing and a note when transcription failed", () => {
    const speaking = run([{ type: "user_speaking", itemId: "u1" }]);
    expect(speaking.entries[0]).toMatchObject({ text: PENDING_USER_TEXT, final: false });
    const failed = reduceTranscript(speaking, {
      type: "transcript",
      role: "user",
      itemId: "u1",
      text: "",
      final: true,
    });
    expect(failed.entries[0]).toMatchObject({ text: UNTRANSCRIBED_TEXT, final: true });
  });

  it("updates a tool card in place as the call completes", () => {
    const call = { callId: "c1", name: "get_balance", arguments: "{}" };
    const state = run([
      { type: "tool", call: { ...call, status: "running" } },
      { type: "tool", call: { ...call, status: "ok", result: { balance: 1 } } },
    ]);
    expect(state.entries).toHaveLength(1);
    expect(state.entries[0]).toMatchObject({ kind: "tool", call: { status: "ok", result: { balance: 1 } } });
  });

  it("records a handoff and attributes later agent lines to the new agent", () => {
    const state = run([
      { type: "agent", agent: "triage", previous: null },
      { type: "agent", agent: "billing", previous: "triage" },
      { type: "transcript", role: "agent", itemId: "a2", text: "Billing here", final: true },
    ]);
    expect(state.agent).toBe("billing");
    expect(state.entries[0]).toMatchObject({ kind: "handoff", from: "triage", to: "billing" });
    expect(state.entries[1]).toMatchObject({ kind: "message", agent: "billing" });
  });

  it("gives notices distinct ids", () => {
    const state = run([
      { type: "notice", message: "one" },
      { type: "notice", message: "two" },
    ]);
    expect(new Set(state.entries.map((e) => e.id)).size).toBe(2);
  });
});
