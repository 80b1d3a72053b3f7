import { describe, expect, it } from "vitest";
import { matchRoute } from "../router";

describe("matchRoute", () => {
  it("maps every screen's path", () => {
    expect(matchRoute("/")).toEqual({ screen: "voice" });
    expect(matchRoute("/dialer")).toEqual({ screen: "dialer" });
    expect(matchRoute("/calls")).toEqual({ screen: "calls" });
    expect(matchRoute("/calls/abc%20123")).toEqual({ screen: "call", id: "abc 123" });
    expect(matchRoute("/campaigns/")).toEqual({ screen: "campaigns" });
    expect(matchRoute("/campaigns/c1")).toEqual({ screen: "campaign", id: "c1" });
  });

  it("reports unknown paths as not found", () => {
    expect(matchRoute("/nope")).toEqual({ screen: "not_found" });
    expect(matchRoute("/calls/a/b")).toEqual({ screen: "not_found" });
    expect(matchRoute("/dialer/x")).toEqual({ screen: "not_found" });
  });
});
