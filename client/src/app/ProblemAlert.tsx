/** Shows an error as readable sentences, with the per-field messages when the server sent them. */
import { useTranslation } from 'react-i18next';
import { readableProblem } from './problemMessage';

export function ProblemAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t, i18n } = useTranslation();
  const { message, fieldErrors } = readableProblem(error, t, (key) => i18n.exists(key));
  return (
    <div className="alert alert-error" role="alert">
      <p>{message}</p>
      {fieldErrors.length > 0 && (
        <>
          <p>{t('errors.fieldErrors')}</p>
          <ul>
            {fieldErrors.map((fieldError) => (
              <li key={`${fieldError.field}:${fieldError.message}`}>{fieldError.message}</li>
            ))}
          </ul>
        </>
      )}
      {onRetry !== undefined && (
        <button type="button" className="button button-secondary" onClick={onRetry}>
          {t('app.retry')}
        </button>
      )}
    </div>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {t('app.loading')}
    </p>
  );
}
