/**
 * Puts a web conversation on record: posts its events (transcript lines, tool calls, handoffs, usage,
 * end) to the function app in numbered batches, the way the phone bridge does.
 *
 * Every event gets the next `seq` of the conversation, so a batch that failed and is sent again (with
 * newer events appended) stores each event once. A batch goes out every `flushMs`, at 20 events, and
 * at the end; an empty one goes out every `heartbeat_seconds` so the function app knows the tab is
 * still open (a tab closed without goodbye is ended by the server's idle watch). The end is sent with
 * `keepalive`, which lets it outlive the page when the tab is closing.
 */
import type { ConversationGrant } from "../api/types";
import type { SessionEvent } from "./session";

export interface RecordedEvent {
  type: "transcript" | "tool_call" | "agent_changed" | "usage" | "ended";
  seq: number;
  ts: string;
  [field: string]: unknown;
}

const MAX_BATCH = 20;
const MAX_BUFFERED = 2000;

export class ConversationRecorder {
  private readonly grant: ConversationGrant;
  private readonly url: string;
  private readonly fetchImpl: typeof fetch;
  private pending: RecordedEvent[] = [];
  private seq = 0;
  private sending = false;
  private ended = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastPost = Date.now();
  /** Agent replies still being spoken: their text so far, by item. */
  private readonly partial = new Map<string, string>();

  constructor(grant: ConversationGrant, apiBaseUrl: string, fetchImpl: typeof fetch, flushMs = 1000) {
    this.grant = grant;
    this.url = `${apiBaseUrl}${grant.events_url}`;
    this.fetchImpl = fetchImpl;
    this.timer = setInterval(() => void this.tick(), flushMs);
    window.addEventListener("pagehide", this.onPageHide);
  }

  private readonly onPageHide = (): void => this.end("page_closed");

  /** Record what a session event means for the conversation's record (most mean nothing). */
  observe(event: SessionEvent): void {
    switch (event.type) {
      case "transcript":
        if (!event.final) {
          this.partial.set(event.itemId, (this.partial.get(event.itemId) ?? "") + event.text);
          return;
        }
        this.partial.delete(event.itemId);
        if (event.text) {
          this.add({ type: "transcript", role: event.role === "user" ? "caller" : "agent", text: event.text });
        }
        return;
      case "tool":
        if (event.call.status !== "running") {
          this.add({ type: "tool_call", name: event.call.name, ok: event.call.status === "ok" });
        }
        return;
      case "agent":
        if (event.previous !== null) this.add({ type: "agent_changed", agent: event.agent });
        return;
      case "usage":
        this.add({ type: "usage", usage: event.usage });
        return;
      default:
        return;
    }
  }

  /** The conversation is over: send what is left and the end, even while the page unloads. */
  end(reason: string): void {
    if (this.ended) return;
    // A reply cut off by the hang-up: record what had been said of it.
    for (const text of this.partial.values()) if (text.trim()) this.add({ type: "transcript", role: "agent", text });
    this.partial.clear();
    this.add({ type: "ended", reason });
    this.ended = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    window.removeEventListener("pagehide", this.onPageHide);
    void this.post(this.pending.splice(0), true);
  }

  private add(fields: { type: RecordedEvent["type"]; [field: string]: unknown }): void {
    if (this.ended) return;
    this.seq += 1;
    this.pending.push({ ...fields, seq: this.seq, ts: new Date().toISOString() } as RecordedEvent);
    if (this.pending.length > MAX_BUFFERED) this.pending.splice(0, this.pending.length - MAX_BUFFERED);
    if (this.pending.length >= MAX_BATCH) void this.tick();
  }

  private async tick(): Promise<void> {
    if (this.sending || this.ended) return;
    const heartbeatDue = Date.now() - this.lastPost >= this.grant.heartbeat_seconds * 1000;
    if (this.pending.length === 0 && !heartbeatDue) return;
    this.sending = true;
    const batch = this.pending.slice(0, MAX_BATCH);
    try {
      if (await this.post(batch, false)) this.pending.splice(0, batch.length);
    } finally {
      this.sending = false;
    }
  }

  /** POST one batch; true once the function app took it (or refused it for good: a 4xx). */
  private async post(events: RecordedEvent[], keepalive: boolean): Promise<boolean> {
    try {
      const response = await this.fetchImpl(this.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.grant.token}` },
        body: JSON.stringify({ events }),
        keepalive,
      });
      this.lastPost = Date.now();
      return response.ok || (response.status >= 400 && response.status < 500);
    } catch {
      return false; // kept for the next tick
    }
  }
}
