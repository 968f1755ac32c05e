/**
 * Names a user the API refers to by id: "you" for the signed-in user, else the display name
 * when the API sends one (pools, budget changes), else "a colleague" with a short id.
 */
import { useTranslation } from 'react-i18next';
import { useSession } from './session';

const SHORT_ID_LENGTH = 8;

export function Person({ userId, name }: { userId: string | null; name?: string | null | undefined }) {
  const { t } = useTranslation();
  const { userId: me } = useSession();
  if (userId === null) return <>{t('people.system')}</>;
  if (userId === me) {
    return (
      <strong>
        {t('people.you')}
        {name !== undefined && name !== null && name !== '' && <span className="muted">{t('people.nameAside', { name })}</span>}
      </strong>
    );
  }
  if (name !== undefined && name !== null && name !== '') return <span title={userId}>{name}</span>;
  return (
    <span title={userId}>
      {t('people.colleague')} <code>{userId.slice(0, SHORT_ID_LENGTH)}</code>
    </span>
  );
}
