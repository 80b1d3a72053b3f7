/** All campaigns with their progress, and the form that creates one from a CSV. */
import { Badge } from "../components/Badge";
import { CampaignForm } from "../components/CampaignForm";
import { ErrorMessage, NotConfigured } from "../components/ErrorMessage";
import { useServices } from "../context";
import { useLoad } from "../hooks";
import { Link } from "../router";
import { doneCount } from "./campaignStatus";

export function CampaignsScreen() {
  const { api, config } = useServices();
  const campaigns = useLoad((signal) => api.listCampaigns(signal), []);
  const agents = useLoad((signal) => api.listAgents(signal), []);

  if (!config.features.campaigns) return <NotConfigured feature="Campaigns" />;
  const notConfigured = campaigns.error?.status === 503;

  return (
    <section aria-labelledby="campaigns-title" className="screen">
      <h1 id="campaigns-title" tabIndex={-1}>
        Campaigns
      </h1>
      {notConfigured ? (
        <NotConfigured feature="Campaigns" detail={campaigns.error?.message} />
      ) : (
        <>
          <ErrorMessage error={campaigns.error} title="Could not load campaigns" onRetry={campaigns.reload} />
          <div className="table-wrap" aria-busy={campaigns.loading}>
            <table className="table">
              <caption className="visually-hidden">Campaigns</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Agent</th>
                  <th scope="col" className="num">
                    Progress
                  </th>
                </tr>
              </thead>
              <tbody>
                {(campaigns.data ?? []).map((c) => {
                  const done = doneCount(c.counters ?? {}, c.total ?? 0);
                  return (
                    <tr key={c.id}>
                      <td>
                        <Link to={`/campaigns/${encodeURIComponent(c.id)}`}>{c.name}</Link>
                      </td>
                      <td>
                        <Badge value={c.status} />
                      </td>
                      <td>{c.agent}</td>
                      <td className="num">
                        {done} / {c.total ?? 0}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {campaigns.data?.length === 0 && <p className="muted">No campaigns yet.</p>}
          <ErrorMessage error={agents.error} title="Could not load the agents" onRetry={agents.reload} />
          <CampaignForm agents={agents.data ?? []} onCreated={() => campaigns.reload()} />
        </>
      )}
    </section>
  );
}
