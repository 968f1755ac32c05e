#!/usr/bin/env node
/**
 * Browser smoke test: starts the built server on a free port with a fresh embedded
 * database, drives headless Chromium (Debian's /usr/bin/chromium, never a download)
 * through login → role-aware home → English, and saves screenshots.
 *
 * Needs `npm run build` first. Run with `npm run test:browser`.
 * Prints `browser: 1 passed, 0 failed` on success; exits non-zero on failure.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SERVER_ENTRY = path.join(ROOT, 'server/dist/main.js');
const CLIENT_INDEX = path.join(ROOT, 'client/dist/index.html');
const ARTIFACTS_DIR = path.join(ROOT, 'test/artifacts');
const SCREENSHOTS_DIR = path.join(ROOT, 'docs/screenshots');

const RUN_TIMEOUT_MS = 180_000;
const READY_TIMEOUT_MS = 120_000;
const READY_POLL_MS = 500;
const STEP_TIMEOUT_MS = 20_000;
const KILL_GRACE_MS = 10_000;
const SERVER_LOG_LINES_MAX = 200;
const VIEWPORT = { width: 390, height: 844 };

const DEMO = { login: 'jxw.manager', password: 'hqt-demo-2025' };

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Everything that must be undone, in reverse order, however the run ends. */
const cleanups = [];
let finished = false;

function log(message) {
  process.stdout.write(`[browser] ${message}\n`);
}

async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

function keepTail(lines, chunk) {
  for (const line of chunk.toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    lines.push(line);
    if (lines.length > SERVER_LOG_LINES_MAX) lines.shift();
  }
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, KILL_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

async function startServer() {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first`);
  if (!existsSync(CLIENT_INDEX)) throw new Error(`${CLIENT_INDEX} is missing: run \`npm run build\` first`);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'hqt-browser-data-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const logTail = [];
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => keepTail(logTail, chunk));
  child.stderr.on('data', (chunk) => keepTail(logTail, chunk));
  cleanups.push(() => stopChild(child));
  const baseUrl = `http://127.0.0.1:${port}`;
  log(`server starting on ${baseUrl} (data in ${dataDir})`);
  await waitUntilReady(baseUrl, child, logTail);
  return { baseUrl, logTail };
}

async function waitUntilReady(baseUrl, child, logTail) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const started = Date.now();
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${logTail.join('\n')}`);
    }
    try {
      const response = await fetch(`${baseUrl}/api/v1/ready`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) {
        log(`server ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  throw new Error(`server not ready within ${READY_TIMEOUT_MS / 1000} s:\n${logTail.join('\n')}`);
}

async function launchBrowser(baseUrl) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const profileDir = await mkdtemp(path.join(tmpdir(), 'hqt-browser-profile-'));
  cleanups.push(() => rm(profileDir, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  cleanups.push(() => context.close());
  context.setDefaultTimeout(STEP_TIMEOUT_MS);

  // The app must load nothing from outside the server (no CDN fonts, no remote assets).
  const { origin } = new URL(baseUrl);
  const offOrigin = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    offOrigin.push(url);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') log(`console error: ${message.text()}`);
  });
  return { page, offOrigin, pageErrors };
}

async function screenshot(page, name) {
  await page.mouse.move(0, 0); // no hover highlight left on whatever the last click hit
  const file = path.join(ARTIFACTS_DIR, name);
  await page.screenshot({ path: file, fullPage: true });
  await copyFile(file, path.join(SCREENSHOTS_DIR, name));
  log(`screenshot ${path.relative(ROOT, file)} (copied to docs/screenshots/)`);
}

function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

async function journey(baseUrl) {
  const { page, offOrigin, pageErrors } = await launchBrowser(baseUrl);

  await page.goto(`${baseUrl}/`);
  await page.waitForURL('**/login');
  log('unauthenticated / redirected to /login');
  const loginInput = page.getByLabel('账号', { exact: true });
  const passwordInput = page.getByLabel('密码', { exact: true });
  await loginInput.waitFor();
  assert((await page.locator('html').getAttribute('lang')) === 'zh-CN', 'default language is zh-CN');
  await screenshot(page, 'login.png');

  await loginInput.fill(DEMO.login);
  await passwordInput.fill(DEMO.password);
  await page.getByRole('button', { name: '登录', exact: true }).click();

  const role = page.getByTestId('home-role');
  await role.waitFor();
  await page.waitForURL(`${baseUrl}/`);
  const zhRole = await role.innerText();
  assert(zhRole.includes('券池管理员'), `home-role shows 券池管理员 (got "${zhRole}")`);
  log(`home shows role: ${zhRole.replace(/\s+/g, ' ')}`);
  await page.getByRole('link', { name: /券池/ }).first().waitFor();
  await screenshot(page, 'home.png');

  await page.getByRole('button', { name: 'English', exact: true }).click();
  await page.getByTestId('home-role').getByText('Issuer manager').waitFor();
  assert((await page.locator('html').getAttribute('lang')) === 'en', 'html lang follows the switch');
  log('English switch shows "Issuer manager"');
  await screenshot(page, 'home-en.png');

  await page.reload();
  await page.getByTestId('home-role').getByText('Issuer manager').waitFor();
  log('language choice and session survive a reload');

  assert(offOrigin.length === 0, `no requests leave the server's origin (saw ${offOrigin.join(', ')})`);
  assert(pageErrors.length === 0, `no uncaught page errors (saw ${pageErrors.join(' | ')})`);
}

async function cleanup() {
  while (cleanups.length > 0) {
    const undo = cleanups.pop();
    try {
      await undo();
    } catch (error) {
      log(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

async function finish(code, message) {
  if (finished) return;
  finished = true;
  await cleanup();
  process.stdout.write(`${message}\n`);
  process.exit(code);
}

async function main() {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  const { baseUrl, logTail } = await startServer();
  try {
    await journey(baseUrl);
  } catch (error) {
    if (logTail.length > 0) process.stderr.write(`--- server log (last lines) ---\n${logTail.join('\n')}\n`);
    throw error;
  }
}

const overall = setTimeout(() => {
  process.stderr.write(`browser smoke test exceeded ${RUN_TIMEOUT_MS / 1000} s\n`);
  void finish(1, 'browser: 0 passed, 1 failed');
}, RUN_TIMEOUT_MS);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => void finish(130, 'browser: 0 passed, 1 failed (interrupted)'));
}

main().then(
  () => {
    clearTimeout(overall);
    return finish(0, 'browser: 1 passed, 0 failed');
  },
  (error) => {
    clearTimeout(overall);
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return finish(1, 'browser: 0 passed, 1 failed');
  },
);
