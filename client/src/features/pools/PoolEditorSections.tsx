/** The sections of the pool editor, one fieldset each; every input is labelled. */
import { useTranslation } from 'react-i18next';
import {
  CONSUMPTION_TIERS, DISTRIBUTIONS, DISTRICTS, ENTERPRISE_TAGS, MERCHANT_CATEGORIES, POOL_KINDS, PRESETS, VALUE_TYPES,
} from '@hqt/shared';
import { Checkbox, CheckboxGroup, RadioGroup, SelectField, TextField } from '../../app/fields';
import { fenToYuanInput, parsePercentToBp, bpToPercentInput } from '../../app/format';
import { isZh, localName } from '../../app/names';
import { Term } from '../../app/Term';
import { audienceOf, FIELD, funderFieldId, roundFieldId, tierOf, type PoolForm } from './poolForm';

export interface SectionProps {
  form: PoolForm;
  update: (patch: Partial<PoolForm>) => void;
  err: (fieldId: string) => string | undefined;
}

const DISTRICT_LIMIT_NOTE = 16;

function useOptions() {
  const { i18n } = useTranslation();
  const lang = i18n.language;
  return {
    districts: DISTRICTS.map((d) => ({ value: d.code as string, label: localName(lang, d.zh, d.en) })),
    categories: MERCHANT_CATEGORIES.map((c) => ({ value: c.code as string, label: localName(lang, c.zh, c.en) })),
    tags: ENTERPRISE_TAGS.map((tag) => ({ value: tag.code as string, label: localName(lang, tag.zh, tag.en) })),
  };
}

export function KindPicker({ kind, onPick, locked }: { kind: PoolForm['kind'] | null; onPick: (k: PoolForm['kind']) => void; locked: boolean }) {
  const { t, i18n } = useTranslation();
  return (
    <RadioGroup
      id="pool-kind"
      name="pool-kind"
      legend={t('editor.kind')}
      value={kind ?? ('' as PoolForm['kind'])}
      layout="cards"
      hint={locked ? t('editor.kindLocked') : t('editor.kindHint')}
      onChange={(k) => {
        if (!locked) onPick(k);
      }}
      options={POOL_KINDS.filter((k) => !locked || k === kind).map((k) => ({
        value: k,
        label: <Term k={`kinds.${k}`} />,
        hint: isZh(i18n.language) ? PRESETS[k].notesZh : PRESETS[k].notesEn,
      }))}
    />
  );
}

export function BasicsSection({ form, update, err }: SectionProps) {
  const { t } = useTranslation();
  return (
    <fieldset className="form-section">
      <legend>{t('editor.sectionBasics')}</legend>
      <TextField id={FIELD.nameZh} label={t('editor.nameZh')} required maxLength={200} value={form.nameZh} error={err(FIELD.nameZh)} onChange={(nameZh) => update({ nameZh })} />
      <TextField id={FIELD.nameEn} label={t('editor.nameEn')} maxLength={200} value={form.nameEn} error={err(FIELD.nameEn)} onChange={(nameEn) => update({ nameEn })} />
      <TextField id={FIELD.description} label={t('editor.description')} multiline maxLength={4000} value={form.description} error={err(FIELD.description)} onChange={(description) => update({ description })} />
      <TextField id={FIELD.policyRef} label={t('editor.policyRef')} maxLength={200} value={form.policyRef} error={err(FIELD.policyRef)} hint={t('editor.policyRefHint')} onChange={(policyRef) => update({ policyRef })} />
    </fieldset>
  );
}

function TierPicker({ form, update }: Pick<SectionProps, 'form' | 'update'>) {
  const { t } = useTranslation();
  const tier = tierOf(form);
  return (
    <RadioGroup
      id="pool-tier"
      name="pool-tier"
      legend={t('editor.tier')}
      hint={t('editor.tierHint')}
      value={tier === null ? 'custom' : String(tier)}
      onChange={(value) => {
        const picked = value === 'custom' ? null : CONSUMPTION_TIERS[Number(value)];
        if (picked !== undefined && picked !== null) {
          update({ amountYuan: fenToYuanInput(picked.amountFen), minSpendYuan: fenToYuanInput(picked.minSpendFen) });
        }
      }}
      options={[
        ...CONSUMPTION_TIERS.map((tierRow, index) => ({
          value: String(index),
          label: t('editor.tierOption', { minSpend: fenToYuanInput(tierRow.minSpendFen), amount: fenToYuanInput(tierRow.amountFen) }),
        })),
        { value: 'custom', label: t('editor.tierCustom') },
      ]}
    />
  );
}

