/**
 * One conversation as it happens: its lines and tool calls, polled with the per-call `seq` cursor,
 * and, for a live phone call, the supervisor's actions (coach the agent, transfer now, end the call).
 */
import { useState, type FormEvent } from "react";
import type { ApiError } from "../api/client";
import type { LiveEvent, LiveFollow, SupervisorAction } from "../api/types";
import { Badge } from "../components/Badge";
import { ErrorMessage } from "../components/ErrorMessage";
import { useServices } from "../context";
import { asApiError, usePolling } from "../hooks";
import { formatDuration } from "../lib/format";
import { Link } from "../router";
import { LIVE_POLL_MS } from "./LiveScreen";

interface Followed {
  info: Omit<LiveFollow, "events" | "next_after" | "actions"> & { actions: LiveEvent[] };
  events: LiveEvent[];
  after: number;
}

export function LiveCallScreen({ callId }: { callId: string }) {
  const { api } = useServices();
  const [followed, setFollowed] = useState<Followed | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const ended = followed?.info.status === "ended";

  usePolling(
    async (signal) => {
      try {
        const after = followed?.after ?? 0;
        const answer = await api.followLive(callId, after, signal);
        const { events, next_after, ...info } = answer;
        setFollowed((previous) => ({
          info: { ...info, actions: info.actions ?? previous?.info.actions ?? [] },
          events: [...(previous?.events ?? []), ...events.filter((e) => (e.seq ?? 0) > (previous?.after ?? 0))],
          after: next_after,
        }));
        setError(null);
        return answer.status !== "ended";
      } catch (err) {
        const failure = asApiError(err);
        if (!signal.aborted) setError(failure);
        return failure.status !== 404;
      }
    },
    LIVE_POLL_MS,
    !ended,
  );

  const info = followed?.info;
  const canSupervise = info?.channel === "phone" && info.status === "connected";
  return (
    <section aria-labelledby="live-call-title" className="screen">
      <p>
        <Link to="/live">← All live conversations</Link>
      </p>
      <h1 id="live-call-title" tabIndex={-1}>
        Live <code>{callId}</code>
      </h1>
      <ErrorMessage
        error={error}
        title={error?.status === 404 ? "Conversation not found" : "Could not load (retrying)"}
      />
      {info && (
        <dl className="facts">
          <dt>Channel</dt>
          <dd>
            <Badge value={info.channel} />
          </dd>
          <dt>Agent</dt>
          <dd>{info.agent}</dd>
          <dt>Status</dt>
          <dd>
            <Badge value={info.status === "ended" ? info.outcome || "ended" : info.status} />
          </dd>
          <dt>Duration</dt>
          <dd>{formatDuration(info.duration_s)}</dd>
        </dl>
      )}
      {canSupervise && <SupervisorPanel callId={callId} />}
      {info && info.actions.length > 0 && (
        <section className="panel" aria-labelledby="actions-title">
          <h2 id="actions-title">Supervisor actions</h2>
          <ul className="action-log">
            {info.actions.map((a, i) => (
              <li key={i}>
                {a.action === "coach"
                  ? `Coached: “${a.text ?? ""}”`
                  : a.action === "end"
                    ? "Ended the call"
                    : "Transferred"}{" "}
                <span className="hint">by {a.by}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section className="panel" aria-labelledby="live-lines-title">
        <h2 id="live-lines-title">Conversation</h2>
        <ol className="live-lines" aria-live="polite">
          {(followed?.events ?? []).map((event) => (
            <LiveLine key={`${event.seq ?? ""}-${event.ts ?? ""}-${event.type}`} event={event} />
          ))}
        </ol>
      </section>
    </section>
  );
}

function LiveLine({ event }: { event: LiveEvent }) {
  if (event.type === "transcript") {
    const who = event.role === "caller" ? "Caller" : "Agent";
    return (
      <li className={`live-line live-${event.role ?? "agent"}`}>
        <strong>{who}:</strong> {event.text}
      </li>
    );
  }
  if (event.type === "tool_call") {
    return (
      <li className="live-line live-tool">
        Tool <code>{event.name}</code> {event.ok === false ? "failed" : "ran"}
      </li>
    );
  }
  if (event.type === "agent_changed") return <li className="live-line live-tool">Handed over to {event.agent}</li>;
  if (event.type === "barge_in") return <li className="live-line live-tool">Caller interrupted</li>;
  return null;
}

function SupervisorPanel({ callId }: { callId: string }) {
  const { api } = useServices();
  const [advice, setAdvice] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const act = async (what: string, run: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await run();
      setDone(what);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  const coach = (event: FormEvent) => {
    event.preventDefault();
    const text = advice.trim();
    if (!text) return;
    void act("Guidance sent to the agent.", async () => {
      await api.coachCall(callId, text);
      setAdvice("");
    });
  };
  const control = (action: SupervisorAction, what: string) => void act(what, () => api.superviseCall(callId, action));

  return (
    <section className="panel" aria-labelledby="supervise-title">
      <h2 id="supervise-title">Supervise</h2>
      <form onSubmit={coach} className="coach-form">
        <label htmlFor="coach-text">Coach the agent (the caller does not hear this)</label>
        <input
          id="coach-text"
          value={advice}
          maxLength={500}
          onChange={(e) => setAdvice(e.target.value)}
          placeholder="Offer the loyalty discount."
        />
        <button type="submit" disabled={busy || !advice.trim()}>
          Send guidance
        </button>
      </form>
      <div className="actions">
        <button type="button" disabled={busy} onClick={() => control("transfer", "Transferring to a human agent.")}>
          Transfer now
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => control("end", "Ending the call.")}>
          End call
        </button>
      </div>
      {done && (
        <p role="status" className="hint">
          {done}
        </p>
      )}
      <ErrorMessage error={error} title="The action did not go through" />
    </section>
  );
}
