/**
 * Owns the session tokens: kept in localStorage so a reload stays signed in, and
 * observable so React (useSyncExternalStore) and other tabs see changes.
 */
import type { Tokens } from './types';

const STORAGE_KEY = 'hqt.session';

type Listener = () => void;

function readStorage(): Tokens | null {
  try {
    const raw = window.localStorage.getItem(STORAGE_KEY);
    if (raw === null) return null;
    const parsed: unknown = JSON.parse(raw);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as Tokens).accessToken === 'string' &&
      typeof (parsed as Tokens).refreshToken === 'string'
    ) {
      return { accessToken: (parsed as Tokens).accessToken, refreshToken: (parsed as Tokens).refreshToken };
    }
    return null;
  } catch {
    // Storage disabled or corrupt: behave as signed out rather than crash.
    return null;
  }
}

export class TokenStore {
  private tokens: Tokens | null = readStorage();
  private readonly listeners = new Set<Listener>();

  constructor() {
    window.addEventListener('storage', (event) => {
      if (event.key !== STORAGE_KEY && event.key !== null) return;
      this.tokens = readStorage();
      this.emit();
    });
  }

  get = (): Tokens | null => this.tokens;

  set(tokens: Tokens | null): void {
    this.tokens = tokens;
    try {
      if (tokens === null) window.localStorage.removeItem(STORAGE_KEY);
      else window.localStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
    } catch {
      // Private mode may refuse storage; the session then lives in memory only.
    }
    this.emit();
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

export const tokenStore = new TokenStore();