export function ValueSection({ form, update, err }: SectionProps) {
  const { t } = useTranslation();
  const amountLabel = form.valueType === 'fixed' ? t('editor.amountFixed') : form.valueType === 'ratio' ? t('editor.amountCap') : t('editor.amountBalance');
  return (
    <fieldset className="form-section">
      <legend>{t('editor.sectionValue')}</legend>
      <TextField id={FIELD.budget} label={t('editor.budget')} required inputMode="decimal" prefix="¥" value={form.budgetYuan} error={err(FIELD.budget)} hint={t('editor.budgetHint')} onChange={(budgetYuan) => update({ budgetYuan })} />
      <RadioGroup
        id={FIELD.valueType}
        name="pool-valueType"
        legend={t('editor.valueType')}
        value={form.valueType}
        error={err(FIELD.valueType)}
        onChange={(valueType) => update({ valueType, ratioPercent: valueType === 'ratio' && form.ratioPercent === '' ? '30' : form.ratioPercent })}
        options={VALUE_TYPES.map((v) => ({ value: v, label: t(`valueTypes.${v}`), hint: t(`valueTypeHints.${v}`) }))}
      />
      {form.kind === 'consumption' && form.valueType === 'fixed' && <TierPicker form={form} update={update} />}
      <div className="field-row">
        <TextField id={FIELD.amount} label={amountLabel} required inputMode="decimal" prefix="¥" value={form.amountYuan} error={err(FIELD.amount)} onChange={(amountYuan) => update({ amountYuan })} />
        {form.valueType === 'fixed' && (
          <TextField id={FIELD.minSpend} label={t('editor.minSpend')} inputMode="decimal" prefix="¥" value={form.minSpendYuan} error={err(FIELD.minSpend)} hint={t('editor.minSpendHint')} onChange={(minSpendYuan) => update({ minSpendYuan })} />
        )}
        {form.valueType === 'ratio' && (
          <TextField id={FIELD.ratio} label={t('editor.ratio')} required inputMode="decimal" suffix="%" value={form.ratioPercent} error={err(FIELD.ratio)} onChange={(ratioPercent) => update({ ratioPercent })} />
        )}
      </div>
    </fieldset>
  );
}

