/**
 * Claiming (抢券) from a first-come pool, and why a pool cannot be claimed right now.
 * Each click chooses a fresh Idempotency-Key, so a retried request never claims twice.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Pool, Voucher } from '@hqt/shared';
import { formatDateTime } from '../../app/format';
import { newIdempotencyKey } from '../../app/ids';
import { localName } from '../../app/names';
import { ProblemAlert } from '../../app/ProblemAlert';
import { TextField } from '../../app/fields';
import { useAction } from '../../app/useLoad';
import { vouchersApi } from './vouchersApi';
import { saveVoucher } from './walletStore';

export type ClaimBlock =
  | { reason: 'lottery' | 'application' | 'autoGrant' | 'paused' | 'ended' | 'exhausted' }
  | { reason: 'notYet'; opensAt: string };

/** Why this pool cannot be claimed with a click now, or null when it can. */
export function claimBlock(pool: Pool, nowMs: number): ClaimBlock | null {
  if (pool.distribution === 'lottery') return { reason: 'lottery' };
  if (pool.distribution === 'application') return { reason: 'application' };
  if (pool.distribution === 'auto_grant') return { reason: 'autoGrant' };
  if (pool.status === 'paused') return { reason: 'paused' };
  if (pool.status === 'closed' || nowMs >= Date.parse(pool.claimClosesAt)) return { reason: 'ended' };
  if (nowMs < Date.parse(pool.claimOpensAt)) return { reason: 'notYet', opensAt: pool.claimOpensAt };
  if (pool.availableFen < pool.valueRule.amountFen) return { reason: 'exhausted' };
  return null;
}

export function ClaimBlockNote({ block }: { block: ClaimBlock }) {
  const { t, i18n } = useTranslation();
  return (
    <p className="note">
      {block.reason === 'notYet' ? t('claim.notYet', { time: formatDateTime(block.opensAt, i18n.language) }) : t(`claim.${block.reason}`)}
    </p>
  );
}

export function ClaimButton({ pool, onClaimed }: { pool: Pool; onClaimed: (voucher: Voucher) => void }) {
  const { t, i18n } = useTranslation();
  const action = useAction();
  const [stub, setStub] = useState('');
  const name = localName(i18n.language, pool.nameZh, pool.nameEn);
  const claim = () =>
    void action.run('claim', async () => {
      const voucher = await vouchersApi.claim(pool.id, newIdempotencyKey(), pool.ticketStubRequired ? stub.trim() : undefined);
      saveVoucher(voucher);
      onClaimed(voucher);
    });
  return (
    <div className="claim">
      {pool.ticketStubRequired && (
        <TextField id={`stub-${pool.id}`} label={t('claim.ticketStub')} hint={t('claim.ticketStubHint')} required maxLength={64} value={stub} onChange={setStub} />
      )}
      <button
        type="button"
        className="button button-primary button-block"
        disabled={action.busy !== null || (pool.ticketStubRequired && stub.trim() === '')}
        aria-label={t('claim.claimNamed', { name })}
        onClick={claim}
      >
        {action.busy !== null ? t('claim.claiming') : t('claim.claim')}
      </button>
      {action.error !== null && <ProblemAlert error={action.error} />}
    </div>
  );
}
