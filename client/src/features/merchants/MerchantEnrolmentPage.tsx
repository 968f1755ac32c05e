/**
 * /merchants?pool=<id>: the merchants enrolled in a pool, and (for issuer managers) a
 * search over approved merchants to enrol more.
 */
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import { DISTRICTS, MERCHANT_CATEGORIES, type Pool } from '@hqt/shared';
import { categoryName, districtName, joinList, localName } from '../../app/names';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { SelectField, TextField } from '../../app/fields';
import { useSession } from '../../app/session';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useAction, useLoad } from '../../app/useLoad';
import { poolsApi } from '../pools/poolsApi';
import { merchantsApi, type Merchant } from './merchantsApi';

function MerchantLine({ merchant }: { merchant: Merchant }) {
  const { i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <span className="merchant-line">
      <span className="merchant-name">{localName(lang, merchant.nameZh, merchant.nameEn)}</span>
      <span className="muted">
        <code>{merchant.uscc}</code>
        {merchant.district !== null && ` · ${districtName(merchant.district, lang)}`}
        {merchant.categories.length > 0 && ` · ${joinList(merchant.categories.map((c) => categoryName(c, lang)), lang)}`}
      </span>
    </span>
  );
}

function Enrolled({ pool, version }: { pool: Pool; version: number }) {
  const { t } = useTranslation();
  const { state, reload } = useLoad(`enrolled:${pool.id}:${version}`, (signal) => merchantsApi.enrolled(pool.id, undefined, signal));
  return (
    <section className="card" aria-labelledby="enrolled-title">
      <h2 id="enrolled-title">{t('merchants.enrolledTitle')}</h2>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' &&
        (state.data.items.length === 0 ? (
          <p className="empty">{pool.merchantScope.enrolledOnly === true ? t('merchants.noneEnrolledStrict') : t('merchants.noneEnrolled')}</p>
        ) : (
          <ul className="plain-list" data-testid="enrolled-list">
            {state.data.items.map((m) => (
              <li key={m.id}>
                <MerchantLine merchant={m} />
              </li>
            ))}
          </ul>
        ))}
    </section>
  );
}

function Search({ pool, onEnrolled, enrolledIds }: { pool: Pool; onEnrolled: () => void; enrolledIds: ReadonlySet<string> }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [text, setText] = useState('');
  const [category, setCategory] = useState('');
  const [district, setDistrict] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const { state, reload } = useLoad(`merchants:${category}:${district}`, (signal) =>
    merchantsApi.list({ status: 'active', ...(category !== '' ? { category } : {}), ...(district !== '' ? { district } : {}) }, signal),
  );
  const needle = text.trim().toLowerCase();
  const shown = useMemo(() => {
    if (state.status !== 'ready') return [];
    return state.data.items.filter(
      (m) => needle === '' || m.nameZh.toLowerCase().includes(needle) || (m.nameEn ?? '').toLowerCase().includes(needle) || m.uscc.toLowerCase().includes(needle),
    );
  }, [state, needle]);

  const enrol = () =>
    void action.run('enrol', async () => {
      const result = await merchantsApi.enrol(pool.id, picked);
      setDone(t('merchants.enrolledN', { n: result.enrolled }));
      setPicked([]);
      onEnrolled();
    });

  return (
    <section className="card" aria-labelledby="search-title">
      <h2 id="search-title">{t('merchants.searchTitle')}</h2>
      <div className="toolbar">
        <TextField id="merchant-search" type="search" label={t('merchants.search')} hint={t('merchants.searchHint')} value={text} onChange={setText} />
        <SelectField id="merchant-category" label={t('merchants.category')} value={category} onChange={setCategory} options={[{ value: '', label: t('merchants.anyCategory') }, ...MERCHANT_CATEGORIES.map((c) => ({ value: c.code as string, label: localName(lang, c.zh, c.en) }))]} />
        <SelectField id="merchant-district" label={t('merchants.district')} value={district} onChange={setDistrict} options={[{ value: '', label: t('merchants.anyDistrict') }, ...DISTRICTS.map((d) => ({ value: d.code as string, label: localName(lang, d.zh, d.en) }))]} />
      </div>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' &&
        (shown.length === 0 ? (
          <p className="empty">{t('merchants.noMatch')}</p>
        ) : (
          <fieldset className="choice-group choice-column">
            <legend>{t('merchants.pick')}</legend>
            <div className="choices">
              {shown.map((m) => {
                const already = enrolledIds.has(m.id);
                return (
                  <label key={m.id} className="choice" htmlFor={`pick-${m.id}`}>
                    <input
                      type="checkbox"
                      id={`pick-${m.id}`}
                      disabled={already}
                      checked={already || picked.includes(m.id)}
                      onChange={(event) => setPicked(event.target.checked ? [...picked, m.id] : picked.filter((id) => id !== m.id))}
                    />
                    <span className="choice-text">
                      <MerchantLine merchant={m} />
                      {already && <span className="choice-hint">{t('merchants.already')}</span>}
                    </span>
                  </label>
                );
              })}
            </div>
          </fieldset>
        ))}
      {action.error !== null && <ProblemAlert error={action.error} />}
      {done !== null && (
        <p className="alert alert-success" role="status">
          {done}
        </p>
      )}
      <button type="button" className="button button-primary" disabled={picked.length === 0 || action.busy !== null} onClick={enrol}>
        {t('merchants.enrolPicked', { n: picked.length })}
      </button>
    </section>
  );
}