export function DistributionSection({ form, update, err }: SectionProps) {
  const { t } = useTranslation();
  const setRound = (index: number, patch: Partial<PoolForm['rounds'][number]>) =>
    update({ rounds: form.rounds.map((r, i) => (i === index ? { ...r, ...patch } : r)) });
  return (
    <fieldset className="form-section">
      <legend>{t('editor.sectionDistribution')}</legend>
      <SelectField
        id={FIELD.distribution}
        label={t('editor.distribution')}
        value={form.distribution}
        error={err(FIELD.distribution)}
        hint={t('editor.distributionHint')}
        onChange={(distribution) => update({ distribution })}
        options={DISTRIBUTIONS.map((d) => ({
          value: d,
          label: PRESETS[form.kind].allowedDistributions.includes(d) ? t(`distributions.${d}`) : t('editor.notForKind', { name: t(`distributions.${d}`) }),
        }))}
      />
      <div className="field-row">
        <TextField id={FIELD.opensAt} type="datetime-local" label={t('editor.opensAt')} required value={form.claimOpensAt} error={err(FIELD.opensAt)} hint={t('editor.shanghaiTime')} onChange={(claimOpensAt) => update({ claimOpensAt })} />
        <TextField id={FIELD.closesAt} type="datetime-local" label={t('editor.closesAt')} required value={form.claimClosesAt} error={err(FIELD.closesAt)} hint={t('editor.shanghaiTime')} onChange={(claimClosesAt) => update({ claimClosesAt })} />
      </div>
      <div className="subsection">
        <h3 className="subsection-title">{t('editor.rounds')}</h3>
        <p className="field-hint">{t('editor.roundsHint')}</p>
        {form.rounds.map((round, index) => (
          <div className="repeat-row" key={index}>
            <TextField id={roundFieldId(index, 'opensAt')} type="datetime-local" label={`${t('editor.roundN', { n: index + 1 })} · ${t('editor.roundOpens')}`} value={round.opensAt} error={err(roundFieldId(index, 'opensAt'))} onChange={(opensAt) => setRound(index, { opensAt })} />
            <TextField id={roundFieldId(index, 'closesAt')} type="datetime-local" label={`${t('editor.roundN', { n: index + 1 })} · ${t('editor.roundCloses')}`} value={round.closesAt} error={err(roundFieldId(index, 'closesAt'))} onChange={(closesAt) => setRound(index, { closesAt })} />
            <button type="button" className="button button-text" onClick={() => update({ rounds: form.rounds.filter((_, i) => i !== index) })}>
              {t('editor.removeRound', { n: index + 1 })}
            </button>
          </div>
        ))}
        <button type="button" className="button button-secondary" onClick={() => update({ rounds: [...form.rounds, { opensAt: form.claimOpensAt, closesAt: form.claimClosesAt }] })}>
          {t('editor.addRound')}
        </button>
      </div>
      <Checkbox id="pool-ticketStub" label={t('editor.ticketStub')} hint={t('editor.ticketStubHint')} checked={form.ticketStubRequired} onChange={(ticketStubRequired) => update({ ticketStubRequired })} />
      <Checkbox id="pool-reissueUnused" label={t('editor.reissueUnused')} hint={t('editor.reissueUnusedHint')} checked={form.reissueUnused} onChange={(reissueUnused) => update({ reissueUnused })} />
      <RadioGroup
        id="pool-confirmMode"
        name="pool-confirmMode"
        legend={t('editor.confirmMode')}
        hint={t('editor.confirmModeHint')}
        value={form.confirmMode}
        onChange={(confirmMode) => update({ confirmMode })}
        options={[
          { value: 'immediate', label: t('confirmModes.immediate') },
          { value: 'one_click', label: t('confirmModes.one_click') },
        ]}
      />
    </fieldset>
  );
}

export function ValiditySection({ form, update, err }: SectionProps) {
  const { t } = useTranslation();
  return (
    <fieldset className="form-section">
      <legend>{t('editor.sectionValidity')}</legend>
      <RadioGroup
        id={FIELD.validity}
        name="pool-validity"
        legend={t('editor.validity')}
        value={form.validityMode}
        error={err(FIELD.validity)}
        onChange={(validityMode) => update({ validityMode })}
        options={[
          { value: 'days', label: t('editor.validityDays') },
          { value: 'until', label: t('editor.validityUntil') },
        ]}
      />
      {form.validityMode === 'days' ? (
        <TextField id={FIELD.validDays} label={t('editor.validDays')} required inputMode="numeric" suffix={t('editor.daysUnit')} value={form.validDays} error={err(FIELD.validDays)} onChange={(validDays) => update({ validDays })} />
      ) : (
        <TextField id={FIELD.validUntil} type="date" label={t('editor.validUntil')} required value={form.validUntil} error={err(FIELD.validUntil)} hint={t('editor.validUntilHint')} onChange={(validUntil) => update({ validUntil })} />
      )}
    </fieldset>
  );
}

export function LimitsSection({ form, update, err }: SectionProps) {
  const { t } = useTranslation();
  return (
    <fieldset className="form-section">
      <legend>{t('editor.sectionLimits')}</legend>
      <div className="field-row">
        <TextField id={FIELD.perHolderMax} label={t('editor.perHolderMax')} required inputMode="numeric" value={form.perHolderMax} error={err(FIELD.perHolderMax)} onChange={(perHolderMax) => update({ perHolderMax })} />
        <TextField id={FIELD.perHolderDailyMax} label={t('editor.perHolderDailyMax')} inputMode="numeric" value={form.perHolderDailyMax} error={err(FIELD.perHolderDailyMax)} hint={t('editor.optionalBlank')} onChange={(perHolderDailyMax) => update({ perHolderDailyMax })} />
      </div>
      <TextField id={FIELD.annualCap} label={t('editor.annualCap')} inputMode="decimal" prefix="¥" value={form.annualCapYuan} error={err(FIELD.annualCap)} hint={t('editor.annualCapHint')} onChange={(annualCapYuan) => update({ annualCapYuan })} />
    </fieldset>
  );
}

