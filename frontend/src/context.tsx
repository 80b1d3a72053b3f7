/** What every screen needs from the outside world, provided once so tests can swap it. */
import { createContext, useContext, type ReactNode } from "react";
import { ApiClient } from "./api/client";
import { readRuntimeConfig, type RuntimeConfig } from "./config";
import { browserPcmAudio } from "./realtime/pcmAudio";
import { RealtimeSession } from "./realtime/session";

export interface AppServices {
  config: RuntimeConfig;
  api: ApiClient;
  /** A new, idle voice session (a retry makes a fresh one). */
  createSession: () => RealtimeSession;
  /** Interval of live-status polling (dialer, campaign progress). */
  pollMs: number;
}

/** The services of the real browser: runtime config, fetch, WebRTC and the microphone. */
export function browserServices(): AppServices {
  const config = readRuntimeConfig();
  const api = new ApiClient(config.apiBaseUrl);
  return {
    config,
    api,
    createSession: () =>
      new RealtimeSession({
        api,
        createPeerConnection: () => new RTCPeerConnection(),
        getUserMedia: (constraints) => navigator.mediaDevices.getUserMedia(constraints),
        fetch: (...args) => fetch(...args),
        createWebSocket: (url) => new WebSocket(url),
        pcmAudio: browserPcmAudio,
      }),
    pollMs: 2000,
  };
}

const ServicesContext = createContext<AppServices | null>(null);

export function ServicesProvider({ services, children }: { services: AppServices; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): AppServices {
  const services = useContext(ServicesContext);
  if (services === null) throw new Error("useServices outside ServicesProvider");
  return services;
}
