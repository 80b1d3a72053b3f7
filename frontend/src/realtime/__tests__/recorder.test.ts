import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConversationRecorder } from "../recorder";

const GRANT = {
  id: "web-1",
  token: "tok",
  expires_at: 0,
  events_url: "/api/conversations/web-1/events",
  heartbeat_seconds: 15,
};

function fakeFetch(statuses: number[]) {
  const posts: { url: string; init: RequestInit; events: { type: string; seq: number }[] }[] = [];
  const impl = vi.fn(async (url: string, init: RequestInit) => {
    posts.push({ url, init, events: JSON.parse(String(init.body)).events });
    const status = statuses.shift() ?? 202;
    if (status === 0) throw new TypeError("network down");
    return new Response("{}", { status });
  });
  return { posts, impl: impl as unknown as typeof fetch };
}

describe("ConversationRecorder", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("posts numbered batches with the token and sends a failed batch again with newer events", async () => {
    const { posts, impl } = fakeFetch([0, 202, 202]);
    const recorder = new ConversationRecorder(GRANT, "http://api", impl, 1000);
    recorder.observe({ type: "transcript", role: "agent", itemId: "a", text: "Hello", final: true });
    recorder.observe({ type: "transcript", role: "user", itemId: "b", text: "partial", final: false });
    await vi.advanceTimersByTimeAsync(1000); // fails: network down
    recorder.observe({ type: "transcript", role: "user", itemId: "b", text: "Hi there", final: true });
    recorder.observe({ type: "tool", call: { callId: "c", name: "lookup", arguments: "{}", status: "error" } });
    recorder.observe({ type: "usage", usage: { total_tokens: 9 } });
    await vi.advanceTimersByTimeAsync(1000);
    recorder.end("caller_hung_up");
    await vi.advanceTimersByTimeAsync(0);
    expect(posts[0].url).toBe("http://api/api/conversations/web-1/events");
    expect((posts[0].init.headers as Record<string, string>).Authorization).toBe("Bearer tok");
    expect(posts.map((p) => p.events.map((e) => e.seq))).toEqual([[1], [1, 2, 3, 4], [5]]);
    expect(posts[1].events.map((e) => e.type)).toEqual(["transcript", "transcript", "tool_call", "usage"]);
    expect(posts[1].events[2]).toMatchObject({ name: "lookup", ok: false });
    expect(posts[2].events[0]).toMatchObject({ type: "ended", reason: "caller_hung_up" });
    expect(posts[2].init.keepalive).toBe(true);
  });

  it("sends an empty batch as a heartbeat while nobody speaks, and nothing after the end", async () => {
    const { posts, impl } = fakeFetch([]);
    const recorder = new ConversationRecorder(GRANT, "", impl, 1000);
    await vi.advanceTimersByTimeAsync(15_000);
    recorder.observe({ type: "transcript", role: "agent", itemId: "r", text: "Your balance ", final: false });
    recorder.observe({ type: "transcript", role: "agent", itemId: "r", text: "is", final: false });
    expect(posts.map((p) => p.events)).toEqual([[]]);
    recorder.end("caller_hung_up");
    recorder.end("again");
    await vi.advanceTimersByTimeAsync(30_000);
    expect(posts).toHaveLength(2);
    // the reply cut off by the hang-up is recorded as far as it was said
    expect(posts[1].events.map((e) => [e.type, (e as { text?: string }).text])).toEqual([
      ["transcript", "Your balance is"],
      ["ended", undefined],
    ]);
  });
});
