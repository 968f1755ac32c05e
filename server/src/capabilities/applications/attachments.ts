/**
 * Owns application attachments on disk: the type is decided by the file's magic bytes (the
 * declared type and the name's extension must agree with it), and files are stored
 * content-addressed under `<DATA_DIR>/files/<sha256>`, written to a temporary name first and
 * renamed, so a reader never sees half a file. Storing twice is harmless.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ATTACHMENT_BYTES_MAX, type AttachmentMediaType } from '@hqt/shared';
import { HttpProblem } from '../../app/problem';
import type { UploadedFile } from './multipart';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const EXTENSIONS: Record<AttachmentMediaType, string[]> = {
  'application/pdf': ['.pdf'],
  'image/jpeg': ['.jpg', '.jpeg'],
  'image/png': ['.png'],
};
/** Browsers and tools that do not know the type send this; it is not a contradiction. */
const NEUTRAL_DECLARED_TYPES = new Set(['application/octet-stream', '']);

export interface CheckedAttachment {
  name: string;
  sizeBytes: number;
  sha256: string;
  mediaType: AttachmentMediaType;
  bytes: Buffer;
}

/** The media type proven by the first bytes, or null. */
export function sniffMediaType(bytes: Buffer): AttachmentMediaType | null {
  if (bytes.length >= 5 && bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return null;
}

/** Refuses, with ATTACHMENT_INVALID naming the file, anything but a PDF, JPEG or PNG that says what it is. */
export function checkAttachment(file: UploadedFile): CheckedAttachment {
  const refuse = (why: string) => new HttpProblem('ATTACHMENT_INVALID', `${file.name}: ${why}`);
  if (file.bytes.length === 0) throw refuse('the file is empty');
  if (file.bytes.length > ATTACHMENT_BYTES_MAX) throw refuse(`larger than ${ATTACHMENT_BYTES_MAX} bytes`);
  const mediaType = sniffMediaType(file.bytes);
  if (!mediaType) throw refuse('the content is not a PDF, JPEG or PNG');
  const extension = path.extname(file.name).toLowerCase();
  if (!EXTENSIONS[mediaType].includes(extension)) throw refuse(`the content is ${mediaType} but the name ends in "${extension}"`);
  const declared = file.declaredType.toLowerCase();
  if (!NEUTRAL_DECLARED_TYPES.has(declared) && declared !== mediaType && !(mediaType === 'image/jpeg' && declared === 'image/jpg')) {
    throw refuse(`declared as ${declared} but the content is ${mediaType}`);
  }
  const sha256 = createHash('sha256').update(file.bytes).digest('hex');
  return { name: file.name, sizeBytes: file.bytes.length, sha256, mediaType, bytes: file.bytes };
}

export class FileStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.resolve(dataDir, 'files');
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`assertion: bad sha256 ${sha256}`);
    return path.join(this.dir, sha256);
  }

  async put(file: CheckedAttachment): Promise<void> {
    const target = this.pathOf(file.sha256);
    if (await exists(target)) return;
    await mkdir(this.dir, { recursive: true });
    const temporary = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    await writeFile(temporary, file.bytes, { flag: 'wx', mode: 0o640 });
    await rename(temporary, target);
  }

  async get(sha256: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}
