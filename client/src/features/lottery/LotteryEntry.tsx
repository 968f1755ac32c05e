/**
 * 摇号 on a pool card: the holder's entry for the current round — the button to enter while
 * entries are open, else where the entry stands — and the link to the published result.
 */
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { LotteryEntry as Entry, LotterySummary, Pool } from '@hqt/shared';
import { formatDateTime } from '../../app/format';
import { localName } from '../../app/names';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { useAction, useLoad } from '../../app/useLoad';
import { lotteryApi } from './lotteryApi';

export function EntryOutcome({ entry, summary }: { entry: Entry; summary: LotterySummary }) {
  const { t, i18n } = useTranslation();
  if (entry.result === 'pending') {
    return <>{t('lottery.entered', { time: formatDateTime(summary.entriesCloseAt, i18n.language) })}</>;
  }
  if (entry.result === 'forfeited') {
    const reason = entry.forfeitCode !== null && i18n.exists(`problems.${entry.forfeitCode}`) ? t(`problems.${entry.forfeitCode}` as 'problems.LIMIT_REACHED') : '';
    return <>{t('lottery.outcome.forfeited', { reason })}</>;
  }
  return <>{t(`lottery.outcome.${entry.result}`)}</>;
}

export function LotteryEntryBox({ pool }: { pool: Pool }) {
  const { t, i18n } = useTranslation();
  const action = useAction();
  const { state, reload } = useLoad(`lottery:${pool.id}`, (signal) => lotteryApi.summary(pool.id, undefined, signal));
  const name = localName(i18n.language, pool.nameZh, pool.nameEn);
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') return <ProblemAlert error={state.error} onRetry={reload} />;
  const summary = state.data;
  const mine = summary.myEntry;
  return (
    <div className="claim lottery-entry" data-testid="lottery-entry">
      {mine !== null ? (
        <p className={`note lottery-outcome outcome-${mine.result}`} data-testid="lottery-my-entry">
          <EntryOutcome entry={mine} summary={summary} />
        </p>
      ) : summary.status === 'open' ? (
        <>
          <p className="small muted">{t('lottery.entryHint', { n: summary.entriesCount, time: formatDateTime(summary.entriesCloseAt, i18n.language) })}</p>
          <button
            type="button"
            className="button button-primary button-block"
            disabled={action.busy !== null}
            aria-label={t('lottery.enterNamed', { name })}
            onClick={() => void action.run('enter', async () => {
              await lotteryApi.enter(pool.id);
              reload();
            })}
          >
            {action.busy !== null ? t('common.working') : t('lottery.enter')}
          </button>
        </>
      ) : (
        <p className="note">{summary.status === 'drawn' ? t('lottery.drawnNoEntry') : t('lottery.closedNoEntry')}</p>
      )}
      {mine !== null && mine.voucherId !== null && (
        <Link to={pool.audience === 'consumer' ? `/my-vouchers/${mine.voucherId}` : '/wallet'} className="button button-secondary">
          {t('lottery.toVoucher')}
        </Link>
      )}
      <Link to={`/lottery/${pool.id}`} className="button button-text" aria-label={t('lottery.resultNamed', { name })}>
        {summary.status === 'drawn' ? t('lottery.result') : t('lottery.howItWorks')}
      </Link>
      {action.error !== null && <ProblemAlert error={action.error} />}
    </div>
  );
}
