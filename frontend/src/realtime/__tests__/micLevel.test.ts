import { describe, expect, it, vi } from "vitest";
import { levelOf, monitorLevel } from "../micLevel";

describe("levelOf", () => {
  it("is 0 for silence and 1 for a full-scale signal", () => {
    expect(levelOf(new Float32Array(128))).toBe(0);
    expect(levelOf([])).toBe(0);
    expect(levelOf(new Float32Array(128).fill(1))).toBe(1);
  });

  it("puts normal speech (about -30 dBFS) mid-scale", () => {
    const rms = 10 ** (-30 / 20);
    expect(levelOf(new Float32Array(256).fill(rms))).toBeCloseTo(0.5, 2);
  });
});

describe("monitorLevel", () => {
  it("does nothing, without failing, when the browser has no Web Audio", () => {
    const onLevel = vi.fn();
    const monitor = monitorLevel({} as MediaStream, onLevel, () => null);
    monitor.stop();
    expect(onLevel).not.toHaveBeenCalled();
  });

  it("reads the analyser each frame and releases the audio graph on stop", () => {
    const frames: FrameRequestCallback[] = [];
    vi.stubGlobal("requestAnimationFrame", (cb: FrameRequestCallback) => frames.push(cb));
    vi.stubGlobal("cancelAnimationFrame", vi.fn());
    const source = { connect: vi.fn(), disconnect: vi.fn() };
    const analyser = {
      fftSize: 0,
      getFloatTimeDomainData: (out: Float32Array) => out.fill(1),
    };
    const context = {
      createMediaStreamSource: () => source,
      createAnalyser: () => analyser,
      close: vi.fn(() => Promise.resolve()),
    };
    const levels: number[] = [];
    const monitor = monitorLevel(
      {} as MediaStream,
      (l) => levels.push(l),
      () => context as unknown as AudioContext,
    );
    frames[0](0);
    expect(levels).toEqual([1]);
    expect(source.connect).toHaveBeenCalledWith(analyser);
    monitor.stop();
    expect(source.disconnect).toHaveBeenCalled();
    expect(context.close).toHaveBeenCalled();
    vi.unstubAllGlobals();
  });
});
