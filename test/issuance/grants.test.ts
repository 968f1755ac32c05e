import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { usccCheckChar } from '@hqt/shared';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { expectReconciled } from '../helpers/reconcile';
import { bulkConsumers, openPool, poolEquation } from '../helpers/factories';
import { DEMO_ORGS } from '../../server/src/demo/seed-demo';
import { sql } from '../../server/src/platform/db';

const ENTERPRISE_POOL = {
  kind: 'innovation', distribution: 'auto_grant', valueRule: { type: 'ratio', ratioBp: 5000, amountFen: 10_000 },
  budgetFen: 1_000_000, perHolderMax: 1, annualCapFen: null,
};
const CONSUMER_POOL = { kind: 'consumption', distribution: 'auto_grant', budgetFen: 9000 * 20 };

const [ALPHA, BETA, GAMMA] = DEMO_ORGS.enterprises.map((e) => e.uscc) as [string, string, string];

let serial = 0;
/** A valid USCC nobody registered (check character computed). */
function freshUscc(): string {
  const first17 = `91310000MA1X${String(Date.now() % 1e4).padStart(4, '0')}${serial++ % 10}`;
  return first17 + usccCheckChar(first17);
}

/** Inserts active enterprises directly (holders are organisations; no users needed). */
async function bulkEnterprises(h: Harness, n: number, district = 'jingan'): Promise<string[]> {
  const usccs: string[] = [];
  await h.db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const uscc = freshUscc();
      await tx.query(sql`INSERT INTO organisations (id, type, name_zh, uscc, district, status)
        VALUES (${randomUUID()}, 'enterprise', ${'批量企业 ' + uscc}, ${uscc}, ${district}, 'active')`);
      usccs.push(uscc);
    }
  });
  return usccs;
}

function withBadCheckChar(uscc: string): string {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const wrong = alphabet[(alphabet.indexOf(uscc.charAt(17)) + 1) % alphabet.length] as string;
  return uscc.slice(0, 17) + wrong;
}

