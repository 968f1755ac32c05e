/**
 * Downloads a file the API serves behind the session (a fetch with the bearer token, then
 * a temporary object URL), so CSV statements and attachments need no cookie or token in a link.
 */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { ProblemAlert } from './ProblemAlert';
import { useAction } from './useLoad';

const REVOKE_AFTER_MS = 10_000;

export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}

export function DownloadButton(props: {
  /** the API path, e.g. /grants/:id/result.csv */
  path: string;
  /** used when the server names no file */
  fileName: string;
  children: ReactNode;
  className?: string;
  /** the accessible name when the visible text alone is ambiguous in a list */
  label?: string;
}) {
  const { t } = useTranslation();
  const action = useAction();
  const download = () =>
    void action.run('download', async () => {
      const file = await api.download(props.path);
      saveBlob(file.blob, file.fileName ?? props.fileName);
    });
  return (
    <span className="download">
      <button
        type="button"
        className={props.className ?? 'button button-secondary'}
        aria-label={props.label}
        disabled={action.busy !== null}
        onClick={download}
      >
        {action.busy !== null ? t('common.downloading') : props.children}
      </button>
      {action.error !== null && <ProblemAlert error={action.error} />}
    </span>
  );
}
