/** Client-side checks of application attachments, mirroring the server's (PDF, JPG or PNG, ≤ 10 MB, ≤ 5 files). */
import { ATTACHMENT_BYTES_MAX, ATTACHMENT_MEDIA_TYPES, ATTACHMENTS_MAX } from '@hqt/shared';

export type FileProblem = 'type' | 'size' | 'empty';

const EXTENSIONS: Record<string, (typeof ATTACHMENT_MEDIA_TYPES)[number]> = {
  pdf: 'application/pdf',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
};

export const ACCEPT = '.pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png';
export { ATTACHMENTS_MAX, ATTACHMENT_BYTES_MAX };

/** What is wrong with a chosen file, or null. The type is judged by its extension and its declared type. */
export function fileProblem(file: File): FileProblem | null {
  const extension = /\.([A-Za-z0-9]+)$/.exec(file.name)?.[1]?.toLowerCase() ?? '';
  const byName = EXTENSIONS[extension];
  const declared = file.type === '' ? byName : file.type;
  if (byName === undefined || declared !== byName) return 'type';
  if (file.size === 0) return 'empty';
  if (file.size > ATTACHMENT_BYTES_MAX) return 'size';
  return null;
}

/** 1536 → "1.5 KB"; 10485760 → "10 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MB`;
}
