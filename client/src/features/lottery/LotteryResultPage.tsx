/**
 * /lottery/:poolId (holders, and anyone who can see the pool): the round's result and the
 * caller's own entry, with the commitment, the revealed seed and how to verify the draw.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import type { LotterySummary, Pool } from '@hqt/shared';
import { localName } from '../../app/names';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useLoad } from '../../app/useLoad';
import { poolsApi } from '../pools/poolsApi';
import { lotteryApi } from './lotteryApi';
import { EntryOutcome } from './LotteryEntry';
import { LotteryPanel } from './LotteryPanel';
import { RoundSelect } from './RoundSelect';

const REFRESH_MS = 30_000;

async function loadResult(poolId: string, round: number | undefined, signal: AbortSignal): Promise<{ pool: Pool; summary: LotterySummary }> {
  const [pool, summary] = await Promise.all([poolsApi.get(poolId, signal), lotteryApi.summary(poolId, round, signal)]);
  return { pool, summary };
}

function MyResult({ pool, summary }: { pool: Pool; summary: LotterySummary }) {
  const { t } = useTranslation();
  const mine = summary.myEntry;
  return (
    <section className={`card my-result outcome-${mine?.result ?? 'none'}`} aria-labelledby="my-result-title">
      <h2 id="my-result-title">{t('lottery.myResult')}</h2>
      {mine === null ? (
        <p className="muted">{t('lottery.noEntry')}</p>
      ) : (
        <>
          <p className="my-result-text" data-testid="lottery-my-result">
            <EntryOutcome entry={mine} summary={summary} />
          </p>
          <p className="muted small">
            {t('lottery.myEntryId')} <code className="break">{mine.entryId}</code>
          </p>
          {mine.voucherId !== null && (
            <Link to={pool.audience === 'consumer' ? `/my-vouchers/${mine.voucherId}` : '/wallet'} className="button button-primary">
              {t('lottery.toVoucher')}
            </Link>
          )}
        </>
      )}
    </section>
  );
}

export function LotteryResultPage() {
  const { t, i18n } = useTranslation();
  const { poolId = '' } = useParams();
  const [round, setRound] = useState<number | undefined>(undefined);
  const { state, reload } = useLoad(`lottery-result:${poolId}:${round ?? 'current'}`, (signal) => loadResult(poolId, round, signal), REFRESH_MS);
  const pool = state.status === 'ready' ? state.data.pool : null;
  useDocumentTitle(pool === null ? t('lottery.title') : `${t('lottery.title')} · ${localName(i18n.language, pool.nameZh, pool.nameEn)}`);
  return (
    <div className="mobile-page">
      <p className="breadcrumb">
        <Link to="/">{t('home.title')}</Link>
      </p>
      <h1>{pool === null ? t('lottery.title') : t('lottery.titleNamed', { name: localName(i18n.language, pool.nameZh, pool.nameEn) })}</h1>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' && (
        <>
          <RoundSelect count={state.data.summary.roundsCount} value={round} onChange={setRound} />
          <MyResult pool={state.data.pool} summary={state.data.summary} />
          <LotteryPanel summary={state.data.summary} />
        </>
      )}
    </div>
  );
}
