/**
 * The migrated template every test file's database is cloned from: a PGlite tarball for the
 * embedded engine, or a template database on the PostgreSQL server (CREATE DATABASE … TEMPLATE).
 */
import os from 'node:os';
import path from 'node:path';

/** Set by globalSetup before any worker starts; workers inherit it through the environment. */
function runId(): string {
  return process.env.HQT_TEST_RUN_ID ?? 'local';
}

export function pgliteTemplateFile(): string {
  return path.join(os.tmpdir(), `hqt-template-${runId()}.tar`);
}

export function pgTemplateDb(): string {
  return `hqt_template_${runId()}`;
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + database;
  return u.toString();
}
