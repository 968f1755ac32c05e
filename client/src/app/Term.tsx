/**
 * A domain term (role, area). In Chinese it is shown as is; in any other language the
 * Chinese term stays beside the translation, since officials and merchants know the
 * programmes by their Chinese names.
 */
import { useTranslation } from 'react-i18next';
import type { PoolKind } from '@hqt/shared';
import type { Role } from '../api/types';
import type { AreaId } from '../features/home/areas';

export type TermKey = `roles.${Role}` | `areas.${AreaId}.title` | `kinds.${PoolKind}`;

export function Term({ k }: { k: TermKey }) {
  const { t, i18n } = useTranslation();
  const local = t(k);
  if (i18n.language === 'zh-CN') return <>{local}</>;
  const zh = i18n.getFixedT('zh-CN')(k);
  return (
    <>
      {local}{' '}
      <span className="term-zh" lang="zh-CN">
        {zh}
      </span>
    </>
  );
}
