/** Conversations under way on both channels: agent, duration, last lines; refreshed every second. */
import { useState } from "react";
import type { ApiError } from "../api/client";
import type { LiveConversation } from "../api/types";
import { Badge } from "../components/Badge";
import { ErrorMessage } from "../components/ErrorMessage";
import { useServices } from "../context";
import { asApiError, usePolling } from "../hooks";
import { formatDuration } from "../lib/format";
import { Link } from "../router";

/** How often the live views poll: a new line shows within this (plus the bridge's flush interval). */
export const LIVE_POLL_MS = 1000;

export function LiveScreen() {
  const { api } = useServices();
  const [conversations, setConversations] = useState<LiveConversation[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  usePolling(
    async (signal) => {
      try {
        setConversations(await api.listLive(signal));
        setError(null);
      } catch (err) {
        if (!signal.aborted) setError(asApiError(err));
      }
      return true;
    },
    LIVE_POLL_MS,
    true,
  );

  return (
    <section aria-labelledby="live-title" className="screen">
      <h1 id="live-title" tabIndex={-1}>
        Live
      </h1>
      <p className="hint">Conversations happening now, phone and web. Open one to follow it and act on it.</p>
      <ErrorMessage error={error} title="Could not load live conversations (retrying)" />
      {conversations !== null && conversations.length === 0 && <p>No conversation is under way.</p>}
      {conversations !== null && conversations.length > 0 && (
        <table className="data-table" aria-label="Conversations under way">
          <thead>
            <tr>
              <th scope="col">Conversation</th>
              <th scope="col">Channel</th>
              <th scope="col">Agent</th>
              <th scope="col">Duration</th>
              <th scope="col">Last lines</th>
            </tr>
          </thead>
          <tbody>
            {conversations.map((c) => (
              <tr key={c.call_id}>
                <td>
                  <Link to={`/live/${encodeURIComponent(c.call_id)}`}>
                    <code>{c.call_id}</code>
                  </Link>
                </td>
                <td>
                  <Badge value={c.channel} />
                </td>
                <td>{c.agent}</td>
                <td>{formatDuration(c.duration_s)}</td>
                <td className="last-lines">
                  {c.last_lines.map((line, i) => (
                    <div key={i}>
                      <strong>{line.role === "caller" ? "Caller" : "Agent"}:</strong> {line.text}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
