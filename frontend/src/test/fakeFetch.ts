/**
 * A `fetch` that answers from a table of routes ("METHOD /path" -> handler) and records every request,
 * so tests exercise the real ApiClient, headers and bodies included.
 */

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: BodyInit | null | undefined;
}

export type Handler = (request: RecordedRequest) => Response | Promise<Response>;

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

export function apiError(status: number, code: string, message: string): Response {
  return json({ error: { code, message } }, status);
}

export interface FakeFetch {
  fetch: typeof fetch;
  requests: RecordedRequest[];
  /** Requests whose "METHOD /path" equals `key`. */
  calls(key: string): RecordedRequest[];
  /** Replace or add a route. */
  on(key: string, handler: Handler): void;
}

export function fakeFetch(routes: Record<string, Handler> = {}): FakeFetch {
  const table = new Map(Object.entries(routes));
  const requests: RecordedRequest[] = [];
  const keyOf = (r: RecordedRequest) => `${r.method} ${r.url.pathname}`;
  const impl = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    if (init.signal?.aborted) throw new DOMException("aborted", "AbortError");
    const url = new URL(String(input), "http://app.test");
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => (headers[key] = value));
    const request: RecordedRequest = { method: init.method ?? "GET", url, headers, body: init.body };
    requests.push(request);
    const handler = table.get(keyOf(request));
    if (!handler) return apiError(404, "not_found", `no fake route for ${keyOf(request)}`);
    return handler(request);
  };
  return {
    fetch: impl as typeof fetch,
    requests,
    calls: (key) => requests.filter((r) => keyOf(r) === key),
    on: (key, handler) => table.set(key, handler),
  };
}
