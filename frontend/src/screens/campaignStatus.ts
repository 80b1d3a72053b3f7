/** Campaign statuses and outcome counters as the dashboard shows them. */
import type { CampaignAction, CampaignCounters } from "../api/types";

/** Bars of the progress chart, in the order a reader expects: not yet done, then outcomes. */
export const COUNTER_ORDER: (keyof CampaignCounters)[] = [
  "pending",
  "in_progress",
  "completed",
  "transferred",
  "voicemail",
  "no_answer",
  "busy",
  "failed",
  "do_not_call",
];

const FINISHED = new Set(["completed", "cancelled", "canceled", "failed"]);

export function isCampaignFinished(status: string): boolean {
  return FINISHED.has(status);
}

/** The controls that make sense in a status; cancel is allowed until the campaign has finished. */
export function allowedActions(status: string): CampaignAction[] {
  if (isCampaignFinished(status)) return [];
  if (status === "paused") return ["resume", "cancel"];
  return ["pause", "cancel"];
}

/** Contacts with a final outcome (neither pending nor being called). */
export function doneCount(counters: Partial<CampaignCounters>, total: number): number {
  return Math.max(0, total - (counters.pending ?? 0) - (counters.in_progress ?? 0));
}
