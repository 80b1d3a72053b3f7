import { prettyJson } from "../lib/format";

export interface ToolCallCardProps {
  name: string;
  arguments: unknown;
  status: "running" | "ok" | "error";
  result?: unknown;
  durationMs?: number;
}

const STATUS_TEXT = { running: "Running…", ok: "Done", error: "Failed" } as const;

/** One function call the agent made: what it asked for and what came back. */
export function ToolCallCard({ name, arguments: args, status, result, durationMs }: ToolCallCardProps) {
  return (
    <article className={`tool-card tool-${status}`} aria-label={`Tool call ${name}: ${STATUS_TEXT[status]}`}>
      <header>
        <span className="tool-icon" aria-hidden="true">
          ⚙
        </span>
        <code className="tool-name">{name}</code>
        <span className={`badge badge-${status}`}>{STATUS_TEXT[status]}</span>
        {durationMs !== undefined && <span className="muted">{Math.round(durationMs)} ms</span>}
      </header>
      <details>
        <summary>Arguments and result</summary>
        <h4>Arguments</h4>
        <pre>{prettyJson(args)}</pre>
        {result !== undefined && (
          <>
            <h4>{status === "error" ? "Error" : "Result"}</h4>
            <pre>{prettyJson(result)}</pre>
          </>
        )}
      </details>
    </article>
  );
}
