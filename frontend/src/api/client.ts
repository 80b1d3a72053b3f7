/**
 * Typed client of the function app's HTTP API: one method per endpoint.
 *
 * Every failure -- an API error body, a non-JSON gateway page, a dropped connection -- becomes an
 * `ApiError` with a stable `code`, so screens show one kind of error and never parse responses.
 */
import type {
  Agent,
  CallDetail,
  CallFilters,
  CallPage,
  Campaign,
  CampaignAction,
  CampaignCreated,
  CampaignSettings,
  ContactPage,
  FunctionCallRequest,
  LiveConversation,
  LiveFollow,
  Stats,
  StatsQuery,
  SupervisorAction,
  FunctionCallResult,
  PlaceCallRequest,
  PlacedCall,
  SessionGrant,
  ToolList,
} from "./types";

export class ApiError extends Error {
  /** HTTP status, or 0 when no response arrived (network down, CORS, aborted). */
  readonly status: number;
  /** The API's stable error code (`invalid_input`, `not_configured`, ...) or one made up here. */
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

type Query = Record<string, string | undefined>;

interface RequestOptions {
  query?: Query;
  json?: unknown;
  body?: FormData;
  signal?: AbortSignal;
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(baseUrl: string, fetchImpl: typeof fetch = (...args) => fetch(...args)) {
    this.baseUrl = baseUrl;
    this.fetchImpl = fetchImpl;
  }

  /** Absolute (or same-origin) URL of an API path, with empty query values left out. */
  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== "") params.set(key, value);
    }
    const qs = params.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ""}`;
  }

  listAgents(signal?: AbortSignal): Promise<Agent[]> {
    return this.request<{ agents: Agent[] }>("GET", "/api/agents", { signal }).then((r) => r.agents);
  }

  createSession(agent: string, signal?: AbortSignal): Promise<SessionGrant> {
    return this.request("POST", "/api/session", { json: { agent }, signal });
  }

  listTools(channel: "web" | "phone" = "web", signal?: AbortSignal): Promise<ToolList> {
    return this.request("GET", "/api/tools", { query: { channel }, signal });
  }

  callFunction(call: FunctionCallRequest, signal?: AbortSignal): Promise<FunctionCallResult> {
    return this.request("POST", "/api/function-call", { json: call, signal });
  }

  placeCall(call: PlaceCallRequest, signal?: AbortSignal): Promise<PlacedCall> {
    return this.request("POST", "/api/call", { json: call, signal });
  }

  getCall(callId: string, signal?: AbortSignal): Promise<CallDetail> {
    return this.request("GET", `/api/calls/${encodeURIComponent(callId)}`, { signal });
  }

  listCalls(filters: CallFilters = {}, signal?: AbortSignal): Promise<CallPage> {
    return this.request("GET", "/api/calls", { query: { ...filters }, signal });
  }

  getSourcePhoneNumber(signal?: AbortSignal): Promise<string> {
    return this.request<{ phone_number: string }>("GET", "/api/source-phone-number", { signal }).then(
      (r) => r.phone_number,
    );
  }

  /** Create a campaign from a contacts CSV file plus settings (multipart/form-data). */
  createCampaignFromCsv(settings: CampaignSettings, contacts: Blob, signal?: AbortSignal): Promise<CampaignCreated> {
    const body = new FormData();
    body.set("settings", JSON.stringify(settings));
    body.set("contacts", contacts, contacts instanceof File ? contacts.name : "contacts.csv");
    return this.request("POST", "/api/campaigns", { body, signal });
  }

  listCampaigns(signal?: AbortSignal): Promise<Campaign[]> {
    return this.request<{ campaigns: Campaign[] }>("GET", "/api/campaigns", { signal }).then((r) => r.campaigns);
  }

  getCampaign(id: string, signal?: AbortSignal): Promise<Campaign> {
    return this.request<{ campaign: Campaign }>("GET", `/api/campaigns/${encodeURIComponent(id)}`, {
      signal,
    }).then((r) => r.campaign);
  }

  listCampaignContacts(
    id: string,
    filters: { outcome?: string; page_token?: string } = {},
    signal?: AbortSignal,
  ): Promise<ContactPage> {
    return this.request("GET", `/api/campaigns/${encodeURIComponent(id)}/contacts`, { query: filters, signal });
  }

  /** Link target of the CSV export; the browser downloads it directly. */
  campaignExportUrl(id: string): string {
    return this.url(`/api/campaigns/${encodeURIComponent(id)}/export.csv`);
  }

  controlCampaign(id: string, action: CampaignAction, signal?: AbortSignal): Promise<Campaign> {
    return this.request<{ campaign?: Campaign } & Partial<Campaign>>(
      "POST",
      `/api/campaigns/${encodeURIComponent(id)}/${action}`,
      { signal },
    ).then((r) => (r.campaign ?? r) as Campaign);
  }

  listLive(signal?: AbortSignal): Promise<LiveConversation[]> {
    return this.request<{ conversations: LiveConversation[] }>("GET", "/api/live", { signal }).then(
      (r) => r.conversations,
    );
  }

  /** One conversation's events after the `after` cursor (the `next_after` of the previous answer). */
  followLive(callId: string, after: number, signal?: AbortSignal): Promise<LiveFollow> {
    return this.request("GET", `/api/live/${encodeURIComponent(callId)}`, { query: { after: String(after) }, signal });
  }

  coachCall(callId: string, text: string, signal?: AbortSignal): Promise<unknown> {
    return this.request("POST", `/api/live/${encodeURIComponent(callId)}/coach`, { json: { text }, signal });
  }

  superviseCall(callId: string, action: SupervisorAction, signal?: AbortSignal): Promise<unknown> {
    return this.request("POST", `/api/live/${encodeURIComponent(callId)}/${action}`, { signal });
  }

  getStats(query: StatsQuery, signal?: AbortSignal): Promise<Stats> {
    return this.request("GET", "/api/stats", { query: { ...query }, signal });
  }

  private async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    let body: BodyInit | undefined = options.body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path, options.query), {
        method,
        headers,
        body,
        signal: options.signal,
      });
    } catch (err) {
      if (isAbort(err)) throw err;
      throw new ApiError(0, "network_error", "Cannot reach the server. Check your connection and try again.");
    }
    const payload = await readJson(response);
    if (!response.ok) throw errorFrom(response, payload);
    if (payload === undefined) {
      throw new ApiError(response.status, "bad_response", `The server sent an unreadable response to ${path}.`);
    }
    return payload as T;
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return response.ok ? {} : undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorFrom(response: Response, payload: unknown): ApiError {
  const error = (payload as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.code === "string" && typeof error.message === "string") {
    return new ApiError(response.status, error.code, error.message);
  }
  // A proxy or gateway page rather than the API's JSON: say what happened without echoing its body.
  return new ApiError(response.status, `http_${response.status}`, `The server answered ${response.status}.`);
}

function isAbort(err: unknown): boolean {
  // Checked by name: jsdom, Node and browsers each have their own DOMException class.
  return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "AbortError";
}
