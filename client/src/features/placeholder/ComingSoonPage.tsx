/** Honest placeholder for an area whose feature has not been built yet. */
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import type { AreaId } from '../home/areas';

export function ComingSoonPage({ areaId }: { areaId: AreaId }) {
  const { t } = useTranslation();
  useDocumentTitle(t(`areas.${areaId}.title`));
  return (
    <section className="card coming-soon">
      <h1>
        <Term k={`areas.${areaId}.title`} />
      </h1>
      <p className="badge badge-soon">{t('comingSoon.badge')}</p>
      <p>{t(`areas.${areaId}.description`)}</p>
      <p>{t('comingSoon.body')}</p>
      <Link to="/" className="button button-secondary">
        {t('app.backHome')}
      </Link>
    </section>
  );
}
