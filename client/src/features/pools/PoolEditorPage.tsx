/**
 * /pools/new and /pools/:id/edit: pick a kind, its preset fills the form, edit any field,
 * validate with the shared Joi schema, preview what holders and merchants will see, then
 * save as a draft or submit for approval.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import type { Pool, PoolKind, ValueRule } from '@hqt/shared';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { useSession } from '../../app/session';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useAction, useLoad } from '../../app/useLoad';
import { fieldLabel, problemText } from './editorErrors';
import {
  BasicsSection, DistributionSection, EligibilitySection, FundersSection, KindPicker, LimitsSection, MerchantSection,
  ValiditySection, ValueSection,
} from './PoolEditorSections';
import { audienceOf, formFromPool, formFromPreset, validateForm, type FieldErrors, type PoolForm } from './poolForm';
import { PoolPreview, type PoolShape } from './PoolPreview';
import { poolsApi } from './poolsApi';

export interface PoolFlash {
  flash?: 'saved' | 'submitted' | 'savedNotSubmitted';
}

/** The preview's view of a validated body. */
function shapeOf(body: Record<string, unknown>, kind: PoolKind): PoolShape {
  const nameEn = body.nameEn as string;
  return {
    kind,
    audience: audienceOf(kind),
    nameZh: body.nameZh as string,
    nameEn: nameEn === '' ? null : nameEn,
    valueRule: body.valueRule as ValueRule,
    distribution: body.distribution as PoolShape['distribution'],
    claimOpensAt: body.claimOpensAt as string,
    claimClosesAt: body.claimClosesAt as string,
    validDays: (body.validDays as number | undefined) ?? null,
    validUntil: (body.validUntil as string | undefined) ?? null,
    perHolderMax: body.perHolderMax as number,
    perHolderDailyMax: body.perHolderDailyMax as number | null,
    eligibility: body.eligibility as PoolShape['eligibility'],
    merchantScope: body.merchantScope as PoolShape['merchantScope'],
    bannedCategories: body.bannedCategories as string[],
    redemptionMode: body.redemptionMode as PoolShape['redemptionMode'],
    ticketStubRequired: body.ticketStubRequired as boolean,
    funders: body.funders as PoolShape['funders'],
    reversalWindowMinutes: body.reversalWindowMinutes as number | null,
  };
}

function ErrorSummary({ errors }: { errors: FieldErrors }) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), [errors]);
  const items = Object.values(errors);
  return (
    <div className="alert alert-error" role="alert" tabIndex={-1} ref={ref} data-testid="editor-errors">
      <p>{t('editor.fixErrors', { n: items.length })}</p>
      <ul>
        {items.map((problem) => (
          <li key={problem.fieldId}>
            <a
              href={`#${problem.fieldId}`}
              onClick={(event) => {
                event.preventDefault();
                document.getElementById(problem.fieldId)?.focus();
              }}
            >
              {fieldLabel(problem.fieldId, t)}
            </a>
            {t('editor.colon')}
            {problemText(problem, t)}
          </li>
        ))}
      </ul>
    </div>
  );
}

interface EditorProps {
  initial: PoolForm | null;
  saved: Pick<Pool, 'id' | 'version'> | null;
}

