/** The front of a voucher: programme name, value, condition and validity, as its holder sees it. */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ValueRule } from '@hqt/shared';
import { localName } from '../../app/names';
import { valueHeadline, valueRuleText } from '../pools/describe';

export function VoucherFace(props: {
  /** the pool kind; Voucher.kind is a plain string on the wire */
  kind: string;
  nameZh: string;
  nameEn: string | null;
  valueRule: ValueRule;
  validity: string;
  badge?: ReactNode;
  children?: ReactNode;
  headingLevel?: 2 | 3;
}) {
  const { t, i18n } = useTranslation();
  const headline = valueHeadline(props.valueRule, t);
  const Heading = props.headingLevel === 3 ? 'h3' : 'h2';
  return (
    <article className={`voucher-face voucher-${props.kind}`}>
      <div className="voucher-value">
        <span className="voucher-big">{headline.big}</span>
        <span className="voucher-small">{headline.small}</span>
      </div>
      <div className="voucher-body">
        <Heading className="voucher-name">{localName(i18n.language, props.nameZh, props.nameEn)}</Heading>
        {props.badge}
        <p className="voucher-rule">{valueRuleText(props.valueRule, t)}</p>
        <p className="voucher-validity">{props.validity}</p>
        {props.children}
      </div>
    </article>
  );
}
