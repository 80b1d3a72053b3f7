import { describe, expect, it } from "vitest";
import { decodePcm16, encodePcm16 } from "../pcmAudio";

describe("PCM16 codec", () => {
  it("round-trips samples within one quantisation step, little-endian", () => {
    const samples = new Float32Array([0, 0.5, -0.5, 0.999, -1]);
    const b64 = encodePcm16(samples);
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    expect(bytes.length).toBe(10);
    expect(new DataView(bytes.buffer).getInt16(8, true)).toBe(-32768);
    const back = decodePcm16(b64);
    samples.forEach((s, i) => expect(Math.abs(back[i] - s)).toBeLessThan(1 / 16384));
  });

  it("clips samples outside [-1, 1] instead of wrapping around", () => {
    const back = decodePcm16(encodePcm16(new Float32Array([1.7, -3])));
    expect(back[0]).toBeGreaterThan(0.99);
    expect(back[1]).toBe(-1);
  });

  it("encodes a 100 ms chunk (2400 samples) and ignores an odd trailing byte when decoding", () => {
    expect(atob(encodePcm16(new Float32Array(2400))).length).toBe(4800);
    expect(decodePcm16(btoa("\x01\x00\x02")).length).toBe(1);
  });
});
