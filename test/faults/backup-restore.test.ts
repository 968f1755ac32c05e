/**
 * Backup and restore (docs/RELIABILITY.md, "Backup and restore"), on whichever engine the
 * suite runs: with DATABASE_URL, pg_dump (custom format) of a database with vouchers,
 * redemptions and a reversal, pg_restore into a fresh database, and the reconciler clean on
 * the copy; on embedded PGlite, a copy of the stopped data directory opened and reconciled.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createApp } from '../../server/src/app/create-app';
import { reconcile } from '../../server/src/capabilities/ledger/reconcile';
import { ManualClock } from '../../server/src/platform/clock';
import { sql, type Db } from '../../server/src/platform/db';
import { createPgDb } from '../../server/src/platform/db-pg';
import { createPgliteDb } from '../../server/src/platform/db-pglite';
import { createLogger } from '../../server/src/platform/logger';
import { migrate, migrationsApplied } from '../../server/src/platform/migrate';
import { seedDemoIfEmpty } from '../../server/src/demo/seed-demo';
import { bearer, DEMO_PASSWORD, testConfig, type Harness } from '../helpers/harness';
import { idemKey, openPool } from '../helpers/factories';
import { withDatabase } from '../helpers/template';
import { walletToken, type WalletVoucher } from '../redemptions/fixtures';

const MONEY_TABLES = ['pools', 'vouchers', 'journal_transactions', 'journal_entries', 'ledger_rollups', 'redemptions', 'redemption_reversals', 'audit_log'];

/** Fills a database through the API: a pool, claims, redemptions and a reversal. */
async function fill(db: Db): Promise<void> {
  const config = testConfig();
  const logger = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
  const clock = new ManualClock();
  await seedDemoIfEmpty(db, config, logger);
  const { app } = createApp({ config, db, logger, clock });
  const http = () => request(app);
  const h = {
    http, clock,
    login: async (login: string, password = DEMO_PASSWORD) => (await http().post('/api/v1/auth/login').send({ login, password })).body.accessToken as string,
  } as unknown as Harness;
  const pool = await openPool(h, { perHolderMax: 5 });
  const consumer = await h.login('13800138000');
  const cashier = await h.login('mch.catering.cashier');
  for (let i = 0; i < 4; i++) {
    const v = (await http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(consumer)).set('Idempotency-Key', idemKey()).send({})).body as WalletVoucher;
    if (i === 3) continue;
    const r = await http().post('/api/v1/redemptions').set(bearer(cashier)).set('Idempotency-Key', idemKey())
      .send({ token: walletToken(v, clock.now().getTime()), orderAmountFen: 40_000, orderRef: `b-${i}` });
    if (r.status !== 201) throw new Error(`redeem: ${r.status} ${JSON.stringify(r.body)}`);
    if (i === 0) await http().post(`/api/v1/redemptions/${r.body.id}/reversal`).set(bearer(cashier)).send({});
  }
}

async function counts(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of MONEY_TABLES) out[t] = (await db.query<{ n: number }>(sql.raw(`SELECT count(*)::int AS n FROM ${t}`)))[0]!.n;
  return out;
}

async function expectCleanCopy(source: Record<string, number>, copy: Db): Promise<void> {
  expect(await migrationsApplied(copy)).toBe(true);
  expect(await counts(copy)).toEqual(source);
  expect(source.redemptions).toBe(3);
  const report = await reconcile(copy, new ManualClock());
  expect(report.differences).toEqual([]);
  expect(report.ok).toBe(true);
  const [chain] = await copy.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM redemption_reversals`);
  expect(chain!.n).toBe(1);
}

const url = process.env.DATABASE_URL;

(url ? describe : describe.skip)('backup and restore on the PostgreSQL server (pg_dump / pg_restore)', () => {
  test('when a database with vouchers and redemptions is dumped and restored into a fresh one, then the copy reconciles clean', async () => {
    const suffix = randomBytes(4).toString('hex');
    const [source, restored] = [`hqt_backup_${suffix}`, `hqt_restore_${suffix}`];
    const admin = createPgDb({ url: url as string, poolMax: 1 });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hqt-dump-'));
    try {
      await admin.query(sql.raw(`CREATE DATABASE ${source}`));
      const db = createPgDb({ url: withDatabase(url as string, source), poolMax: 5 });
      await migrate(db);
      await fill(db);
      const before = await counts(db);
      await db.close();
      const file = path.join(dir, 'hqt.dump');
      execFileSync('pg_dump', ['--format=custom', '--no-owner', `--file=${file}`, withDatabase(url as string, source)], { stdio: 'pipe' });
      await admin.query(sql.raw(`CREATE DATABASE ${restored}`));
      execFileSync('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${withDatabase(url as string, restored)}`, file], { stdio: 'pipe' });
      const copy = createPgDb({ url: withDatabase(url as string, restored), poolMax: 2 });
      try {
        await expectCleanCopy(before, copy);
      } finally {
        await copy.close();
      }
    } finally {
      await admin.query(sql.raw(`DROP DATABASE IF EXISTS ${source} WITH (FORCE)`));
      await admin.query(sql.raw(`DROP DATABASE IF EXISTS ${restored} WITH (FORCE)`));
      await admin.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

(url ? describe.skip : describe)('backup and restore on embedded PostgreSQL (copy of the stopped data directory)', () => {
  test('when the stopped data directory is copied and the copy opened, then it reconciles clean', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hqt-pglite-backup-'));
    mkdirSync(path.join(dir, 'data'));
    try {
      const db = await createPgliteDb({ dataDir: path.join(dir, 'data', 'pg') });
      await migrate(db);
      await fill(db);
      const before = await counts(db);
      await db.close(); // stopped: the server's SIGTERM does the same
      cpSync(path.join(dir, 'data'), path.join(dir, 'copy'), { recursive: true });
      const copy = await createPgliteDb({ dataDir: path.join(dir, 'copy', 'pg') });
      try {
        await expectCleanCopy(before, copy);
      } finally {
        await copy.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

if (!url) process.stdout.write('backup-restore: pg_dump/pg_restore test skipped (no DATABASE_URL); the PGlite data-directory copy ran instead\n');
