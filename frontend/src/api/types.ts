/** Wire types of the function app's HTTP API (see issues 2, 5 and 6; OpenAPI at /api/openapi.json). */

export interface Agent {
  name: string;
  display_name: string;
  description: string;
  /** The voice callers hear on the agent's backend (an Azure voice name on Voice Live). */
  voice: string;
  /** Speech backend of phone calls. */
  backend?: "realtime" | "voice-live";
  /** The backend and voice of the agent's web sessions: Voice Live through the bridge where it runs. */
  web_backend?: "realtime" | "voice-live";
  web_voice?: string;
  model?: string | null;
  handoffs: string[];
  greeting: string;
}

/** How the picker names an agent's backend and voice. */
export function describeSpeech(agent: Agent): string {
  if (agent.backend === "voice-live" && agent.web_backend === "voice-live") return `Voice Live, ${agent.voice}`;
  if (agent.backend === "voice-live") {
    return `Voice Live, ${agent.voice} (on the web: Realtime, ${agent.web_voice ?? "default voice"})`;
  }
  return `Realtime, ${agent.voice}`;
}

/** A Realtime agent's web session: an ephemeral key for WebRTC. */
export interface RealtimeGrant {
  session_id: string;
  ephemeral_key: string;
  expires_at: number | string;
  realtime_url: string;
  deployment: string;
  voice: string;
  agent: string;
  backend?: "realtime";
  /** Present when the function app keeps records: where this conversation's events go. */
  conversation?: ConversationGrant;
}

/** A Voice Live agent's web session: the bridge's WebSocket and a single-use token for it (no key). */
export interface VoiceLiveGrant {
  session_id: string;
  backend: "voice-live";
  bridge_url: string;
  bridge_token: string;
  expires_at: number;
  voice: string;
  model?: string;
  agent: string;
  conversation?: ConversationGrant;
}

export type SessionGrant = RealtimeGrant | VoiceLiveGrant;

/** The browser's right to post one web conversation's events (a short-lived, conversation-bound token). */
export interface ConversationGrant {
  id: string;
  token: string;
  expires_at: number;
  events_url: string;
  heartbeat_seconds: number;
}

