/**
 * The session: tokens (via tokenStore), login, logout, and the signed-in user's
 * profile from GET /me, fetched once per session.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react';
import { api, pickTokens } from '../api/client';
import { tokenStore } from '../api/tokenStore';
import type { Me } from '../api/types';

export type MeState =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; me: Me }
  | { status: 'error'; error: unknown };

export interface AuthValue {
  isAuthenticated: boolean;
  /** true after a deliberate logout: the next login starts at home, not on the last user's page */
  loggedOut: boolean;
  me: MeState;
  reloadMe: () => void;
  login: (login: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

function useMeState(isAuthenticated: boolean): [MeState, () => void] {
  const [state, setState] = useState<MeState>({ status: 'idle' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!isAuthenticated) {
      setState({ status: 'idle' });
      return undefined;
    }
    const controller = new AbortController();
    setState({ status: 'loading' });
    api.me(controller.signal).then(
      (me) => setState({ status: 'ready', me }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ status: 'error', error });
      },
    );
    return () => controller.abort();
  }, [isAuthenticated, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return [state, reload];
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const tokens = useSyncExternalStore(tokenStore.subscribe, tokenStore.get);
  const isAuthenticated = tokens !== null;
  const [me, reloadMe] = useMeState(isAuthenticated);
  const [loggedOut, setLoggedOut] = useState(false);

  const login = useCallback(async (loginName: string, password: string) => {
    const response = await api.login(loginName, password);
    setLoggedOut(false);
    tokenStore.set(pickTokens(response));
  }, []);

  const logout = useCallback(async () => {
    setLoggedOut(true);
    const current = tokenStore.get();
    try {
      if (current !== null) await api.logout(current.refreshToken);
    } catch {
      // The server may already have revoked the session; signing out locally is what counts.
    } finally {
      tokenStore.set(null);
    }
  }, []);

  const value = useMemo<AuthValue>(
    () => ({ isAuthenticated, loggedOut, me, reloadMe, login, logout }),
    [isAuthenticated, loggedOut, me, reloadMe, login, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (value === null) throw new Error('useAuth must be used inside <AuthProvider>');
  return value;
}
