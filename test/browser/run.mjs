#!/usr/bin/env node
/**
 * Browser journeys: starts the built server on a free port with a fresh embedded
 * database and drives headless Chromium (Debian's /usr/bin/chromium, never a download):
 *   1. smoke: login → role-aware home → English;
 *   2. agency: the manager drafts a consumption pool in the editor (labelled fields), previews
 *      and submits it, and sees the approve button disabled on its own submission; the
 *      approver approves it from the approvals queue;
 *   3. consumer: enters a lottery from the rounds page; claims from the wallet at 360 px, sees
 *      the dynamic QR (its text equals the token Node computes from the voucher key, the QR
 *      image decodes to it, it changes with the clock step, and the server accepts it), then
 *      goes offline and the reloaded wallet still shows the voucher and a fresh QR;
 *   4. enterprise: sees the pools it can get and the reasons for those it cannot, claims a
 *      first-come pool and finds the static QR in its wallet;
 *   5. merchant scanner — with 2 and 3, issue 5's first journey: Chromium's fake camera plays a
 *      .y4m of the consumer's current QR, the page's camera path decodes it (jsQR: headless
 *      Chromium has no BarcodeDetector), the cashier redeems ¥600 (preview, confirm, receipt),
 *      "Today" shows the totals, the auditor's dashboard the redemption and 拉动比, the
 *      consumer's wallet the voucher as used; then the cashier reverses it from "Today";
 *   6. B2B — issue 5's second journey: an enterprise applies with a PDF (a .txt is refused in
 *      the page), the approver downloads the contract and grants the application, the compute
 *      provider reads the static QR from a photo and submits contract, invoice and delivery
 *      proof, the enterprise confirms it; the provider's admin opens its statements;
 *   7. agency extras: a grant list upload whose progress the page polls to the end, and its
 *      result CSV; the lottery drawn by its job, the agency's lottery page with the entrant
 *      list, the consumer's result verified in the browser; the settlement list.
 * Each journey runs in a fresh browser profile and saves screenshots.
 *
 * Needs `npm run build` first. Run with `npm run test:browser`.
 * Prints `browser: N passed, 0 failed` on success; exits non-zero on failure.
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jsQR from 'jsqr';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import { qrPng, writeQrY4m } from './fake-camera.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SERVER_ENTRY = path.join(ROOT, 'server/dist/main.js');
const CLIENT_INDEX = path.join(ROOT, 'client/dist/index.html');
const ARTIFACTS_DIR = path.join(ROOT, 'test/artifacts');
const SCREENSHOTS_DIR = path.join(ROOT, 'docs/screenshots');

const RUN_TIMEOUT_MS = 360_000;
const READY_TIMEOUT_MS = 120_000;
const READY_POLL_MS = 500;
const STEP_TIMEOUT_MS = 20_000;
const KILL_GRACE_MS = 10_000;
const SERVER_LOG_LINES_MAX = 200;
const VIEWPORT = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 360, height: 780 };

const PASSWORD = 'hqt-demo-2025';
const DEMO = { login: 'jxw.manager', password: PASSWORD };
const CONSUMER = '13800138000';
const QR_STEP_SECONDS = 30;
const DYNAMIC_MAC_LENGTH = 16;

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
/** The pages of the journeys, newest last: a failing journey's last page is saved for diagnosis. */
const lastPages = [];
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

async function launchBrowser(baseUrl, viewport = VIEWPORT, extraArgs = []) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const profileDir = await mkdtemp(path.join(tmpdir(), 'hqt-browser-profile-'));
  cleanups.push(() => rm(profileDir, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    acceptDownloads: true,
    viewport,
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
  lastPages.push(page);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') log(`console error: ${message.text()}`);
  });
  return { context, page, offOrigin, pageErrors };
}

/** Saves a full-page screenshot to test/artifacts/ and, unless `publish` is false, to docs/screenshots/. */
async function screenshot(page, name, { publish = true } = {}) {
  await page.mouse.move(0, 0); // no hover highlight left on whatever the last click hit
  const file = path.join(ARTIFACTS_DIR, name);
  await page.screenshot({ path: file, fullPage: true });
  if (publish) await copyFile(file, path.join(SCREENSHOTS_DIR, name));
  log(`screenshot ${path.relative(ROOT, file)}${publish ? ' (copied to docs/screenshots/)' : ''}`);
}

function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

