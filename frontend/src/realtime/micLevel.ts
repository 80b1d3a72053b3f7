/**
 * Microphone level for the meter: RMS of the analyser's time-domain samples, mapped to 0..1 on a
 * decibel scale (speech sits around -30 dBFS; a linear scale would leave the meter nearly empty).
 */

/** Floor of the meter: quieter than this shows as empty. */
const FLOOR_DB = -60;

/** Level of a block of samples in [-1, 1], as 0 (silence) .. 1 (full scale). */
export function levelOf(samples: ArrayLike<number>): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / samples.length);
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, (db - FLOOR_DB) / -FLOOR_DB));
}

export interface LevelMonitor {
  stop(): void;
}

/**
 * Report the stream's level about every animation frame until stopped.
 *
 * Returns a monitor that does nothing when the browser has no Web Audio (the meter then stays empty,
 * which is better than failing the conversation).
 */
export function monitorLevel(
  stream: MediaStream,
  onLevel: (level: number) => void,
  createContext: () => AudioContext | null = defaultContext,
): LevelMonitor {
  const context = createContext();
  if (context === null) return { stop() {} };
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let frame = 0;
  const tick = () => {
    analyser.getFloatTimeDomainData(samples);
    onLevel(levelOf(samples));
    frame = requestAnimationFrame(tick);
  };
  frame = requestAnimationFrame(tick);
  return {
    stop() {
      cancelAnimationFrame(frame);
      source.disconnect();
      void context.close();
    },
  };
}

function defaultContext(): AudioContext | null {
  return typeof AudioContext === "undefined" ? null : new AudioContext();
}
