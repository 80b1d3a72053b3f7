/**
 * Binds one `RealtimeSession` at a time to React state: lifecycle, error, transcript, mute, mic level.
 * A retry makes a new session; unmounting ends the current one so the microphone is always released.
 */
import { useCallback, useEffect, useReducer, useRef, useState, type RefObject } from "react";
import { useServices } from "../context";
import { monitorLevel, type LevelMonitor } from "../realtime/micLevel";
import { ConversationRecorder } from "../realtime/recorder";
import { RealtimeSession, SessionError, SessionState, type SessionEvent } from "../realtime/session";
import { EMPTY_TRANSCRIPT, reduceTranscript, type TranscriptState } from "../realtime/transcript";

type TranscriptAction = SessionEvent | { type: "reset" };

function transcriptReducer(state: TranscriptState, action: TranscriptAction): TranscriptState {
  return action.type === "reset" ? EMPTY_TRANSCRIPT : reduceTranscript(state, action);
}

export interface VoiceSession {
  state: SessionState;
  error: SessionError | null;
  transcript: TranscriptState;
  muted: boolean;
  level: number;
  /** The agent the last conversation was started with (for retry). */
  startedWith: string | null;
  start: (agent: string, greeting?: string) => void;
  end: () => void;
  retry: () => void;
  toggleMute: () => void;
}

export function useVoiceSession(audio: RefObject<HTMLAudioElement | null>): VoiceSession {
  const { createSession, config } = useServices();
  const [state, setState] = useState<SessionState>(SessionState.Idle);
  const [error, setError] = useState<SessionError | null>(null);
  const [transcript, dispatch] = useReducer(transcriptReducer, EMPTY_TRANSCRIPT);
  const [muted, setMuted] = useState(false);
  const [level, setLevel] = useState(0);
  const current = useRef<{ session: RealtimeSession; unsubscribe: () => void; meter: LevelMonitor | null } | null>(
    null,
  );
  const lastStart = useRef<{ agent: string; greeting?: string } | null>(null);

  const release = useCallback(() => {
    const live = current.current;
    current.current = null;
    if (!live) return;
    live.meter?.stop();
    live.session.end();
    live.unsubscribe();
  }, []);

  const start = useCallback(
    (agent: string, greeting?: string) => {
      release();
      lastStart.current = { agent, greeting };
      dispatch({ type: "reset" });
      setError(null);
      setMuted(false);
      setLevel(0);
      const session = createSession();
      const live = { session, unsubscribe: () => {}, meter: null as LevelMonitor | null };
      let recorder: ConversationRecorder | null = null;
      live.unsubscribe = session.subscribe((event) => {
        // The record follows the session even after the screen moved on (its end must still be sent).
        if (event.type === "conversation") {
          recorder = new ConversationRecorder(event.conversation, config.apiBaseUrl, (...args) => fetch(...args));
        }
        recorder?.observe(event);
        if (event.type === "state" && (event.state === SessionState.Ended || event.state === SessionState.Failed)) {
          recorder?.end(event.state === SessionState.Ended ? "caller_hung_up" : "connection_lost");
        }
        if (current.current !== live) return;
        dispatch(event);
        if (event.type === "state") {
          setState(event.state);
          if (event.state === SessionState.Connected && session.micStream) {
            live.meter = monitorLevel(session.micStream, setLevel);
          }
          if (event.state === SessionState.Ended || event.state === SessionState.Failed) {
            live.meter?.stop();
            live.meter = null;
            setLevel(0);
          }
        } else if (event.type === "failed") {
          setError(event.error);
        } else if (event.type === "remote_stream" && audio.current) {
          audio.current.srcObject = event.stream;
        }
      });
      current.current = live;
      void session.start(agent, { greeting });
    },
    [audio, config.apiBaseUrl, createSession, release],
  );

  const end = useCallback(() => current.current?.session.end(), []);

  const retry = useCallback(() => {
    if (lastStart.current) start(lastStart.current.agent, lastStart.current.greeting);
  }, [start]);

  const toggleMute = useCallback(() => {
    current.current?.session.setMuted(!muted);
    setMuted(!muted);
  }, [muted]);

  useEffect(() => release, [release]);

  return {
    state,
    error,
    transcript,
    muted,
    level,
    startedWith: lastStart.current?.agent ?? null,
    start,
    end,
    retry,
    toggleMute,
  };
}
