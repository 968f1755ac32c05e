/**
 * /pools/:id/grants (issuer roles): 免申即享 for an auto-grant pool. A manager uploads a list
 * (CSV: identifier[,amountFen]) or grants everyone eligible; the grants job then issues the
 * vouchers in batches while this page polls each running batch's progress; when a batch is
 * done its result CSV (one line per row: granted with the voucher code, or skipped with why)
 * can be downloaded.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { GRANT_FILE_BYTES_MAX, GRANT_ROWS_MAX, type GrantBatch, type Pool } from '@hqt/shared';
import { DownloadButton } from '../../app/DownloadButton';
import { formatDateTime } from '../../app/format';
import { localName } from '../../app/names';
import { Person } from '../../app/Person';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { useSession } from '../../app/session';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useAction, useLoad } from '../../app/useLoad';
import { formatBytes } from '../applications/files';
import { poolsApi } from '../pools/poolsApi';
import { grantsApi } from './grantsApi';

const PROGRESS_POLL_MS = 1_000;
const LIST_REFRESH_MS = 15_000;

function percentOf(batch: GrantBatch): number {
  return batch.total === 0 ? (batch.status === 'done' ? 100 : 0) : Math.floor((batch.processed / batch.total) * 100);
}

function Progress({ batch }: { batch: GrantBatch }) {
  const { t } = useTranslation();
  const text = t('grants.progress', { processed: batch.processed, total: batch.total, granted: batch.granted, skipped: batch.skipped });
  return (
    <div className="grant-progress">
      <progress max={100} value={percentOf(batch)} aria-label={text} data-testid="grant-progress" />
      <p className="small" aria-live="polite" data-testid="grant-progress-text">
        {percentOf(batch)}% · {text}
      </p>
    </div>
  );
}

/** A batch still being issued: polls GET /grants/:id until it is done, then tells the list. */
function LiveBatch({ initial, onDone }: { initial: GrantBatch; onDone: () => void }) {
  const { state } = useLoad(`grant:${initial.id}`, (signal) => grantsApi.get(initial.id, signal), PROGRESS_POLL_MS);
  const batch = state.status === 'ready' ? state.data : initial;
  const told = useRef(false);
  useEffect(() => {
    if (batch.status === 'done' && !told.current) {
      told.current = true;
      onDone();
    }
  }, [batch.status, onDone]);
  return <BatchCard batch={batch} />;
}

function BatchCard({ batch }: { batch: GrantBatch }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <li className="card queue-item" data-testid="grant-batch">
      <div className="queue-head">
        <h3>{batch.mode === 'csv' ? t('grants.fromFile', { name: batch.fileName ?? '' }) : t('grants.allMatchingTitle')}</h3>
        <span className={`status status-g-${batch.status}`} data-testid="grant-status">
          {t(`grantStatus.${batch.status}`)}
        </span>
      </div>
      <Progress batch={batch} />
      <p className="muted small">
        {t('grants.startedBy')} <Person userId={batch.createdBy} /> · {formatDateTime(batch.createdAt, lang)}
        {batch.finishedAt !== null && ` · ${t('grants.finishedAt', { time: formatDateTime(batch.finishedAt, lang) })}`}
      </p>
      {batch.status === 'done' ? (
        <DownloadButton path={grantsApi.resultPath(batch.id)} fileName={`grant-${batch.id}-result.csv`} label={t('grants.downloadNamed', { name: batch.fileName ?? batch.id.slice(0, 8) })}>
          {t('grants.download')}
        </DownloadButton>
      ) : (
        <p className="note small">{t('grants.jobNote')}</p>
      )}
    </li>
  );
}