function PoolMerchants({ pool }: { pool: Pool }) {
  const { t, i18n } = useTranslation();
  const session = useSession();
  const [version, setVersion] = useState(0);
  const { state } = useLoad(`enrolled-ids:${pool.id}:${version}`, (signal) => merchantsApi.enrolled(pool.id, undefined, signal));
  const enrolledIds = new Set(state.status === 'ready' ? state.data.items.map((m) => m.id) : []);
  const lang = i18n.language;
  const scope = pool.merchantScope;
  return (
    <>
      <p className="note">
        {t('merchants.scopeNote', {
          categories: (scope.categories ?? []).length > 0 ? joinList((scope.categories ?? []).map((c) => categoryName(c, lang)), lang) : t('preview.anyCategory'),
        })}{' '}
        {scope.enrolledOnly === true ? t('merchants.strict') : t('merchants.loose')}
      </p>
      <Enrolled pool={pool} version={version} />
      {session.has('issuer_manager') ? (
        <Search pool={pool} enrolledIds={enrolledIds} onEnrolled={() => setVersion((v) => v + 1)} />
      ) : (
        <p className="muted">{t('merchants.managersEnrol')}</p>
      )}
    </>
  );
}

export function MerchantEnrolmentPage() {
  const { t, i18n } = useTranslation();
  const [params, setParams] = useSearchParams();
  const poolId = params.get('pool') ?? '';
  useDocumentTitle(t('areas.merchants.title'));
  const { state, reload } = useLoad('pools:all', (signal) => poolsApi.list({}, signal));
  const pools = state.status === 'ready' ? state.data.items.filter((p) => p.status !== 'closed') : [];
  const pool = pools.find((p) => p.id === poolId);
  return (
    <>
      <h1>
        <Term k="areas.merchants.title" />
      </h1>
      <p className="muted">{t('merchants.intro')}</p>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ProblemAlert error={state.error} onRetry={reload} />}
      {state.status === 'ready' &&
        (pools.length === 0 ? (
          <p className="empty">
            {t('merchants.noPools')} <Link to="/pools">{t('areas.pools.title')}</Link>
          </p>
        ) : (
          <>
            <SelectField
              id="enrol-pool"
              label={t('merchants.pool')}
              value={poolId}
              onChange={(value) => setParams(value === '' ? {} : { pool: value })}
              options={[{ value: '', label: t('merchants.choosePool') }, ...pools.map((p) => ({ value: p.id, label: `${localName(i18n.language, p.nameZh, p.nameEn)} · ${t(`poolStatus.${p.status}`)}` }))]}
            />
            {pool !== undefined ? <PoolMerchants key={pool.id} pool={pool} /> : <p className="empty">{t('merchants.choosePoolFirst')}</p>}
          </>
        ))}
    </>
  );
}
