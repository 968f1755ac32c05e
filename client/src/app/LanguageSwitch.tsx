import { useTranslation } from 'react-i18next';
import { setLanguage } from './i18n';

/** One button that flips between 中文 and English; its label is in the language it switches to. */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const target = i18n.language === 'en' ? 'zh-CN' : 'en';
  return (
    <button
      type="button"
      className="button button-ghost"
      lang={target}
      title={t('lang.switchHint')}
      onClick={() => void setLanguage(target)}
    >
      {t('lang.switchTo')}
    </button>
  );
}
