/** One campaign: live progress by outcome, pause/resume/cancel, export, and its contacts. */
import { useEffect, useState } from "react";
import type { ApiError } from "../api/client";
import type { Campaign, CampaignAction, CampaignContact } from "../api/types";
import { Badge } from "../components/Badge";
import { ErrorMessage } from "../components/ErrorMessage";
import { OutcomeChart } from "../components/OutcomeChart";
import { useServices } from "../context";
import { asApiError, usePolling } from "../hooks";
import { formatDateTime, humanise } from "../lib/format";
import { Link } from "../router";
import { COUNTER_ORDER, allowedActions, doneCount, isCampaignFinished } from "./campaignStatus";

const ACTION_TEXT: Record<CampaignAction, string> = { pause: "Pause", resume: "Resume", cancel: "Cancel campaign" };

export function CampaignDetailScreen({ campaignId }: { campaignId: string }) {
  const { api, pollMs } = useServices();
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [pending, setPending] = useState<CampaignAction | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);

  const finished = campaign !== null && isCampaignFinished(campaign.status);
  const notFound = error?.status === 404;
  usePolling(
    async (signal) => {
      try {
        const loaded = await api.getCampaign(campaignId, signal);
        setCampaign(loaded);
        setError(null);
        return !isCampaignFinished(loaded.status);
      } catch (err) {
        const error = asApiError(err);
        if (!signal.aborted) setError(error);
        return error.status !== 404;
      }
    },
    pollMs,
    !finished && !notFound,
  );

  const act = async (action: CampaignAction) => {
    setPending(action);
    setActionError(null);
    setConfirmCancel(false);
    try {
      await api.controlCampaign(campaignId, action);
      setCampaign(await api.getCampaign(campaignId));
    } catch (err) {
      setActionError(asApiError(err));
    } finally {
      setPending(null);
    }
  };

  const counters = campaign?.counters;
  const total = campaign?.total ?? 0;
  return (
    <section aria-labelledby="campaign-title" className="screen">
      <p>
        <Link to="/campaigns">← All campaigns</Link>
      </p>
      <h1 id="campaign-title" tabIndex={-1}>
        {campaign?.name ?? "Campaign"}
      </h1>
      <ErrorMessage error={error} title={notFound ? "Campaign not found" : "Could not load the campaign (retrying)"} />
      {campaign && counters && (
        <>
          <div className="panel campaign-head">
            <p role="status" aria-live="polite">
              <Badge value={campaign.status} /> Agent: <strong>{campaign.agent}</strong> · {doneCount(counters, total)}{" "}
              of {total} contacts done
            </p>
            <div className="controls">
              {allowedActions(campaign.status).map((action) =>
                action === "cancel" ? null : (
                  <button
                    key={action}
                    type="button"
                    className="button secondary"
                    disabled={pending !== null}
                    onClick={() => void act(action)}
                  >
                    {pending === action ? `${ACTION_TEXT[action]}…` : ACTION_TEXT[action]}
                  </button>
                ),
              )}
              {allowedActions(campaign.status).includes("cancel") &&
                (confirmCancel ? (
                  <span className="confirm" role="group" aria-label="Confirm cancel">
                    <span>Stop dialling for good? Calls in progress finish.</span>
                    <button type="button" className="button danger" onClick={() => void act("cancel")}>
                      Yes, cancel
                    </button>
                    <button type="button" className="button secondary" onClick={() => setConfirmCancel(false)}>
                      Keep going
                    </button>
                  </span>
                ) : (
                  <button
                    type="button"
                    className="button danger"
                    disabled={pending !== null}
                    onClick={() => setConfirmCancel(true)}
                  >
                    {ACTION_TEXT.cancel}
                  </button>
                ))}
              <a className="button secondary" href={api.campaignExportUrl(campaignId)} download>
                Export results (CSV)
              </a>
            </div>
            <ErrorMessage error={actionError} title="The campaign did not change" />
          </div>
          <div className="panel">
            <h2>Progress by outcome</h2>
            <OutcomeChart
              title={`Contacts of ${campaign.name} by outcome`}
              total={total}
              bars={COUNTER_ORDER.map((key) => ({ key, value: counters[key] ?? 0 }))}
            />
          </div>
          <Contacts campaignId={campaignId} refreshKey={doneCount(counters, total)} />
        </>
      )}
    </section>
  );
}

/** The campaign's contacts, filtered by outcome, a page at a time; refreshed as progress moves. */
function Contacts({ campaignId, refreshKey }: { campaignId: string; refreshKey: number }) {
  const { api } = useServices();
  const [outcome, setOutcome] = useState("");
  const [contacts, setContacts] = useState<CampaignContact[]>([]);
  const [nextToken, setNextToken] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const load = async (pageToken: string | undefined, signal?: AbortSignal) => {
    try {
      const page = await api.listCampaignContacts(campaignId, { outcome, page_token: pageToken }, signal);
      if (signal?.aborted) return;
      setContacts((before) => (pageToken ? [...before, ...page.contacts] : page.contacts));
      setNextToken(page.next_page_token ?? null);
      setError(null);
    } catch (err) {
      if (!signal?.aborted) setError(asApiError(err));
    }
  };

  useEffect(() => {
    const controller = new AbortController();
    void load(undefined, controller.signal);
    return () => controller.abort();
    // Only these inputs restart the load (`load` is a new function each render and need not).
  }, [campaignId, outcome, refreshKey]);

  return (
    <section className="panel" aria-labelledby="contacts-title">
      <h2 id="contacts-title">Contacts</h2>
      <div className="field inline">
        <label htmlFor="contact-outcome">Outcome</label>
        <select id="contact-outcome" value={outcome} onChange={(e) => setOutcome(e.target.value)}>
          <option value="">Any</option>
          {COUNTER_ORDER.map((key) => (
            <option key={key} value={key}>
              {humanise(key)}
            </option>
          ))}
        </select>
      </div>
      <ErrorMessage error={error} title="Could not load contacts" />
      <div className="table-wrap">
        <table className="table">
          <caption className="visually-hidden">Contacts</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Phone</th>
              <th scope="col">Outcome</th>
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col">Last attempt</th>
            </tr>
          </thead>
          <tbody>
            {contacts.map((c, i) => (
              <tr key={`${c.phone ?? ""}-${i}`}>
                <td>{c.name ?? "—"}</td>
                <td>{c.phone ?? "—"}</td>
                <td>
                  {c.call_id ? (
                    <Link to={`/calls/${encodeURIComponent(c.call_id)}`}>
                      <Badge value={c.outcome ?? "pending"} />
                    </Link>
                  ) : (
                    <Badge value={c.outcome ?? "pending"} />
                  )}
                </td>
                <td className="num">{c.attempts ?? 0}</td>
                <td>{formatDateTime(c.last_attempt_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {contacts.length === 0 && !error && <p className="muted">No contacts match.</p>}
      {nextToken && (
        <button type="button" className="button secondary" onClick={() => void load(nextToken)}>
          Load more
        </button>
      )}
    </section>
  );
}