/** A Realtime function definition as the model sees it. */
export interface ToolDefinition {
  type: "function";
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

export interface ToolList {
  tools: ToolDefinition[];
  tool_choice: string;
}

export interface FunctionCallRequest {
  name: string;
  call_id: string;
  arguments: string | Record<string, unknown>;
  agent?: string;
  /** The backend the session runs on: a handoff's session comes back in its dialect. */
  backend?: "realtime" | "voice-live";
}

export interface FunctionCallResult {
  call_id: string;
  /** A JSON string, passed to the model as the function_call_output as is. */
  output: string;
  /** Present on a handoff: the `session` object of a GA `session.update`. */
  session?: Record<string, unknown>;
  agent?: string;
}

export type Direction = "inbound" | "outbound";

export interface PlaceCallRequest {
  number: string;
  agent?: string;
  context?: string;
}

export interface PlacedCall {
  call_id: string;
  status_url: string;
}

export interface RecordedToolCall {
  name: string;
  arguments?: unknown;
  output?: unknown;
  ok?: boolean;
  duration_ms?: number;
  ts?: string;
}

export interface CallRecord {
  call_id: string;
  direction: Direction;
  agent: string;
  /** Phone numbers (E.164); empty for web conversations. */
  from_number?: string;
  to_number?: string;
  status: string;
  outcome: string | null;
  started_at: string | null;
  answered_at: string | null;
  ended_at: string | null;
  duration_s: number | null;
  estimated_cost: number | null;
  /** How many tools the agent called; the calls themselves come with `CallDetail`. */
  tool_calls: number;
  usage: Record<string, unknown>;
  summary?: string | Record<string, unknown> | null;
  [extra: string]: unknown;
}

export interface TranscriptLine {
  role: string;
  text: string;
  ts: string;
}

export interface CallDetail {
  record: CallRecord;
  transcript: TranscriptLine[];
  tool_calls?: RecordedToolCall[];
}

export interface CallFilters {
  direction?: Direction | "";
  outcome?: string;
  from?: string;
  to?: string;
  page_token?: string;
}

export interface CallPage {
  calls: CallRecord[];
  next_page_token: string | null;
}

export type CampaignAction = "pause" | "resume" | "cancel";

/** Outcome counters of a campaign, as returned by GET /api/campaigns/{id}. */
export interface CampaignCounters {
  pending: number;
  in_progress: number;
  completed: number;
  no_answer: number;
  busy: number;
  failed: number;
  voicemail: number;
  do_not_call: number;
  transferred: number;
}

export interface Campaign {
  id: string;
  name: string;
  status: string;
  agent: string;
  counters: CampaignCounters;
  total: number;
  [extra: string]: unknown;
}

/** Campaign settings sent with a CSV upload (the `settings` form field) or inline in a JSON body. */
export interface CampaignSettings {
  name: string;
  agent: string;
  script: string;
  calling_window: {
    days: string[];
    start: string;
    end: string;
    time_zone: string;
  };
  pacing: { max_concurrent: number; max_calls_per_minute: number };
  attempts: { max_per_contact: number; retry_delay_minutes: number };
  voicemail_policy: "leave_message" | "hang_up";
}

export interface RejectedRow {
  line: number;
  reason: string;
}

export interface CampaignCreated {
  campaign: Campaign;
  accepted: number;
  rejected: RejectedRow[];
}

export interface CampaignContact {
  phone?: string;
  name?: string;
  outcome?: string | null;
  attempts?: number;
  last_attempt_at?: string | null;
  call_id?: string | null;
  [extra: string]: unknown;
}

export interface ContactPage {
  contacts: CampaignContact[];
  next_page_token: string | null;
}

/** A conversation under way, as the live list shows it. */
export interface LiveConversation {
  call_id: string;
  agent: string;
  channel: "phone" | "web";
  direction: string;
  started_at: string;
  last_event_at: string;
  duration_s: number;
  last_lines: { role: string; text: string }[];
}

/** One event of a conversation as it happens (transcript line, tool call, handoff, supervisor action). */
export interface LiveEvent {
  type: string;
  seq?: number;
  ts?: string;
  role?: string;
  text?: string;
  name?: string;
  ok?: boolean;
  agent?: string;
  action?: string;
  by?: string;
}

export interface LiveFollow {
  call_id: string;
  channel: "phone" | "web";
  agent: string;
  status: string;
  outcome: string;
  started_at: string;
  duration_s: number;
  events: LiveEvent[];
  next_after: number;
  /** Null when nothing changed since `after` (the previous list still holds). */
  actions: LiveEvent[] | null;
}

export type SupervisorAction = "transfer" | "end";

/** Every KPI of one bucket (or of the whole range). Rates are null when nothing to divide by. */
export interface KpiFigures {
  conversations: number;
  connected: number;
  contained: number;
  containment_rate: number | null;
  transfer_rate: number | null;
  abandonment_rate: number | null;
  avg_handle_s: number | null;
  p90_handle_s: number | null;
  cost: number;
  cost_per_conversation: number | null;
  cost_per_contained: number | null;
  tokens: { input: number; output: number; total: number };
  tool_calls: number;
  tool_failures: number;
  tool_failure_rate: number | null;
  outcomes: Record<string, number>;
  handle_time_bins: number[];
}

export interface StatsQuery {
  from?: string;
  to?: string;
  agent?: string;
  channel?: string;
  bucket?: "hour" | "day";
}

export interface Stats {
  from: string;
  to: string;
  bucket: "hour" | "day";
  totals: KpiFigures;
  buckets: (KpiFigures & { start: string })[];
  handle_time_bin_edges_s: number[];
}
