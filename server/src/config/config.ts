/**
 * Owns configuration: the environment is read here and nowhere else, validated once with
 * Joi at start, and frozen. A bad value fails fast naming the variable.
 */
import Joi from 'joi';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface JwtKey {
  id: string;
  secret: string;
}

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | null;
  databasePoolMax: number;
  jwtKeys: { current: JwtKey; previous: JwtKey | null };
  qrSecret: string;
  idHashSecret: string;
  bcryptCost: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  seedDemo: boolean;
  clientDist: string;
  redisUrl: string | null;
}

const secret = Joi.string().min(32).max(512);

/** Every variable the server understands; `scripts/config-reference.ts` documents it from here. */
export const envSchema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'production', 'test').default('development')
    .description('development generates missing secrets; production refuses to start without them'),
  HOST: Joi.string().hostname().default('0.0.0.0').description('address to listen on'),
  PORT: Joi.number().port().default(3000).description('HTTP port'),
  DATA_DIR: Joi.string().max(1024).default('./data')
    .description('embedded PostgreSQL data, generated development secrets, uploaded files'),
  DATABASE_URL: Joi.string().uri({ scheme: ['postgres', 'postgresql'] }).max(2048)
    .description('PostgreSQL server; when unset the embedded PGlite in DATA_DIR is used'),
  DATABASE_POOL_MAX: Joi.number().integer().min(1).max(500).default(20).description('pg pool size'),
  JWT_SECRET: secret.description('HS256 signing key for access tokens (≥ 32 characters)'),
  JWT_KEY_ID: Joi.string().pattern(/^[A-Za-z0-9._-]{1,64}$/).default('k1').description('kid of JWT_SECRET'),
  JWT_PREVIOUS_SECRET: secret.description('previous signing key, still accepted during a rotation'),
  JWT_PREVIOUS_KEY_ID: Joi.string().pattern(/^[A-Za-z0-9._-]{1,64}$/).description('kid of JWT_PREVIOUS_SECRET'),
  QR_SECRET: secret.description('key that signs voucher QR tokens and derives per-voucher keys'),
  ID_HASH_SECRET: secret.description('key of the keyed hash of resident ID numbers'),
  BCRYPT_COST: Joi.number().integer().min(4).max(15).description('bcrypt cost; production requires ≥ 12'),
  ACCESS_TOKEN_TTL_SECONDS: Joi.number().integer().min(30).max(3600).default(900).description('access JWT lifetime'),
  REFRESH_TOKEN_TTL_DAYS: Joi.number().integer().min(1).max(90).default(30).description('refresh token lifetime'),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
  SEED_DEMO: Joi.boolean().description('seed demo data into an empty database (default: on outside production)'),
  CLIENT_DIST: Joi.string().max(1024).description('built client files served at / (default: client/dist)'),
  REDIS_URL: Joi.string().uri({ scheme: ['redis', 'rediss'] }).max(2048)
    .description('Redis for shared rate-limit counters when several instances run'),
})
  .and('JWT_PREVIOUS_SECRET', 'JWT_PREVIOUS_KEY_ID')
  .unknown(true);

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

interface DevSecrets {
  JWT_SECRET: string;
  QR_SECRET: string;
  ID_HASH_SECRET: string;
}

const SECRET_NAMES = ['JWT_SECRET', 'QR_SECRET', 'ID_HASH_SECRET'] as const;

/** Development only: secrets are generated on first start and kept in the data directory. */
function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
  mkdirSync(dataDir, { recursive: true });
  const generated: DevSecrets = {
    JWT_SECRET: randomBytes(32).toString('base64url'),
    QR_SECRET: randomBytes(32).toString('base64url'),
    ID_HASH_SECRET: randomBytes(32).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  return generated;
}

function repoRoot(): string {
  // server/dist/config or server/src/config → repository root
  return path.resolve(__dirname, '..', '..', '..');
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const { value, error } = envSchema.validate(env, { abortEarly: false, convert: true });
  if (error) {
    const lines = error.details.map((d) => `  ${String(d.path[0] ?? d.context?.label)}: ${d.message}`);
    throw new ConfigError('Invalid configuration:\n' + lines.join('\n'));
  }
  const v = value as Record<string, unknown>;
  const nodeEnv = v.NODE_ENV as Config['nodeEnv'];
  const dataDir = path.resolve(v.DATA_DIR as string);
  const missing = SECRET_NAMES.filter((n) => !v[n]);
  if (missing.length > 0 && nodeEnv === 'production') {
    throw new ConfigError(`Refusing to start in production without secrets: ${missing.join(', ')}`);
  }
  const secrets = missing.length > 0 ? { ...loadOrCreateDevSecrets(dataDir), ...pickSecrets(v) } : pickSecrets(v);
  const bcryptCost = (v.BCRYPT_COST as number | undefined) ?? (nodeEnv === 'production' ? 12 : 10);
  if (nodeEnv === 'production' && bcryptCost < 12) {
    throw new ConfigError('  BCRYPT_COST: must be at least 12 in production');
  }
  const config: Config = {
    nodeEnv,
    host: v.HOST as string,
    port: v.PORT as number,
    dataDir,
    databaseUrl: (v.DATABASE_URL as string | undefined) ?? null,
    databasePoolMax: v.DATABASE_POOL_MAX as number,
    jwtKeys: {
      current: { id: v.JWT_KEY_ID as string, secret: secrets.JWT_SECRET as string },
      previous: v.JWT_PREVIOUS_SECRET
        ? { id: v.JWT_PREVIOUS_KEY_ID as string, secret: v.JWT_PREVIOUS_SECRET as string }
        : null,
    },
    qrSecret: secrets.QR_SECRET as string,
    idHashSecret: secrets.ID_HASH_SECRET as string,
    bcryptCost,
    accessTokenTtlSeconds: v.ACCESS_TOKEN_TTL_SECONDS as number,
    refreshTokenTtlDays: v.REFRESH_TOKEN_TTL_DAYS as number,
    logLevel: v.LOG_LEVEL as Config['logLevel'],
    seedDemo: (v.SEED_DEMO as boolean | undefined) ?? nodeEnv !== 'production',
    clientDist: path.resolve((v.CLIENT_DIST as string | undefined) ?? path.join(repoRoot(), 'client', 'dist')),
    redisUrl: (v.REDIS_URL as string | undefined) ?? null,
  };
  return Object.freeze(config);
}

function pickSecrets(v: Record<string, unknown>): Partial<Record<(typeof SECRET_NAMES)[number], string>> {
  const out: Partial<Record<(typeof SECRET_NAMES)[number], string>> = {};
  for (const n of SECRET_NAMES) if (typeof v[n] === 'string') out[n] = v[n] as string;
  return out;
}
