/**
 * Owns multipart uploads for the routes that take files (applications, grant lists, ticket
 * stubs): multer into memory after authentication, with limits on every part, and its
 * errors turned into problems. Files are small (≤ 10 MB, ≤ 5 per request), so memory is fine.
 */
import type { Request, Response } from 'express';
import multer from 'multer';
import type { ProblemCode } from '@hqt/shared';
import { HttpProblem } from '../../app/problem';

const TEXT_FIELDS_MAX = 20;
const TEXT_FIELD_BYTES_MAX = 8 * 1024;

export interface MultipartLimits {
  /** the form field that carries the file(s) */
  fileField: string;
  filesMax: number;
  fileBytesMax: number;
  /** the problem a file over the limits answers with */
  fileProblem: ProblemCode;
}

export interface UploadedFile {
  /** the client's file name, path stripped, control characters removed */
  name: string;
  declaredType: string;
  bytes: Buffer;
}

export interface MultipartBody {
  fields: Record<string, string>;
  files: UploadedFile[];
}

const FILE_LIMIT_CODES = new Set(['LIMIT_FILE_SIZE', 'LIMIT_FILE_COUNT', 'LIMIT_UNEXPECTED_FILE']);

/** Parses a multipart/form-data request; text fields must appear at most once each. */
export async function readMultipart(req: Request, res: Response, limits: MultipartLimits): Promise<MultipartBody> {
  if (!req.is('multipart/form-data')) throw new HttpProblem('UNSUPPORTED_MEDIA_TYPE', 'Send the body as multipart/form-data');
  const upload = multer({
    storage: multer.memoryStorage(),
    defParamCharset: 'utf8',
    limits: {
      fileSize: limits.fileBytesMax, files: limits.filesMax, fields: TEXT_FIELDS_MAX, fieldSize: TEXT_FIELD_BYTES_MAX,
      parts: limits.filesMax + TEXT_FIELDS_MAX, fieldNameSize: 100, headerPairs: 100,
    },
  }).array(limits.fileField, limits.filesMax);
  try {
    await new Promise<void>((resolve, reject) => {
      upload(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
    });
  } catch (err) {
    throw problemOf(err, limits);
  }
  const files = ((req.files ?? []) as Express.Multer.File[]).map((f) => ({
    name: safeFileName(f.originalname), declaredType: f.mimetype, bytes: f.buffer,
  }));
  return { fields: textFields(req.body as Record<string, unknown>), files };
}

function problemOf(err: unknown, limits: MultipartLimits): HttpProblem {
  if (err instanceof multer.MulterError) {
    if (FILE_LIMIT_CODES.has(err.code)) {
      const detail = err.code === 'LIMIT_FILE_SIZE' ? `A file is larger than ${limits.fileBytesMax} bytes`
        : err.code === 'LIMIT_FILE_COUNT' ? `At most ${limits.filesMax} file(s)`
          : `Files go in the "${limits.fileField}" field`;
      return new HttpProblem(limits.fileProblem, detail);
    }
    return new HttpProblem('VALIDATION_FAILED', `Multipart body refused: ${err.message}`, {
      errors: [{ field: `body.${err.field ?? ''}`, message: err.message, type: `multipart.${err.code}` }],
    });
  }
  if (err instanceof HttpProblem) return err;
  return new HttpProblem('VALIDATION_FAILED', `Malformed multipart body: ${(err as Error).message}`);
}

function textFields(body: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body ?? {})) {
    if (typeof value !== 'string') {
      throw new HttpProblem('VALIDATION_FAILED', `Field ${key} must appear once, as text`, {
        errors: [{ field: `body.${key}`, message: `${key} must be a single text field`, type: 'multipart.field' }],
      });
    }
    out[key] = value;
  }
  return out;
}

/** The last path segment of a client-supplied name, without control characters, at most 255 characters. */
export function safeFileName(original: string): string {
  const base = original.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return clean.length > 0 ? clean : 'file';
}
