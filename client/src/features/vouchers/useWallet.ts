/** The wallet's vouchers: the saved copy at once, then the server's when the network answers. */
import { useEffect, useState } from 'react';
import type { Voucher } from '@hqt/shared';
import { ApiError, CLIENT_PROBLEM_CODES } from '../../api/problem';
import { vouchersApi } from './vouchersApi';
import { loadWallet, saveVoucher, saveWallet } from './walletStore';

export interface WalletState<T> {
  data: T | null;
  savedAt: string | null;
  loading: boolean;
  error: unknown;
  /** true when the last attempt could not reach the server and the saved copy is shown */
  offline: boolean;
  reload: () => void;
}

function isOffline(error: unknown): boolean {
  return error instanceof ApiError && (error.code === CLIENT_PROBLEM_CODES.network || error.code === CLIENT_PROBLEM_CODES.timeout);
}

export function useWallet(): WalletState<Voucher[]> {
  const [saved] = useState(loadWallet);
  const [data, setData] = useState<Voucher[] | null>(saved?.vouchers ?? null);
  const [savedAt, setSavedAt] = useState<string | null>(saved?.savedAt ?? null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    vouchersApi.list({}, controller.signal).then(
      (page) => {
        const wallet = saveWallet(page.items);
        setData(wallet.vouchers);
        setSavedAt(wallet.savedAt);
        setError(null);
        setLoading(false);
      },
      (caught: unknown) => {
        if (controller.signal.aborted) return;
        setError(caught);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [attempt]);

  return { data, savedAt, loading, error, offline: isOffline(error), reload: () => setAttempt((n) => n + 1) };
}

export function useWalletVoucher(id: string): WalletState<Voucher> & { replace: (v: Voucher) => void } {
  const [data, setData] = useState<Voucher | null>(() => loadWallet()?.vouchers.find((v) => v.id === id) ?? null);
  const [savedAt, setSavedAt] = useState<string | null>(() => loadWallet()?.savedAt ?? null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    vouchersApi.get(id, controller.signal).then(
      (voucher) => {
        const wallet = saveVoucher(voucher);
        setData(voucher);
        setSavedAt(wallet.savedAt);
        setError(null);
        setLoading(false);
      },
      (caught: unknown) => {
        if (controller.signal.aborted) return;
        setError(caught);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [id, attempt]);

  const replace = (voucher: Voucher) => {
    saveVoucher(voucher);
    setData(voucher);
  };
  return { data, savedAt, loading, error, offline: isOffline(error), reload: () => setAttempt((n) => n + 1), replace };
}
