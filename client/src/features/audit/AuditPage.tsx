/** /audit: the hash-chained audit log, newest first, with a "verify chain" button for auditors. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { formatDateTime, formatFen } from '../../app/format';
import { Person } from '../../app/Person';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { useSession } from '../../app/session';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useAction, useLoad } from '../../app/useLoad';
import { auditApi, type AuditEntry, type ChainVerification } from './auditApi';

const SUMMARY_VALUE_LENGTH_MAX = 120;

type Exists = (key: string) => boolean;

/** A translation when the locale has one, else the raw text (new server fields still show). */
function known(t: TFunction, exists: Exists, key: string, fallback: string): string {
  return exists(key) ? t(key as 'auditFields.kind') : fallback;
}

/** A summary value as text: statuses, kinds and distributions translated, fen as money, lists joined. */
function summaryValue(key: string, value: unknown, t: TFunction, exists: Exists): string {
  if (typeof value === 'number' && /Fen$/.test(key) && Number.isSafeInteger(value)) return formatFen(value);
  if (typeof value === 'string') {
    if (key === 'from' || key === 'to') return known(t, exists, `poolStatus.${value}`, value);
    if (key === 'kind') return known(t, exists, `kinds.${value}`, value);
    if (key === 'distribution') return known(t, exists, `distributions.${value}`, value);
    return value;
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(', ');
  const text = JSON.stringify(value);
  return text.length > SUMMARY_VALUE_LENGTH_MAX ? `${text.slice(0, SUMMARY_VALUE_LENGTH_MAX)}…` : text;
}

function actionText(action: string, t: TFunction, exists: Exists): string {
  return known(t, exists, `auditActions.${action.replace(/\./g, '_')}`, action);
}

function Entry({ entry }: { entry: AuditEntry }) {
  const { t, i18n } = useTranslation();
  const exists: Exists = (key) => i18n.exists(key);
  const summary = Object.entries(entry.summary ?? {});
  return (
    <li className="audit-entry">
      <div className="audit-head">
        <span className="audit-id">#{entry.id}</span>
        <strong>{actionText(entry.action, t, exists)}</strong>
        <time dateTime={entry.at}>{formatDateTime(entry.at, i18n.language)}</time>
      </div>
      <p className="muted audit-meta">
        {t('audit.by')} <Person userId={entry.actorUserId} />
        {entry.targetType !== null && (
          <>
            {' · '}
            {t('audit.target')} {known(t, exists, `auditTargets.${entry.targetType}`, entry.targetType)} <code>{(entry.targetId ?? '').slice(0, 8)}</code>
          </>
        )}
      </p>
      {summary.length > 0 && (
        <dl className="audit-summary">
          {summary.map(([key, value]) => (
            <div key={key}>
              <dt>{known(t, exists, `auditFields.${key}`, key)}</dt>
              <dd>{summaryValue(key, value, t, exists)}</dd>
            </div>
          ))}
        </dl>
      )}
      <p className="audit-hash">
        <span className="visually-hidden">{t('audit.hash')} </span>
        <code>{entry.hash.slice(0, 16)}…</code>
      </p>
    </li>
  );
}

function Verify() {
  const { t } = useTranslation();
  const action = useAction();
  const [result, setResult] = useState<ChainVerification | null>(null);
  return (
    <div className="verify">
      <button
        type="button"
        className="button button-primary"
        disabled={action.busy !== null}
        onClick={() => void action.run('verify', async () => setResult(await auditApi.verify()))}
      >
        {action.busy !== null ? t('audit.verifying') : t('audit.verify')}
      </button>
      {action.error !== null && <ProblemAlert error={action.error} />}
      {result !== null && (
        <p className={`alert ${result.ok ? 'alert-success' : 'alert-error'}`} role="status" data-testid="verify-result">
          {result.ok ? t('audit.chainOk', { n: result.checked }) : t('audit.chainBroken', { id: result.firstBrokenId ?? '?', n: result.checked })}
        </p>
      )}
    </div>
  );
}

export function AuditPage() {
  const { t } = useTranslation();
  const session = useSession();
  useDocumentTitle(t('areas.audit.title'));
  const [pages, setPages] = useState<AuditEntry[][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const more = useAction();
  const { state, reload } = useLoad('audit', (signal) => auditApi.list(undefined, signal));
  const loadMore = (from: string) =>
    void more.run('more', async () => {
      const page = await auditApi.list(from);
      setPages([...pages, page.items]);
      setCursor(page.nextCursor);
    });
  const nextCursor = pages.length === 0 ? (state.status === 'ready' ? state.data.nextCursor : null) : cursor;

  return (
    <>
      <h1>
        <Term k="areas.audit.title" />
      </h1>
      <p className="muted">{t('audit.intro')}</p>
      {session.has('issuer_auditor', 'platform_admin') ? <Verify /> : <p className="note">{t('audit.verifyWho')}</p>}
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' &&
        (state.data.items.length === 0 ? (
          <p className="empty">{t('audit.empty')}</p>
        ) : (
          <>
            <ol className="audit-list">
              {[state.data.items, ...pages].flat().map((entry) => (
                <Entry key={entry.id} entry={entry} />
              ))}
            </ol>
            {more.error !== null && <ProblemAlert error={more.error} />}
            {nextCursor !== null && (
              <button
                type="button"
                className="button button-secondary"
                disabled={more.busy !== null}
                onClick={() => loadMore(nextCursor)}
              >
                {t('common.loadMore')}
              </button>
            )}
          </>
        ))}
    </>
  );
}