export function EligibilitySection({ form, update, err }: SectionProps) {
  const { t } = useTranslation();
  const options = useOptions();
  const enterprise = audienceOf(form.kind) === 'enterprise';
  return (
    <fieldset className="form-section">
      <legend>{t('editor.sectionEligibility')}</legend>
      <p className="field-hint">{enterprise ? t('editor.eligEnterpriseHint') : t('editor.eligConsumerHint')}</p>
      {enterprise ? (
        <>
          <CheckboxGroup id={FIELD.eligDistricts} legend={t('editor.eligDistricts')} hint={t('editor.noneMeansAll', { n: DISTRICT_LIMIT_NOTE })} values={form.eligDistricts} options={options.districts} error={err(FIELD.eligDistricts)} onChange={(eligDistricts) => update({ eligDistricts })} />
          <div className="field-row">
            <TextField id={FIELD.eligFounded} label={t('editor.eligFounded')} inputMode="numeric" suffix={t('editor.yearsUnit')} value={form.eligFoundedWithinYears} error={err(FIELD.eligFounded)} hint={t('editor.optionalBlank')} onChange={(eligFoundedWithinYears) => update({ eligFoundedWithinYears })} />
            <TextField id={FIELD.eligHeadcount} label={t('editor.eligHeadcount')} inputMode="numeric" value={form.eligHeadcountMax} error={err(FIELD.eligHeadcount)} hint={t('editor.optionalBlank')} onChange={(eligHeadcountMax) => update({ eligHeadcountMax })} />
          </div>
          <CheckboxGroup id={FIELD.eligTags} legend={t('editor.eligTags')} hint={t('editor.eligTagsHint')} values={form.eligTags} options={options.tags} error={err(FIELD.eligTags)} onChange={(eligTags) => update({ eligTags })} />
          <TextField id={FIELD.eligIndustry} label={t('editor.eligIndustry')} value={form.eligIndustryCodes} error={err(FIELD.eligIndustry)} hint={t('editor.eligIndustryHint')} onChange={(eligIndustryCodes) => update({ eligIndustryCodes })} />
        </>
      ) : (
        <>
          <Checkbox id="elig-realName" label={t('editor.eligRealName')} checked={form.eligRealName} onChange={(eligRealName) => update({ eligRealName })} />
          <CheckboxGroup id={FIELD.eligResidence} legend={t('editor.eligResidence')} hint={t('editor.noneMeansAll', { n: DISTRICT_LIMIT_NOTE })} values={form.eligResidence} options={options.districts} error={err(FIELD.eligResidence)} onChange={(eligResidence) => update({ eligResidence })} />
        </>
      )}
      <Checkbox id="elig-listOnly" label={t('editor.eligListOnly')} hint={t('editor.eligListOnlyHint')} checked={form.eligListOnly} onChange={(eligListOnly) => update({ eligListOnly })} />
    </fieldset>
  );
}

export function MerchantSection({ form, update, err }: SectionProps) {
  const { t } = useTranslation();
  const options = useOptions();
  return (
    <fieldset className="form-section">
      <legend>{t('editor.sectionMerchants')}</legend>
      <CheckboxGroup id={FIELD.scopeCategories} legend={t('editor.scopeCategories')} hint={t('editor.scopeCategoriesHint')} values={form.scopeCategories} options={options.categories} error={err(FIELD.scopeCategories)} onChange={(scopeCategories) => update({ scopeCategories })} />
      <CheckboxGroup id={FIELD.scopeDistricts} legend={t('editor.scopeDistricts')} hint={t('editor.noneMeansAll', { n: DISTRICT_LIMIT_NOTE })} values={form.scopeDistricts} options={options.districts} error={err(FIELD.scopeDistricts)} onChange={(scopeDistricts) => update({ scopeDistricts })} />
      <Checkbox id="scope-enrolledOnly" label={t('editor.enrolledOnly')} hint={t('editor.enrolledOnlyHint')} checked={form.scopeEnrolledOnly} onChange={(scopeEnrolledOnly) => update({ scopeEnrolledOnly })} />
      <CheckboxGroup id={FIELD.banned} legend={t('editor.banned')} hint={t('editor.bannedHint')} values={form.bannedCategories} options={options.categories} error={err(FIELD.banned)} onChange={(bannedCategories) => update({ bannedCategories })} />
      <RadioGroup
        id="pool-redemptionMode"
        name="pool-redemptionMode"
        legend={t('editor.redemptionMode')}
        value={form.redemptionMode}
        onChange={(redemptionMode) => update({ redemptionMode })}
        options={[
          { value: 'direct', label: t('redemptionModes.direct'), hint: t('redemptionModeHints.direct') },
          { value: 'confirm', label: t('redemptionModes.confirm'), hint: t('redemptionModeHints.confirm') },
        ]}
      />
      <RadioGroup
        id="pool-reversalMode"
        name="pool-reversalMode"
        legend={t('editor.reversal')}
        value={form.reversalMode}
        onChange={(reversalMode) => update({ reversalMode })}
        options={[
          { value: 'sameDay', label: t('pools.reversal.sameDay') },
          { value: 'minutes', label: t('editor.reversalCustom') },
        ]}
      />
      {form.reversalMode === 'minutes' && (
        <TextField id={FIELD.reversalMinutes} label={t('editor.reversalMinutes')} required inputMode="numeric" suffix={t('editor.minutesUnit')} value={form.reversalMinutes} error={err(FIELD.reversalMinutes)} onChange={(reversalMinutes) => update({ reversalMinutes })} />
      )}
    </fieldset>
  );
}

