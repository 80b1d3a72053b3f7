/**
 * PCM16 at 24 kHz in and out of the browser, for Voice Live sessions relayed by the bridge.
 *
 * WebRTC carries audio itself; a WebSocket does not. The microphone is read by an AudioWorklet in an
 * AudioContext running at 24 kHz (the browser resamples the device), cut into 100 ms chunks and sent as
 * base64 PCM16 (`input_audio_buffer.append`). Agent audio (`response.output_audio.delta`) is scheduled
 * back to back on the same clock; `stop()` drops what is queued, for barge-in. The pure codecs are
 * exported for tests; the Web Audio parts are created through `browserPcmAudio`.
 */

export const PCM_RATE = 24_000;
/** Samples per chunk sent to the bridge: 100 ms, a good balance of latency and message count. */
export const CHUNK_SAMPLES = PCM_RATE / 10;

/** Float samples in [-1, 1] as base64 little-endian PCM16. */
export function encodePcm16(samples: Float32Array): string {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(i * 2, s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff), true);
  }
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Base64 little-endian PCM16 as float samples (an odd trailing byte is dropped). */
export function decodePcm16(b64: string): Float32Array<ArrayBuffer> {
  const binary = atob(b64);
  const samples = new Float32Array(Math.floor(binary.length / 2));
  for (let i = 0; i < samples.length; i++) {
    let value = binary.charCodeAt(2 * i) | (binary.charCodeAt(2 * i + 1) << 8);
    if (value >= 0x8000) value -= 0x10000;
    samples[i] = value / 0x8000;
  }
  return samples;
}

/** The microphone being captured; `stop` releases the worklet (not the stream, which the session owns). */
export interface PcmCapture {
  stop(): void;
}

/** What a barge-in cut: the agent item that was playing and how much of it was heard. */
export interface PlaybackCut {
  itemId: string;
  playedMs: number;
}

/** Agent audio being played. */
export interface PcmPlayer {
  /** Queue one base64 PCM16 chunk of `itemId` right after what is queued. */
  enqueue(itemId: string, b64: string): void;
  /** Drop everything queued or playing (barge-in): the item cut, or null when nothing was playing. */
  stop(): PlaybackCut | null;
  close(): void;
}

export interface PcmAudio {
  capture(stream: MediaStream, onChunk: (b64: string) => void): Promise<PcmCapture>;
  player(): PcmPlayer;
}

// Runs on the audio thread: collects 128-sample render quanta into CHUNK_SAMPLES chunks.
const WORKLET = `
class PcmChunker extends AudioWorkletProcessor {
  constructor() { super(); this.buffer = new Float32Array(${CHUNK_SAMPLES}); this.filled = 0; }
  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (input) {
      let offset = 0;
      while (offset < input.length) {
        const n = Math.min(input.length - offset, this.buffer.length - this.filled);
        this.buffer.set(input.subarray(offset, offset + n), this.filled);
        this.filled += n; offset += n;
        if (this.filled === this.buffer.length) { this.port.postMessage(this.buffer.slice()); this.filled = 0; }
      }
    }
    return true;
  }
}
registerProcessor("pcm-chunker", PcmChunker);
`;

/** The real Web Audio implementation: one 24 kHz AudioContext for both directions. */
export function browserPcmAudio(): PcmAudio {
  let context: AudioContext | null = null;
  const audioContext = () => {
    context ??= new AudioContext({ sampleRate: PCM_RATE });
    return context;
  };
  return {
    async capture(stream, onChunk) {
      const ctx = audioContext();
      const url = URL.createObjectURL(new Blob([WORKLET], { type: "application/javascript" }));
      try {
        await ctx.audioWorklet.addModule(url);
      } finally {
        URL.revokeObjectURL(url);
      }
      const source = ctx.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(ctx, "pcm-chunker");
      node.port.onmessage = (event: MessageEvent<Float32Array>) => onChunk(encodePcm16(event.data));
      source.connect(node);
      if (ctx.state === "suspended") await ctx.resume();
      return {
        stop() {
          node.port.onmessage = null;
          source.disconnect();
          node.disconnect();
        },
      };
    },
    player() {
      const ctx = audioContext();
      let sources: AudioBufferSourceNode[] = [];
      let nextStart = 0;
      let item = { id: "", start: 0 };
      return {
        enqueue(itemId, b64) {
          const samples = decodePcm16(b64);
          if (samples.length === 0) return;
          const buffer = ctx.createBuffer(1, samples.length, PCM_RATE);
          buffer.copyToChannel(samples, 0);
          const node = ctx.createBufferSource();
          node.buffer = buffer;
          node.connect(ctx.destination);
          if (nextStart < ctx.currentTime) nextStart = ctx.currentTime + 0.05; // a cushion against jitter
          if (itemId !== item.id) item = { id: itemId, start: nextStart };
          node.start(nextStart);
          nextStart += buffer.duration;
          sources.push(node);
          node.onended = () => {
            sources = sources.filter((s) => s !== node);
          };
        },
        stop() {
          if (sources.length === 0) return null;
          const playedMs = Math.max(0, Math.round((ctx.currentTime - item.start) * 1000));
          for (const node of sources) node.stop();
          sources = [];
          nextStart = 0;
          return { itemId: item.id, playedMs };
        },
        close() {
          for (const node of sources) node.stop();
          sources = [];
          void ctx.close();
          context = null;
        },
      };
    },
  };
}
