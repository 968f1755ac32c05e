/** An application's attachments as download buttons (the files need the session, so no plain links). */
import { useTranslation } from 'react-i18next';
import type { Attachment } from '@hqt/shared';
import { DownloadButton } from '../../app/DownloadButton';
import { formatBytes } from './files';
import { applicationsApi } from './applicationsApi';

export function AttachmentLinks({ applicationId, attachments }: { applicationId: string; attachments: readonly Attachment[] }) {
  const { t } = useTranslation();
  if (attachments.length === 0) return <span className="muted">{t('applications.noAttachments')}</span>;
  return (
    <ul className="attachment-list" data-testid="attachments">
      {attachments.map((a) => (
        <li key={a.n}>
          <DownloadButton
            path={applicationsApi.attachmentPath(applicationId, a.n)}
            fileName={a.name}
            className="button button-text"
            label={t('applications.downloadNamed', { name: a.name })}
          >
            {a.name}
          </DownloadButton>{' '}
          <span className="muted small">
            {formatBytes(a.sizeBytes)} · <span title={a.sha256}>sha256 {a.sha256.slice(0, 12)}…</span>
          </span>
        </li>
      ))}
    </ul>
  );
}
