import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

/** Sets the tab title as "<page> · 沪券通" in the current language. */
export function useDocumentTitle(page: string | null): void {
  const { t } = useTranslation();
  const appName = t('app.name');
  useEffect(() => {
    document.title = page === null ? appName : `${page} · ${appName}`;
  }, [page, appName]);
}
