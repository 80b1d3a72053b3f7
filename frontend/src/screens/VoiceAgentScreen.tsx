/** Talk to a voice agent in the browser: pick an agent, start, see both sides and the agent's tool calls. */
import { useEffect, useRef, useState } from "react";
import { describeSpeech, type Agent } from "../api/types";
import { ErrorMessage } from "../components/ErrorMessage";
import { LevelMeter } from "../components/LevelMeter";
import { LiveTranscript } from "../components/LiveTranscript";
import { useServices } from "../context";
import { useLoad } from "../hooks";
import { SessionState, type SessionErrorKind } from "../realtime/session";
import { useVoiceSession } from "./useVoiceSession";

const ERROR_TITLES: Record<SessionErrorKind, string> = {
  mic_denied: "Microphone blocked",
  no_microphone: "No microphone",
  session_refused: "Session refused",
  connection_failed: "Could not connect",
  connection_lost: "Connection lost",
};

const STATE_TEXT: Record<SessionState, string> = {
  [SessionState.Idle]: "Not connected",
  [SessionState.Connecting]: "Connecting…",
  [SessionState.Connected]: "Connected",
  [SessionState.Ended]: "Conversation ended",
  [SessionState.Failed]: "Disconnected",
};

export function VoiceAgentScreen() {
  const { api } = useServices();
  const agents = useLoad((signal) => api.listAgents(signal), []);
  const [selected, setSelected] = useState("");
  const audio = useRef<HTMLAudioElement>(null);
  const voice = useVoiceSession(audio);
  const live = voice.state === SessionState.Connecting || voice.state === SessionState.Connected;

  const list = agents.data ?? [];
  useEffect(() => {
    // Functional update: a choice the user made before this effect ran must win over the default.
    if (list.length > 0) setSelected((current) => current || list[0].name);
  }, [list]);

  const byName = new Map(list.map((a) => [a.name, a]));
  const agentName = (name: string | null) => (name ? (byName.get(name)?.display_name ?? name) : "Agent");
  const chosen: Agent | undefined = byName.get(selected);

  return (
    <section aria-labelledby="voice-title" className="screen voice">
      <h1 id="voice-title" tabIndex={-1}>
        Voice agent
      </h1>
      <p className="lead">Talk to an AI agent with your microphone. It can look things up and act for you.</p>

      <ErrorMessage error={agents.error} title="Could not load the agents" onRetry={agents.reload} />

      <div className="voice-layout">
        <div className="panel">
          <fieldset className="agent-picker" disabled={live}>
            <legend>Choose an agent</legend>
            {agents.loading && list.length === 0 && <p className="muted">Loading agents…</p>}
            {list.map((agent) => (
              <label key={agent.name} className={`agent-option${selected === agent.name ? " selected" : ""}`}>
                <input
                  type="radio"
                  name="agent"
                  value={agent.name}
                  checked={selected === agent.name}
                  onChange={() => setSelected(agent.name)}
                />
                <span>
                  <strong>{agent.display_name}</strong>
                  <span className="muted">{agent.description}</span>
                  <span className="muted agent-speech">{describeSpeech(agent)}</span>
                </span>
              </label>
            ))}
          </fieldset>

          <div className="controls">
            {live ? (
              <button type="button" className="button danger" onClick={voice.end}>
                End conversation
              </button>
            ) : (
              <button
                type="button"
                className="button primary"
                disabled={!chosen}
                onClick={() => chosen && voice.start(chosen.name, chosen.greeting)}
              >
                Start conversation
              </button>
            )}
            <button
              type="button"
              className="button secondary"
              aria-pressed={voice.muted}
              disabled={voice.state !== SessionState.Connected}
              onClick={voice.toggleMute}
            >
              {voice.muted ? "Unmute" : "Mute"}
            </button>
          </div>
          <LevelMeter level={voice.level} muted={voice.muted || voice.state !== SessionState.Connected} />
          <p className="session-state" role="status">
            {STATE_TEXT[voice.state]}
          </p>
        </div>

        <div className="panel conversation">
          {voice.state === SessionState.Connected && (
            <p className="speaking-banner" role="status" aria-live="polite">
              Speaking with <strong>{agentName(voice.transcript.agent)}</strong>
            </p>
          )}
          {voice.error && (
            <ErrorMessage
              error={voice.error}
              title={ERROR_TITLES[voice.error.kind]}
              onRetry={voice.startedWith ? voice.retry : undefined}
            />
          )}
          <LiveTranscript entries={voice.transcript.entries} agentName={agentName} />
        </div>
      </div>
      {/* The agent's voice; autoplay is allowed because the user clicked Start. */}
      <audio ref={audio} autoPlay aria-hidden="true" />
    </section>
  );
}