function Upload({ pool, onStarted }: { pool: Pool; onStarted: () => void }) {
  const { t } = useTranslation();
  const action = useAction();
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | undefined>(undefined);
  const [confirmAll, setConfirmAll] = useState(false);
  const identifier = pool.audience === 'enterprise' ? t('grants.identifierUscc') : t('grants.identifierPhone');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (file === null) {
      setFileError(t('grants.chooseFile'));
      return;
    }
    if (!/\.csv$/i.test(file.name)) {
      setFileError(t('grants.notCsv'));
      return;
    }
    if (file.size > GRANT_FILE_BYTES_MAX) {
      setFileError(t('grants.tooLarge', { size: formatBytes(GRANT_FILE_BYTES_MAX) }));
      return;
    }
    setFileError(undefined);
    void action.run('upload', async () => {
      await grantsApi.uploadList(pool.id, file);
      setFile(null);
      onStarted();
    });
  };
  return (
    <section className="card" aria-labelledby="grant-upload-title">
      <h2 id="grant-upload-title">{t('grants.uploadTitle')}</h2>
      <form onSubmit={submit} noValidate>
        <div className={`field${fileError !== undefined ? ' field-invalid' : ''}`}>
          <label htmlFor="grant-file">{t('grants.file')}</label>
          <input
            id="grant-file"
            type="file"
            accept=".csv,text/csv"
            aria-describedby={`grant-file-hint${fileError !== undefined ? ' grant-file-error' : ''}`}
            aria-invalid={fileError !== undefined ? true : undefined}
            onChange={(event) => setFile(event.target.files?.[0] ?? null)}
          />
          <p id="grant-file-hint" className="field-hint">
            {t('grants.fileHint', { identifier, rows: GRANT_ROWS_MAX.toLocaleString(), size: formatBytes(GRANT_FILE_BYTES_MAX) })}
          </p>
          {fileError !== undefined && (
            <p id="grant-file-error" className="field-error">
              {fileError}
            </p>
          )}
        </div>
        <pre className="code-block" aria-label={t('grants.example')}>
          {pool.audience === 'enterprise' ? 'identifier,amountFen\n91310115MA1FL0001X,5000000\n91310104MA1FL0002Y' : 'identifier\n13800138000\n13900139000'}
        </pre>
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={action.busy !== null}>
            {action.busy === 'upload' ? t('grants.uploading') : t('grants.upload')}
          </button>
          <button type="button" className="button button-secondary" aria-expanded={confirmAll} onClick={() => setConfirmAll(!confirmAll)}>
            {t('grants.allMatching')}
          </button>
        </div>
      </form>
      {confirmAll && (
        <div className="alert alert-warn">
          <p>{t('grants.allMatchingWarning')}</p>
          <button type="button" className="button button-primary" disabled={action.busy !== null} onClick={() => void action.run('all', async () => {
            await grantsApi.allMatching(pool.id);
            setConfirmAll(false);
            onStarted();
          })}>
            {t('grants.allMatchingConfirm')}
          </button>
        </div>
      )}
      {action.error !== null && <ProblemAlert error={action.error} />}
    </section>
  );
}

export function GrantsPage() {
  const { t, i18n } = useTranslation();
  const { id = '' } = useParams();
  const session = useSession();
  const pool = useLoad(`pool:${id}`, (signal) => poolsApi.get(id, signal));
  const batches = useLoad(`grants:${id}`, (signal) => grantsApi.list(id, signal), LIST_REFRESH_MS);
  const name = pool.state.status === 'ready' ? localName(i18n.language, pool.state.data.nameZh, pool.state.data.nameEn) : '';
  useDocumentTitle(name === '' ? t('grants.title') : `${t('grants.title')} · ${name}`);
  return (
    <>
      <p className="breadcrumb">
        <Link to={`/pools/${id}`}>{name === '' ? t('areas.pools.title') : name}</Link>
      </p>
      <h1>{name === '' ? t('grants.title') : t('grants.titleNamed', { name })}</h1>
      <p className="muted">{t('grants.intro')}</p>
      {pool.state.status === 'loading' && <Loading />}
      {pool.state.status === 'error' && <ProblemAlert error={pool.state.error} onRetry={pool.reload} />}
      {pool.state.status === 'ready' &&
        (pool.state.data.distribution !== 'auto_grant' ? (
          <p className="note">{t('grants.notAutoGrant')}</p>
        ) : (
          <>
            {session.has('issuer_manager') ? <Upload pool={pool.state.data} onStarted={batches.reload} /> : <p className="note">{t('grants.managersOnly')}</p>}
            <section aria-labelledby="grant-batches-title">
              <h2 id="grant-batches-title">{t('grants.batches')}</h2>
              {batches.state.status === 'loading' && <Loading />}
              {batches.state.status === 'error' && <ProblemAlert error={batches.state.error} onRetry={batches.reload} />}
              {batches.state.status === 'ready' &&
                (batches.state.data.items.length === 0 ? (
                  <p className="empty">{t('grants.empty')}</p>
                ) : (
                  <ul className="queue">
                    {batches.state.data.items.map((b) =>
                      b.status === 'done' ? <BatchCard key={b.id} batch={b} /> : <LiveBatch key={b.id} initial={b} onDone={batches.reload} />,
                    )}
                  </ul>
                ))}
            </section>
          </>
        ))}
    </>
  );
}
