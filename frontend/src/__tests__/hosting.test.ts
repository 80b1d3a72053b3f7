import { describe, expect, it } from "vitest";
import indexHtml from "../../index.html?raw";
import swa from "../../public/staticwebapp.config.json";

/** The CSP as a map of directive -> sources. */
function csp(): Map<string, string[]> {
  const header = (swa.globalHeaders as Record<string, string>)["Content-Security-Policy"];
  return new Map(
    header.split(";").map((d) => {
      const [name, ...sources] = d.trim().split(/\s+/);
      return [name, sources] as [string, string[]];
    }),
  );
}

describe("static hosting", () => {
  it("loads the runtime config before the bundle", () => {
    const config = indexHtml.indexOf('src="/api/runtime-config.js"');
    const bundle = indexHtml.indexOf('type="module"');
    expect(config).toBeGreaterThan(0);
    expect(config).toBeLessThan(bundle);
  });

  it("falls back to index.html for app paths but not for the API or assets", () => {
    expect(swa.navigationFallback.rewrite).toBe("/index.html");
    expect(swa.navigationFallback.exclude).toEqual(expect.arrayContaining(["/api/*", "/assets/*"]));
  });

  it("lets the page reach the API and the Azure OpenAI Realtime endpoints, and nothing else", () => {
    const policy = csp();
    expect(policy.get("connect-src")).toEqual(expect.arrayContaining(["'self'", "https://*.openai.azure.com"]));
    expect(policy.get("connect-src")!.every((s) => s === "'self'" || s.startsWith("https://"))).toBe(true);
  });

  it("allows no inline or foreign script and no framing", () => {
    const policy = csp();
    expect(policy.get("script-src")).toEqual(["'self'"]);
    expect(policy.get("default-src")).toEqual(["'self'"]);
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
    expect(policy.get("object-src")).toEqual(["'none'"]);
  });

  it("allows the microphone for this site only", () => {
    expect((swa.globalHeaders as Record<string, string>)["Permissions-Policy"]).toContain("microphone=(self)");
  });
});
