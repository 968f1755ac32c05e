/**
 * Owns logging: pino JSON lines. Secrets and personal data are redacted at the source,
 * so no code path can leak a password, token or resident ID into a log line.
 */
import os from 'node:os';
import pino, { type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.residentId',
  '*.accessToken',
  '*.refreshToken',
  '*.token',
  '*.secret',
  // nested one level further (a request's body or headers, a user row, a voucher's QR, a driver error's bound parameters)
  '*.*.password',
  '*.*.residentId',
  '*.*.refreshToken',
  '*.*.token',
  '*.*.secret',
  '*.*.*.secret',
  '*.password_hash',
  '*.passwordHash',
  '*.headers.authorization',
  '*.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.qr.key',
  'err.params',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      // pid and host tell instances and cluster workers apart
      base: { service: 'hqt', pid: process.pid, host: os.hostname() },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
