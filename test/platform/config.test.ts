import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../server/src/config/config';
import { DataDirLockedError, lockDataDir } from '../../server/src/platform/datadir-lock';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'hqt-cfg-'));
const secrets = { JWT_SECRET: 'j'.repeat(40), QR_SECRET: 'q'.repeat(40), ID_HASH_SECRET: 'i'.repeat(40) };

describe('configuration', () => {
  test('when a value is bad, then loading fails fast naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATA_DIR: tmp() })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x', DATA_DIR: tmp() })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud', DATA_DIR: tmp() })).toThrow(/LOG_LEVEL/);
  });

  test('when production lacks its secrets, then it refuses to start and names them', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: tmp() })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: tmp() })).toThrow(/JWT_SECRET, QR_SECRET, ID_HASH_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: tmp(), ...secrets, BCRYPT_COST: '10' })).toThrow(/BCRYPT_COST/);
    const ok = loadConfig({ NODE_ENV: 'production', DATA_DIR: tmp(), ...secrets });
    expect(ok.bcryptCost).toBe(12);
    expect(ok.seedDemo).toBe(false);
    expect(Object.isFrozen(ok)).toBe(true);
  });

  test('when development starts without secrets, then they are generated once and kept in the data directory', () => {
    const dir = tmp();
    const first = loadConfig({ DATA_DIR: dir });
    const file = path.join(dir, 'secrets.json');
    expect(existsSync(file)).toBe(true);
    expect((readFileSync(file).length)).toBeGreaterThan(100);
    const second = loadConfig({ DATA_DIR: dir });
    expect(second.jwtKeys.current.secret).toBe(first.jwtKeys.current.secret);
    expect(second.qrSecret).toBe(first.qrSecret);
  });
});

describe('embedded data-directory lock', () => {
  test('when a live process holds the lock, then a second opener fails fast with a clear message; a stale lock is taken over', async () => {
    const dir = tmp();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(path.join(dir, 'hqt.lock'), String(holder.pid));
      expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
      expect(() => lockDataDir(dir)).toThrow(new RegExp(`in use by process ${holder.pid}`));
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    const lock = lockDataDir(dir); // the holder is dead: its lock is stale
    expect(readFileSync(path.join(dir, 'hqt.lock'), 'utf8')).toBe(String(process.pid));
    lock.release();
    expect(existsSync(path.join(dir, 'hqt.lock'))).toBe(false);
  });
});
