import { describe, expect, it } from "vitest";
import { functionCallOutputEvent, parseServerEvent, responseCreateEvent, sessionUpdateEvent } from "../events";

const parse = (event: unknown) => parseServerEvent(JSON.stringify(event));

describe("parseServerEvent", () => {
  it("reads the GA event names the UI acts on", () => {
    expect(parse({ type: "response.output_audio_transcript.delta", item_id: "i1", delta: "Hi" })).toEqual({
      kind: "agent_transcript_delta",
      itemId: "i1",
      delta: "Hi",
    });
    expect(
      parse({ type: "response.function_call_arguments.done", call_id: "c", name: "n", arguments: '{"a":1}' }),
    ).toEqual({ kind: "function_call", callId: "c", name: "n", arguments: '{"a":1}' });
    expect(parse({ type: "response.done", response: { status: "cancelled" } })).toEqual({
      kind: "response_done",
      status: "cancelled",
      usage: null,
    });
    const usage = { input_tokens: 10, output_tokens: 4, total_tokens: 14 };
    expect(parse({ type: "response.done", response: { status: "completed", usage } })).toEqual({
      kind: "response_done",
      status: "completed",
      usage,
    });
  });

  it("ignores the beta event names, unknown events and malformed messages", () => {
    expect(parse({ type: "response.audio_transcript.delta", item_id: "i1", delta: "Hi" })).toBeNull();
    expect(parse({ type: "rate_limits.updated" })).toBeNull();
    expect(parseServerEvent("{oops")).toBeNull();
    expect(parseServerEvent(new ArrayBuffer(2))).toBeNull();
    expect(parse(["response.done"])).toBeNull();
  });

  it("drops events missing the fields the UI needs", () => {
    expect(parse({ type: "response.output_audio_transcript.delta", delta: "no item" })).toBeNull();
    expect(parse({ type: "response.function_call_arguments.done", name: "no call id" })).toBeNull();
  });

  it("gives error events a code and message even when the server sent neither", () => {
    expect(parse({ type: "error", error: { type: "invalid_request_error", message: "bad" } })).toEqual({
      kind: "error",
      code: "invalid_request_error",
      message: "bad",
    });
    expect(parse({ type: "error" })).toMatchObject({ kind: "error", code: "error" });
  });
});

describe("client events", () => {
  it("builds session.update with the realtime session type", () => {
    expect(JSON.parse(sessionUpdateEvent({ instructions: "x" }))).toEqual({
      type: "session.update",
      session: { type: "realtime", instructions: "x" },
    });
  });

  it("builds function_call_output items and response.create", () => {
    expect(JSON.parse(functionCallOutputEvent("c1", '{"ok":true}'))).toEqual({
      type: "conversation.item.create",
      item: { type: "function_call_output", call_id: "c1", output: '{"ok":true}' },
    });
    expect(JSON.parse(responseCreateEvent())).toEqual({ type: "response.create" });
    expect(JSON.parse(responseCreateEvent("Greet"))).toEqual({
      type: "response.create",
      response: { instructions: "Greet" },
    });
  });
});
