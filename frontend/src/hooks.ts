/** Data-loading hooks: every request is aborted when its component unmounts or its inputs change. */
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "./api/client";

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Load `fetcher`'s result; re-run when `deps` change or `reload()` is called. */
export function useLoad<T>(fetcher: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    fetcherRef.current(controller.signal).then(
      (result) => {
        if (controller.signal.aborted) return;
        setData(result);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setError(asApiError(err));
        setLoading(false);
      },
    );
    return () => controller.abort();
    // Re-run only when the inputs named here change; the fetcher is read through a ref.
  }, [...deps, version]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { data, error, loading, reload };
}

/**
 * Call `poll` now and then every `intervalMs` while `active` and until `poll` returns false (the thing
 * watched has finished: deciding from the answer itself means no extra request slips in before React
 * re-renders). The next poll starts only after the previous one finished, so a slow server never gets
 * overlapping requests; a poll that throws is retried at the next tick.
 */
export function usePolling(poll: (signal: AbortSignal) => Promise<boolean>, intervalMs: number, active: boolean): void {
  const pollRef = useRef(poll);
  pollRef.current = poll;
  useEffect(() => {
    if (!active) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      let again = true;
      try {
        again = await pollRef.current(controller.signal);
      } catch {
        // `poll` reports its own errors to its screen; polling goes on so a blip heals by itself.
      }
      if (again && !controller.signal.aborted) timer = setTimeout(run, intervalMs);
    };
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [active, intervalMs]);
}

export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, "client_error", err instanceof Error ? err.message : String(err));
}
