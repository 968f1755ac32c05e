/**
 * /eligible-pools (enterprise): the pools this enterprise can get — a claim button for
 * first-come pools, the application form for application pools, the lottery entry for
 * lottery pools — and each pool it cannot get, with the reasons why not.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { Pool, Voucher } from '@hqt/shared';
import { localName } from '../../app/names';
import { LotteryEntryBox } from '../lottery/LotteryEntry';
import { formatFen } from '../../app/format';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useLoad } from '../../app/useLoad';
import { claimWindowText, poolValidityText } from '../pools/describe';
import { ClaimBlockNote, ClaimButton, claimBlock, type ClaimBlock } from '../vouchers/Claim';
import { loadHolderPools, type PoolWithEligibility } from '../vouchers/holderPools';
import { Reasons } from '../vouchers/Reasons';
import { VoucherFace } from '../vouchers/VoucherFace';

/** How this enterprise gets a voucher of the pool: claim, apply (with the contract) or enter the lottery. */
function GetVoucher({ pool, block, onClaimed }: { pool: Pool; block: ClaimBlock | null; onClaimed: (v: Voucher) => void }) {
  const { t, i18n } = useTranslation();
  if (pool.distribution === 'lottery') return <LotteryEntryBox pool={pool} />;
  if (pool.distribution === 'application') {
    const now = Date.now();
    const closed: ClaimBlock | null =
      pool.status === 'paused' ? { reason: 'paused' }
      : pool.status === 'closed' || now >= Date.parse(pool.claimClosesAt) ? { reason: 'ended' }
      : now < Date.parse(pool.claimOpensAt) ? { reason: 'notYet', opensAt: pool.claimOpensAt }
      : null;
    return closed === null ? (
      <Link to={`/eligible-pools/${pool.id}/apply`} className="button button-primary" aria-label={t('apply.applyNamed', { name: localName(i18n.language, pool.nameZh, pool.nameEn) })}>
        {t('apply.apply')}
      </Link>
    ) : (
      <ClaimBlockNote block={closed} />
    );
  }
  return block === null ? <ClaimButton pool={pool} onClaimed={onClaimed} /> : <ClaimBlockNote block={block} />;
}

function PoolOffer({ item, onClaimed }: { item: PoolWithEligibility; onClaimed: (v: Voucher) => void }) {
  const { t, i18n } = useTranslation();
  const { pool, eligibility } = item;
  const block = claimBlock(pool, Date.now());
  return (
    <li className="offer" data-testid={eligibility.eligible ? 'offer-eligible' : 'offer-ineligible'}>
      <VoucherFace
        kind={pool.kind}
        nameZh={pool.nameZh}
        nameEn={pool.nameEn}
        valueRule={pool.valueRule}
        validity={poolValidityText(pool, t, i18n.language)}
        headingLevel={3}
        badge={
          <span className="muted small">
            <Term k={`kinds.${pool.kind}`} /> · {t(`distributions.${pool.distribution}`)}
          </span>
        }
      >
        <p className="small muted">{claimWindowText(pool, t, i18n.language)}</p>
        <p className="small muted">{t('claim.budgetLeft', { amount: formatFen(pool.availableFen) })}</p>
      </VoucherFace>
      {eligibility.eligible ? (
        <>
          <Reasons reasons={eligibility.reasons} />
          <GetVoucher pool={pool} block={block} onClaimed={onClaimed} />
        </>
      ) : (
        <>
          <p className="why-not">{t('eligibility.whyNot')}</p>
          <Reasons reasons={eligibility.reasons} />
        </>
      )}
    </li>
  );
}

export function EligiblePoolsPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('areas.claimablePools.title'));
  const { state, reload } = useLoad('holder-pools', loadHolderPools);
  const [claimed, setClaimed] = useState<Voucher | null>(null);
  const onClaimed = (voucher: Voucher) => {
    setClaimed(voucher);
    reload();
  };
  return (
    <>
      <h1>
        <Term k="areas.claimablePools.title" />
      </h1>
      <p className="muted">{t('enterprise.intro')}</p>
      {claimed !== null && (
        <p className="alert alert-success" role="status">
          {t('claim.claimed', { code: claimed.code })} <Link to="/wallet">{t('claim.toWallet')}</Link>
        </p>
      )}
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' && (
        <>
          <section aria-labelledby="eligible-title">
            <h2 id="eligible-title">{t('enterprise.eligible')}</h2>
            {state.data.filter((i) => i.eligibility.eligible).length === 0 ? (
              <p className="empty">{t('enterprise.noneEligible')}</p>
            ) : (
              <ul className="offer-list">
                {state.data.filter((i) => i.eligibility.eligible).map((item) => (
                  <PoolOffer key={item.pool.id} item={item} onClaimed={onClaimed} />
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="ineligible-title">
            <h2 id="ineligible-title">{t('enterprise.ineligible')}</h2>
            {state.data.filter((i) => !i.eligibility.eligible).length === 0 ? (
              <p className="empty">{t('enterprise.noneIneligible')}</p>
            ) : (
              <ul className="offer-list">
                {state.data.filter((i) => !i.eligibility.eligible).map((item) => (
                  <PoolOffer key={item.pool.id} item={item} onClaimed={onClaimed} />
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </>
  );
}
