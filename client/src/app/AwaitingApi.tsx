/**
 * The honest placeholder for a part of a page whose server endpoint is not deployed yet: the
 * API answers an unknown route with 404 NOT_FOUND, which a list endpoint never does otherwise.
 */
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/problem';

export function isMissingEndpoint(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && error.code === 'NOT_FOUND';
}

export function AwaitingApi({ what, endpoint }: { what: string; endpoint: string }) {
  const { t } = useTranslation();
  return (
    <div className="alert alert-info awaiting-api" data-testid="awaiting-api">
      <p>
        <strong>{t('awaitingApi.title', { what })}</strong>
      </p>
      <p>
        {t('awaitingApi.body')} <code>{endpoint}</code>
      </p>
    </div>
  );
}
