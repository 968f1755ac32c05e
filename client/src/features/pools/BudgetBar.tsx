/**
 * A pool's budget at a glance: spent, reserved (issued, not yet redeemed) and available,
 * as shares of the budget. Before approval the budget is not yet funded. The numbers are
 * printed beside the bar, so nothing depends on seeing the colours.
 */
import { useTranslation } from 'react-i18next';
import type { Pool } from '@hqt/shared';
import { formatFen } from '../../app/format';

type Figures = Pick<Pool, 'budgetFen' | 'availableFen' | 'reservedFen' | 'spentFen'>;

function percent(part: number, whole: number): number {
  return whole <= 0 ? 0 : Math.min(100, (part / whole) * 100);
}

export function BudgetBar({ pool, compact = false }: { pool: Figures; compact?: boolean }) {
  const { t } = useTranslation();
  const { budgetFen, availableFen, reservedFen, spentFen } = pool;
  const unfundedFen = Math.max(0, budgetFen - availableFen - reservedFen - spentFen);
  const segments = [
    { key: 'spent', fen: spentFen, label: t('budget.spent') },
    { key: 'reserved', fen: reservedFen, label: t('budget.reserved') },
    { key: 'available', fen: availableFen, label: t('budget.available') },
    { key: 'unfunded', fen: unfundedFen, label: t('budget.unfunded') },
  ].filter((s) => s.key !== 'unfunded' || s.fen > 0);
  const summary = t('budget.summary', {
    budget: formatFen(budgetFen),
    available: formatFen(availableFen),
    reserved: formatFen(reservedFen),
    spent: formatFen(spentFen),
  });
  return (
    <div className={`budget${compact ? ' budget-compact' : ''}`} data-testid="budget-bar">
      <div className="budget-bar" role="img" aria-label={summary}>
        {segments.map((s) =>
          s.fen > 0 ? (
            <span key={s.key} className={`budget-seg seg-${s.key}`} style={{ width: `${percent(s.fen, budgetFen)}%` }} />
          ) : null,
        )}
      </div>
      <dl className="budget-legend" aria-hidden="true">
        <div>
          <dt>{t('budget.budget')}</dt>
          <dd>{formatFen(budgetFen)}</dd>
        </div>
        {segments.map((s) => (
          <div key={s.key}>
            <dt>
              <span className={`legend-dot seg-${s.key}`} />
              {s.label}
            </dt>
            <dd>{formatFen(s.fen)}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
