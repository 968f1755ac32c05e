/**
 * /eligible-pools/:id/apply (enterprise): apply to an application pool (申请) with the
 * contract, its amount, the provider that will deliver it (an approved merchant enrolled in
 * the pool) and the contract files. The shared Joi schema and the file rules run before
 * anything is sent; the server checks them again.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { applicationFields, type EligibilityResult, type Pool } from '@hqt/shared';
import { SelectField, TextField } from '../../app/fields';
import { formatBp, formatFen, parseYuan } from '../../app/format';
import { localName } from '../../app/names';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useAction, useLoad } from '../../app/useLoad';
import { validateWith } from '../../app/validateWith';
import { merchantsApi, type Merchant } from '../merchants/merchantsApi';
import { poolsApi } from '../pools/poolsApi';
import { Reasons } from '../vouchers/Reasons';
import { VoucherFace } from '../vouchers/VoucherFace';
import { poolValidityText } from '../pools/describe';
import { applicationsApi } from './applicationsApi';
import { ACCEPT, ATTACHMENTS_MAX, fileProblem, formatBytes } from './files';

export interface HistoryFlash {
  applied?: string;
}

interface Loaded {
  pool: Pool;
  eligibility: EligibilityResult;
  providers: Merchant[];
}

async function loadApply(id: string, signal: AbortSignal): Promise<Loaded> {
  const [pool, eligibility, providers] = await Promise.all([
    poolsApi.get(id, signal),
    poolsApi.eligibility(id, signal),
    merchantsApi.enrolled(id, undefined, signal),
  ]);
  return { pool, eligibility, providers: providers.items };
}

const BP_WHOLE = 10_000n;

/** What the voucher would be: min(ratio × contract, cap), in BigInt like the server. */
export function expectedGrantFen(pool: Pool, contractFen: number): number {
  const share = Number((BigInt(contractFen) * BigInt(pool.valueRule.ratioBp ?? 10_000)) / BP_WHOLE);
  return Math.min(share, pool.valueRule.amountFen);
}