function Editor({ initial, saved }: EditorProps) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [form, setForm] = useState<PoolForm | null>(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [preview, setPreview] = useState<{ body: Record<string, unknown>; shape: PoolShape } | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const action = useAction();
  const previewRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (preview !== null) previewRef.current?.focus();
  }, [preview]);

  const pickKind = (kind: PoolKind) => {
    setForm(formFromPreset(kind, Date.now()));
    setErrors({});
    setAnnouncement(t('editor.presetFilled', { kind: t(`kinds.${kind}`) }));
  };

  if (form === null) {
    return (
      <>
        <KindPicker kind={null} onPick={pickKind} locked={false} />
        <p className="visually-hidden" role="status">{announcement}</p>
      </>
    );
  }

  const update = (patch: Partial<PoolForm>) => {
    setForm({ ...form, ...patch });
    setPreview(null);
  };
  const err = (fieldId: string) => {
    const problem = errors[fieldId];
    return problem === undefined ? undefined : problemText(problem, t);
  };

  const onPreview = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const result = validateForm(form, saved?.version ?? null);
    setErrors(result.errors);
    if (Object.keys(result.errors).length > 0) {
      setPreview(null);
      return;
    }
    setPreview({ body: result.body, shape: shapeOf(result.body, form.kind) });
  };

  const save = (submit: boolean) =>
    void action.run(submit ? 'submit' : 'save', async () => {
      if (preview === null) return;
      const pool = saved === null ? await poolsApi.create(preview.body) : await poolsApi.update(saved.id, preview.body);
      let flash: PoolFlash['flash'] = 'saved';
      if (submit) {
        try {
          await poolsApi.step(pool.id, 'submit');
          flash = 'submitted';
        } catch {
          flash = 'savedNotSubmitted';
        }
      }
      const state: PoolFlash = { flash };
      void navigate(`/pools/${pool.id}`, { state });
    });

  return (
    <>
      <form onSubmit={onPreview} noValidate aria-describedby="editor-intro">
        <p id="editor-intro" className="muted">
          {t('editor.intro')}
        </p>
        <KindPicker kind={form.kind} onPick={pickKind} locked={saved !== null} />
        {Object.keys(errors).length > 0 && <ErrorSummary errors={errors} />}
        <BasicsSection form={form} update={update} err={err} />
        <ValueSection form={form} update={update} err={err} />
        <DistributionSection form={form} update={update} err={err} />
        <ValiditySection form={form} update={update} err={err} />
        <LimitsSection form={form} update={update} err={err} />
        <EligibilitySection form={form} update={update} err={err} />
        <MerchantSection form={form} update={update} err={err} />
        <FundersSection form={form} update={update} err={err} />
        <div className="form-actions">
          <button type="submit" className="button button-primary">
            {t('editor.preview')}
          </button>
          <Link to={saved === null ? '/pools' : `/pools/${saved.id}`} className="button button-secondary">
            {t('common.cancel')}
          </Link>
        </div>
      </form>
      <p className="visually-hidden" role="status">{announcement}</p>
      {preview !== null && (
        <section className="card preview-card" aria-labelledby="preview-title">
          <h2 id="preview-title" tabIndex={-1} ref={previewRef}>
            {t('preview.title')}
          </h2>
          <p className="muted">{t('preview.intro')}</p>
          <PoolPreview pool={preview.shape} />
          {action.error !== null && <ProblemAlert error={action.error} />}
          <div className="form-actions">
            <button type="button" className="button button-primary" disabled={action.busy !== null} onClick={() => save(true)}>
              {action.busy === 'submit' ? t('common.working') : t('editor.submitForApproval')}
            </button>
            <button type="button" className="button button-secondary" disabled={action.busy !== null} onClick={() => save(false)}>
              {action.busy === 'save' ? t('common.working') : t('editor.saveDraft')}
            </button>
            <button type="button" className="button button-text" onClick={() => setPreview(null)}>
              {t('editor.backToEdit')}
            </button>
          </div>
        </section>
      )}
    </>
  );
}

function EditExisting({ id }: { id: string }) {
  const { t } = useTranslation();
  const { state, reload } = useLoad(`pool:${id}`, (signal) => poolsApi.get(id, signal));
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') return <ProblemAlert error={state.error} onRetry={reload} />;
  const pool = state.data;
  if (pool.status !== 'draft' && pool.status !== 'rejected') {
    return (
      <div className="alert alert-info">
        <p>{t('editor.notEditable', { status: t(`poolStatus.${pool.status}`) })}</p>
        <Link to={`/pools/${pool.id}`}>{t('editor.backToPool')}</Link>
      </div>
    );
  }
  return <Editor initial={formFromPool(pool)} saved={{ id: pool.id, version: pool.version }} />;
}

export function PoolEditorPage() {
  const { t } = useTranslation();
  const { id } = useParams();
  const session = useSession();
  const title = id === undefined ? t('editor.titleNew') : t('editor.titleEdit');
  useDocumentTitle(title);
  return (
    <>
      <p className="breadcrumb">
        <Link to="/pools">{t('areas.pools.title')}</Link>
      </p>
      <h1>{title}</h1>
      {session.userId !== null && !session.has('issuer_manager') ? (
        <p className="alert alert-info">{t('editor.managersOnly')}</p>
      ) : id === undefined ? (
        <Editor initial={null} saved={null} />
      ) : (
        <EditExisting id={id} />
      )}
    </>
  );
}
