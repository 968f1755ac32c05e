/** The page frame: skip link, header (brand, language, session), main, footer. */
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { isRole } from '../api/types';
import { areasForRoles } from '../features/home/areas';
import { useAuth } from './AuthContext';
import { LanguageSwitch } from './LanguageSwitch';

function SessionControls() {
  const { t } = useTranslation();
  const { me, logout } = useAuth();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);

  const onLogout = async () => {
    setBusy(true);
    await logout();
    setBusy(false);
    void navigate('/login', { replace: true });
  };

  return (
    <>
      {me.status === 'ready' && (
        <span className="header-user">
          <span className="visually-hidden">{t('header.signedInAs')} </span>
          {me.me.displayName}
        </span>
      )}
      <button type="button" className="button button-ghost" onClick={() => void onLogout()} disabled={busy}>
        {busy ? t('header.loggingOut') : t('header.logout')}
      </button>
    </>
  );
}

/** Links to the areas the signed-in user's roles use; scrolls sideways on narrow screens. */
function AreaNav() {
  const { t } = useTranslation();
  const { me } = useAuth();
  if (me.status !== 'ready') return null;
  const areas = areasForRoles(me.me.memberships.map((m) => m.role).filter(isRole));
  if (areas.length === 0) return null;
  return (
    <nav className="area-nav" aria-label={t('app.areaNav')}>
      <ul>
        {areas.map((area) => (
          <li key={area.id}>
            <NavLink to={area.path} end={false}>
              {t(`areas.${area.id}.title`)}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** After client-side navigation, move focus to the new page so screen readers announce it. */
function useFocusMainOnNavigate() {
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus();
  }, [location.pathname]);
  return mainRef;
}

export function Layout() {
  const { t } = useTranslation();
  const { isAuthenticated } = useAuth();
  const mainRef = useFocusMainOnNavigate();

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <header className="app-header">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            券
          </span>
          <span className="brand-text">
            <span className="brand-name" lang="zh-CN">
              沪券通
            </span>
            <span className="brand-tagline">{t('app.tagline')}</span>
          </span>
        </Link>
        <nav className="header-actions" aria-label={t('app.mainNav')}>
          <LanguageSwitch />
          {isAuthenticated && <SessionControls />}
        </nav>
      </header>
      {isAuthenticated && <AreaNav />}
      <main id="main" className="app-main" tabIndex={-1} ref={mainRef}>
        <Outlet />
      </main>
      <footer className="app-footer">
        <p>{t('app.footer')}</p>
      </footer>
    </div>
  );
}
