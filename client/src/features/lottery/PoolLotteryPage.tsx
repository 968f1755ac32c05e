/**
 * /pools/:id/lottery (issuer roles): the pool's lottery — the commitment published at
 * approval, each round's status and draw, the verification data, and the entrant list
 * (entry ids and hashed holders, won or lost) a page at a time once the round is drawn.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { LOTTERY_PAGE_SIZE_MAX, type LotterySummary, type Pool } from '@hqt/shared';
import { RadioGroup } from '../../app/fields';
import { localName } from '../../app/names';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useLoad } from '../../app/useLoad';
import { poolsApi } from '../pools/poolsApi';
import { lotteryApi } from './lotteryApi';
import { LotteryPanel } from './LotteryPanel';
import { RoundSelect } from './RoundSelect';

const REFRESH_MS = 15_000;
const ENTRANTS_PAGE_SIZE = 50;
const HASH_SHOWN = 16;

type ResultFilter = 'all' | 'won' | 'lost';

function Entrants({ summary }: { summary: LotterySummary }) {
  const { t } = useTranslation();
  const [filter, setFilter] = useState<ResultFilter>('all');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const result = filter === 'all' ? undefined : filter;
  const { state, reload } = useLoad(`entrants:${summary.poolId}:${summary.round}:${filter}:${cursor ?? ''}`, (signal) =>
    lotteryApi.entries(
      summary.poolId,
      { round: summary.round, limit: ENTRANTS_PAGE_SIZE, ...(cursor !== undefined ? { cursor } : {}), ...(result !== undefined ? { result } : {}) },
      signal,
    ),
  );
  return (
    <section className="card" aria-labelledby="entrants-title">
      <h2 id="entrants-title">{t('lottery.entrants', { n: summary.entriesCount })}</h2>
      <p className="muted small">{t('lottery.entrantsIntro', { max: LOTTERY_PAGE_SIZE_MAX })}</p>
      <RadioGroup
        id="entrant-filter"
        name="entrant-filter"
        legend={t('lottery.show')}
        value={filter}
        onChange={(value) => {
          setFilter(value);
          setCursors([]);
        }}
        options={(['all', 'won', 'lost'] as const).map((f) => ({ value: f, label: t(`lottery.filter.${f}`) }))}
      />
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' &&
        (state.data.items.length === 0 ? (
          <p className="empty">{t('lottery.noEntrants')}</p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="entrant-list">
              <thead>
                <tr>
                  <th scope="col">{t('lottery.entryId')}</th>
                  <th scope="col">{t('lottery.holderHash')}</th>
                  <th scope="col">{t('lottery.resultColumn')}</th>
                </tr>
              </thead>
              <tbody>
                {state.data.items.map((e) => (
                  <tr key={e.entryId}>
                    <td>
                      <code>{e.entryId}</code>
                    </td>
                    <td>
                      <code title={e.holderHash}>{e.holderHash.slice(0, HASH_SHOWN)}…</code>
                    </td>
                    <td>
                      <span className={`status status-e-${e.result}`}>{t(`lottery.filter.${e.result}`)}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      <div className="button-row">
        <button type="button" className="button button-secondary" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
          {t('common.previous')}
        </button>
        <button
          type="button"
          className="button button-secondary"
          disabled={state.status !== 'ready' || state.data.nextCursor === null}
          onClick={() => {
            if (state.status === 'ready' && state.data.nextCursor !== null) setCursors([...cursors, state.data.nextCursor]);
          }}
        >
          {t('common.next')}
        </button>
      </div>
    </section>
  );
}

async function loadPoolLottery(id: string, round: number | undefined, signal: AbortSignal): Promise<{ pool: Pool; summary: LotterySummary | null }> {
  const pool = await poolsApi.get(id, signal);
  if (pool.distribution !== 'lottery' || pool.lotterySeedHash === null) return { pool, summary: null };
  return { pool, summary: await lotteryApi.summary(id, round, signal) };
}

export function PoolLotteryPage() {
  const { t, i18n } = useTranslation();
  const { id = '' } = useParams();
  const [round, setRound] = useState<number | undefined>(undefined);
  const { state, reload } = useLoad(`pool-lottery:${id}:${round ?? 'current'}`, (signal) => loadPoolLottery(id, round, signal), REFRESH_MS);
  const pool = state.status === 'ready' ? state.data.pool : null;
  const name = pool === null ? '' : localName(i18n.language, pool.nameZh, pool.nameEn);
  useDocumentTitle(pool === null ? t('lottery.title') : `${t('lottery.title')} · ${name}`);
  return (
    <>
      <p className="breadcrumb">
        <Link to={`/pools/${id}`}>{name === '' ? t('areas.pools.title') : name}</Link>
      </p>
      <h1>{pool === null ? t('lottery.title') : t('lottery.titleNamed', { name })}</h1>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' &&
        (state.data.summary === null ? (
          <p className="note">{state.data.pool.distribution !== 'lottery' ? t('lottery.notLottery') : t('lottery.noCommitmentYet')}</p>
        ) : (
          <>
            <RoundSelect count={state.data.summary.roundsCount} value={round} onChange={setRound} />
            <LotteryPanel summary={state.data.summary} />
            {state.data.summary.status === 'drawn' ? (
              <Entrants key={`${state.data.summary.round}`} summary={state.data.summary} />
            ) : (
              <p className="note">{t('lottery.entrantsAfterDraw')}</p>
            )}
          </>
        ))}
    </>
  );
}
