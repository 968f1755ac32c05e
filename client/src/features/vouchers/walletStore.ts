/**
 * The holder's vouchers, kept in localStorage so the wallet renders and dynamic QR codes
 * keep refreshing with the network off. They include each voucher's QR key, so they are
 * wiped as soon as the session ends (logout, refused refresh, another tab logging out).
 */
import type { Voucher } from '@hqt/shared';
import { tokenStore } from '../../api/tokenStore';

const STORAGE_KEY = 'hqt.wallet.v1';
const VOUCHERS_MAX = 500;

export interface SavedWallet {
  savedAt: string;
  vouchers: Voucher[];
}

function isVoucher(value: unknown): value is Voucher {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && typeof v.code === 'string' && typeof v.amountFen === 'number' && typeof v.qr === 'object';
}

export function loadWallet(): SavedWallet | null {
  try {
    const raw = window.localStorage.getItem(STORAGE_KEY);
    if (raw === null) return null;
    const parsed = JSON.parse(raw) as Partial<SavedWallet>;
    if (typeof parsed.savedAt !== 'string' || !Array.isArray(parsed.vouchers)) return null;
    return { savedAt: parsed.savedAt, vouchers: parsed.vouchers.filter(isVoucher) };
  } catch {
    return null;
  }
}

function write(vouchers: Voucher[]): SavedWallet {
  const wallet = { savedAt: new Date().toISOString(), vouchers: vouchers.slice(0, VOUCHERS_MAX) };
  try {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(wallet));
  } catch {
    // Storage full or refused: the wallet still works online.
  }
  return wallet;
}

/** Replaces the saved list with the server's (vouchers the server no longer lists are gone). */
export function saveWallet(vouchers: Voucher[]): SavedWallet {
  return write(vouchers);
}

/** Adds or refreshes one voucher, newest first. */
export function saveVoucher(voucher: Voucher): SavedWallet {
  const others = (loadWallet()?.vouchers ?? []).filter((v) => v.id !== voucher.id);
  return write([voucher, ...others]);
}

export function clearWallet(): void {
  try {
    window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
}

tokenStore.subscribe(() => {
  if (tokenStore.get() === null) clearWallet();
});
