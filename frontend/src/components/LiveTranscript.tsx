import { useEffect, useRef } from "react";
import { PENDING_USER_TEXT, type TranscriptEntry } from "../realtime/transcript";
import { ToolCallCard } from "./ToolCallCard";

/**
 * The conversation as it happens: both sides' words, tool-call cards and handoff banners.
 * A polite live region, so screen readers announce new lines without interrupting.
 */
export function LiveTranscript({
  entries,
  agentName,
}: {
  entries: TranscriptEntry[];
  agentName: (name: string | null) => string;
}) {
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "nearest" });
  }, [entries]);

  if (entries.length === 0) {
    return <p className="muted transcript-empty">The conversation will appear here.</p>;
  }
  return (
    <div className="transcript" role="log" aria-live="polite" aria-label="Conversation transcript">
      {entries.map((entry) => {
        switch (entry.kind) {
          case "message":
            return (
              <div key={entry.id} className={`bubble bubble-${entry.role}${entry.final ? "" : " bubble-live"}`}>
                <span className="bubble-who">{entry.role === "user" ? "You" : agentName(entry.agent)}</span>
                <p aria-busy={!entry.final}>{entry.text === PENDING_USER_TEXT ? <em>{entry.text}</em> : entry.text}</p>
              </div>
            );
          case "tool":
            return (
              <ToolCallCard
                key={entry.id}
                name={entry.call.name}
                arguments={entry.call.arguments}
                status={entry.call.status}
                result={entry.call.result}
              />
            );
          case "handoff":
            return (
              <p key={entry.id} className="handoff-line" role="status">
                {agentName(entry.from)} handed the conversation to <strong>{agentName(entry.to)}</strong>.
              </p>
            );
          case "notice":
            return (
              <p key={entry.id} className="notice-line">
                {entry.text}
              </p>
            );
        }
      })}
      <div ref={end} />
    </div>
  );
}
