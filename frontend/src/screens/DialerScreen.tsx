/** Place an outbound phone call through the API and follow it live until it ends. */
import { useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import type { CallDetail } from "../api/types";
import { Badge } from "../components/Badge";
import { ErrorMessage, NotConfigured } from "../components/ErrorMessage";
import { CallTranscript } from "../components/CallTranscript";
import { useServices } from "../context";
import { asApiError, useLoad, usePolling } from "../hooks";
import { formatDuration } from "../lib/format";
import { normalisePhone, phoneProblem } from "../lib/phone";
import { Link } from "../router";
import { isCallOver } from "./callStatus";

export function DialerScreen() {
  const { api, config, pollMs } = useServices();
  const source = useLoad((signal) => api.getSourcePhoneNumber(signal), []);
  const agents = useLoad((signal) => api.listAgents(signal), []);
  const [number, setNumber] = useState("");
  const [agent, setAgent] = useState("");
  const [context, setContext] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [placing, setPlacing] = useState(false);
  const [placeError, setPlaceError] = useState<ApiError | null>(null);
  const [callId, setCallId] = useState<string | null>(null);
  const [call, setCall] = useState<CallDetail | null>(null);
  const [pollError, setPollError] = useState<ApiError | null>(null);

  const over = call !== null && isCallOver(call.record);
  usePolling(
    async (signal) => {
      if (callId === null) return false;
      try {
        const detail = await api.getCall(callId, signal);
        setCall(detail);
        setPollError(null);
        return !isCallOver(detail.record);
      } catch (err) {
        const error = asApiError(err);
        // The record may not exist for a moment after the call is accepted; keep polling quietly.
        if (error.status !== 404 && !signal.aborted) setPollError(error);
        return true;
      }
    },
    pollMs,
    callId !== null && !over,
  );

  if (!config.features.phone) return <NotConfigured feature="Phone calling" />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = phoneProblem(number);
    setProblem(found);
    if (found) return;
    setPlacing(true);
    setPlaceError(null);
    setCall(null);
    setCallId(null);
    try {
      const placed = await api.placeCall({
        number: normalisePhone(number),
        agent: agent || undefined,
        context: context.trim() || undefined,
      });
      setCallId(placed.call_id);
    } catch (err) {
      setPlaceError(asApiError(err));
    } finally {
      setPlacing(false);
    }
  };

  const phoneMissing = source.error !== null && (source.error.status === 503 || source.error.status === 404);
  return (
    <section aria-labelledby="dialer-title" className="screen">
      <h1 id="dialer-title" tabIndex={-1}>
        Dialer
      </h1>
      {phoneMissing ? (
        <NotConfigured feature="Phone calling" detail={source.error?.message} />
      ) : (
        <>
          <ErrorMessage error={source.error} title="Could not load the calling number" onRetry={source.reload} />
          {source.data && (
            <p className="lead">
              Calls are placed from <strong>{source.data}</strong>.
            </p>
          )}
          <form className="panel form" onSubmit={submit} noValidate>
            <div className="field">
              <label htmlFor="dial-number">Phone number</label>
              <input
                id="dial-number"
                type="tel"
                inputMode="tel"
                autoComplete="tel"
                placeholder="+14155550123"
                value={number}
                onChange={(e) => setNumber(e.target.value)}
                aria-invalid={problem !== null}
                aria-describedby={problem ? "dial-number-hint dial-number-error" : "dial-number-hint"}
              />
              <small id="dial-number-hint" className="hint">
                International format (E.164): +, country code, number.
              </small>
              {problem && (
                <small id="dial-number-error" className="field-error" role="alert">
                  {problem}
                </small>
              )}
            </div>
            <div className="field">
              <label htmlFor="dial-agent">Agent</label>
              <select id="dial-agent" value={agent} onChange={(e) => setAgent(e.target.value)}>
                <option value="">Default agent</option>
                {(agents.data ?? []).map((a) => (
                  <option key={a.name} value={a.name}>
                    {a.display_name}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="dial-context">Context for the agent (optional)</label>
              <textarea
                id="dial-context"
                rows={2}
                maxLength={2000}
                value={context}
                onChange={(e) => setContext(e.target.value)}
                placeholder="Why we are calling, e.g. appointment reminder for Tuesday"
              />
            </div>
            <button type="submit" className="button primary" disabled={placing}>
              {placing ? "Placing call…" : "Place call"}
            </button>
          </form>
          <ErrorMessage error={placeError} title="The call was not placed" />
          {callId && <LiveCall callId={callId} call={call} pollError={pollError} />}
        </>
      )}
    </section>
  );
}

function LiveCall({
  callId,
  call,
  pollError,
}: {
  callId: string;
  call: CallDetail | null;
  pollError: ApiError | null;
}) {
  const record = call?.record;
  return (
    <section className="panel live-call" aria-labelledby="live-call-title">
      <h2 id="live-call-title">Call in progress</h2>
      <p role="status" aria-live="polite" className="call-status">
        Status: <Badge value={record?.status ?? "placing"} />
        {record?.outcome && (
          <>
            {" "}
            Outcome: <Badge value={record.outcome} />
          </>
        )}
        {record?.duration_s != null && <> Duration: {formatDuration(record.duration_s)}</>}
      </p>
      <ErrorMessage error={pollError} title="Lost track of the call status" />
      {call && call.transcript.length > 0 && <CallTranscript lines={call.transcript} />}
      <p>
        <Link to={`/calls/${encodeURIComponent(callId)}`}>Open call details</Link>
      </p>
    </section>
  );
}
