/**
 * Fakes of the WebRTC objects the session uses, with hooks for the test to play the server's part:
 * open the data channel, deliver events, fail the connection. They record what the client sent.
 */

export class FakeDataChannel extends EventTarget {
  readonly label: string;
  readyState: RTCDataChannelState = "connecting";
  /** Every message the client sent, parsed. */
  readonly sent: Record<string, unknown>[] = [];

  constructor(label: string) {
    super();
    this.label = label;
  }

  send(data: string): void {
    if (this.readyState !== "open") throw new Error(`send on a ${this.readyState} data channel`);
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    this.dispatchEvent(new Event("close"));
  }

  /** The server side opened the channel. */
  open(): void {
    this.readyState = "open";
    this.dispatchEvent(new Event("open"));
  }

  /** The server sent an event. */
  receive(event: Record<string, unknown>): void {
    this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(event) }));
  }

  sentOfType(type: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.type === type);
  }
}

export class FakePeerConnection extends EventTarget {
  connectionState: RTCPeerConnectionState = "new";
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  readonly tracks: MediaStreamTrack[] = [];
  readonly channels: FakeDataChannel[] = [];
  closed = false;

  addTrack(track: MediaStreamTrack): void {
    this.tracks.push(track);
  }

  createDataChannel(label: string): FakeDataChannel {
    const channel = new FakeDataChannel(label);
    this.channels.push(channel);
    return channel;
  }

  async createOffer(): Promise<RTCSessionDescriptionInit> {
    if (this.closed) throw new DOMException("closed", "InvalidStateError");
    return { type: "offer", sdp: "v=0\r\no=fake-offer\r\n" };
  }

  async setLocalDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.localDescription = description;
  }

  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.remoteDescription = description;
  }

  close(): void {
    this.closed = true;
    this.connectionState = "closed";
    for (const channel of this.channels) channel.close();
  }

  /** The ICE/DTLS transport changed state, as the browser would report it. */
  setConnectionState(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.dispatchEvent(new Event("connectionstatechange"));
  }

  /** The remote side added its audio track. */
  addRemoteStream(stream: MediaStream): void {
    const event = new Event("track") as Event & { streams: MediaStream[] };
    Object.defineProperty(event, "streams", { value: [stream] });
    this.dispatchEvent(event);
  }

  get channel(): FakeDataChannel {
    const channel = this.channels[0];
    if (!channel) throw new Error("no data channel was created");
    return channel;
  }
}

export class FakeTrack {
  enabled = true;
  stopped = false;
  readonly kind = "audio";

  stop(): void {
    this.stopped = true;
  }
}

/** A microphone stream with one audio track. */
export function fakeMicStream(): { stream: MediaStream; track: FakeTrack } {
  const track = new FakeTrack();
  const stream = {
    getAudioTracks: () => [track],
    getTracks: () => [track],
  } as unknown as MediaStream;
  return { stream, track };
}
