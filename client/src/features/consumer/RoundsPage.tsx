/** /rounds (consumer): open rounds and pools, each with a claim button or the reason it has none. */
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import type { Voucher } from '@hqt/shared';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useLoad } from '../../app/useLoad';
import { claimWindowText, poolValidityText } from '../pools/describe';
import { ClaimBlockNote, ClaimButton, claimBlock } from '../vouchers/Claim';
import { loadHolderPools, type PoolWithEligibility } from '../vouchers/holderPools';
import { Reasons } from '../vouchers/Reasons';
import { VoucherFace } from '../vouchers/VoucherFace';

const POLL_MS = 30_000;

function Round({ item, onClaimed }: { item: PoolWithEligibility; onClaimed: (v: Voucher) => void }) {
  const { t, i18n } = useTranslation();
  const { pool, eligibility } = item;
  const block = claimBlock(pool, Date.now());
  const left = pool.valueRule.amountFen > 0 ? Math.floor(pool.availableFen / pool.valueRule.amountFen) : 0;
  return (
    <li className="offer" data-testid="round">
      <VoucherFace
        kind={pool.kind}
        nameZh={pool.nameZh}
        nameEn={pool.nameEn}
        valueRule={pool.valueRule}
        validity={poolValidityText(pool, t, i18n.language)}
        headingLevel={2}
      >
        <p className="small muted">{claimWindowText(pool, t, i18n.language)}</p>
        <p className="small muted">{t('claim.left', { n: left })}</p>
      </VoucherFace>
      {!eligibility.eligible ? (
        <>
          <p className="why-not">{t('eligibility.whyNot')}</p>
          <Reasons reasons={eligibility.reasons} onlyFailed />
        </>
      ) : block === null ? (
        <ClaimButton pool={pool} onClaimed={onClaimed} />
      ) : (
        <ClaimBlockNote block={block} />
      )}
    </li>
  );
}

export function RoundsPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  useDocumentTitle(t('areas.rounds.title'));
  const { state, reload } = useLoad('holder-pools', loadHolderPools, POLL_MS);
  const onClaimed = (voucher: Voucher) => void navigate(`/my-vouchers/${voucher.id}`, { state: { claimed: true } });
  return (
    <div className="mobile-page">
      <h1>
        <Term k="areas.rounds.title" />
      </h1>
      <p className="muted">{t('consumer.roundsIntro')}</p>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' &&
        (state.data.length === 0 ? (
          <p className="empty">{t('consumer.noRounds')}</p>
        ) : (
          <ul className="offer-list">
            {state.data.map((item) => (
              <Round key={item.pool.id} item={item} onClaimed={onClaimed} />
            ))}
          </ul>
        ))}
    </div>
  );
}
