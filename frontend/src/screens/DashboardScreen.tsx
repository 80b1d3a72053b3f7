/**
 * The contact-center lead's numbers: conversations, containment, transfers, abandonment, handle time,
 * cost and tools, by day or hour, for one agent or channel, with outcomes over time.
 */
import { useState, type FormEvent } from "react";
import type { KpiFigures, StatsQuery } from "../api/types";
import { StackedColumns } from "../components/KpiCharts";
import { ErrorMessage } from "../components/ErrorMessage";
import { useServices } from "../context";
import { useLoad } from "../hooks";
import { formatCost, formatDuration } from "../lib/format";

const OUTCOMES = ["completed", "transferred", "voicemail", "abandoned", "no-answer", "busy", "failed"];
const DAY_MS = 86_400_000;

function isoDay(moment: Date): string {
  return moment.toISOString().slice(0, 10);
}

function percent(rate: number | null): string {
  return rate === null ? "—" : `${(rate * 100).toFixed(1)}%`;
}

/** Filters from the page's query string, so a view can be bookmarked and shared. */
function initialQuery(): Required<Pick<StatsQuery, "from" | "to" | "bucket">> & StatsQuery {
  const params = new URLSearchParams(window.location.search);
  const today = new Date();
  return {
    from: params.get("from") ?? isoDay(new Date(today.getTime() - 6 * DAY_MS)),
    to: params.get("to") ?? isoDay(new Date(today.getTime() + DAY_MS)),
    bucket: params.get("bucket") === "hour" ? "hour" : "day",
    agent: params.get("agent") ?? "",
    channel: params.get("channel") ?? "",
  };
}

export function DashboardScreen() {
  const { api } = useServices();
  const [query, setQuery] = useState(initialQuery);
  const [draft, setDraft] = useState(query);
  const stats = useLoad((signal) => api.getStats(query, signal), [query]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setQuery(draft);
    const params = new URLSearchParams(Object.entries(draft).filter(([, v]) => v) as [string, string][]);
    window.history.replaceState(null, "", `${window.location.pathname}?${params.toString()}`);
  };
  const data = stats.data;
  return (
    <section aria-labelledby="dashboard-title" className="screen">
      <h1 id="dashboard-title" tabIndex={-1}>
        Dashboard
      </h1>
      <form className="filters" onSubmit={apply} aria-label="Range and filters">
        <label>
          From <input type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </label>
        <label>
          To <input type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </label>
        <label>
          By{" "}
          <select
            value={draft.bucket}
            onChange={(e) => setDraft({ ...draft, bucket: e.target.value === "hour" ? "hour" : "day" })}
          >
            <option value="day">day</option>
            <option value="hour">hour</option>
          </select>
        </label>
        <label>
          Agent <input value={draft.agent} onChange={(e) => setDraft({ ...draft, agent: e.target.value })} size={10} />
        </label>
        <label>
          Channel{" "}
          <select value={draft.channel} onChange={(e) => setDraft({ ...draft, channel: e.target.value })}>
            <option value="">all</option>
            <option value="phone">phone</option>
            <option value="web">web</option>
          </select>
        </label>
        <button type="submit">Show</button>
      </form>
      <ErrorMessage error={stats.error} title="Could not load the statistics" />
      {data && (
        <>
          <Tiles figures={data.totals} />
          <StackedColumns
            title="Outcomes over time"
            keys={OUTCOMES}
            columns={data.buckets.map((b) => ({
              label: data.bucket === "hour" ? b.start.slice(5, 13).replace("T", " ") + "h" : b.start.slice(5, 10),
              parts: b.outcomes,
            }))}
          />
          <StackedColumns
            title="Handle time (connected conversations, seconds)"
            keys={["conversations"]}
            columns={data.totals.handle_time_bins.map((count, i) => ({
              label: i < data.handle_time_bin_edges_s.length ? `<${data.handle_time_bin_edges_s[i]}` : "more",
              parts: { conversations: count },
            }))}
          />
        </>
      )}
    </section>
  );
}

function Tiles({ figures }: { figures: KpiFigures }) {
  const tiles: [string, string][] = [
    ["Conversations", String(figures.conversations)],
    ["Containment", percent(figures.containment_rate)],
    ["Transfer rate", percent(figures.transfer_rate)],
    ["Abandonment", percent(figures.abandonment_rate)],
    ["Avg handle time", formatDuration(figures.avg_handle_s)],
    ["p90 handle time", formatDuration(figures.p90_handle_s)],
    ["Cost / conversation", formatCost(figures.cost_per_conversation)],
    ["Cost / contained", formatCost(figures.cost_per_contained)],
    ["Tokens", figures.tokens.total.toLocaleString("en-US")],
    ["Tool calls", String(figures.tool_calls)],
    ["Tool failure rate", percent(figures.tool_failure_rate)],
  ];
  return (
    <dl className="kpi-tiles" aria-label="Totals for the range">
      {tiles.map(([label, value]) => (
        <div className="kpi-tile" key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
