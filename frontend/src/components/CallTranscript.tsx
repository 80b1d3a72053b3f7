import type { TranscriptLine } from "../api/types";
import { formatDateTime } from "../lib/format";

/** The stored transcript of a phone or web call; caller lines on one side, the agent's on the other. */
export function CallTranscript({ lines }: { lines: TranscriptLine[] }) {
  if (lines.length === 0) return <p className="muted">No transcript.</p>;
  return (
    <ol className="transcript" aria-label="Call transcript">
      {lines.map((line, i) => {
        const who = line.role === "agent" || line.role === "assistant" ? "agent" : "user";
        return (
          <li key={i} className={`bubble bubble-${who}`}>
            <span className="bubble-who">
              {who === "agent" ? "Agent" : "Caller"}{" "}
              <time dateTime={line.ts} className="muted">
                {formatDateTime(line.ts)}
              </time>
            </span>
            <p>{line.text}</p>
          </li>
        );
      })}
    </ol>
  );
}
