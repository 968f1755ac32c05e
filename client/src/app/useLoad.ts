/**
 * Loading state for one API read: the first load shows a spinner, later reloads (manual
 * or polled) keep the last data on screen and only report their error beside it.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

export type LoadState<T> =
  | { status: 'loading' }
  | { status: 'ready'; data: T; refreshedAt: number; refreshError: unknown }
  | { status: 'error'; error: unknown };

export interface Loaded<T> {
  state: LoadState<T>;
  reload: () => void;
}

/**
 * Runs `load` when `key` changes, on `reload()`, and every `refreshMs` while the page is
 * visible. `load` must be stable for a given key (it is read through a ref).
 */
export function useLoad<T>(key: string, load: (signal: AbortSignal) => Promise<T>, refreshMs?: number): Loaded<T> {
  const [state, setState] = useState<LoadState<T>>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const lastKey = useRef(key);

  useEffect(() => {
    const controller = new AbortController();
    if (lastKey.current !== key) {
      lastKey.current = key;
      setState({ status: 'loading' });
    }
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ status: 'ready', data, refreshedAt: Date.now(), refreshError: null });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setState((previous) =>
          previous.status === 'ready' ? { ...previous, refreshError: error } : { status: 'error', error },
        );
      },
    );
    return () => controller.abort();
  }, [key, attempt]);

  useEffect(() => {
    if (refreshMs === undefined) return undefined;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') setAttempt((n) => n + 1);
    }, refreshMs);
    return () => window.clearInterval(timer);
  }, [refreshMs]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { state, reload };
}

/** Runs one user action at a time, remembering its error for display. */
export function useAction(): {
  busy: string | null;
  error: unknown;
  run: (name: string, action: () => Promise<void>) => Promise<boolean>;
  clearError: () => void;
} {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (name: string, action: () => Promise<void>) => {
    setBusy(name);
    setError(null);
    try {
      await action();
      return true;
    } catch (caught) {
      setError(caught);
      return false;
    } finally {
      setBusy(null);
    }
  }, []);
  const clearError = useCallback(() => setError(null), []);
  return { busy, error, run, clearError };
}
