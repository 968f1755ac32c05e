/**
 * The consumer voucher's dynamic QR: recomputed from the voucher's key whenever the
 * 30-second step changes, with a visible countdown. Needs no network.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { QR_STEP_SECONDS } from '@hqt/shared';
import { dynamicTokenAt, secondsLeftInStep, webCryptoAvailable, type DynamicToken } from './dynamicQr';
import { QrCode } from './QrCode';

const TICK_MS = 1000;

function useDynamicToken(code: string, key: string): { token: DynamicToken | null; secondsLeft: number; failed: boolean } {
  const [now, setNow] = useState(() => Date.now());
  const [token, setToken] = useState<DynamicToken | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), TICK_MS);
    return () => window.clearInterval(timer);
  }, []);

  const step = Math.floor(now / 1000 / QR_STEP_SECONDS);
  useEffect(() => {
    if (!webCryptoAvailable()) {
      setFailed(true);
      return undefined;
    }
    let live = true;
    dynamicTokenAt(code, key, step * QR_STEP_SECONDS * 1000).then(
      (next) => {
        if (live) setToken(next);
      },
      () => {
        if (live) setFailed(true);
      },
    );
    return () => {
      live = false;
    };
  }, [code, key, step]);

  // The previous code stays on screen for the few milliseconds WebCrypto takes to sign the next.
  return { token, secondsLeft: secondsLeftInStep(now), failed };
}

export function DynamicQr({ code, qrKey }: { code: string; qrKey: string }) {
  const { t } = useTranslation();
  const { token, secondsLeft, failed } = useDynamicToken(code, qrKey);
  if (failed) return <p className="alert alert-error">{t('qr.noCrypto')}</p>;
  return (
    <div className="qr-box" data-testid="dynamic-qr">
      {token === null ? (
        <div className="qr-placeholder" aria-hidden="true" />
      ) : (
        <QrCode text={token.token} label={t('qr.dynamicLabel')} />
      )}
      <div className="qr-countdown" aria-hidden="true">
        <span className="qr-countdown-bar" style={{ width: `${(secondsLeft / QR_STEP_SECONDS) * 100}%` }} />
      </div>
      <p className="qr-refresh" data-testid="qr-countdown">
        {t('qr.refreshIn', { seconds: secondsLeft })}
      </p>
      <p className="qr-token">
        <span className="visually-hidden">{t('qr.tokenText')} </span>
        <code data-testid="qr-token" data-step={token?.step ?? ''}>
          {token?.token ?? ''}
        </code>
      </p>
      <p className="visually-hidden" aria-live="polite">
        {secondsLeft === QR_STEP_SECONDS ? t('qr.refreshed') : ''}
      </p>
    </div>
  );
}
