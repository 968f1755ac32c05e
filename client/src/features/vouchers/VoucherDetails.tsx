/** What a voucher may be used for and how much is left, below its card. */
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { Voucher } from '@hqt/shared';
import { formatDateTime, formatFen } from '../../app/format';
import { categoryName, districtName, joinList } from '../../app/names';

export function voucherValidity(voucher: Pick<Voucher, 'validFrom' | 'validUntil'>, t: TFunction, language: string): string {
  return t('voucher.validRange', { from: formatDateTime(voucher.validFrom, language), until: formatDateTime(voucher.validUntil, language) });
}

export function VoucherDetails({ voucher }: { voucher: Voucher }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const categories = voucher.merchantScope.categories ?? [];
  const districts = voucher.merchantScope.districts ?? [];
  return (
    <dl className="facts">
      <div>
        <dt>{t('voucher.code')}</dt>
        <dd>
          <code className="voucher-code">{voucher.code}</code>
        </dd>
      </div>
      <div>
        <dt>{t('voucher.balance')}</dt>
        <dd data-testid="voucher-balance">
          {t('voucher.balanceOf', { balance: formatFen(voucher.balanceFen), amount: formatFen(voucher.amountFen) })}
          {voucher.heldFen > 0 && ` · ${t('voucher.held', { held: formatFen(voucher.heldFen) })}`}
        </dd>
      </div>
      <div>
        <dt>{t('voucher.where')}</dt>
        <dd>
          {categories.length > 0 ? joinList(categories.map((c) => categoryName(c, lang)), lang) : t('preview.anyCategory')}
          {districts.length > 0 && ` · ${joinList(districts.map((d) => districtName(d, lang)), lang)}`}
        </dd>
      </div>
      {voucher.bannedCategories.length > 0 && (
        <div>
          <dt>{t('voucher.notFor')}</dt>
          <dd>{joinList(voucher.bannedCategories.map((c) => categoryName(c, lang)), lang)}</dd>
        </div>
      )}
      <div>
        <dt>{t('voucher.how')}</dt>
        <dd>{voucher.redemptionMode === 'direct' ? t('preview.howDirect') : t('preview.howConfirm')}</dd>
      </div>
    </dl>
  );
}
