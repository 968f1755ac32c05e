/** The signed-in home: who you are, in which organisations, and the areas your roles use. */
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { isRole, type Me, type Membership } from '../../api/types';
import { useAuth } from '../../app/AuthContext';
import { Loading, ProblemAlert } from '../../app/ProblemAlert';
import { Term } from '../../app/Term';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { areasForRoles, BUILT_AREAS } from './areas';

function OrgName({ membership }: { membership: Membership }) {
  const { t, i18n } = useTranslation();
  const { orgNameZh, orgNameEn } = membership;
  if (orgNameZh === null && orgNameEn === null) {
    return <>{membership.orgType === 'platform' ? t('home.orgPlatform') : t('home.personal')}</>;
  }
  if (i18n.language === 'zh-CN' || orgNameEn === null) return <>{orgNameZh ?? orgNameEn}</>;
  return (
    <>
      {orgNameEn}
      {orgNameZh !== null && (
        <span className="term-zh" lang="zh-CN">
          {' '}
          {orgNameZh}
        </span>
      )}
    </>
  );
}

function Memberships({ memberships }: { memberships: Membership[] }) {
  const { t } = useTranslation();
  if (memberships.length === 0) {
    return (
      <p className="empty" data-testid="home-role">
        {t('home.noMemberships')}
      </p>
    );
  }
  return (
    <ul className="memberships" data-testid="home-role">
      {memberships.map((membership) => (
        <li key={`${membership.orgId ?? 'none'}:${membership.role}`} className="membership">
          <span className="role-badge">
            <Term k={`roles.${membership.role}`} />
          </span>
          <span className="membership-org">
            <OrgName membership={membership} />
          </span>
        </li>
      ))}
    </ul>
  );
}

function AreaCards({ me }: { me: Me }) {
  const { t } = useTranslation();
  const roles = me.memberships.map((m) => m.role).filter(isRole);
  const areas = areasForRoles(roles);
  if (areas.length === 0) return <p className="empty">{t('home.noAreas')}</p>;
  return (
    <ul className="area-grid">
      {areas.map((area) => (
        <li key={area.id}>
          <Link to={area.path} className="area-card">
            <span className="area-title">
              <Term k={`areas.${area.id}.title`} />
            </span>
            <span className="area-description">{t(`areas.${area.id}.description`)}</span>
            {!BUILT_AREAS.has(area.id) && <span className="badge badge-soon">{t('comingSoon.badge')}</span>}
          </Link>
        </li>
      ))}
    </ul>
  );
}

function Profile({ me }: { me: Me }) {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('home.greeting', { name: me.displayName })}</h1>
      <p className="profile-meta">
        <span>{me.login}</span>
        {me.phoneMasked !== null && <span>{t('home.phone', { phone: me.phoneMasked })}</span>}
        {me.memberships.some((m) => m.role === 'consumer') && (
          <span>{me.realNameVerified ? t('home.realNameVerified') : t('home.realNameNotVerified')}</span>
        )}
      </p>
      <section className="card" aria-labelledby="identity-title">
        <h2 id="identity-title">{t('home.identityTitle')}</h2>
        <Memberships memberships={me.memberships} />
      </section>
      <section aria-labelledby="areas-title">
        <h2 id="areas-title">{t('home.areasTitle')}</h2>
        <AreaCards me={me} />
      </section>
    </>
  );
}

export function HomePage() {
  const { t } = useTranslation();
  const { me, reloadMe } = useAuth();
  useDocumentTitle(t('home.title'));

  switch (me.status) {
    case 'ready':
      return <Profile me={me.me} />;
    case 'error':
      return (
        <>
          <h1>{t('home.title')}</h1>
          <p>{t('home.loadFailed')}</p>
          <ProblemAlert error={me.error} onRetry={reloadMe} />
        </>
      );
    case 'idle':
    case 'loading':
      return <Loading />;
  }
}
