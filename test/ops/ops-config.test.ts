/**
 * The operations variables: defaults that keep `npm start` one process, WORKERS > 1 refused on
 * embedded PGlite with a message that says why, JOBS_SCHEDULE_OVERRIDE parsed and validated.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../server/src/config/config';

const ROOT = path.resolve(__dirname, '..', '..');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'hqt-opscfg-'));
const PG = 'postgres://postgres@127.0.0.1:5432/test';

describe('operations configuration', () => {
  test('when nothing is set, then one process, no metrics, a 10 s grace, no replica and the jobs on their own schedules', () => {
    const c = loadConfig({ DATA_DIR: tmp() });
    expect(c).toMatchObject({
      workers: 1, metricsPort: null, metricsToken: null, reportsDatabaseUrl: null, shutdownGraceMs: 10_000, shutdownDelayMs: 0,
      jobsScheduleOverride: {},
    });
  });

  test('when WORKERS > 1 without DATABASE_URL, then loading fails naming WORKERS and PGlite; with DATABASE_URL it is accepted', () => {
    expect(() => loadConfig({ DATA_DIR: tmp(), WORKERS: '2' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: tmp(), WORKERS: '2' })).toThrow(/WORKERS.*PGlite.*one process/s);
    expect(loadConfig({ DATA_DIR: tmp(), WORKERS: '2', DATABASE_URL: PG }).workers).toBe(2);
    expect(() => loadConfig({ DATA_DIR: tmp(), WORKERS: '0', DATABASE_URL: PG })).toThrow(/WORKERS/);
  });

  test('when the operations variables are bad, then each is named', () => {
    expect(() => loadConfig({ DATA_DIR: tmp(), METRICS_PORT: 'x' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ DATA_DIR: tmp(), METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(() => loadConfig({ DATA_DIR: tmp(), REPORTS_DATABASE_URL: 'mysql://r' })).toThrow(/REPORTS_DATABASE_URL/);
    expect(() => loadConfig({ DATA_DIR: tmp(), SHUTDOWN_GRACE_MS: '-1' })).toThrow(/SHUTDOWN_GRACE_MS/);
    expect(() => loadConfig({ DATA_DIR: tmp(), JOBS_SCHEDULE_OVERRIDE: 'hold-void=every minute' })).toThrow(/JOBS_SCHEDULE_OVERRIDE.*not a cron expression/);
    expect(() => loadConfig({ DATA_DIR: tmp(), JOBS_SCHEDULE_OVERRIDE: '* * * * *' })).toThrow(/JOBS_SCHEDULE_OVERRIDE.*name=cron/);
  });

  test('when JOBS_SCHEDULE_OVERRIDE names jobs and "*", then each becomes a cron expression (6 fields allowed)', () => {
    const c = loadConfig({ DATA_DIR: tmp(), JOBS_SCHEDULE_OVERRIDE: ' hold-void=*/10 * * * * * ; *=0 4 * * * ;' });
    expect(c.jobsScheduleOverride).toEqual({ 'hold-void': '*/10 * * * * *', '*': '0 4 * * *' });
    expect(Object.isFrozen(c.jobsScheduleOverride)).toBe(true);
  });

  test('when the real server starts with WORKERS=2 on embedded PGlite, then it exits 1 with the reason', async () => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'server/src/main.ts')], {
      env: { PATH: process.env.PATH, DATA_DIR: tmp(), WORKERS: '2', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(out).toMatch(/WORKERS: more than 1 process needs DATABASE_URL/);
  }, 30_000);
});
