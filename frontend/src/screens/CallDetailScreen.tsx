/** One call: outcome, timings, cost, summary, the agent's tool calls and the transcript. Live while it runs. */
import { useState, type ReactNode } from "react";
import type { ApiError } from "../api/client";
import type { CallDetail, CallRecord } from "../api/types";
import { Badge } from "../components/Badge";
import { CallTranscript } from "../components/CallTranscript";
import { ErrorMessage } from "../components/ErrorMessage";
import { ToolCallCard } from "../components/ToolCallCard";
import { useServices } from "../context";
import { asApiError, usePolling } from "../hooks";
import { formatCost, formatDateTime, formatDuration, humanise, prettyJson } from "../lib/format";
import { Link } from "../router";
import { isCallOver } from "./callStatus";

export function CallDetailScreen({ callId }: { callId: string }) {
  const { api, pollMs } = useServices();
  const [detail, setDetail] = useState<CallDetail | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const over = detail !== null && isCallOver(detail.record);
  const notFound = error?.status === 404;
  usePolling(
    async (signal) => {
      try {
        const loaded = await api.getCall(callId, signal);
        setDetail(loaded);
        setError(null);
        return !isCallOver(loaded.record);
      } catch (err) {
        // Polling goes on (and so retries by itself) unless the call does not exist.
        const error = asApiError(err);
        if (!signal.aborted) setError(error);
        return error.status !== 404;
      }
    },
    pollMs,
    !over && !notFound,
  );

  const record = detail?.record;
  const toolCalls = detail?.tool_calls ?? [];
  return (
    <section aria-labelledby="call-title" className="screen">
      <p>
        <Link to="/calls">← All calls</Link>
      </p>
      <h1 id="call-title" tabIndex={-1}>
        Call <code>{callId}</code>
      </h1>
      <ErrorMessage error={error} title={notFound ? "Call not found" : "Could not load the call (retrying)"} />
      {record && (
        <>
          <RecordSummary record={record} />
          {record.summary && (
            <section className="panel" aria-labelledby="summary-title">
              <h2 id="summary-title">Summary</h2>
              {typeof record.summary === "string" ? (
                <p>{record.summary}</p>
              ) : (
                <SummaryFields summary={record.summary} />
              )}
            </section>
          )}
          <section className="panel" aria-labelledby="tools-title">
            <h2 id="tools-title">Tool calls ({toolCalls.length})</h2>
            {toolCalls.length === 0 && <p className="muted">The agent used no tools.</p>}
            {toolCalls.map((call, i) => (
              <ToolCallCard
                key={i}
                name={call.name}
                arguments={call.arguments ?? {}}
                status={call.ok === false ? "error" : "ok"}
                result={call.output}
                durationMs={call.duration_ms}
              />
            ))}
          </section>
          <section className="panel" aria-labelledby="transcript-title">
            <h2 id="transcript-title">Transcript</h2>
            <CallTranscript lines={detail?.transcript ?? []} />
          </section>
        </>
      )}
    </section>
  );
}

function RecordSummary({ record }: { record: CallRecord }) {
  const usage = Object.entries(record.usage ?? {}).filter(([, v]) => typeof v === "number");
  return (
    <section className="panel" aria-label="Call facts">
      <dl className="facts">
        <Fact label="Status">
          <Badge value={record.status} />
        </Fact>
        <Fact label="Outcome">
          <Badge value={record.outcome} />
        </Fact>
        <Fact label="Direction">{humanise(record.direction)}</Fact>
        <Fact label="Agent">{record.agent}</Fact>
        <Fact label="Started">{formatDateTime(record.started_at)}</Fact>
        <Fact label="Answered">{formatDateTime(record.answered_at)}</Fact>
        <Fact label="Ended">{formatDateTime(record.ended_at)}</Fact>
        <Fact label="Duration">{formatDuration(record.duration_s)}</Fact>
        <Fact label="Estimated cost">{formatCost(record.estimated_cost)}</Fact>
        {usage.map(([key, value]) => (
          <Fact key={key} label={humanise(key)}>
            {String(value)}
          </Fact>
        ))}
      </dl>
    </section>
  );
}

function SummaryFields({ summary }: { summary: Record<string, unknown> }) {
  return (
    <dl className="facts">
      {Object.entries(summary).map(([key, value]) => (
        <Fact key={key} label={humanise(key)}>
          {typeof value === "string" ? value : prettyJson(value)}
        </Fact>
      ))}
    </dl>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="facts-row">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