function Files({ files, onChange, error }: { files: File[]; onChange: (files: File[]) => void; error: string | undefined }) {
  const { t } = useTranslation();
  const add = (list: FileList | null) => {
    if (list === null) return;
    onChange([...files, ...Array.from(list)].slice(0, ATTACHMENTS_MAX));
  };
  return (
    <div className={`field${error !== undefined ? ' field-invalid' : ''}`}>
      <label htmlFor="attachments">{t('apply.attachments')}</label>
      <input
        id="attachments"
        type="file"
        accept={ACCEPT}
        multiple
        aria-describedby={`attachments-hint${error !== undefined ? ' attachments-error' : ''}`}
        aria-invalid={error !== undefined ? true : undefined}
        disabled={files.length >= ATTACHMENTS_MAX}
        onChange={(event) => {
          add(event.target.files);
          event.target.value = '';
        }}
      />
      <p id="attachments-hint" className="field-hint">
        {t('apply.attachmentsHint', { n: ATTACHMENTS_MAX })}
      </p>
      {files.length > 0 && (
        <ul className="file-list" data-testid="chosen-files">
          {files.map((file, index) => {
            const problem = fileProblem(file);
            return (
              <li key={`${file.name}:${index}`} className={problem !== null ? 'file-bad' : undefined}>
                <span>
                  {file.name} <span className="muted small">{formatBytes(file.size)}</span>
                </span>
                {problem !== null && <span className="field-error">{t(`apply.fileProblem.${problem}`)}</span>}
                <button type="button" className="button button-text" aria-label={t('apply.removeFile', { name: file.name })} onClick={() => onChange(files.filter((_, i) => i !== index))}>
                  {t('apply.remove')}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {error !== undefined && (
        <p id="attachments-error" className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

function ApplyForm({ loaded }: { loaded: Loaded }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const navigate = useNavigate();
  const { pool, providers } = loaded;
  const [contractRef, setContractRef] = useState('');
  const [amount, setAmount] = useState('');
  const [providerId, setProviderId] = useState('');
  const [note, setNote] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const action = useAction();
  const contractFen = parseYuan(amount);
  const expected = contractFen !== null && contractFen > 0 ? expectedGrantFen(pool, contractFen) : null;
  const providerOptions = useMemo(
    () => [{ value: '', label: t('apply.chooseProvider') }, ...providers.map((m) => ({ value: m.id, label: localName(lang, m.nameZh, m.nameEn) }))],
    [providers, lang, t],
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const fields = { contractRef: contractRef.trim(), contractAmountFen: contractFen ?? undefined, providerId: providerId === '' ? undefined : providerId, note: note.trim() };
    const found = validateWith(applicationFields, fields, t);
    const next: Record<string, string> = {};
    if (found.contractRef !== undefined) next.contractRef = found.contractRef;
    if (contractFen === null) next.contractAmountFen = amount.trim() === '' ? t('validation.required') : t('validation.money');
    else if (found.contractAmountFen !== undefined) next.contractAmountFen = found.contractAmountFen;
    else if (expected !== null && expected < 1) next.contractAmountFen = t('apply.tooSmall');
    if (found.providerId !== undefined) next.providerId = providerId === '' ? t('apply.providerRequired') : found.providerId;
    if (found.note !== undefined) next.note = found.note;
    if (files.some((f) => fileProblem(f) !== null)) next.attachments = t('apply.fixFiles');
    else if (files.length === 0) next.attachments = t('apply.filesRequired');
    setErrors(next);
    if (Object.keys(next).length > 0) return;
    void action.run('apply', async () => {
      await applicationsApi.submit(pool.id, { contractRef: fields.contractRef, contractAmountFen: contractFen ?? 0, providerId, note: fields.note, files });
      const flash: HistoryFlash = { applied: fields.contractRef };
      void navigate('/history', { state: flash });
    });
  };

  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="apply-form-title">
      <h2 id="apply-form-title">{t('apply.formTitle')}</h2>
      {Object.keys(errors).length > 0 && (
        <div className="alert alert-error" role="alert" data-testid="apply-errors">
          <p>{t('apply.fixErrors', { n: Object.keys(errors).length })}</p>
        </div>
      )}
      <TextField id="contract-ref" label={t('apply.contractRef')} hint={t('apply.contractRefHint')} required maxLength={64} value={contractRef} error={errors.contractRef} onChange={setContractRef} />
      <TextField
        id="contract-amount"
        label={t('apply.contractAmount')}
        required
        inputMode="decimal"
        prefix="¥"
        value={amount}
        error={errors.contractAmountFen}
        hint={
          expected !== null && expected > 0
            ? t('apply.expected', { amount: formatFen(expected), ratio: formatBp(pool.valueRule.ratioBp ?? 10_000), cap: formatFen(pool.valueRule.amountFen) })
            : t('apply.contractAmountHint')
        }
        onChange={setAmount}
      />
      {providers.length === 0 ? (
        <p className="alert alert-warn" data-testid="no-providers">
          {t('apply.noProviders')}
        </p>
      ) : (
        <SelectField id="provider" label={t('apply.provider')} hint={t('apply.providerHint')} value={providerId} options={providerOptions} error={errors.providerId} onChange={setProviderId} />
      )}
      <TextField id="apply-note" label={t('apply.note')} multiline maxLength={2000} value={note} error={errors.note} onChange={setNote} />
      <Files files={files} onChange={setFiles} error={errors.attachments} />
      {action.error !== null && <ProblemAlert error={action.error} />}
      <button type="submit" className="button button-primary" disabled={action.busy !== null || providers.length === 0}>
        {action.busy !== null ? t('apply.submitting') : t('apply.submit')}
      </button>
    </form>
  );
}

export function ApplyPage() {
  const { t, i18n } = useTranslation();
  const { id = '' } = useParams();
  const { state, reload } = useLoad(`apply:${id}`, (signal) => loadApply(id, signal));
  const pool = state.status === 'ready' ? state.data.pool : null;
  useDocumentTitle(pool === null ? t('apply.title') : `${t('apply.title')} · ${localName(i18n.language, pool.nameZh, pool.nameEn)}`);
  return (
    <>
      <p className="breadcrumb">
        <Link to="/eligible-pools">{t('areas.claimablePools.title')}</Link>
      </p>
      <h1>{t('apply.title')}</h1>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' && (
        <>
          <VoucherFace
            kind={state.data.pool.kind}
            nameZh={state.data.pool.nameZh}
            nameEn={state.data.pool.nameEn}
            valueRule={state.data.pool.valueRule}
            validity={poolValidityText(state.data.pool, t, i18n.language)}
          >
            <p className="small muted">{t('apply.intro')}</p>
          </VoucherFace>
          {state.data.pool.distribution !== 'application' ? (
            <p className="alert alert-warn">{t('apply.notApplication')}</p>
          ) : !state.data.eligibility.eligible ? (
            <>
              <p className="why-not">{t('eligibility.whyNot')}</p>
              <Reasons reasons={state.data.eligibility.reasons} onlyFailed />
            </>
          ) : (
            <ApplyForm loaded={state.data} />
          )}
        </>
      )}
    </>
  );
}
