/**
 * After the scan: the cashier types the exact order amount (a B2B provider also the
 * contract, invoice and delivery proof), the server previews the discount, and the cashier
 * confirms. Once a preview has told us the voucher's pool and balance, a changed amount is
 * estimated at once with the shared discount rule; only a server preview can be confirmed.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { computeDiscount, redeemBody, type Pool, type RedeemRequest, type RedemptionPreview } from '@hqt/shared';
import { ApiError } from '../../api/problem';
import { TextField } from '../../app/fields';
import { formatFen, parseYuan } from '../../app/format';
import { newIdempotencyKey } from '../../app/ids';
import { localName } from '../../app/names';
import { ProblemAlert } from '../../app/ProblemAlert';
import { useAction } from '../../app/useLoad';
import { validateWith } from '../../app/validateWith';
import { poolsApi } from '../pools/poolsApi';
import { redemptionsApi } from '../redemptions/redemptionsApi';
import type { Scanned } from './ScanStep';

export interface ReceiptState {
  fresh: true;
}

interface OrderInput {
  amount: string;
  orderRef: string;
  contractRef: string;
  invoiceNo: string;
  deliveredOn: string;
  acceptanceRef: string;
  proofNote: string;
}

const EMPTY: OrderInput = { amount: '', orderRef: '', contractRef: '', invoiceNo: '', deliveredOn: '', acceptanceRef: '', proofNote: '' };
const ORDER_REF_LENGTH_MAX = 64;

/** A readable order reference when the cashier gives none: POS-<Shanghai date and time>-<random>. */
function generatedOrderRef(nowMs: number): string {
  const stamp = new Date(nowMs + 8 * 3600_000).toISOString().slice(0, 19).replace(/[-:T]/g, '');
  return `POS-${stamp}-${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
}

function bodyOf(scanned: Scanned, input: OrderInput, amountFen: number | null, orderRef: string): RedeemRequest {
  const body: RedeemRequest = { token: scanned.token, orderAmountFen: amountFen ?? 0, orderRef };
  if (scanned.mode === 'static') {
    body.contractRef = input.contractRef.trim();
    body.invoiceNo = input.invoiceNo.trim();
    const proof: Record<string, string> = {};
    if (input.deliveredOn !== '') proof.deliveredOn = input.deliveredOn;
    if (input.acceptanceRef.trim() !== '') proof.acceptanceRef = input.acceptanceRef.trim();
    if (input.proofNote.trim() !== '') proof.note = input.proofNote.trim();
    body.deliveryProof = proof;
  }
  return body;
}

function sameRequest(a: RedeemRequest, b: RedeemRequest): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function PreviewFigures({ preview, b2b }: { preview: RedemptionPreview; b2b: boolean }) {
  const { t } = useTranslation();
  return (
    <dl className="figures" data-testid="redeem-preview">
      <div>
        <dt>{b2b ? t('scanner.settleAmount') : t('scanner.orderAmount')}</dt>
        <dd>{formatFen(preview.orderAmountFen)}</dd>
      </div>
      <div className="figure-discount">
        <dt>{t('scanner.discount')}</dt>
        <dd data-testid="preview-discount">−{formatFen(preview.discountFen)}</dd>
      </div>
      <div className="figure-pay">
        <dt>{b2b ? t('scanner.enterprisePays') : t('scanner.customerPays')}</dt>
        <dd data-testid="preview-pay">{formatFen(preview.payFen)}</dd>
      </div>
      <div>
        <dt>{t('scanner.balance')}</dt>
        <dd>
          {t('scanner.balanceChange', { before: formatFen(preview.voucherBalanceFen), after: formatFen(preview.balanceAfterFen) })}
        </dd>
      </div>
    </dl>
  );
}

function Estimate({ pool, preview, amountFen }: { pool: Pool; preview: RedemptionPreview; amountFen: number }) {
  const { t } = useTranslation();
  const result = computeDiscount(pool.valueRule, amountFen, preview.voucherBalanceFen);
  return (
    <p className="note" role="status" data-testid="estimate">
      {result.ok
        ? t('scanner.estimate', { discount: formatFen(result.discountFen), pay: formatFen(result.payFen) })
        : t(`problems.${result.reason}`)}{' '}
      {t('scanner.estimateRecheck')}
    </p>
  );
}

function B2bFields({ input, set, errors }: { input: OrderInput; set: (patch: Partial<OrderInput>) => void; errors: Record<string, string> }) {
  const { t } = useTranslation();
  return (
    <>
      <TextField id="contract-ref" label={t('scanner.contractRef')} required maxLength={128} value={input.contractRef} error={errors.contractRef} onChange={(v) => set({ contractRef: v })} />
      <TextField id="invoice-no" label={t('scanner.invoiceNo')} required maxLength={64} value={input.invoiceNo} error={errors.invoiceNo} onChange={(v) => set({ invoiceNo: v })} />
      <fieldset className="subsection">
        <legend className="subsection-title">{t('scanner.proofTitle')}</legend>
        <TextField id="delivered-on" type="date" label={t('scanner.deliveredOn')} required value={input.deliveredOn} error={errors.deliveredOn} onChange={(v) => set({ deliveredOn: v })} />
        <TextField id="acceptance-ref" label={t('scanner.acceptanceRef')} hint={t('scanner.acceptanceRefHint')} maxLength={200} value={input.acceptanceRef} onChange={(v) => set({ acceptanceRef: v })} />
        <TextField id="proof-note" label={t('scanner.proofNote')} multiline maxLength={500} value={input.proofNote} error={errors.deliveryProof} onChange={(v) => set({ proofNote: v })} />
      </fieldset>
    </>
  );
}

export function RedeemStep({ scanned, onRescan }: { scanned: Scanned; onRescan: () => void }) {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const b2b = scanned.mode === 'static';
  const [input, setInput] = useState<OrderInput>(EMPTY);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [previewed, setPreviewed] = useState<{ body: RedeemRequest; preview: RedemptionPreview; key: string } | null>(null);
  const [pool, setPool] = useState<Pool | null>(null);
  const fallbackRef = useRef(generatedOrderRef(Date.now()));
  const amountRef = useRef<HTMLDivElement>(null);
  const action = useAction();
  const set = (patch: Partial<OrderInput>) => setInput((previous) => ({ ...previous, ...patch }));

  useEffect(() => {
    amountRef.current?.querySelector('input')?.focus();
  }, []);

  const amountFen = parseYuan(input.amount);
  const orderRef = (b2b ? input.contractRef.trim() : input.orderRef.trim()).slice(0, ORDER_REF_LENGTH_MAX) || fallbackRef.current;
  const body = bodyOf(scanned, input, amountFen, orderRef);
  const current = previewed !== null && sameRequest(previewed.body, body) ? previewed : null;

  const validate = (): boolean => {
    const found = validateWith(redeemBody, body, t);
    const next: Record<string, string> = {};
    if (amountFen === null || amountFen === 0) next.amount = input.amount.trim() === '' ? t('validation.required') : t('validation.money');
    else if (found.orderAmountFen !== undefined) next.amount = found.orderAmountFen;
    if (found.orderRef !== undefined) next.orderRef = found.orderRef;
    if (b2b && input.deliveredOn === '') next.deliveredOn = t('validation.required');
    for (const field of ['contractRef', 'invoiceNo', 'deliveryProof']) {
      if (found[field] !== undefined) next[field] = found[field];
    }
    setErrors(next);
    return Object.keys(next).length === 0;
  };

  const onPreview = (event: FormEvent) => {
    event.preventDefault();
    if (!validate()) return;
    void action.run('preview', async () => {
      const preview = await redemptionsApi.preview(body);
      setPreviewed({ body, preview, key: newIdempotencyKey() });
      if (pool?.id !== preview.poolId) {
        poolsApi.get(preview.poolId).then(setPool, () => setPool(null));
      }
    });
  };

  const onConfirm = () => {
    if (current === null) return;
    void action.run('redeem', async () => {
      const redemption = await redemptionsApi.redeem(current.body, current.key);
      const state: ReceiptState = { fresh: true };
      void navigate(`/receipts/${redemption.id}`, { state });
    });
  };

  const tokenProblem = action.error instanceof ApiError && action.error.code.startsWith('TOKEN_');
  return (
    <>
      <section className="card scanned" aria-labelledby="scanned-title">
        <h2 id="scanned-title">{t('scanner.scannedTitle')}</h2>
        <p data-testid="scanned-code">
          {t('scanner.scannedCode', { code: scanned.code })}{' '}
          <span className="badge">{b2b ? t('scanner.modeStatic') : t('scanner.modeDynamic')}</span>
        </p>
        <p className="muted small" data-testid="scanned-via" data-source={scanned.source} data-decoder={scanned.decoder ?? ''}>
          {t(`scanner.via.${scanned.source}`)}
          {scanned.decoder !== undefined && ` ${t(`scanner.decoder.${scanned.decoder}`)}`}
        </p>
        {pool !== null && <p className="muted small">{localName(i18n.language, pool.nameZh, pool.nameEn)}</p>}
        <button type="button" className="button button-text" onClick={onRescan}>
          {t('scanner.rescan')}
        </button>
      </section>
      <form className="card" aria-labelledby="order-title" onSubmit={onPreview} noValidate>
        <h2 id="order-title">{b2b ? t('scanner.b2bTitle') : t('scanner.orderTitle')}</h2>
        {b2b && <p className="muted small">{t('scanner.b2bIntro')}</p>}
        {b2b && <B2bFields input={input} set={set} errors={errors} />}
        <div ref={amountRef}>
          <TextField
            id="order-amount"
            label={b2b ? t('scanner.settleAmount') : t('scanner.orderAmount')}
            hint={t('scanner.orderAmountHint')}
            required
            inputMode="decimal"
            prefix="¥"
            value={input.amount}
            error={errors.amount}
            onChange={(v) => set({ amount: v })}
          />
        </div>
        {!b2b && (
          <TextField
            id="order-ref"
            label={t('scanner.orderRef')}
            hint={t('scanner.orderRefHint', { example: fallbackRef.current })}
            maxLength={ORDER_REF_LENGTH_MAX}
            value={input.orderRef}
            error={errors.orderRef}
            onChange={(v) => set({ orderRef: v })}
          />
        )}
        {previewed !== null && current === null && pool !== null && amountFen !== null && amountFen > 0 && (
          <Estimate pool={pool} preview={previewed.preview} amountFen={amountFen} />
        )}
        {current === null && (
          <button type="submit" className="button button-primary button-block" disabled={action.busy !== null}>
            {action.busy === 'preview' ? t('common.working') : t('scanner.preview')}
          </button>
        )}
      </form>
      {current !== null && (
        <section className="card preview-card" aria-labelledby="preview-title" aria-live="polite">
          <h2 id="preview-title">{t('scanner.previewTitle')}</h2>
          <PreviewFigures preview={current.preview} b2b={b2b} />
          {b2b && <p className="note small">{t('scanner.b2bConfirmNote')}</p>}
          <button type="button" className="button button-primary button-block button-large" disabled={action.busy !== null} onClick={onConfirm}>
            {action.busy === 'redeem' ? t('common.working') : b2b ? t('scanner.submitB2b') : t('scanner.confirm')}
          </button>
        </section>
      )}
      {action.error !== null && (
        <>
          <ProblemAlert error={action.error} />
          {tokenProblem && (
            <button type="button" className="button button-primary button-block" onClick={onRescan}>
              {t('scanner.rescan')}
            </button>
          )}
        </>
      )}
    </>
  );
}
