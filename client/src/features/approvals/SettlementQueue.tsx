/** The settlement part of the approval queue: drafts to approve and approved batches to record as paid. */
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { SettlementBatch } from '@hqt/shared';
import { AwaitingApi } from '../../app/AwaitingApi';
import { SettlementCard } from '../settlement/SettlementCard';

export function SettlementQueue({ settlements, onDone }: { settlements: SettlementBatch[] | null; onDone: () => void }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="queue-settlements">
      <h2 id="queue-settlements">{t('approvals.settlements', { n: settlements?.length ?? 0 })}</h2>
      {settlements === null ? (
        <AwaitingApi what={t('areas.settlement.title')} endpoint="GET /api/v1/settlements" />
      ) : settlements.length === 0 ? (
        <p className="empty">
          {t('approvals.noSettlements')} <Link to="/settlements">{t('areas.settlement.title')}</Link>
        </p>
      ) : (
        <ul className="queue">
          {settlements.map((batch) => (
            <SettlementCard key={batch.id} batch={batch} onChanged={onDone} decide />
          ))}
        </ul>
      )}
    </section>
  );
}
