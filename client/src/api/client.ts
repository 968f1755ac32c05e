/**
 * The typed fetch client for /api/v1. It adds the bearer token, and on a 401 it
 * rotates the refresh token once (shared by concurrent requests, since a refresh
 * token may be used only once) and retries the request.
 */
import { ApiError, CLIENT_PROBLEM_CODES, clientProblem, parseRetryAfter, toProblem } from './problem';
import { tokenStore, type TokenStore } from './tokenStore';
import type { Me, TokenResponse, Tokens } from './types';

const API_BASE = '/api/v1';
const REQUEST_TIMEOUT_MS = 15_000;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  method?: Method;
  body?: unknown;
  /** a multipart body (file uploads); the browser sets its Content-Type with the boundary */
  form?: FormData;
  /** false for endpoints that must not carry or refresh a session (login, refresh, logout) */
  auth?: boolean;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export class ApiClient {
  private refreshing: Promise<boolean> | null = null;
  private readonly store: TokenStore;

  constructor(store: TokenStore) {
    this.store = store;
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.read<T>(await this.authorised(path, options));
  }

  /** A file the API serves behind the session (CSV statements, attachments), with its file name. */
  async download(path: string, options: RequestOptions = {}): Promise<Download> {
    const response = await this.authorised(path, { ...options, headers: { Accept: '*/*', ...options.headers } });
    if (!response.ok) await this.read<never>(response);
    return { blob: await response.blob(), fileName: fileNameOf(response.headers.get('Content-Disposition')) };
  }

  private async authorised(path: string, options: RequestOptions): Promise<Response> {
    const auth = options.auth ?? true;
    const used = auth ? this.store.get() : null;
    let response = await this.send(path, options, used?.accessToken);
    if (response.status === 401 && used !== null) {
      if (await this.refreshOnce(used.refreshToken)) {
        response = await this.send(path, options, this.store.get()?.accessToken);
      }
    }
    return response;
  }

  login(login: string, password: string): Promise<TokenResponse> {
    return this.request<TokenResponse>('/auth/login', {
      method: 'POST',
      body: { login, password },
      auth: false,
    });
  }

  logout(refreshToken: string): Promise<void> {
    return this.request<void>('/auth/logout', { method: 'POST', body: { refreshToken }, auth: false });
  }

  me(signal?: AbortSignal): Promise<Me> {
    return this.request<Me>('/me', signal === undefined ? {} : { signal });
  }

  /** Resolves true when a fresh access token is in the store and the request may be retried. */
  private refreshOnce(usedRefreshToken: string): Promise<boolean> {
    const current = this.store.get();
    if (current === null) return Promise.resolve(false);
    // Another request (or tab) already rotated the tokens: just retry with the new ones.
    if (current.refreshToken !== usedRefreshToken) return Promise.resolve(true);
    this.refreshing ??= this.refresh(current.refreshToken).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refresh(refreshToken: string): Promise<boolean> {
    try {
      const tokens = await this.request<TokenResponse>('/auth/refresh', {
        method: 'POST',
        body: { refreshToken },
        auth: false,
      });
      this.store.set(pickTokens(tokens));
      return true;
    } catch (error) {
      // A refused refresh ends the session; a network failure leaves it for the next try.
      if (error instanceof ApiError && error.status === 401) this.store.set(null);
      return false;
    }
  }

  private async send(path: string, options: RequestOptions, accessToken: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (accessToken !== undefined) headers.Authorization = `Bearer ${accessToken}`;
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = options.signal === undefined ? timeout : anySignal(options.signal, timeout);
    const init: RequestInit = { method: options.method ?? 'GET', headers, signal };
    if (options.body !== undefined) init.body = JSON.stringify(options.body);
    else if (options.form !== undefined) init.body = options.form;
    try {
      return await fetch(API_BASE + path, init);
    } catch (error) {
      // The caller's own abort propagates untouched; callers ignore it.
      if (options.signal?.aborted === true) throw error;
      if (timeout.aborted) {
        throw new ApiError(clientProblem(CLIENT_PROBLEM_CODES.timeout, 'The server took too long to answer'));
      }
      throw new ApiError(clientProblem(CLIENT_PROBLEM_CODES.network, 'The server could not be reached'));
    }
  }

  private async read<T>(response: Response): Promise<T> {
    if (response.status === 204) return undefined as T;
    const isJson = (response.headers.get('Content-Type') ?? '').includes('json');
    const body: unknown = isJson ? await response.json().catch(() => undefined) : undefined;
    if (response.ok) {
      if (!isJson || body === undefined) {
        throw new ApiError(clientProblem(CLIENT_PROBLEM_CODES.unexpected, 'The answer was not JSON', response.status));
      }
      return body as T;
    }
    throw new ApiError(
      toProblem(body, response.status, response.statusText),
      parseRetryAfter(response.headers.get('Retry-After')),
    );
  }
}

/** AbortSignal.any, with a fallback for browsers (older in-app web views) that lack it. */
function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  const controller = new AbortController();
  const abort = (source: AbortSignal) => () => controller.abort(source.reason);
  if (a.aborted) controller.abort(a.reason);
  else if (b.aborted) controller.abort(b.reason);
  else {
    a.addEventListener('abort', abort(a), { once: true });
    b.addEventListener('abort', abort(b), { once: true });
  }
  return controller.signal;
}

export interface Download {
  blob: Blob;
  /** from Content-Disposition; null when the server named none */
  fileName: string | null;
}

const FILE_NAME_LENGTH_MAX = 200;

/** The file name of a Content-Disposition header: RFC 5987 `filename*=UTF-8''…` first, then `filename="…"`. */
export function fileNameOf(header: string | null): string | null {
  if (header === null) return null;
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  let name: string | null = null;
  if (extended?.[1] !== undefined) {
    try {
      name = decodeURIComponent(extended[1].trim());
    } catch {
      name = null;
    }
  }
  name ??= /filename\s*=\s*"?([^";]+)"?/i.exec(header)?.[1]?.trim() ?? null;
  // Never let a server-chosen name carry a path.
  return name === null ? null : name.replace(/[\\/]/g, '_').slice(0, FILE_NAME_LENGTH_MAX);
}

export function pickTokens(response: Tokens): Tokens {
  return { accessToken: response.accessToken, refreshToken: response.refreshToken };
}

export const api = new ApiClient(tokenStore);
