/**
 * Runtime configuration, set by `/api/runtime-config.js` before the bundle loads.
 *
 * One build serves every environment: the API base URL and the enabled features come from the function
 * app at page load, never from build-time variables. The config holds no secrets.
 */

export interface Features {
  phone: boolean;
  campaigns: boolean;
}

export interface RuntimeConfig {
  /** Origin (and optional path prefix) of the API, without a trailing slash; "" means same origin. */
  apiBaseUrl: string;
  features: Features;
}

declare global {
  interface Window {
    __RUNTIME_CONFIG__?: unknown;
  }
}

const DEFAULT_FEATURES: Features = { phone: true, campaigns: true };

/** Read and sanitise `window.__RUNTIME_CONFIG__`, falling back to same origin with every feature shown. */
export function readRuntimeConfig(source: unknown = window.__RUNTIME_CONFIG__): RuntimeConfig {
  const raw = isRecord(source) ? source : {};
  const features = isRecord(raw.features) ? raw.features : {};
  return {
    apiBaseUrl: normaliseBaseUrl(raw.apiBaseUrl),
    features: {
      phone: typeof features.phone === "boolean" ? features.phone : DEFAULT_FEATURES.phone,
      campaigns: typeof features.campaigns === "boolean" ? features.campaigns : DEFAULT_FEATURES.campaigns,
    },
  };
}

/**
 * Accept only http(s) URLs or "" (same origin). Anything else -- a typo, `javascript:` -- falls back to
 * same origin rather than sending requests somewhere unexpected.
 */
function normaliseBaseUrl(value: unknown): string {
  if (typeof value !== "string") return "";
  const trimmed = value.trim().replace(/\/+$/, "");
  if (trimmed === "") return "";
  try {
    const url = new URL(trimmed);
    if (url.protocol !== "http:" && url.protocol !== "https:") return "";
  } catch {
    return "";
  }
  return trimmed;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
