/** The shell: header, navigation by feature, and the screen for the current path. */
import { useEffect, useRef } from "react";
import { useServices } from "./context";
import { Link, matchRoute, usePath, type Route } from "./router";
import { CallDetailScreen } from "./screens/CallDetailScreen";
import { CallHistoryScreen } from "./screens/CallHistoryScreen";
import { CampaignDetailScreen } from "./screens/CampaignDetailScreen";
import { CampaignsScreen } from "./screens/CampaignsScreen";
import { DashboardScreen } from "./screens/DashboardScreen";
import { DialerScreen } from "./screens/DialerScreen";
import { LiveCallScreen } from "./screens/LiveCallScreen";
import { LiveScreen } from "./screens/LiveScreen";
import { VoiceAgentScreen } from "./screens/VoiceAgentScreen";

interface NavItem {
  to: string;
  label: string;
  /** Screens under this item (so /calls/123 keeps "Call history" current). */
  screens: Route["screen"][];
}

export function App() {
  const { config } = useServices();
  const path = usePath();
  const route = matchRoute(path);
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  const nav: NavItem[] = [
    { to: "/", label: "Voice agent", screens: ["voice"] },
    ...(config.features.phone ? [{ to: "/dialer", label: "Dialer", screens: ["dialer"] as Route["screen"][] }] : []),
    { to: "/calls", label: "Call history", screens: ["calls", "call"] },
    { to: "/live", label: "Live", screens: ["live", "live_call"] },
    { to: "/dashboard", label: "Dashboard", screens: ["dashboard"] },
    ...(config.features.campaigns
      ? [{ to: "/campaigns", label: "Campaigns", screens: ["campaigns", "campaign"] as Route["screen"][] }]
      : []),
  ];
  const current = nav.find((item) => item.screens.includes(route.screen));

  // After in-app navigation, move focus to the new screen's heading so keyboard and screen-reader
  // users land on the content, as they would on a full page load.
  useEffect(() => {
    document.title = current ? `${current.label} · Agentic Call Center` : "Agentic Call Center";
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>("h1")?.focus();
  }, [path, current]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link to="/" className="brand">
          <span aria-hidden="true">☎</span> Agentic Call Center
        </Link>
        <nav aria-label="Main">
          <ul>
            {nav.map((item) => (
              <li key={item.to}>
                <Link to={item.to} aria-current={item === current ? "page" : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" ref={main}>
        <Screen route={route} />
      </main>
    </>
  );
}

function Screen({ route }: { route: Route }) {
  switch (route.screen) {
    case "voice":
      return <VoiceAgentScreen />;
    case "dialer":
      return <DialerScreen />;
    case "calls":
      return <CallHistoryScreen />;
    case "call":
      return <CallDetailScreen key={route.id} callId={route.id} />;
    case "campaigns":
      return <CampaignsScreen />;
    case "live":
      return <LiveScreen />;
    case "live_call":
      return <LiveCallScreen key={route.id} callId={route.id} />;
    case "dashboard":
      return <DashboardScreen />;
    case "campaign":
      return <CampaignDetailScreen key={route.id} campaignId={route.id} />;
    case "not_found":
      return (
        <section className="screen">
          <h1 tabIndex={-1}>Page not found</h1>
          <p>
            <Link to="/">Go to the voice agent</Link>
          </p>
        </section>
      );
  }
}
