import type { ApiError } from "../api/client";

/** Messages for error codes whose API text is written for operators rather than customers. */
const FRIENDLY: Record<string, string> = {
  network_error: "Cannot reach the server. Check your connection and try again.",
  sign_in_required: "This deployment asks you to sign in first.",
};

/** Static Web Apps' built-in sign-in, returning to the page the user was on. */
export function signInUrl(): string {
  const back = window.location.pathname + window.location.search;
  return `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(back)}`;
}

/** An error the user should see at once (role=alert), with an optional retry button. */
export function ErrorMessage({
  error,
  title = "Something went wrong",
  onRetry,
}: {
  error: ApiError | { message: string; code?: string } | null;
  title?: string;
  onRetry?: () => void;
}) {
  if (error === null) return null;
  const message = (error.code && FRIENDLY[error.code]) || error.message;
  return (
    <div className="error" role="alert">
      <strong>{title}.</strong> <span>{message}</span>
      {error.code === "sign_in_required" && (
        <a className="button secondary" href={signInUrl()}>
          Sign in
        </a>
      )}
      {onRetry && (
        <button type="button" className="button secondary" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** Shown instead of a feature's screen when the deployment has it switched off or unconfigured. */
export function NotConfigured({ feature, detail }: { feature: string; detail?: string }) {
  return (
    <div className="notice" role="status">
      <strong>{feature} is not available on this deployment.</strong>
      {detail && <p>{detail}</p>}
    </div>
  );
}
