/** Every call, newest first, filtered by direction, outcome and dates, a page at a time. */
import { useEffect, useState } from "react";
import type { ApiError } from "../api/client";
import type { CallFilters, CallRecord } from "../api/types";
import { Badge } from "../components/Badge";
import { ErrorMessage } from "../components/ErrorMessage";
import { useServices } from "../context";
import { asApiError } from "../hooks";
import { formatCost, formatDateTime, formatDuration, humanise } from "../lib/format";
import { Link } from "../router";
import { CALL_OUTCOMES } from "./callStatus";

interface Filters {
  direction: "" | "inbound" | "outbound";
  outcome: string;
  from: string;
  to: string;
}

const NO_FILTERS: Filters = { direction: "", outcome: "", from: "", to: "" };

export function CallHistoryScreen() {
  const { api } = useServices();
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [calls, setCalls] = useState<CallRecord[]>([]);
  const [nextToken, setNextToken] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);

  const load = async (query: CallFilters, append: boolean, signal?: AbortSignal) => {
    setLoading(true);
    try {
      const page = await api.listCalls(query, signal);
      if (signal?.aborted) return;
      setCalls((before) => (append ? [...before, ...page.calls] : page.calls));
      setNextToken(page.next_page_token ?? null);
      setError(null);
    } catch (err) {
      if (!signal?.aborted) setError(asApiError(err));
    } finally {
      if (!signal?.aborted) setLoading(false);
    }
  };

  // A filter change starts over at the first page.
  useEffect(() => {
    const controller = new AbortController();
    void load(toQuery(filters), false, controller.signal);
    return () => controller.abort();
    // Only these inputs restart the load (`load` is a new function each render and need not).
  }, [filters, attempt]);

  const set = (key: keyof Filters) => (value: string) => setFilters((f) => ({ ...f, [key]: value }));

  return (
    <section aria-labelledby="calls-title" className="screen">
      <h1 id="calls-title" tabIndex={-1}>
        Call history
      </h1>
      <form className="panel filters" role="search" aria-label="Filter calls" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="f-direction">Direction</label>
          <select id="f-direction" value={filters.direction} onChange={(e) => set("direction")(e.target.value)}>
            <option value="">Any</option>
            <option value="inbound">Inbound</option>
            <option value="outbound">Outbound</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-outcome">Outcome</label>
          <select id="f-outcome" value={filters.outcome} onChange={(e) => set("outcome")(e.target.value)}>
            <option value="">Any</option>
            {CALL_OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {humanise(o)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-from">From</label>
          <input id="f-from" type="date" value={filters.from} onChange={(e) => set("from")(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="f-to">To</label>
          <input
            id="f-to"
            type="date"
            value={filters.to}
            min={filters.from || undefined}
            onChange={(e) => set("to")(e.target.value)}
          />
        </div>
        <button type="button" className="button secondary" onClick={() => setFilters(NO_FILTERS)}>
          Clear filters
        </button>
      </form>

      <ErrorMessage error={error} title="Could not load calls" onRetry={() => setAttempt((n) => n + 1)} />

      <div className="table-wrap" aria-busy={loading}>
        <table className="table">
          <caption className="visually-hidden">Calls</caption>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Direction</th>
              <th scope="col">Number</th>
              <th scope="col">Agent</th>
              <th scope="col">Status</th>
              <th scope="col">Outcome</th>
              <th scope="col" className="num">
                Duration
              </th>
              <th scope="col" className="num">
                Cost
              </th>
            </tr>
          </thead>
          <tbody>
            {calls.map((call) => (
              <tr key={call.call_id}>
                <td>
                  <Link to={`/calls/${encodeURIComponent(call.call_id)}`}>{formatDateTime(call.started_at)}</Link>
                </td>
                <td>{humanise(call.direction)}</td>
                <td>{otherParty(call) || "—"}</td>
                <td>{call.agent}</td>
                <td>
                  <Badge value={call.status} />
                </td>
                <td>
                  <Badge value={call.outcome} />
                </td>
                <td className="num">{formatDuration(call.duration_s)}</td>
                <td className="num">{formatCost(call.estimated_cost)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && calls.length === 0 && !error && <p className="muted">No calls match these filters.</p>}
      {loading && <p className="muted">Loading…</p>}
      {nextToken && !loading && (
        <button
          type="button"
          className="button secondary"
          onClick={() => void load({ ...toQuery(filters), page_token: nextToken }, true)}
        >
          Load more
        </button>
      )}
    </section>
  );
}

/** Dates are whole days in the user's view: `to` covers the end of its day. */
function toQuery(filters: Filters): CallFilters {
  return {
    direction: filters.direction,
    outcome: filters.outcome,
    from: filters.from ? new Date(`${filters.from}T00:00:00`).toISOString() : undefined,
    to: filters.to ? new Date(`${filters.to}T23:59:59.999`).toISOString() : undefined,
  };
}

/** The customer's number: who was called, or who called in. */
function otherParty(call: CallRecord): string {
  return (call.direction === "outbound" ? call.to_number : call.from_number) ?? "";
}
