import { describe, expect, it } from "vitest";
import { readRuntimeConfig } from "../config";

describe("readRuntimeConfig", () => {
  it("falls back to same origin with every feature when the script did not load", () => {
    expect(readRuntimeConfig(undefined)).toEqual({ apiBaseUrl: "", features: { phone: true, campaigns: true } });
  });

  it("reads the base URL without its trailing slash and the feature switches", () => {
    const config = readRuntimeConfig({
      apiBaseUrl: "https://func.example.net/",
      features: { phone: false, campaigns: true },
    });
    expect(config).toEqual({ apiBaseUrl: "https://func.example.net", features: { phone: false, campaigns: true } });
  });

  it("refuses a base URL that is not http(s) and uses same origin instead", () => {
    expect(readRuntimeConfig({ apiBaseUrl: "javascript:alert(1)" }).apiBaseUrl).toBe("");
    expect(readRuntimeConfig({ apiBaseUrl: "not a url" }).apiBaseUrl).toBe("");
  });

  it("ignores feature values that are not booleans", () => {
    expect(readRuntimeConfig({ features: { phone: "no", campaigns: 0 } }).features).toEqual({
      phone: true,
      campaigns: true,
    });
  });

  it("reads window.__RUNTIME_CONFIG__ by default", () => {
    window.__RUNTIME_CONFIG__ = { apiBaseUrl: "http://127.0.0.1:7071", features: { phone: true, campaigns: false } };
    expect(readRuntimeConfig()).toEqual({
      apiBaseUrl: "http://127.0.0.1:7071",
      features: { phone: true, campaigns: false },
    });
  });
});
