import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { useAuth } from './AuthContext';

export interface LoginRedirectState {
  from?: string;
}

/**
 * Sends visitors without a session to /login, remembering where they were going, unless
 * they just logged out: then whoever logs in next starts at home.
 */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { isAuthenticated, loggedOut } = useAuth();
  const location = useLocation();
  if (!isAuthenticated) {
    if (loggedOut) return <Navigate to="/login" replace />;
    const state: LoginRedirectState = { from: location.pathname + location.search };
    return <Navigate to="/login" replace state={state} />;
  }
  return <>{children}</>;
}
