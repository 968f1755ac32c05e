/**
 * /rounds (consumer): open rounds and pools, each with a claim button, the lottery entry or
 * the reason it has neither; and the lotteries that have ended, with their published results.
 */
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { Link } from 'react-router-dom';
import type { Pool, Voucher } from '@hqt/shared';
import { localName } from '../../app/names';
import { poolsApi } from '../pools/poolsApi';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useLoad } from '../../app/useLoad';
import { claimWindowText, poolValidityText } from '../pools/describe';
import { ClaimBlockNote, ClaimButton, claimBlock } from '../vouchers/Claim';
import { loadHolderPools, type PoolWithEligibility } from '../vouchers/holderPools';
import { Reasons } from '../vouchers/Reasons';
import { VoucherFace } from '../vouchers/VoucherFace';
import { LotteryEntryBox } from '../lottery/LotteryEntry';

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
        <p className="small muted">{pool.distribution === 'lottery' ? t('distributions.lottery') : t('claim.left', { n: left })}</p>
      </VoucherFace>
      {!eligibility.eligible ? (
        <>
          <p className="why-not">{t('eligibility.whyNot')}</p>
          <Reasons reasons={eligibility.reasons} onlyFailed />
        </>
      ) : pool.distribution === 'lottery' ? (
        <LotteryEntryBox pool={pool} />
      ) : block === null ? (
        <ClaimButton pool={pool} onClaimed={onClaimed} />
      ) : (
        <ClaimBlockNote block={block} />
      )}
    </li>
  );
}

async function loadEndedLotteries(signal: AbortSignal): Promise<Pool[]> {
  const page = await poolsApi.list({ status: 'closed' }, signal);
  return page.items.filter((p) => p.distribution === 'lottery' && p.audience === 'consumer');
}

function EndedLotteries() {
  const { t, i18n } = useTranslation();
  const { state } = useLoad('ended-lotteries', loadEndedLotteries);
  if (state.status !== 'ready' || state.data.length === 0) return null;
  return (
    <section aria-labelledby="ended-lotteries-title">
      <h2 id="ended-lotteries-title">{t('consumer.endedLotteries')}</h2>
      <ul className="plain-list link-list">
        {state.data.map((pool) => {
          const name = localName(i18n.language, pool.nameZh, pool.nameEn);
          return (
            <li key={pool.id}>
              <Link to={`/lottery/${pool.id}`} aria-label={t('lottery.resultNamed', { name })}>
                {name}
              </Link>{' '}
              <span className="muted small">{t('lottery.result')}</span>
            </li>
          );
        })}
      </ul>
    </section>
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
      <EndedLotteries />
    </div>
  );
}