describe('auto-grant (免申即享)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
  });
  afterAll(async () => {
    await expectReconciled(h);
    await h.close();
  });

  const manager = () => h.login('jxw.manager');

  async function upload(poolId: string, csv: string, token?: string) {
    return h.http().post(`/api/v1/pools/${poolId}/grants`).set(bearer(token ?? await manager()))
      .attach('file', Buffer.from(csv, 'utf8'), { filename: 'list.csv', contentType: 'text/csv' });
  }

  async function runJob() {
    const run = await h.services.jobs.run('grants');
    expect(run.status).toBe('succeeded');
    return run;
  }

  async function resultOf(grantId: string): Promise<Record<string, string>[]> {
    const res = await h.http().get(`/api/v1/grants/${grantId}/result.csv`).set(bearer(await manager())).buffer(true)
      .parse((r, cb) => { let t = ''; r.setEncoding('utf8'); r.on('data', (c: string) => { t += c; }); r.on('end', () => cb(null, t)); });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect((res.body as string).startsWith('\ufeff')).toBe(true);
    return parse(res.body as string, { bom: true, columns: true }) as Record<string, string>[];
  }

  async function vouchersIn(poolId: string): Promise<{ holder_id: string; amount_fen: number; status: string }[]> {
    return h.db.query(sql`SELECT holder_id, amount_fen, status FROM vouchers WHERE pool_id = ${poolId} ORDER BY issued_at`);
  }

  test('when a list has good and bad rows, then the good ones are granted and every bad one is reported with its reason; re-runs grant nobody twice', async () => {
    const pool = await openPool(h, ENTERPRISE_POOL);
    const unknown = freshUscc();
    const csv = [
      'identifier,amountFen,企业名称',
      `${ALPHA},,深算`,
      `${BETA},5000,语料工坊`,
      `${withBadCheckChar(GAMMA)},,校验位错`,
      '13800138000,,手机号',
      ` ${ALPHA.toLowerCase().slice(0, 9)} ${ALPHA.toLowerCase().slice(9)} ,,重复`,
      `${unknown},,未注册`,
      `${GAMMA},999999,超额`,
      `${GAMMA},abc,金额错`,
      '',
      `${GAMMA},,黄浦`,
    ].join('\r\n');
    const created = await upload(pool.id, '\ufeff' + csv);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ mode: 'csv', fileName: 'list.csv', total: 9, status: 'pending' });

    await runJob();
    const progress = await h.http().get(`/api/v1/grants/${created.body.id}`).set(bearer(await manager()));
    expect(progress.body).toMatchObject({ total: 9, processed: 9, granted: 3, skipped: 6, status: 'done' });

    const rows = await resultOf(created.body.id);
    expect(rows.map((r) => [r.row, r.status, r.reason])).toEqual([
      ['2', 'granted', ''],
      ['3', 'granted', ''],
      ['4', 'skipped', 'invalid identifier'],
      ['5', 'skipped', 'invalid identifier'],
      ['6', 'skipped', 'duplicate line'],
      ['7', 'skipped', 'not registered'],
      ['8', 'skipped', 'invalid amount'],
      ['9', 'skipped', 'invalid amount'],
      ['11', 'granted', ''],
    ]);
    expect(rows[0]!.voucher_code).toMatch(/^[0-9A-Z*~$=]{17}$/);
    expect(rows[4]!.detail).toBe('same holder as row 2');
    const vouchers = await vouchersIn(pool.id);
    expect(vouchers.map((v) => v.amount_fen).sort()).toEqual([10_000, 10_000, 5000].sort());

    // the job again, and the same list uploaded again: nobody gets a second voucher
    await runJob();
    const again = await upload(pool.id, csv);
    await runJob();
    expect((await vouchersIn(pool.id))).toHaveLength(3);
    const againRows = await resultOf(again.body.id);
    expect(againRows.filter((r) => r.status === 'granted')).toHaveLength(0);
    expect(againRows.filter((r) => r.reason === 'already granted').map((r) => r.row)).toEqual(['2', '3', '11']);
    expect(againRows[0]!.detail).toBe(`voucher ${rows[0]!.voucher_code}`);

    const eq = await poolEquation(h, pool.id);
    expect(eq.journal).toEqual({ budget: 1_000_000, available: 1_000_000 - 25_000, reserved: 25_000, spent: 0 });
    expect(eq.available).toBe(1_000_000 - 25_000);
  });

  test('when a consumer list has an unknown phone, a bad phone and a repeated one, then each is reported and the rest granted', async () => {
    const pool = await openPool(h, CONSUMER_POOL);
    const phones = await bulkConsumers(h, 3);
    const csv = ['identifier', phones[0], `+86 ${phones[1]}`, '13900000000', '1234', phones[0], phones[2], '13800138000'].join('\n');
    const created = await upload(pool.id, csv);
    await runJob();
    const rows = await resultOf(created.body.id);
    expect(rows.map((r) => `${r.status}:${r.reason}`)).toEqual([
      'granted:', 'granted:', 'skipped:not registered', 'skipped:invalid identifier', 'skipped:duplicate line', 'granted:', 'granted:',
    ]);
    expect(await vouchersIn(pool.id)).toHaveLength(4);
  });

  test('when the budget runs out mid-list, then the rest are reported as budget exhausted and the equation holds', async () => {
    const pool = await openPool(h, { ...ENTERPRISE_POOL, budgetFen: 30_000 });
    const usccs = await bulkEnterprises(h, 5);
    const created = await upload(pool.id, ['identifier', ...usccs].join('\n'));
    await runJob();
    const rows = await resultOf(created.body.id);
    expect(rows.map((r) => r.reason)).toEqual(['', '', '', 'budget exhausted', 'budget exhausted']);
    const progress = await h.http().get(`/api/v1/grants/${created.body.id}`).set(bearer(await manager()));
    expect(progress.body).toMatchObject({ processed: 5, total: 5, granted: 3, skipped: 2, status: 'done' });
    const eq = await poolEquation(h, pool.id);
    expect(eq.available).toBe(0);
    expect(eq.journal).toEqual({ budget: 30_000, available: 0, reserved: 30_000, spent: 0 });
    // the refused rows' savepoints undid their limit counters too
    const [counters] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM holder_pool_counters WHERE pool_id = ${pool.id}`);
    expect(counters!.n).toBe(3);
  });

  test('when a list is longer than one transaction takes, then it is granted in chunks of 500 and progress reaches the total', async () => {
    const pool = await openPool(h, { ...ENTERPRISE_POOL, budgetFen: 20_000_000 });
    const usccs = await bulkEnterprises(h, 501);
    const created = await upload(pool.id, ['identifier', ...usccs].join('\n'));
    expect(created.body.total).toBe(501);
    const run = await runJob();
    expect(run.detail).toMatchObject({ rows: 501, granted: 501, skipped: 0 });
    const progress = await h.http().get(`/api/v1/grants/${created.body.id}`).set(bearer(await manager()));
    expect(progress.body).toMatchObject({ total: 501, processed: 501, granted: 501, status: 'done' });
    expect(await vouchersIn(pool.id)).toHaveLength(501);
  });

  test('when the manager chooses all_matching, then exactly the eligible registered enterprises get vouchers', async () => {
    await bulkEnterprises(h, 2, 'pudong');
    const pool = await openPool(h, { ...ENTERPRISE_POOL, eligibility: { districts: ['pudong', 'xuhui'] } });
    const created = await h.http().post(`/api/v1/pools/${pool.id}/grants`).set(bearer(await manager())).send({ mode: 'all_matching' });
    expect(created.status).toBe(201);
    const expected = await h.db.query<{ id: string }>(sql`SELECT id FROM organisations
      WHERE type = 'enterprise' AND status = 'active' AND district IN ('pudong', 'xuhui') ORDER BY id`);
    expect(created.body.total).toBe(expected.length);
    await runJob();
    const granted = await vouchersIn(pool.id);
    expect(granted.map((v) => v.holder_id).sort()).toEqual(expected.map((e) => e.id).sort());
    const progress = await h.http().get(`/api/v1/grants/${created.body.id}`).set(bearer(await manager()));
    expect(progress.body).toMatchObject({ processed: expected.length, granted: expected.length, status: 'done' });
  });

  test('when the pool asks for one-click confirmation, then granted vouchers wait for the holder to confirm', async () => {
    const pool = await openPool(h, { ...ENTERPRISE_POOL, confirmMode: 'one_click' });
    await upload(pool.id, `identifier\n${GAMMA}\n`);
    await runJob();
    const gamma = await h.login('ent.gamma');
    const wallet = await h.http().get(`/api/v1/vouchers?poolId=${pool.id}`).set(bearer(gamma));
    expect(wallet.body.items).toHaveLength(1);
    expect(wallet.body.items[0].status).toBe('pending_confirmation');
    const confirmed = await h.http().post(`/api/v1/vouchers/${wallet.body.items[0].id}/confirm`).set(bearer(gamma));
    expect(confirmed.body.status).toBe('active');
  });

  test('when the list is not UTF-8, lacks the identifier column, or the pool is not auto-grant, then the upload is refused', async () => {
    const pool = await openPool(h, ENTERPRISE_POOL);
    const gbk = Buffer.from([0x69, 0x64, 0x65, 0x6e, 0x74, 0x69, 0x66, 0x69, 0x65, 0x72, 0x0a, 0xc6, 0xf3, 0xd2, 0xb5, 0x0a]);
    const notUtf8 = await h.http().post(`/api/v1/pools/${pool.id}/grants`).set(bearer(await manager())).attach('file', gbk, 'gbk.csv');
    expect(notUtf8.status).toBe(400);
    expect(notUtf8.body.code).toBe('CSV_INVALID');
    expect(notUtf8.body.detail).toContain('UTF-8');
    const noHeader = await upload(pool.id, `${ALPHA}\n${BETA}\n`);
    expect(noHeader.body.code).toBe('CSV_INVALID');
    const grab = await openPool(h, { ...ENTERPRISE_POOL, kind: 'professional_service', distribution: 'first_come' });
    expect((await upload(grab.id, `identifier\n${ALPHA}\n`)).body.code).toBe('WRONG_DISTRIBUTION');
    const json = await h.http().post(`/api/v1/pools/${pool.id}/grants`).set(bearer(await manager())).send({ mode: 'everyone' });
    expect(json.status).toBe(400);
    expect(json.body.code).toBe('VALIDATION_FAILED');
    const approver = await upload(pool.id, `identifier\n${ALPHA}\n`, await h.login('jxw.approver'));
    expect(approver.status).toBe(403);
  });

  test('when another issuer or an enterprise asks for a grant, then 404 / 403', async () => {
    const pool = await openPool(h, ENTERPRISE_POOL);
    const created = await upload(pool.id, `identifier\n${ALPHA}\n`);
    expect((await h.http().get(`/api/v1/grants/${created.body.id}`).set(bearer(await h.login('swj.manager')))).status).toBe(404);
    expect((await h.http().get(`/api/v1/grants/${created.body.id}/result.csv`).set(bearer(await h.login('swj.auditor')))).status).toBe(404);
    expect((await h.http().get(`/api/v1/grants/${created.body.id}`).set(bearer(await h.login('ent.alpha')))).status).toBe(403);
    const listed = await h.http().get(`/api/v1/pools/${pool.id}/grants`).set(bearer(await h.login('jxw.auditor')));
    expect(listed.body.items.map((b: { id: string }) => b.id)).toEqual([created.body.id]);
  });
});
