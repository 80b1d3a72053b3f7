/**
 * A few lines of History-API routing: paths are real URLs (bookmarkable, shareable), and the Static Web
 * App's navigation fallback serves index.html for any of them.
 */
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";

const NAVIGATE = "app:navigate";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(NAVIGATE, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(NAVIGATE, onChange);
  };
}

/** The current path; re-renders on navigation. */
export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

export function navigate(to: string): void {
  if (to === window.location.pathname + window.location.search) return;
  window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(NAVIGATE));
}

/** An ordinary link that navigates in place; modified clicks (new tab, ...) keep the browser's behaviour. */
export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    rest.onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a {...rest} href={to} onClick={onClick} />;
}

export type Route =
  | { screen: "voice" }
  | { screen: "dialer" }
  | { screen: "calls" }
  | { screen: "call"; id: string }
  | { screen: "campaigns" }
  | { screen: "campaign"; id: string }
  | { screen: "live" }
  | { screen: "live_call"; id: string }
  | { screen: "dashboard" }
  | { screen: "not_found" };

/** Match a path to a screen. */
export function matchRoute(path: string): Route {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { screen: "voice" };
  const [head, id, ...rest] = parts;
  if (rest.length > 0) return { screen: "not_found" };
  if (head === "dialer" && id === undefined) return { screen: "dialer" };
  if (head === "calls") return id === undefined ? { screen: "calls" } : { screen: "call", id };
  if (head === "live") return id === undefined ? { screen: "live" } : { screen: "live_call", id };
  if (head === "dashboard" && id === undefined) return { screen: "dashboard" };
  if (head === "campaigns") return id === undefined ? { screen: "campaigns" } : { screen: "campaign", id };
  return { screen: "not_found" };
}
