/**
 * Names a user the API refers to by id. The API does not yet return display names for
 * other users (submittedBy, requestedBy, actorUserId), so we say "you" or show a short id.
 */
import { useTranslation } from 'react-i18next';
import { useSession } from './session';

const SHORT_ID_LENGTH = 8;

export function Person({ userId }: { userId: string | null }) {
  const { t } = useTranslation();
  const { userId: me } = useSession();
  if (userId === null) return <>{t('people.system')}</>;
  if (userId === me) return <strong>{t('people.you')}</strong>;
  return (
    <span title={userId}>
      {t('people.colleague')} <code>{userId.slice(0, SHORT_ID_LENGTH)}</code>
    </span>
  );
}
