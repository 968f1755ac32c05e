/** /login: account + password, the demo accounts hint, and readable errors. */
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../../app/AuthContext';
import { ProblemAlert } from '../../app/ProblemAlert';
import type { LoginRedirectState } from '../../app/RequireAuth';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from './demoAccounts';

const LOGIN_LENGTH_MAX = 64;
const PASSWORD_LENGTH_MAX = 128;

function DemoAccounts({ onPick }: { onPick: (login: string) => void }) {
  const { t } = useTranslation();
  return (
    <section className="card demo-accounts" aria-labelledby="demo-title">
      <h2 id="demo-title">{t('login.demoTitle')}</h2>
      <p>
        {t('login.demoPassword')} <code>{DEMO_PASSWORD}</code>
      </p>
      <p className="muted">{t('login.demoPick')}</p>
      <ul className="demo-list">
        {DEMO_ACCOUNTS.map((account) => (
          <li key={account.login}>
            <button type="button" className="demo-button" onClick={() => onPick(account.login)}>
              <code>{account.login}</code>
              <span>{t(`login.demo.${account.label}`)}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function LoginPage() {
  const { t } = useTranslation();
  const { isAuthenticated, login } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [loginName, setLoginName] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [announcement, setAnnouncement] = useState('');
  const submitRef = useRef<HTMLButtonElement>(null);
  useDocumentTitle(t('login.title'));

  const from = (location.state as LoginRedirectState | null)?.from ?? '/';
  if (isAuthenticated && !submitting) return <Navigate to={from} replace />;

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      await login(loginName.trim(), password);
      void navigate(from, { replace: true });
    } catch (caught) {
      setError(caught);
    } finally {
      setSubmitting(false);
    }
  };

  const onPickDemo = (demoLogin: string) => {
    setLoginName(demoLogin);
    setPassword(DEMO_PASSWORD);
    setError(null);
    setAnnouncement(t('login.demoFilled', { login: demoLogin }));
    submitRef.current?.focus();
  };

  return (
    <div className="login-page">
      <section className="card login-card" aria-labelledby="login-title">
        <h1 id="login-title">{t('login.title')}</h1>
        <p className="muted">{t('login.intro')}</p>
        <form onSubmit={(event) => void onSubmit(event)} noValidate={false} aria-busy={submitting}>
          <div className="field">
            <label htmlFor="login-name">{t('login.login')}</label>
            <input
              id="login-name"
              name="login"
              type="text"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              maxLength={LOGIN_LENGTH_MAX}
              aria-describedby="login-name-hint"
              value={loginName}
              onChange={(event) => setLoginName(event.target.value)}
            />
            <p id="login-name-hint" className="field-hint">
              {t('login.loginHint')}
            </p>
          </div>
          <div className="field">
            <label htmlFor="login-password">{t('login.password')}</label>
            <input
              id="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              maxLength={PASSWORD_LENGTH_MAX}
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          </div>
          {error !== null && <ProblemAlert error={error} />}
          <button ref={submitRef} type="submit" className="button button-primary button-block" disabled={submitting}>
            {submitting ? t('login.submitting') : t('login.submit')}
          </button>
        </form>
        <p className="visually-hidden" role="status">
          {announcement}
        </p>
      </section>
      <DemoAccounts onPick={onPickDemo} />
    </div>
  );
}
