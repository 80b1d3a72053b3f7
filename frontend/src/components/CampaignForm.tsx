/**
 * Create a campaign from a contacts CSV: settings plus the file, posted as multipart/form-data.
 * The server validates every row; rejected rows come back with their line numbers and are listed here.
 */
import { useState, type FormEvent } from "react";
import type { ApiError } from "../api/client";
import type { Agent, CampaignCreated, CampaignSettings } from "../api/types";
import { useServices } from "../context";
import { asApiError } from "../hooks";
import { Link } from "../router";
import { ErrorMessage } from "./ErrorMessage";

const DAYS = [
  ["mon", "Mon"],
  ["tue", "Tue"],
  ["wed", "Wed"],
  ["thu", "Thu"],
  ["fri", "Fri"],
  ["sat", "Sat"],
  ["sun", "Sun"],
] as const;

/** Refuse files the server would refuse anyway before uploading them. */
const MAX_CSV_BYTES = 20 * 1024 * 1024;

function defaultTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function CampaignForm({ agents, onCreated }: { agents: Agent[]; onCreated: (result: CampaignCreated) => void }) {
  const { api } = useServices();
  const [name, setName] = useState("");
  const [agent, setAgent] = useState("");
  const [script, setScript] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [days, setDays] = useState<string[]>(["mon", "tue", "wed", "thu", "fri"]);
  const [start, setStart] = useState("09:00");
  const [end, setEnd] = useState("18:00");
  const [timeZone, setTimeZone] = useState(defaultTimeZone);
  const [maxConcurrent, setMaxConcurrent] = useState(5);
  const [perMinute, setPerMinute] = useState(10);
  const [maxAttempts, setMaxAttempts] = useState(3);
  const [retryMinutes, setRetryMinutes] = useState(60);
  const [voicemail, setVoicemail] = useState<CampaignSettings["voicemail_policy"]>("leave_message");
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [result, setResult] = useState<CampaignCreated | null>(null);

  const chosenAgent = agent || agents[0]?.name || "";

  const check = (): string[] => {
    const found: string[] = [];
    if (!name.trim()) found.push("Give the campaign a name.");
    if (!chosenAgent) found.push("Choose an agent.");
    if (!file) found.push("Choose a contacts CSV file.");
    else if (file.size === 0) found.push("The CSV file is empty.");
    else if (file.size > MAX_CSV_BYTES) found.push("The CSV file is larger than 20 MB.");
    if (days.length === 0) found.push("Pick at least one calling day.");
    if (start >= end) found.push("The calling window must end after it starts.");
    return found;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = check();
    setProblems(found);
    setResult(null);
    if (found.length > 0 || !file) return;
    const settings: CampaignSettings = {
      name: name.trim(),
      agent: chosenAgent,
      script: script.trim(),
      calling_window: { days, start, end, time_zone: timeZone.trim() || "UTC" },
      pacing: { max_concurrent: maxConcurrent, max_calls_per_minute: perMinute },
      attempts: { max_per_contact: maxAttempts, retry_delay_minutes: retryMinutes },
      voicemail_policy: voicemail,
    };
    setBusy(true);
    setError(null);
    try {
      const created = await api.createCampaignFromCsv(settings, file);
      setResult(created);
      onCreated(created);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const toggleDay = (day: string) =>
    setDays((current) => (current.includes(day) ? current.filter((d) => d !== day) : [...current, day]));

  return (
    <form className="panel form" onSubmit={submit} noValidate aria-labelledby="new-campaign-title">
      <h2 id="new-campaign-title">New campaign</h2>
      {problems.length > 0 && (
        <ul className="error" role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <div className="field">
        <label htmlFor="c-name">Name</label>
        <input id="c-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={120} required />
      </div>
      <div className="field">
        <label htmlFor="c-agent">Agent</label>
        <select id="c-agent" value={chosenAgent} onChange={(e) => setAgent(e.target.value)}>
          {agents.map((a) => (
            <option key={a.name} value={a.name}>
              {a.display_name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="c-script">Goal and script</label>
        <textarea
          id="c-script"
          rows={3}
          value={script}
          onChange={(e) => setScript(e.target.value)}
          aria-describedby="c-script-hint"
          placeholder="Remind {name} of the appointment on {date} and offer to reschedule."
        />
        <small id="c-script-hint" className="hint">
          {"{variables}"} are filled from each contact's CSV columns.
        </small>
      </div>
      <div className="field">
        <label htmlFor="c-file">Contacts (CSV)</label>
        <input
          id="c-file"
          type="file"
          accept=".csv,text/csv"
          aria-describedby="c-file-hint"
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
        <small id="c-file-hint" className="hint">
          Header row with <code>phone</code> (E.164), <code>name</code>, optional <code>time_zone</code>, and any other
          columns as variables.
        </small>
      </div>
      <fieldset className="field">
        <legend>Calling days</legend>
        <div className="day-picker">
          {DAYS.map(([value, label]) => (
            <label key={value} className="checkbox">
              <input type="checkbox" checked={days.includes(value)} onChange={() => toggleDay(value)} />
              {label}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="field-row">
        <div className="field">
          <label htmlFor="c-start">Window opens</label>
          <input id="c-start" type="time" value={start} onChange={(e) => setStart(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="c-end">Window closes</label>
          <input id="c-end" type="time" value={end} onChange={(e) => setEnd(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="c-tz">Default time zone</label>
          <input id="c-tz" value={timeZone} onChange={(e) => setTimeZone(e.target.value)} placeholder="Europe/Paris" />
        </div>
      </div>
      <div className="field-row">
        <NumberField
          id="c-concurrent"
          label="Max concurrent calls"
          value={maxConcurrent}
          min={1}
          max={100}
          onChange={setMaxConcurrent}
        />
        <NumberField
          id="c-rate"
          label="Max calls per minute"
          value={perMinute}
          min={1}
          max={600}
          onChange={setPerMinute}
        />
        <NumberField
          id="c-attempts"
          label="Attempts per contact"
          value={maxAttempts}
          min={1}
          max={10}
          onChange={setMaxAttempts}
        />
        <NumberField
          id="c-retry"
          label="Retry after (minutes)"
          value={retryMinutes}
          min={1}
          max={10080}
          onChange={setRetryMinutes}
        />
      </div>
      <fieldset className="field">
        <legend>When a voicemail answers</legend>
        <label className="checkbox">
          <input
            type="radio"
            name="voicemail"
            checked={voicemail === "leave_message"}
            onChange={() => setVoicemail("leave_message")}
          />
          Leave a message
        </label>
        <label className="checkbox">
          <input
            type="radio"
            name="voicemail"
            checked={voicemail === "hang_up"}
            onChange={() => setVoicemail("hang_up")}
          />
          Hang up
        </label>
      </fieldset>
      <button type="submit" className="button primary" disabled={busy}>
        {busy ? "Creating…" : "Create campaign"}
      </button>
      <ErrorMessage error={error} title="The campaign was not created" />
      {result && <UploadResult result={result} />}
    </form>
  );
}

function NumberField(props: {
  id: string;
  label: string;
  value: number;
  min: number;
  max: number;
  onChange: (n: number) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="number"
        inputMode="numeric"
        min={props.min}
        max={props.max}
        value={props.value}
        onChange={(e) => {
          const n = Math.round(Number(e.target.value));
          if (Number.isFinite(n)) props.onChange(Math.min(props.max, Math.max(props.min, n)));
        }}
      />
    </div>
  );
}

/** What the server accepted and, row by row, what it rejected and why. */
function UploadResult({ result }: { result: CampaignCreated }) {
  const rejected = result.rejected ?? [];
  return (
    <div className={rejected.length > 0 ? "upload-result warn" : "upload-result ok"} role="status">
      <p>
        Created <Link to={`/campaigns/${encodeURIComponent(result.campaign.id)}`}>{result.campaign.name}</Link> with{" "}
        <strong>{result.accepted}</strong> contact{result.accepted === 1 ? "" : "s"}.
        {rejected.length > 0 && (
          <>
            {" "}
            <strong>
              {rejected.length} row{rejected.length === 1 ? " was" : "s were"} rejected
            </strong>
            :
          </>
        )}
      </p>
      {rejected.length > 0 && (
        <table className="table compact">
          <caption className="visually-hidden">Rejected rows</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {rejected.map((row) => (
              <tr key={`${row.line}-${row.reason}`}>
                <td>{row.line}</td>
                <td>{row.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
