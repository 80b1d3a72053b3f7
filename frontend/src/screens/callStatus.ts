/** Closed sets of the phone channel as the UI shows them (values from issues 5 and 6). */
import type { CallRecord } from "../api/types";

/**
 * Call outcomes spelled as the call records store them (`callcenter/calls/kinds.py` `Outcome`); a
 * campaign's counters use the same names for finished attempts.
 */
export const CALL_OUTCOMES = [
  "completed",
  "transferred",
  "abandoned",
  "no_answer",
  "busy",
  "failed",
  "voicemail",
] as const;

/** A call is over once it has an end time or an outcome; polling stops then. */
export function isCallOver(record: Pick<CallRecord, "status" | "ended_at" | "outcome">): boolean {
  return Boolean(record.ended_at) || Boolean(record.outcome) || record.status === "ended";
}