export function FundersSection({ form, update, err }: SectionProps) {
  const { t } = useTranslation();
  const setFunder = (index: number, patch: Partial<PoolForm['funders'][number]>) =>
    update({ funders: form.funders.map((f, i) => (i === index ? { ...f, ...patch } : f)) });
  const sumBp = form.funders.reduce((sum, f) => sum + (parsePercentToBp(f.sharePercent) ?? 0), 0);
  const error = err(FIELD.funders);
  return (
    <fieldset className={`form-section${error !== undefined ? ' field-invalid' : ''}`} id={FIELD.funders} tabIndex={-1} aria-describedby={`${FIELD.funders}-sum${error !== undefined ? ` ${FIELD.funders}-error` : ''}`}>
      <legend>{t('editor.funders')}</legend>
      <p className="field-hint">{t('editor.fundersHint')}</p>
      {form.funders.map((funder, index) => (
        <div className="repeat-row" key={index}>
          <TextField id={funderFieldId(index, 'code')} label={`${t('editor.funderN', { n: index + 1 })} · ${t('editor.funderCode')}`} value={funder.code} error={err(funderFieldId(index, 'code'))} hint={t('editor.funderCodeHint')} onChange={(code) => setFunder(index, { code })} />
          <TextField id={funderFieldId(index, 'nameZh')} label={`${t('editor.funderN', { n: index + 1 })} · ${t('editor.funderName')}`} value={funder.nameZh} error={err(funderFieldId(index, 'nameZh'))} onChange={(nameZh) => setFunder(index, { nameZh })} />
          <TextField id={funderFieldId(index, 'share')} label={`${t('editor.funderN', { n: index + 1 })} · ${t('editor.funderShare')}`} inputMode="decimal" suffix="%" value={funder.sharePercent} error={err(funderFieldId(index, 'share'))} onChange={(sharePercent) => setFunder(index, { sharePercent })} />
          <button type="button" className="button button-text" onClick={() => update({ funders: form.funders.filter((_, i) => i !== index) })}>
            {t('editor.removeFunder', { n: index + 1 })}
          </button>
        </div>
      ))}
      <p id={`${FIELD.funders}-sum`} className={sumBp === 10_000 || form.funders.length === 0 ? 'field-hint' : 'field-hint warn'}>
        {form.funders.length === 0 ? t('editor.fundersNone') : t('editor.fundersSum', { sum: bpToPercentInput(sumBp) })}
      </p>
      {error !== undefined && (
        <p id={`${FIELD.funders}-error`} className="field-error">
          {error}
        </p>
      )}
      <button
        type="button"
        className="button button-secondary"
        onClick={() => update({ funders: [...form.funders, { code: form.funders.length === 0 ? 'city' : '', nameZh: form.funders.length === 0 ? '市级财政' : '', sharePercent: form.funders.length === 0 ? '100' : '' }] })}
      >
        {t('editor.addFunder')}
      </button>
    </fieldset>
  );
}
