/**
 * Shows an area's page only to roles that use it. The server enforces access anyway;
 * this spares people a page of errors. Until /me answers (or when it cannot, offline)
 * the page renders, so the wallet opens without a network.
 */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { isRole } from '../api/types';
import { areaAllowed, type AreaId } from '../features/home/areas';
import { useAuth } from './AuthContext';

export function AreaGate({ areaId, children }: { areaId: AreaId; children: ReactNode }) {
  const { t } = useTranslation();
  const { me } = useAuth();
  if (me.status !== 'ready') return <>{children}</>;
  const roles = me.me.memberships.map((m) => m.role).filter(isRole);
  if (areaAllowed(areaId, roles)) return <>{children}</>;
  return (
    <section className="card">
      <h1>{t(`areas.${areaId}.title`)}</h1>
      <p>{t('gate.notForRole')}</p>
      <Link to="/" className="button button-secondary">
        {t('app.backHome')}
      </Link>
    </section>
  );
}
