import { describe, expect, it } from "vitest";
import { formatCost, formatDuration, humanise, prettyJson } from "../format";

describe("format", () => {
  it("humanises codes in both spellings", () => {
    expect(humanise("no_answer")).toBe("No answer");
    expect(humanise("no-answer")).toBe("No answer");
    expect(humanise(null)).toBe("—");
  });

  it("formats durations as m:ss and h:mm:ss", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(65)).toBe("1:05");
    expect(formatDuration(3723)).toBe("1:02:03");
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(-1)).toBe("—");
  });

  it("keeps sub-cent costs visible", () => {
    expect(formatCost(1.5)).toBe("$1.50");
    expect(formatCost(0.0042)).toBe("$0.0042");
    expect(formatCost(0)).toBe("$0.00");
    expect(formatCost(undefined)).toBe("—");
  });

  it("pretty-prints JSON strings and leaves other text alone", () => {
    expect(prettyJson('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyJson("plain text")).toBe("plain text");
    expect(prettyJson({ b: [1] })).toBe('{\n  "b": [\n    1\n  ]\n}');
  });
});
