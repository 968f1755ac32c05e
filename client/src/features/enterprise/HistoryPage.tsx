/**
 * /history (enterprise): what this enterprise got and used — vouchers received (claimed,
 * granted, won, approved applications), its applications with their decisions and files,
 * and the redemptions against its vouchers.
 */
import { useTranslation } from 'react-i18next';
import { useLocation } from 'react-router-dom';
import type { Pool, Redemption, Voucher } from '@hqt/shared';
import { formatDateTime, formatFen } from '../../app/format';
import { localName } from '../../app/names';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useLoad } from '../../app/useLoad';
import { applicationsApi, type ApplicationView } from '../applications/applicationsApi';
import { AttachmentLinks } from '../applications/AttachmentLinks';
import type { HistoryFlash } from '../applications/ApplyPage';
import { VoucherStatusBadge } from '../pools/StatusBadge';
import { poolsApi } from '../pools/poolsApi';
import { redemptionsApi } from '../redemptions/redemptionsApi';
import { RedemptionStatusBadge } from '../redemptions/RedemptionStatusBadge';
import { loadHolderContext, type HolderContext } from './holderContext';

interface History {
  applications: ApplicationView[];
  redemptions: Redemption[];
  context: HolderContext;
  pools: Map<string, Pool>;
}

async function loadHistory(signal: AbortSignal): Promise<History> {
  const [applications, redemptions, pools] = await Promise.all([
    applicationsApi.list({}, signal),
    redemptionsApi.list({}, signal),
    poolsApi.list({}, signal),
  ]);
  return {
    applications: applications.items,
    redemptions: redemptions.items,
    context: await loadHolderContext(redemptions.items, signal),
    pools: new Map(pools.items.map((p) => [p.id, p])),
  };
}

function poolName(history: History, poolId: string, lang: string): string {
  const pool = history.pools.get(poolId);
  if (pool !== undefined) return localName(lang, pool.nameZh, pool.nameEn);
  const voucher = [...history.context.vouchers.values()].find((v) => v.poolId === poolId);
  return voucher === undefined ? '—' : localName(lang, voucher.poolNameZh, voucher.poolNameEn);
}

function Claims({ vouchers }: { vouchers: Voucher[] }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  if (vouchers.length === 0) return <p className="empty">{t('history.noClaims')}</p>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="history-claims">
        <thead>
          <tr>
            <th scope="col">{t('history.when')}</th>
            <th scope="col">{t('history.pool')}</th>
            <th scope="col">{t('voucher.code')}</th>
            <th scope="col">{t('history.how')}</th>
            <th scope="col" className="num">{t('history.amount')}</th>
            <th scope="col" className="num">{t('voucher.balance')}</th>
            <th scope="col">{t('history.status')}</th>
          </tr>
        </thead>
        <tbody>
          {vouchers.map((v) => (
            <tr key={v.id}>
              <td>{formatDateTime(v.issuedAt, lang)}</td>
              <td>{localName(lang, v.poolNameZh, v.poolNameEn)}</td>
              <td>
                <code>{v.code}</code>
              </td>
              <td>{t(`voucherSources.${v.source}` as 'voucherSources.claim', { defaultValue: v.source })}</td>
              <td className="num">{formatFen(v.amountFen)}</td>
              <td className="num">{formatFen(v.balanceFen)}</td>
              <td>
                <VoucherStatusBadge status={v.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Applications({ history }: { history: History }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  if (history.applications.length === 0) return <p className="empty">{t('history.noApplications')}</p>;
  return (
    <ul className="queue" data-testid="history-applications">
      {history.applications.map((a) => (
        <li key={a.id} className="card queue-item" data-testid="history-application">
          <div className="queue-head">
            <h3>{t('history.contract', { ref: a.contractRef })}</h3>
            <span className={`status status-a-${a.status}`}>{t(`applicationStatus.${a.status}`)}</span>
          </div>
          <dl className="facts facts-inline">
            <div>
              <dt>{t('history.pool')}</dt>
              <dd>{poolName(history, a.poolId, lang)}</dd>
            </div>
            <div>
              <dt>{t('apply.contractAmount')}</dt>
              <dd>{formatFen(a.contractAmountFen)}</dd>
            </div>
            <div>
              <dt>{t('history.submittedAt')}</dt>
              <dd>{formatDateTime(a.createdAt, lang)}</dd>
            </div>
            {a.grantedFen !== null && (
              <div>
                <dt>{t('history.granted')}</dt>
                <dd className="figure-strong">{formatFen(a.grantedFen)}</dd>
              </div>
            )}
            {a.rejectReason !== null && (
              <div>
                <dt>{t('history.rejectReason')}</dt>
                <dd>{a.rejectReason}</dd>
              </div>
            )}
            <div>
              <dt>{t('apply.attachments')}</dt>
              <dd>
                <AttachmentLinks applicationId={a.id} attachments={a.attachments} />
              </dd>
            </div>
          </dl>
        </li>
      ))}
    </ul>
  );
}

function Redemptions({ history }: { history: History }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  if (history.redemptions.length === 0) return <p className="empty">{t('history.noRedemptions')}</p>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="history-redemptions">
        <thead>
          <tr>
            <th scope="col">{t('history.when')}</th>
            <th scope="col">{t('history.pool')}</th>
            <th scope="col">{t('history.provider')}</th>
            <th scope="col">{t('scanner.contractRef')}</th>
            <th scope="col" className="num">{t('scanner.settleAmount')}</th>
            <th scope="col" className="num">{t('confirmations.voucherPays')}</th>
            <th scope="col">{t('history.status')}</th>
          </tr>
        </thead>
        <tbody>
          {history.redemptions.map((r) => {
            const merchant = history.context.merchants.get(r.merchantId);
            return (
              <tr key={r.id}>
                <td>{formatDateTime(r.createdAt, lang)}</td>
                <td>{poolName(history, r.poolId, lang)}</td>
                <td>{merchant === undefined ? '—' : localName(lang, merchant.nameZh, merchant.nameEn)}</td>
                <td>{r.contractRef ?? r.orderRef}</td>
                <td className="num">{formatFen(r.orderAmountFen)}</td>
                <td className="num">{formatFen(r.discountFen)}</td>
                <td>
                  <RedemptionStatusBadge status={r.status} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function HistoryPage() {
  const { t } = useTranslation();
  const location = useLocation();
  const flash = (location.state as HistoryFlash | null)?.applied;
  useDocumentTitle(t('areas.history.title'));
  const { state, reload } = useLoad('history', loadHistory);
  return (
    <>
      <h1>
        <Term k="areas.history.title" />
      </h1>
      {flash !== undefined && (
        <p className="alert alert-success" role="status" data-testid="applied">
          {t('history.applied', { ref: flash })}
        </p>
      )}
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' && (
        <>
          <section aria-labelledby="history-applications-title">
            <h2 id="history-applications-title">{t('history.applications', { n: state.data.applications.length })}</h2>
            <Applications history={state.data} />
          </section>
          <section aria-labelledby="history-claims-title">
            <h2 id="history-claims-title">{t('history.claims', { n: state.data.context.vouchers.size })}</h2>
            <Claims vouchers={[...state.data.context.vouchers.values()]} />
          </section>
          <section aria-labelledby="history-redemptions-title">
            <h2 id="history-redemptions-title">{t('history.redemptions', { n: state.data.redemptions.length })}</h2>
            <Redemptions history={state.data} />
          </section>
        </>
      )}
    </>
  );
}
