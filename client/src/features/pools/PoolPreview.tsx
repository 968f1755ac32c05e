/**
 * What a pool means to the people at either end: the voucher card its holders will see
 * (value, minimum spend, validity, who may get it, as the shared evaluator words it) and
 * what a merchant may redeem it for (scope, excluded categories, how redemption works).
 */
import { useTranslation } from 'react-i18next';
import {
  evaluateEligibility, splitByShares, type Distribution, type EligibilityRules, type Funder, type MerchantScope,
  type PoolKind, type ValueRule,
} from '@hqt/shared';
import { formatFen } from '../../app/format';
import { categoryName, districtName, isZh, joinList } from '../../app/names';
import { VoucherFace } from '../vouchers/VoucherFace';
import { claimWindowText, poolValidityText, reversalText } from './describe';

/** The fields of a pool the preview reads; a saved Pool and an editor body both have them. */
export interface PoolShape {
  kind: PoolKind;
  audience: 'enterprise' | 'consumer';
  nameZh: string;
  nameEn: string | null;
  valueRule: ValueRule;
  distribution: Distribution;
  claimOpensAt: string;
  claimClosesAt: string;
  validDays: number | null;
  validUntil: string | null;
  perHolderMax: number;
  perHolderDailyMax: number | null;
  eligibility: EligibilityRules;
  merchantScope: MerchantScope;
  bannedCategories: string[];
  redemptionMode: 'direct' | 'confirm';
  ticketStubRequired: boolean;
  funders: Funder[];
  reversalWindowMinutes: number | null;
}

/** The eligibility rules as sentences, as the server will word them to the holder. */
export function eligibilitySentences(pool: Pick<PoolShape, 'eligibility' | 'audience'>, language: string): string[] {
  const { reasons } = evaluateEligibility(pool.eligibility, { kind: pool.audience }, pool.audience);
  return reasons.map((r) => (isZh(language) ? r.zh : r.en));
}

function HolderView({ pool }: { pool: PoolShape }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <section className="preview-pane" aria-labelledby="preview-holder-title">
      <h3 id="preview-holder-title">{t('preview.holderTitle')}</h3>
      <VoucherFace
        kind={pool.kind}
        nameZh={pool.nameZh}
        nameEn={pool.nameEn}
        valueRule={pool.valueRule}
        validity={poolValidityText(pool, t, lang)}
        headingLevel={3}
      >
        <p className="voucher-how">
          {pool.redemptionMode === 'direct' ? t('preview.howDirect') : t('preview.howConfirm')}
        </p>
      </VoucherFace>
      <h4>{t('preview.whoMayGet')}</h4>
      <ul className="rule-list" data-testid="preview-eligibility">
        {eligibilitySentences(pool, lang).map((sentence) => (
          <li key={sentence}>{sentence}</li>
        ))}
      </ul>
      <h4>{t('preview.howToGet')}</h4>
      <ul className="rule-list">
        <li>{t(`distributionHow.${pool.distribution}`)}</li>
        <li>{claimWindowText(pool, t, lang)}</li>
        <li>{t('preview.perHolder', { n: pool.perHolderMax })}</li>
        {pool.perHolderDailyMax !== null && <li>{t('preview.perHolderDaily', { n: pool.perHolderDailyMax })}</li>}
        {pool.ticketStubRequired && <li>{t('preview.ticketStub')}</li>}
      </ul>
    </section>
  );
}

function MerchantView({ pool }: { pool: PoolShape }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const categories = pool.merchantScope.categories ?? [];
  const districts = pool.merchantScope.districts ?? [];
  const shares = splitByShares(pool.valueRule.amountFen, pool.funders);
  return (
    <section className="preview-pane" aria-labelledby="preview-merchant-title">
      <h3 id="preview-merchant-title">{t('preview.merchantTitle')}</h3>
      <ul className="rule-list" data-testid="preview-merchant">
        <li>
          {categories.length > 0
            ? t('preview.categories', { list: joinList(categories.map((c) => categoryName(c, lang)), lang) })
            : t('preview.anyCategory')}
        </li>
        <li>
          {districts.length > 0
            ? t('preview.districts', { list: joinList(districts.map((d) => districtName(d, lang)), lang) })
            : t('preview.anyDistrict')}
        </li>
        {pool.merchantScope.enrolledOnly === true && <li>{t('preview.enrolledOnly')}</li>}
        {pool.bannedCategories.length > 0 && (
          <li className="rule-banned">
            {t('preview.banned', { list: joinList(pool.bannedCategories.map((c) => categoryName(c, lang)), lang) })}
          </li>
        )}
        <li>{pool.redemptionMode === 'direct' ? t('preview.merchantDirect') : t('preview.merchantConfirm')}</li>
        <li>{t('preview.reversal', { window: reversalText(pool.reversalWindowMinutes, t) })}</li>
        {shares.length > 0 && (
          <li>
            {t('preview.funders', {
              list: joinList(
                shares.map((s, i) => `${pool.funders[i]?.nameZh ?? s.code} ${formatFen(s.amountFen)}`),
                lang,
              ),
            })}
          </li>
        )}
      </ul>
    </section>
  );
}

export function PoolPreview({ pool }: { pool: PoolShape }) {
  return (
    <div className="preview-grid" data-testid="pool-preview">
      <HolderView pool={pool} />
      <MerchantView pool={pool} />
    </div>
  );
}