async function smokeJourney(baseUrl) {
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

// ---------------------------------------------------------------- helpers

/** A JSON call to the API from Node (test set-up and independent checks). */
async function apiCall(baseUrl, method, apiPath, { token, body, headers = {} } = {}) {
  const response = await fetch(`${baseUrl}/api/v1${apiPath}`, {
    method,
    headers: {
      Accept: 'application/json',
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

async function apiLogin(baseUrl, login) {
  const { status, body } = await apiCall(baseUrl, 'POST', '/auth/login', { body: { login, password: PASSWORD } });
  assert(status === 200, `API login ${login} (got ${status})`);
  return body.accessToken;
}

/** The dynamic token exactly as shared/src/vouchers/qr.ts defines it, computed in Node. */
function nodeDynamicToken(code, keyBase64Url, step) {
  const mac = createHmac('sha256', Buffer.from(keyBase64Url, 'base64url')).update(`${code}.${step}`).digest('base64url');
  return `HQT1.D.${code}.${step}.${mac.slice(0, DYNAMIC_MAC_LENGTH)}`;
}

/** Reads the QR code drawn in an element back to text, as a scanner would. */
async function decodeQr(locator) {
  const png = PNG.sync.read(await locator.screenshot());
  const result = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength), png.width, png.height);
  return result === null ? null : result.data;
}

async function loginAs(page, baseUrl, login) {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('账号', { exact: true }).fill(login);
  await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.getByTestId('home-role').waitFor();
  log(`logged in as ${login}`);
}

async function logout(page) {
  await page.getByRole('button', { name: '退出登录' }).click();
  await page.waitForURL('**/login');
}

async function checkHygiene({ offOrigin, pageErrors }) {
  assert(offOrigin.length === 0, `no requests leave the server's origin (saw ${offOrigin.join(', ')})`);
  assert(pageErrors.length === 0, `no uncaught page errors (saw ${pageErrors.join(' | ')})`);
}

// ---------------------------------------------------------------- agency console

const POOL_NAME = '黄浦周末餐饮消费券（E2E）';

async function agencyJourney(baseUrl, shared) {
  const browser = await launchBrowser(baseUrl, DESKTOP);
  const { page } = browser;
  await loginAs(page, baseUrl, 'jxw.manager');

  await page.getByRole('navigation', { name: '工作区' }).getByRole('link', { name: '券池' }).click();
  await page.getByRole('link', { name: '新建券池' }).click();
  await page.waitForURL('**/pools/new');
  await page.getByRole('radio', { name: '消费券', exact: true }).check();
  await page.getByLabel('券池名称（中文）').fill(POOL_NAME);
  await page.getByLabel('券池名称（英文）').fill('Huangpu weekend dining voucher (E2E)');
  await page.getByLabel('预算总额').fill('100000');
  await page.getByRole('radio', { name: '满500减180', exact: true }).check();
  assert((await page.getByLabel('减免金额').inputValue()) === '180', 'the tier fills the discount');
  assert((await page.getByLabel('最低消费').inputValue()) === '500', 'the tier fills the minimum spend');
  await page.getByLabel('发放方式', { exact: true }).selectOption({ label: '先到先得（抢券）' });
  await page.getByLabel('每人（每家企业）最多张数').fill('2');
  log('editor filled through its labelled fields (kind preset → tier → first-come)');

  // The shared Joi schema runs before anything is sent: a bad budget is refused in the page.
  await page.getByLabel('预算总额').fill('12.345');
  await page.getByRole('button', { name: '预览', exact: true }).click();
  await page.getByTestId('editor-errors').getByText('预算总额').waitFor();
  await page.getByLabel('预算总额').fill('100000');
  await page.getByRole('button', { name: '预览', exact: true }).click();

  const preview = page.getByTestId('pool-preview');
  await preview.waitFor();
  const previewText = await preview.innerText();
  for (const expected of ['满¥500.00减¥180.00', '领取后 30 天内有效', '面向个人消费者', '须完成实名认证', '不得用于：预付卡、团购']) {
    assert(previewText.includes(expected), `the preview shows "${expected}"`);
  }
  log('preview shows the holder card (value, min spend, validity, eligibility) and the merchant scope');
  await screenshot(page, 'pool-editor.png');

  await page.getByRole('button', { name: '提交审批' }).click();
  await page.waitForURL(/\/pools\/[0-9a-f-]{36}$/);
  await page.getByTestId('pool-status').getByText('待审批').waitFor();
  shared.poolId = page.url().split('/').pop();
  log(`pool ${shared.poolId} submitted for approval`);

  await page.getByRole('navigation', { name: '工作区' }).getByRole('link', { name: '审批' }).click();
  const ownItem = page.getByTestId('approval-pool').filter({ hasText: POOL_NAME });
  await ownItem.waitFor();
  const ownApprove = ownItem.getByRole('button', { name: `批准 ${POOL_NAME}` });
  assert(await ownApprove.isDisabled(), "the approve button is disabled on the manager's own submission");
  const blocker = await ownItem.getByTestId('approve-blocker').innerText();
  assert(blocker.includes('双人复核'), `the disabled button says why (got "${blocker}")`);
  assert((await ownItem.getByTestId('submitted-by').innerText()).includes('您本人'), 'the item says who submitted it');
  log('manager sees the approve button disabled: four eyes');

  await page.getByRole('navigation', { name: '工作区' }).getByRole('link', { name: '商户' }).click();
  await page.getByLabel('券池', { exact: true }).selectOption({ label: `${POOL_NAME} · 待审批` });
  await page.getByLabel('搜索商户').fill('本帮');
  await page.getByRole('checkbox', { name: /静安本帮菜馆/ }).check();
  await page.getByRole('button', { name: '登记选中的 1 家商户' }).click();
  await page.getByTestId('enrolled-list').getByText('静安本帮菜馆').waitFor();
  await screenshot(page, 'merchants.png');
  log('manager enrolled a catering merchant in the pool');
  await logout(page);

  await loginAs(page, baseUrl, 'jxw.approver');
  await page.goto(`${baseUrl}/approvals`);
  const item = page.getByTestId('approval-pool').filter({ hasText: POOL_NAME });
  await item.waitFor();
  assert(!(await item.getByText('您本人').isVisible()), 'for the approver the submitter is someone else');
  await screenshot(page, 'approvals.png');
  const approve = item.getByRole('button', { name: `批准 ${POOL_NAME}` });
  assert(await approve.isEnabled(), 'the approver may approve');
  await approve.click();
  await page.getByText('没有待审批的券池。').waitFor();
  log('approver approved the pool from the queue');

  await page.goto(`${baseUrl}/pools/${shared.poolId}`);
  await page.getByTestId('pool-status').getByText('进行中').waitFor();
  await logout(page);

  await loginAs(page, baseUrl, 'jxw.manager');
  await page.goto(`${baseUrl}/pools/${shared.poolId}`);
  await page.getByLabel('调整金额').fill('5000');
  await page.getByLabel('调整理由').fill('周末客流超出预期');
  await page.getByRole('button', { name: '提交申请' }).click();
  await page.getByText('已提交预算调整申请（¥5,000.00），等待审批。').waitFor();
  await page.goto(`${baseUrl}/approvals`);
  const change = page.getByTestId('approval-budget-change').filter({ hasText: POOL_NAME });
  await change.waitFor();
  assert(await change.getByRole('button', { name: '批准' }).isDisabled(), "a manager's own budget change cannot be approved by them");
  log('manager requested a budget change; its approve button is disabled for them');
  await logout(page);

  await loginAs(page, baseUrl, 'jxw.auditor');
  await page.goto(`${baseUrl}/audit`);
  await page.getByRole('button', { name: '校验哈希链' }).click();
  const verified = await page.getByTestId('verify-result').innerText();
  assert(verified.includes('哈希链完整'), `the audit chain verifies (got "${verified}")`);
  await screenshot(page, 'audit.png');
  log('auditor verified the audit chain');

  await page.goto(`${baseUrl}/pools`);
  const card = page.getByTestId('pool-card').filter({ hasText: POOL_NAME });
  await card.waitFor();
  const bar = await card.getByTestId('budget-bar').getByRole('img').getAttribute('aria-label');
  assert(bar.includes('可发放 ¥100,000.00'), `the budget bar shows the funded pool (got "${bar}")`);
  await screenshot(page, 'pools.png');

  await page.getByRole('button', { name: 'English', exact: true }).click();
  await page.getByRole('heading', { name: /^Pools/ }).waitFor();
  await page.setViewportSize(PHONE);
  await screenshot(page, 'pools-en-360.png', { publish: false });
  await page.goto(`${baseUrl}/pools/${shared.poolId}`);
  await page.getByRole('heading', { name: 'Actions' }).waitFor();
  await screenshot(page, 'pool-detail-en-360.png', { publish: false });
  await page.getByRole('button', { name: '中文', exact: true }).click();
  await checkHygiene(browser);
}

// ---------------------------------------------------------------- consumer wallet

const LOTTERY_POOL_NAME = '徐汇周末摇号消费券（E2E）';
/** The lottery's entries close this long after set-up; the lottery journey draws it after that. */
const LOTTERY_OPEN_MS = 45_000;

/** Creates, submits and approves a pool through the API (the agency journey covers the editor). */
async function publishPool(baseUrl, body) {
  const manager = await apiLogin(baseUrl, 'jxw.manager');
  const approver = await apiLogin(baseUrl, 'jxw.approver');
  const created = await apiCall(baseUrl, 'POST', '/pools', { token: manager, body });
  assert(created.status === 201, `pool set-up: create (got ${created.status} ${JSON.stringify(created.body)})`);
  assert((await apiCall(baseUrl, 'POST', `/pools/${created.body.id}/submit`, { token: manager })).status === 200, 'pool set-up: submit');
  const approved = await apiCall(baseUrl, 'POST', `/pools/${created.body.id}/approve`, { token: approver });
  assert(approved.status === 200, `pool set-up: approve (got ${approved.status})`);
  return approved.body;
}

/** A consumer lottery pool whose one round takes entries for LOTTERY_OPEN_MS from now. */
async function setUpLotteryPool(baseUrl) {
  const now = Date.now();
  const pool = await publishPool(baseUrl, {
    kind: 'consumption', nameZh: LOTTERY_POOL_NAME, budgetFen: 1_000_000, distribution: 'lottery',
    valueRule: { type: 'fixed', amountFen: 9_000, minSpendFen: 30_000 },
    claimOpensAt: new Date(now - 60_000).toISOString(), claimClosesAt: new Date(now + LOTTERY_OPEN_MS).toISOString(),
  });
  assert(/^[0-9a-f]{64}$/.test(pool.lotterySeedHash ?? ''), 'the approved lottery pool publishes its seed commitment');
  return { poolId: pool.id, closesAtMs: now + LOTTERY_OPEN_MS };
}

async function consumerJourney(baseUrl, shared) {
  assert(shared.poolId !== undefined, 'the agency journey created a pool');
  shared.lottery = await setUpLotteryPool(baseUrl);
  const browser = await launchBrowser(baseUrl, PHONE);
  const { context, page } = browser;
  await loginAs(page, baseUrl, CONSUMER);

  await page.goto(`${baseUrl}/rounds`);
  const lotteryRound = page.getByTestId('round').filter({ hasText: LOTTERY_POOL_NAME });
  await lotteryRound.getByRole('button', { name: `报名摇号 ${LOTTERY_POOL_NAME}` }).click();
  const entered = await lotteryRound.getByTestId('lottery-my-entry').innerText();
  assert(entered.includes('已报名'), `the round says the consumer entered the lottery (got "${entered}")`);
  log('consumer entered the lottery from the rounds page');
  const round = page.getByTestId('round').filter({ hasText: POOL_NAME });
  await round.waitFor();
  await screenshot(page, 'rounds.png');
  await round.getByRole('button', { name: `立即领取 ${POOL_NAME}` }).click();
  await page.waitForURL(/\/my-vouchers\/[0-9a-f-]{36}$/);
  const voucherId = page.url().split('/').pop();
  shared.voucherId = voucherId;
  log(`consumer claimed voucher ${voucherId}`);

  const tokenEl = page.getByTestId('qr-token');
  await page.waitForFunction(() => document.querySelector('[data-testid="qr-token"]')?.textContent?.startsWith('HQT1.D.'));
  const consumerToken = await apiLogin(baseUrl, CONSUMER);
  const { body: voucher } = await apiCall(baseUrl, 'GET', `/vouchers/${voucherId}`, { token: consumerToken });
  assert(typeof voucher.qr.key === 'string', 'the holder receives the voucher key');

  const firstToken = await tokenEl.innerText();
  const firstStep = Number(await tokenEl.getAttribute('data-step'));
  const nowStep = Math.floor(Date.now() / 1000 / QR_STEP_SECONDS);
  assert(Math.abs(firstStep - nowStep) <= 1, `the page uses the current step (page ${firstStep}, now ${nowStep})`);
  assert(firstToken === nodeDynamicToken(voucher.code, voucher.qr.key, firstStep), `the browser token equals Node's (${firstToken})`);
  log('the WebCrypto token equals the token Node computes with crypto');
  const decoded = await decodeQr(page.getByTestId('qr-svg'));
  assert(decoded === firstToken, `the QR image decodes to the token (got ${decoded})`);
  log('the QR image decodes (jsQR) to the same token');
  const countdown = await page.getByTestId('qr-countdown').innerText();
  assert(/\d+ 秒后刷新/.test(countdown), `a countdown is visible (got "${countdown}")`);

  const { body: openapi } = await apiCall(baseUrl, 'GET', '/openapi.json');
  if (openapi.paths['/redemptions/preview'] !== undefined) {
    const cashier = await apiLogin(baseUrl, 'mch.catering.cashier');
    const current = await tokenEl.innerText();
    const preview = await apiCall(baseUrl, 'POST', '/redemptions/preview', {
      token: cashier,
      body: { token: current, orderAmountFen: 60_000, orderRef: 'E2E-PREVIEW-1' },
    });
    const code = preview.body?.code ?? '';
    assert(preview.status === 200 || !code.startsWith('TOKEN_'), `the server accepts the browser token (got ${preview.status} ${code})`);
    log(`redemption preview with the browser token: ${preview.status}${code === '' ? '' : ` ${code}`}`);
  } else {
    log('no /redemptions/preview yet: the Node-computed token is the check');
  }

  await page.goto(`${baseUrl}/my-vouchers`);
  await page.getByTestId('wallet-voucher').filter({ hasText: POOL_NAME }).waitFor();
  await screenshot(page, 'wallet.png');

  // The QR follows the clock: freeze time, then move it one step on.
  await page.clock.install();
  await page.goto(`${baseUrl}/my-vouchers/${voucherId}`);
  await page.waitForFunction(() => document.querySelector('[data-testid="qr-token"]')?.textContent?.startsWith('HQT1.D.'));
  await page.clock.pauseAt(Date.now() + 1_000);
  await page.waitForFunction(() => document.querySelector('[data-testid="qr-token"]')?.textContent?.startsWith('HQT1.D.'));
  const stepBefore = Number(await tokenEl.getAttribute('data-step'));
  const tokenBefore = await tokenEl.innerText();
  await screenshot(page, 'voucher-qr.png');
  await page.clock.fastForward(QR_STEP_SECONDS * 1000);
  await page.waitForFunction((step) => Number(document.querySelector('[data-testid="qr-token"]')?.getAttribute('data-step')) > step, stepBefore);
  const stepAfter = Number(await tokenEl.getAttribute('data-step'));
  const tokenAfter = await tokenEl.innerText();
  assert(stepAfter === stepBefore + 1, `the step moved on by one (${stepBefore} → ${stepAfter})`);
  assert(tokenAfter !== tokenBefore, 'the token changed with the step');
  assert(tokenAfter === nodeDynamicToken(voucher.code, voucher.qr.key, stepAfter), 'the next token equals Node\'s too');
  assert((await decodeQr(page.getByTestId('qr-svg'))) === tokenAfter, 'the redrawn QR decodes to the new token');
  log(`the QR changed after the clock step (${stepBefore} → ${stepAfter})`);
  await page.clock.resume();

  // Offline: the service worker serves the shell, localStorage the voucher and its key.
  const controlled = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    const cached = await caches.match('/index.html');
    return registration.active !== null && cached !== undefined;
  });
  assert(controlled, 'the service worker is active and has cached the app shell');
  await context.setOffline(true);
  const offlinePage = await context.newPage();
  offlinePage.on('pageerror', (error) => browser.pageErrors.push(error.message));
  const response = await offlinePage.goto(`${baseUrl}/my-vouchers/${voucherId}`);
  assert(response !== null && response.fromServiceWorker(), 'offline, the page comes from the service worker');
  await offlinePage.getByTestId('offline-note').waitFor();
  await offlinePage.getByRole('heading', { name: POOL_NAME }).waitFor();
  await offlinePage.waitForFunction(() => document.querySelector('[data-testid="qr-token"]')?.textContent?.startsWith('HQT1.D.'));
  const offlineEl = offlinePage.getByTestId('qr-token');
  const offlineStep = Number(await offlineEl.getAttribute('data-step'));
  assert((await offlineEl.innerText()) === nodeDynamicToken(voucher.code, voucher.qr.key, offlineStep), 'offline, the QR is still computed correctly');
  assert((await decodeQr(offlinePage.getByTestId('qr-svg'))) === (await offlineEl.innerText()), 'offline, the QR image decodes');
  await screenshot(offlinePage, 'voucher-qr-offline.png', { publish: false });
  log('offline reload: the wallet shows the voucher and a fresh QR');

  await offlinePage.getByRole('button', { name: 'English', exact: true }).click();
  await offlinePage.getByRole('heading', { name: 'Dynamic code' }).waitFor();
  await screenshot(offlinePage, 'voucher-qr-en-360.png', { publish: false });
  await offlinePage.getByRole('button', { name: '中文', exact: true }).click();
  await context.setOffline(false);
  await offlinePage.close();
  // Requests that failed while offline are expected; nothing else may leave the origin.
  await checkHygiene(browser);
}

// ---------------------------------------------------------------- enterprise portal

async function setUpEnterprisePools(baseUrl) {
  const manager = await apiLogin(baseUrl, 'jxw.manager');
  const approver = await apiLogin(baseUrl, 'jxw.approver');
  const now = Date.now();
  const window = { claimOpensAt: new Date(now - 60_000).toISOString(), claimClosesAt: new Date(now + 30 * 86_400_000).toISOString() };
  const pools = [
    { kind: 'professional_service', nameZh: '浦东专业服务券（E2E）', budgetFen: 100_000_000, distribution: 'first_come', eligibility: { districts: ['pudong'] }, ...window },
    { kind: 'innovation', nameZh: '专精特新科技创新券（E2E）', budgetFen: 100_000_000, distribution: 'first_come', eligibility: { tagsAny: ['specialised'], headcountMax: 20 }, ...window },
  ];
  for (const body of pools) {
    const created = await apiCall(baseUrl, 'POST', '/pools', { token: manager, body });
    assert(created.status === 201, `pool set-up: create (got ${created.status} ${JSON.stringify(created.body)})`);
    assert((await apiCall(baseUrl, 'POST', `/pools/${created.body.id}/submit`, { token: manager })).status === 200, 'pool set-up: submit');
    assert((await apiCall(baseUrl, 'POST', `/pools/${created.body.id}/approve`, { token: approver })).status === 200, 'pool set-up: approve');
  }
  return pools.map((p) => p.nameZh);
}

async function enterpriseJourney(baseUrl) {
  const [eligibleName, ineligibleName] = await setUpEnterprisePools(baseUrl);
  const browser = await launchBrowser(baseUrl, DESKTOP);
  const { page } = browser;
  await loginAs(page, baseUrl, 'ent.alpha');
  await page.getByRole('navigation', { name: '工作区' }).getByRole('link', { name: '可申领券池' }).click();
  const eligible = page.getByTestId('offer-eligible').filter({ hasText: eligibleName });
  const ineligible = page.getByTestId('offer-ineligible').filter({ hasText: ineligibleName });
  await eligible.waitFor();
  await ineligible.waitFor();
  const reasons = await ineligible.getByTestId('eligibility-reasons').innerText();
  assert(reasons.includes('专精特新') && reasons.includes('员工人数不超过20人'), `the reasons say why not (got "${reasons}")`);
  assert((await ineligible.getByRole('button', { name: /立即领取/ }).count()) === 0, 'no claim button where not eligible');
  await screenshot(page, 'enterprise-pools.png');
  log('enterprise sees its eligible pool, and the reasons for the one it cannot get');

  await eligible.getByRole('button', { name: `立即领取 ${eligibleName}` }).click();
  await page.getByText(/领取成功，券号/).waitFor();
  await page.getByRole('link', { name: '查看券包' }).click();
  const item = page.getByTestId('wallet-voucher').filter({ hasText: eligibleName });
  await item.waitFor();
  const staticToken = await item.getByTestId('static-token').innerText();
  assert(staticToken.startsWith('HQT1.S.'), `the wallet holds the static token (got ${staticToken})`);
  assert((await decodeQr(item.getByTestId('qr-svg'))) === staticToken, 'the static QR decodes to the token');
  assert((await item.getByTestId('voucher-balance').innerText()).includes('¥200,000.00'), 'the wallet shows the balance');
  await screenshot(page, 'enterprise-wallet.png');
  log('enterprise claimed and its wallet shows balance, validity and the static QR');
  await checkHygiene(browser);
}

// ---------------------------------------------------------------- merchant scanner (issue 5, journey 1)

/** Today's date in Shanghai, as a date input takes it. */
function shanghaiToday() {
  return new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
}

/**
 * The merchant's phone reads the consumer's dynamic QR through the camera. Chromium's fake
 * camera plays a .y4m of the code; headless Chromium has no BarcodeDetector, so the page's
 * jsQR path decodes it. The token is the one for the next 30-second step, which the server
 * accepts from now until about a minute later (±1 step).
 */
async function scannerJourney(baseUrl, shared) {
  assert(shared.voucherId !== undefined, 'the consumer journey claimed a voucher');
  const consumerToken = await apiLogin(baseUrl, CONSUMER);
  const { body: voucher } = await apiCall(baseUrl, 'GET', `/vouchers/${shared.voucherId}`, { token: consumerToken });
  const step = Math.floor(Date.now() / 1000 / QR_STEP_SECONDS) + 1;
  const token = nodeDynamicToken(voucher.code, voucher.qr.key, step);
  const cameraDir = await mkdtemp(path.join(tmpdir(), 'hqt-fake-camera-'));
  cleanups.push(() => rm(cameraDir, { recursive: true, force: true }));
  const y4m = path.join(cameraDir, 'voucher-qr.y4m');
  await writeQrY4m(token, y4m);
  log(`fake camera plays the voucher's QR for step ${step} (${token})`);

  const merchant = await launchBrowser(baseUrl, PHONE, [
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${y4m}`,
  ]);
  const { page } = merchant;
  await loginAs(page, baseUrl, 'mch.catering.cashier');
  await page.getByRole('navigation', { name: '工作区' }).getByRole('link', { name: '扫码核销' }).click();
  await page.getByRole('button', { name: '打开摄像头' }).waitFor();
  await screenshot(page, 'scanner-camera.png');
  await page.getByRole('button', { name: '打开摄像头' }).click();
  const scanned = page.getByTestId('scanned-code');
  await scanned.waitFor();
  assert((await scanned.innerText()).includes(voucher.code), 'the camera read the voucher code');
  const via = page.getByTestId('scanned-via');
  assert((await via.getAttribute('data-source')) === 'camera', 'the code came through the camera');
  assert((await via.getAttribute('data-decoder')) === 'jsqr', 'headless Chromium decoded it with the jsQR path');
  log('the camera path (getUserMedia → canvas → jsQR) read the dynamic QR');

  await page.getByRole('textbox', { name: '订单金额' }).fill('600');
  await page.getByRole('button', { name: '计算优惠' }).click();
  await page.getByTestId('redeem-preview').waitFor();
  assert((await page.getByTestId('preview-discount').innerText()) === '−¥180.00', 'the preview shows the 满500减180 discount');
  assert((await page.getByTestId('preview-pay').innerText()) === '¥420.00', 'the preview shows what the customer pays');
  await screenshot(page, 'scanner.png');
  await page.getByRole('button', { name: '确认核销' }).click();
  await page.getByTestId('receipt').waitFor();
  assert((await page.getByTestId('receipt-headline').innerText()) === '核销成功', 'the receipt says redeemed');
  assert((await page.getByTestId('receipt-pay').innerText()) === '¥420.00', 'the receipt shows what the customer paid');
  await screenshot(page, 'receipt.png');
  log('cashier redeemed ¥600 with the voucher: discount ¥180, customer pays ¥420');

  await page.getByRole('navigation', { name: '工作区' }).getByRole('link', { name: '今日' }).click();
  await page.getByTestId('today-totals').waitFor();
  assert((await page.getByTestId('today-count').innerText()) === '1', "today's totals count the redemption");
  assert((await page.getByTestId('today-discount').innerText()) === '¥180.00', "today's totals add up the discount");
  await screenshot(page, 'today.png');

  const manager = await launchBrowser(baseUrl, DESKTOP);
  await loginAs(manager.page, baseUrl, 'jxw.auditor');
  await manager.page.getByRole('navigation', { name: '工作区' }).getByRole('link', { name: '看板' }).click();
  const discount = manager.page.getByTestId('figure-discount');
  await discount.waitFor();
  assert((await discount.innerText()) === '¥180.00', `the dashboard shows the redemption's discount (got ${await discount.innerText()})`);
  assert((await manager.page.getByTestId('figure-leverage').innerText()) === '3.33×', 'the dashboard shows 拉动比 600/180');
  await manager.page.getByTestId('chart-hours').locator('svg').first().waitFor();
  const source = await manager.page.getByTestId('dashboard-source').innerText();
  await screenshot(manager.page, 'dashboard.png');
  log(`the dashboard shows the redemption (¥180 discount, 拉动比 3.33; ${source.includes('报表接口') ? 'reports API' : 'computed from the lists'})`);
  await checkHygiene(manager);

  const consumer = await launchBrowser(baseUrl, PHONE);
  await loginAs(consumer.page, baseUrl, CONSUMER);
  await consumer.page.goto(`${baseUrl}/my-vouchers`);
  const used = consumer.page.getByTestId('wallet-voucher').filter({ hasText: POOL_NAME });
  await used.getByText('已使用').waitFor();
  await screenshot(consumer.page, 'wallet-used.png');
  log("the consumer's wallet shows the voucher as used");
  await checkHygiene(consumer);

  await page.reload();
  const row = page.getByTestId('today-redemption').filter({ hasText: voucher.code });
  await row.getByRole('button', { name: /^冲正券/ }).click();
  await row.getByLabel('冲正原因').fill('顾客退单');
  await row.getByRole('button', { name: '确认冲正' }).click();
  await page.getByTestId('today-redemption').filter({ hasText: voucher.code }).getByText('已冲正').waitFor();
  log('the cashier reversed the redemption from "Today"');

  await page.getByRole('button', { name: 'English', exact: true }).click();
  await page.getByRole('heading', { name: /^Today/ }).waitFor();
  await page.goto(`${baseUrl}/scanner`);
  await page.getByRole('button', { name: 'Open camera' }).waitFor();
  await screenshot(page, 'scanner-en-360.png', { publish: false });
  await page.getByRole('button', { name: '中文', exact: true }).click();
  await checkHygiene(merchant);
}

// ---------------------------------------------------------------- B2B (issue 5, journey 2)

const COMPUTE_POOL_NAME = '临港算力券（E2E）';
const CONTRACT = 'HT-E2E-2025-001';
const INVOICE = 'FP-31000-0001';
/** A one-page PDF, small and valid enough for any viewer. */
const CONTRACT_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

async function setUpComputePool(baseUrl) {
  const now = Date.now();
  const pool = await publishPool(baseUrl, {
    kind: 'compute', nameZh: COMPUTE_POOL_NAME, budgetFen: 1_000_000_000, distribution: 'application',
    claimOpensAt: new Date(now - 60_000).toISOString(), claimClosesAt: new Date(now + 30 * 86_400_000).toISOString(),
  });
  const manager = await apiLogin(baseUrl, 'jxw.manager');
  const { body: merchants } = await apiCall(baseUrl, 'GET', '/merchants?status=active&category=compute_provider', { token: manager });
  const provider = merchants.items.find((m) => m.nameZh === '临港算力服务有限公司');
  assert(provider !== undefined, 'the compute provider is an approved merchant');
  const enrolled = await apiCall(baseUrl, 'POST', `/pools/${pool.id}/merchants`, { token: manager, body: { merchantIds: [provider.id] } });
  assert(enrolled.status === 200, 'the provider is enrolled in the compute pool');
  return pool;
}

async function b2bJourney(baseUrl, shared) {
  const pool = await setUpComputePool(baseUrl);
  const enterprise = await launchBrowser(baseUrl, DESKTOP);
  const { page } = enterprise;
  await loginAs(page, baseUrl, 'ent.alpha');
  await page.getByRole('navigation', { name: '工作区' }).getByRole('link', { name: '可申领券池' }).click();
  await page.getByTestId('offer-eligible').filter({ hasText: COMPUTE_POOL_NAME }).getByRole('link', { name: `申请 ${COMPUTE_POOL_NAME}` }).click();
  await page.waitForURL(`**/eligible-pools/${pool.id}/apply`);
  await page.getByLabel('合同编号').fill(CONTRACT);
  await page.getByLabel('合同金额').fill('1000000');
  await page.getByText('预计可获 ¥300,000.00').waitFor();
  await page.getByLabel('服务商').selectOption({ label: '临港算力服务有限公司' });
  const files = page.getByLabel('合同及证明材料');
  await files.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a contract') });
  await page.getByTestId('chosen-files').getByText('只能上传 PDF、JPG 或 PNG 文件。').waitFor();
  await page.getByRole('button', { name: '移除文件 notes.txt' }).click();
  log('the apply form refuses a .txt attachment before upload');
  await files.setInputFiles({ name: 'contract.pdf', mimeType: 'application/pdf', buffer: CONTRACT_PDF });
  await page.getByTestId('chosen-files').getByText('contract.pdf').waitFor();
  await screenshot(page, 'apply.png');
  await page.getByRole('button', { name: '提交申请' }).click();
  await page.waitForURL('**/history');
  await page.getByTestId('applied').waitFor();
  await page.getByTestId('history-application').filter({ hasText: CONTRACT }).getByText('审核中').waitFor();
  log('enterprise applied with the contract PDF');

  const approver = await launchBrowser(baseUrl, DESKTOP);
  await loginAs(approver.page, baseUrl, 'jxw.approver');
  await approver.page.goto(`${baseUrl}/approvals`);
  const item = approver.page.getByTestId('approval-application').filter({ hasText: CONTRACT });
  await item.waitFor();
  assert((await item.innerText()).includes('¥300,000.00'), 'the queue shows the voucher the rules would grant');
  const downloading = approver.page.waitForEvent('download');
  await item.getByRole('button', { name: '下载附件 contract.pdf' }).click();
  const download = await downloading;
  assert(download.suggestedFilename() === 'contract.pdf', `the attachment downloads as contract.pdf (got ${download.suggestedFilename()})`);
  await screenshot(approver.page, 'approvals-application.png');
  await item.getByRole('button', { name: `批准合同 ${CONTRACT} 的申请并发券` }).click();
  await approver.page.getByText('没有待审核的申请。').waitFor();
  log('approver downloaded the contract and granted the application');
  await checkHygiene(approver);

  await page.getByRole('navigation', { name: '工作区' }).getByRole('link', { name: '我的券包' }).click();
  const walletItem = page.getByTestId('wallet-voucher').filter({ hasText: COMPUTE_POOL_NAME });
  const staticToken = await walletItem.getByTestId('static-token').innerText();
  assert(staticToken.startsWith('HQT1.S.'), 'the granted voucher has a static B2B token');

  const provider = await launchBrowser(baseUrl, PHONE);
  await loginAs(provider.page, baseUrl, 'mch.compute.cashier');
  await provider.page.goto(`${baseUrl}/scanner`);
  await provider.page.getByLabel('上传券码照片').setInputFiles({ name: 'voucher.png', mimeType: 'image/png', buffer: await qrPng(staticToken, 6) });
  await provider.page.getByTestId('scanned-code').waitFor();
  assert((await provider.page.getByTestId('scanned-via').getAttribute('data-source')) === 'photo', 'the provider read the code from a photo');
  await provider.page.getByLabel('合同编号').fill(CONTRACT);
  await provider.page.getByLabel('发票号码').fill(INVOICE);
  await provider.page.getByLabel('交付日期').fill(shanghaiToday());
  await provider.page.getByLabel('验收单号').fill('YS-2025-0426');
  await provider.page.getByRole('textbox', { name: '本次结算金额' }).fill('500000');
  await provider.page.getByRole('button', { name: '计算优惠' }).click();
  await provider.page.getByTestId('redeem-preview').waitFor();
  assert((await provider.page.getByTestId('preview-discount').innerText()) === '−¥150,000.00', 'the voucher pays 30% of ¥500,000');
  await screenshot(provider.page, 'b2b-submit.png');
  await provider.page.getByRole('button', { name: '提交企业确认' }).click();
  await provider.page.getByTestId('receipt').waitFor();
  assert((await provider.page.getByTestId('receipt-headline').innerText()).includes('等待持券企业确认'), 'the provider sees the redemption waiting');
  await screenshot(provider.page, 'b2b-receipt.png', { publish: false });
  log('provider submitted the redemption with contract, invoice and delivery proof');
  await logout(provider.page);
  await loginAs(provider.page, baseUrl, 'mch.compute');
  await provider.page.getByRole('navigation', { name: '工作区' }).getByRole('link', { name: '对账单' }).click();
  await provider.page.getByRole('heading', { name: '对账单', exact: true }).waitFor();
  await provider.page.getByTestId('awaiting-api').or(provider.page.getByText('还没有结算批次', { exact: false })).or(provider.page.getByTestId('settlement-batch').first()).waitFor();
  await screenshot(provider.page, 'statements.png');
  await checkHygiene(provider);

  await page.getByRole('navigation', { name: '工作区' }).getByRole('link', { name: '待确认' }).click();
  const pending = page.getByTestId('pending-redemption').filter({ hasText: CONTRACT });
  await pending.waitFor();
  assert((await pending.getByTestId('pending-invoice').innerText()) === INVOICE, 'the confirmation shows the invoice number');
  assert((await pending.getByTestId('pending-discount').innerText()) === '¥150,000.00', 'the confirmation shows what the voucher pays');
  assert((await pending.innerText()).includes('临港算力服务有限公司'), 'the confirmation names the provider');
  await screenshot(page, 'confirmations.png');
  await pending.getByRole('button', { name: `确认合同 ${CONTRACT} 的核销（¥150,000.00）` }).click();
  await page.getByTestId('confirmation-done').waitFor();
  await page.getByText('没有待确认的核销。').waitFor();
  await page.getByTestId('confirmation-done').getByRole('link', { name: '查看记录' }).click();
  await page.getByTestId('history-redemptions').getByText('已核销').waitFor();
  await screenshot(page, 'history.png');
  log('enterprise confirmed the redemption; its history shows it posted');
  await checkHygiene(enterprise);
}

// ---------------------------------------------------------------- agency: grants, lottery, settlement

const GRANT_POOL_NAME = '免申即享科技创新券（E2E）';

async function usccOf(baseUrl, login) {
  const token = await apiLogin(baseUrl, login);
  const { body: me } = await apiCall(baseUrl, 'GET', '/me', { token });
  const { body: org } = await apiCall(baseUrl, 'GET', `/orgs/${me.memberships[0].orgId}`, { token });
  return org.uscc;
}

async function runJob(baseUrl, name) {
  const admin = await apiLogin(baseUrl, 'admin');
  const run = await apiCall(baseUrl, 'POST', `/admin/jobs/${name}/run`, { token: admin });
  assert(run.status === 200 && run.body.status === 'succeeded', `job ${name} ran (got ${run.status} ${JSON.stringify(run.body)})`);
  return run.body;
}

async function agencyExtrasJourney(baseUrl, shared) {
  const now = Date.now();
  const grantPool = await publishPool(baseUrl, {
    kind: 'innovation', nameZh: GRANT_POOL_NAME, budgetFen: 100_000_000, distribution: 'auto_grant',
    claimOpensAt: new Date(now - 60_000).toISOString(), claimClosesAt: new Date(now + 30 * 86_400_000).toISOString(),
  });
  const list = `identifier\n${await usccOf(baseUrl, 'ent.beta')}\n${await usccOf(baseUrl, 'ent.gamma')}\nNOT-A-USCC\n`;
  const browser = await launchBrowser(baseUrl, DESKTOP);
  const { page } = browser;
  await loginAs(page, baseUrl, 'jxw.manager');
  await page.goto(`${baseUrl}/pools/${grantPool.id}`);
  await page.getByRole('link', { name: '免申即享发放名单' }).click();
  await page.getByLabel('名单文件（CSV）').setInputFiles({ name: 'grant-list.csv', mimeType: 'text/csv', buffer: Buffer.from(list) });
  await page.getByRole('button', { name: '上传并开始发放' }).click();
  const batch = page.getByTestId('grant-batch').filter({ hasText: 'grant-list.csv' });
  await batch.waitFor();
  const before = await batch.getByTestId('grant-status').innerText();
  log(`grant list uploaded; the batch shows "${before}" while the job has not run`);
  await runJob(baseUrl, 'grants');
  await batch.getByTestId('grant-status').getByText('已完成').waitFor();
  const progress = await batch.getByTestId('grant-progress-text').innerText();
  assert(progress.includes('已处理 3 / 3 行，发放 2，跳过 1'), `the live progress reaches the end (got "${progress}")`);
  const downloading = page.waitForEvent('download');
  await batch.getByRole('button', { name: /发放结果（CSV）/ }).click();
  const result = await (await downloading).path();
  const csv = await readFile(result, 'utf8');
  assert(csv.startsWith('\ufeffrow,identifier') && (csv.match(/,granted,/g) ?? []).length === 2 && csv.includes('invalid identifier'), `the result CSV lists each row's outcome (got ${csv.slice(0, 200)})`);
  await screenshot(page, 'grants.png');
  log('grant progress polled to the end (2 granted, 1 skipped); the result CSV downloaded');

  const waitMs = shared.lottery.closesAtMs + 1_000 - Date.now();
  if (waitMs > 0) {
    log(`waiting ${Math.ceil(waitMs / 1000)} s for the lottery entries to close`);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
  const draw = await runJob(baseUrl, 'lottery-draw');
  log(`lottery-draw job: ${JSON.stringify(draw.detail)}`);
  await page.goto(`${baseUrl}/pools/${shared.lottery.poolId}/lottery`);
  await page.getByTestId('lottery-status').getByText('已开奖').waitFor();
  await page.getByTestId('entrant-list').getByText('中签').waitFor();
  await screenshot(page, 'lottery-agency.png');
  log('the agency lottery page shows the commitment, the seed and the entrant list');

  await page.getByRole('navigation', { name: '工作区' }).getByRole('link', { name: '结算' }).click();
  await page.getByRole('heading', { name: '结算', exact: true }).waitFor();
  await page.getByTestId('awaiting-api').or(page.getByText('还没有结算批次', { exact: false })).or(page.getByTestId('settlement-batch').first()).waitFor();
  await screenshot(page, 'settlement.png');
  log(`settlement page: ${(await page.getByTestId('awaiting-api').count()) > 0 ? 'awaiting the settlement API' : 'batch list shown'}`);
  await checkHygiene(browser);

  const consumer = await launchBrowser(baseUrl, PHONE);
  await loginAs(consumer.page, baseUrl, CONSUMER);
  await consumer.page.goto(`${baseUrl}/rounds`);
  // Open or already closed by the pool-schedule job, the rounds page links to the published result.
  await consumer.page.getByRole('link', { name: `${LOTTERY_POOL_NAME} 的摇号结果` }).click();
  const mine = await consumer.page.getByTestId('lottery-my-result').innerText();
  assert(mine.includes('恭喜中签'), `the only entrant won (got "${mine}")`);
  await consumer.page.getByRole('button', { name: '在本浏览器中验证' }).click();
  const verified = await consumer.page.getByTestId('verify-draw').innerText();
  assert(verified.includes('验证通过'), `the browser recomputes the draw (got "${verified}")`);
  await consumer.page.getByTestId('lottery-guide').waitFor();
  await screenshot(consumer.page, 'lottery.png');
  log('the consumer sees the win, the revealed seed, and verifies the draw in the browser');
  await checkHygiene(consumer);
}

const JOURNEYS = [
  ['smoke: login, role-aware home, English', (baseUrl) => smokeJourney(baseUrl)],
  ['agency: draft, preview, submit, four eyes, approve', agencyJourney],
  ['consumer: claim, dynamic QR, clock step, offline', consumerJourney],
  ['enterprise: eligibility reasons, claim, static QR', (baseUrl) => enterpriseJourney(baseUrl)],
  ['journey 1 (merchant): camera reads the QR (jsQR), redeem, receipt, today, dashboard, wallet used, reversal', scannerJourney],
  ['journey 2 (B2B): apply with PDF, approver grants, provider submits from a photo, enterprise confirms', b2bJourney],
  ['agency: grant list with live progress and result CSV, lottery draw and verification, settlement', agencyExtrasJourney],
];

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

/** Runs the journeys in order (later ones build on earlier ones' data); returns the counts. */
async function main() {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  const { baseUrl, logTail } = await startServer();
  const shared = {};
  let passed = 0;
  let failed = 0;
  for (const [name, run] of JOURNEYS) {
    log(`--- ${name}`);
    try {
      await run(baseUrl, shared);
      passed += 1;
      log(`passed: ${name}`);
    } catch (error) {
      failed += 1;
      const page = lastPages[lastPages.length - 1];
      if (page !== undefined && !page.isClosed()) {
        await page.screenshot({ path: path.join(ARTIFACTS_DIR, `failure-${passed + failed}.png`), fullPage: true }).catch(() => undefined);
      }
      process.stderr.write(`FAILED: ${name}\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      if (logTail.length > 0) process.stderr.write(`--- server log (last lines) ---\n${logTail.join('\n')}\n`);
    }
  }
  return { passed, failed };
}

const overall = setTimeout(() => {
  process.stderr.write(`browser smoke test exceeded ${RUN_TIMEOUT_MS / 1000} s\n`);
  void finish(1, `browser: 0 passed, ${JOURNEYS.length} failed`);
}, RUN_TIMEOUT_MS);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => void finish(130, `browser: 0 passed, ${JOURNEYS.length} failed (interrupted)`));
}

main().then(
  ({ passed, failed }) => {
    clearTimeout(overall);
    return finish(failed === 0 ? 0 : 1, `browser: ${passed} passed, ${failed} failed`);
  },
  (error) => {
    clearTimeout(overall);
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return finish(1, `browser: 0 passed, ${JOURNEYS.length} failed`);
  },
);
