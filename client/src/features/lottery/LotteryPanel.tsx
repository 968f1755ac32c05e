/**
 * The published side of a lottery round: the commitment made before entries opened, the
 * round's status and counts, the seed once drawn, how anyone verifies the draw (docs/LOTTERY.md),
 * a check that runs that verification here in the browser, and the draw as a JSON file.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { LotterySummary } from '@hqt/shared';
import { saveBlob } from '../../app/DownloadButton';
import { formatDateTime } from '../../app/format';
import { ProblemAlert } from '../../app/ProblemAlert';
import { useAction } from '../../app/useLoad';
import { checkDraw, fetchAllEntries, publishedDraw, VERIFY_ENTRIES_MAX, type DrawCheck } from './verifyDraw';

export function LotteryStatusBadge({ status }: { status: LotterySummary['status'] }) {
  const { t } = useTranslation();
  return (
    <span className={`status status-l-${status}`} data-testid="lottery-status">
      {t(`lotteryStatus.${status}`)}
    </span>
  );
}

function Facts({ summary }: { summary: LotterySummary }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <dl className="facts" data-testid="lottery-facts">
      <div>
        <dt>{t('lottery.round')}</dt>
        <dd>{t('lottery.roundOf', { n: summary.round + 1, total: summary.roundsCount })}</dd>
      </div>
      <div>
        <dt>{t('lottery.window')}</dt>
        <dd>{t('pools.windowRange', { opens: formatDateTime(summary.entriesOpenAt, lang), closes: formatDateTime(summary.entriesCloseAt, lang) })}</dd>
      </div>
      <div>
        <dt>{t('lottery.entries')}</dt>
        <dd data-testid="lottery-entries-count">{summary.entriesCount}</dd>
      </div>
      <div>
        <dt>{t('lottery.winnersMax')}</dt>
        <dd>{summary.winnersMax ?? t('lottery.afterClose')}</dd>
      </div>
      <div>
        <dt>{t('lottery.winners')}</dt>
        <dd data-testid="lottery-winners">{summary.winnersCount ?? t('lottery.afterDraw')}</dd>
      </div>
      <div>
        <dt>{t('lottery.drawnAt')}</dt>
        <dd>{summary.drawnAt === null ? t('lottery.notDrawn') : formatDateTime(summary.drawnAt, lang)}</dd>
      </div>
      <div className="facts-wide">
        <dt>{t('lottery.commitment')}</dt>
        <dd>
          <code className="break" data-testid="lottery-seed-hash">
            {summary.seedHash}
          </code>
        </dd>
      </div>
      <div className="facts-wide">
        <dt>{t('lottery.seed')}</dt>
        <dd>
          {summary.seed === null ? (
            <span className="muted">{t('lottery.seedHidden')}</span>
          ) : (
            <code className="break" data-testid="lottery-seed">
              {summary.seed}
            </code>
          )}
        </dd>
      </div>
    </dl>
  );
}

function CheckLine({ ok, text }: { ok: boolean; text: string }) {
  const { t } = useTranslation();
  return (
    <li className={ok ? 'reason-pass' : 'reason-fail'}>
      <span className="reason-mark" aria-hidden="true">
        {ok ? '✓' : '✗'}
      </span>
      <span className="visually-hidden">{ok ? t('lottery.check.pass') : t('lottery.check.fail')}</span>
      {text}
    </li>
  );
}

function VerifyHere({ summary }: { summary: LotterySummary }) {
  const { t } = useTranslation();
  const action = useAction();
  const [check, setCheck] = useState<DrawCheck | null>(null);
  const [tooMany, setTooMany] = useState(false);
  const [draw, setDraw] = useState<string | null>(null);
  const run = () =>
    void action.run('verify', async () => {
      const entries = await fetchAllEntries(summary.poolId, summary.round);
      if (entries === null) {
        setTooMany(true);
        return;
      }
      setCheck(await checkDraw(summary, entries));
      setDraw(JSON.stringify(publishedDraw(summary, entries), null, 2));
    });
  const all = check !== null && check.seedMatches && check.countMatches && check.unique && check.winnersCountMatches && check.winnersMatch;
  return (
    <div className="verify">
      <div className="button-row">
        <button type="button" className="button button-primary" disabled={action.busy !== null} onClick={run}>
          {action.busy !== null ? t('lottery.verifying') : t('lottery.verify')}
        </button>
        {draw !== null && (
          <button type="button" className="button button-secondary" onClick={() => saveBlob(new Blob([draw], { type: 'application/json' }), `lottery-${summary.poolId.slice(0, 8)}-round-${summary.round}.json`)}>
            {t('lottery.downloadDraw')}
          </button>
        )}
      </div>
      {tooMany && <p className="note">{t('lottery.tooMany', { n: VERIFY_ENTRIES_MAX })}</p>}
      {check !== null && (
        <div className={`alert ${all ? 'alert-success' : 'alert-error'}`} role="status" data-testid="verify-draw">
          <p>
            <strong>{all ? t('lottery.check.allOk', { entries: check.entries, winners: check.winners }) : t('lottery.check.failed')}</strong>
          </p>
          <ul className="reasons">
            <CheckLine ok={check.seedMatches} text={t('lottery.check.seed')} />
            <CheckLine ok={check.countMatches && check.unique} text={t('lottery.check.count', { n: check.entries })} />
            <CheckLine ok={check.winnersCountMatches} text={t('lottery.check.winnersCount', { n: check.winners })} />
            <CheckLine ok={check.winnersMatch} text={t('lottery.check.winners')} />
          </ul>
        </div>
      )}
      {action.error !== null && <ProblemAlert error={action.error} />}
    </div>
  );
}

export function VerificationGuide({ poolId, round }: { poolId: string; round: number }) {
  const { t } = useTranslation();
  const origin = typeof window === 'undefined' ? 'https://<host>' : window.location.origin;
  return (
    <div className="guide" data-testid="lottery-guide">
      <p>{t('lottery.guide.intro')}</p>
      <ol className="guide-steps">
        <li>{t('lottery.guide.commit')}</li>
        <li>{t('lottery.guide.entries')}</li>
        <li>{t('lottery.guide.draw')}</li>
        <li>{t('lottery.guide.publish')}</li>
      </ol>
      <h3>{t('lottery.guide.checksTitle')}</h3>
      <ol className="guide-steps">
        <li>
          <code>sha256(seed) == seedHash</code> — {t('lottery.guide.check1')}
        </li>
        <li>{t('lottery.guide.check2')}</li>
        <li>
          <code>winnersCount == min(winnersMax, entriesCount)</code> — {t('lottery.guide.check3')}
        </li>
        <li>
          <code>HMAC-SHA256(key = seed, message = entryId)</code> — {t('lottery.guide.check4')}
        </li>
      </ol>
      <h3>{t('lottery.guide.scriptTitle')}</h3>
      <p>{t('lottery.guide.script')}</p>
      <pre className="code-block">
        {`npx tsx scripts/verify-lottery.ts --url ${origin}/api/v1/pools/${poolId}/lottery --round ${round} --token <access JWT>\n# ${t('lottery.guide.orFile')}\nnpx tsx scripts/verify-lottery.ts draw.json`}
      </pre>
    </div>
  );
}

export function LotteryPanel({ summary }: { summary: LotterySummary }) {
  const { t } = useTranslation();
  return (
    <>
      <section className="card" aria-labelledby="lottery-published-title">
        <div className="page-head">
          <h2 id="lottery-published-title">{t('lottery.published')}</h2>
          <LotteryStatusBadge status={summary.status} />
        </div>
        <Facts summary={summary} />
        {summary.status === 'drawn' && summary.seed !== null ? <VerifyHere summary={summary} /> : <p className="note">{t('lottery.verifyAfterDraw')}</p>}
      </section>
      <section className="card" aria-labelledby="lottery-guide-title">
        <h2 id="lottery-guide-title">{t('lottery.guide.title')}</h2>
        <VerificationGuide poolId={summary.poolId} round={summary.round} />
      </section>
    </>
  );
}
