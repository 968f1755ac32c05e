import { randomUUID } from 'node:crypto';
import { usccCheckChar } from '@hqt/shared';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { expectReconciled } from '../helpers/reconcile';
import { bulkConsumers, idemKey, openPool } from '../helpers/factories';
import { DEMO_ORGS } from '../../server/src/demo/seed-demo';
import { sql } from '../../server/src/platform/db';

const [ALPHA, BETA, GAMMA] = DEMO_ORGS.enterprises.map((e) => e.uscc) as [string, string, string];

/** A first-come enterprise pool that admits only listed enterprises. */
const LISTED_ENTERPRISES = {
  kind: 'professional_service', distribution: 'first_come', valueRule: { type: 'ratio', ratioBp: 5000, amountFen: 10_000 },
  budgetFen: 100_000, perHolderMax: 1, eligibility: { listOnly: true },
};
const LISTED_CONSUMERS = { kind: 'consumption', distribution: 'first_come', eligibility: { listOnly: true } };

function withBadCheckChar(uscc: string): string {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  return uscc.slice(0, 17) + (alphabet[(alphabet.indexOf(uscc.charAt(17)) + 1) % alphabet.length] as string);
}

/** A valid USCC nobody registered. */
function freshUscc(n: number): string {
  const first17 = `91310000MA1Y${String(n).padStart(5, '0')}`;
  return first17 + usccCheckChar(first17);
}

describe('eligible list (上传名单)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
  });
  afterAll(async () => {
    await expectReconciled(h);
    await h.close();
  });

  async function upload(poolId: string, body: string | Buffer, opts: { login?: string; key?: string } = {}) {
    return h.http().put(`/api/v1/pools/${poolId}/eligible-list`).set(bearer(await h.login(opts.login ?? 'jxw.manager')))
      .set('Idempotency-Key', opts.key ?? idemKey())
      .attach('file', typeof body === 'string' ? Buffer.from(body, 'utf8') : body, { filename: 'list.csv', contentType: 'text/csv' });
  }

  async function list(poolId: string, query = '', login = 'jxw.auditor') {
    return h.http().get(`/api/v1/pools/${poolId}/eligible-list${query}`).set(bearer(await h.login(login)));
  }

  async function eligibility(poolId: string, login: string) {
    const res = await h.http().get(`/api/v1/pools/${poolId}/eligibility`).set(bearer(await h.login(login)));
    expect(res.status).toBe(200);
    return res.body as { eligible: boolean; reasons: { rule: string; pass: boolean; zh: string; en: string }[] };
  }

  async function claim(poolId: string, login: string, password?: string) {
    return h.http().post(`/api/v1/pools/${poolId}/claims`).set(bearer(await h.login(login, password)))
      .set('Idempotency-Key', idemKey()).send({});
  }

  test('when a manager uploads good and bad lines, then the good ones are stored once, each bad line is reported with its code, and the list pages in order', async () => {
    const pool = await openPool(h, LISTED_ENTERPRISES);
    const unregistered = freshUscc(1);
    const csv = [
      '统一社会信用代码,企业名称',
      `${ALPHA},深算`,
      ` ${ALPHA.toLowerCase().slice(0, 9)} ${ALPHA.toLowerCase().slice(9)} ,重复`,
      `${withBadCheckChar(GAMMA)},校验位错`,
      '13800138000,手机号',
      ',只有名称',
      `${'9'.repeat(70)},太长`,
      '',
      `"${BETA}",语料工坊`,
      `${unregistered}`,
    ].join('\r\n');
    const res = await upload(pool.id, '\ufeff' + csv);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      poolId: pool.id, audience: 'enterprise', stored: 3, rejected: 4, duplicates: 1, replaced: 0, header: true, rowsTruncated: false,
    });
    expect(res.body.rows).toEqual([
      { line: 4, code: 'INVALID_USCC', value: withBadCheckChar(GAMMA) },
      { line: 5, code: 'WRONG_AUDIENCE', value: '13800138000' },
      { line: 6, code: 'MISSING_IDENTIFIER', value: '' },
      { line: 7, code: 'TOO_LONG', value: '9'.repeat(64) },
    ]);
    expect(res.body.fileSha256).toMatch(/^[0-9a-f]{64}$/);

    const sorted = [ALPHA, BETA, unregistered].sort();
    const first = await list(pool.id, '?limit=2');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ total: 3, fileSha256: res.body.fileSha256, uploadedByName: expect.any(String), nextCursor: sorted[1] });
    expect(first.body.items).toEqual(sorted.slice(0, 2).map((identifier) => ({ identifier })));
    const second = await list(pool.id, `?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items).toEqual([{ identifier: sorted[2] }]);
    expect(second.body.nextCursor).toBeNull();

    const one = await list(pool.id, `?identifier=${encodeURIComponent(` ${ALPHA.toLowerCase()} `)}`);
    expect(one.body.items).toEqual([{ identifier: ALPHA }]);
    expect((await list(pool.id, `?identifier=${GAMMA}`)).body.items).toEqual([]);
    const wrong = await list(pool.id, '?identifier=13800138000');
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('VALIDATION_FAILED');
    expect((await list(pool.id, `?identifier=${ALPHA}&cursor=${ALPHA}`)).status).toBe(400);

    const audit = await h.db.query<{ summary: Record<string, unknown> }>(sql`SELECT summary FROM audit_log
      WHERE action = 'pool.eligible_list_replaced' AND target_id = ${pool.id}`);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.summary).toMatchObject({ stored: 3, rejected: 4, duplicates: 1, replaced: 0, fileName: 'list.csv' });
  });

  test('when an enterprise is listed, then its eligibility passes with a listOnly reason and it can claim; an unlisted one fails naming the rule; a re-upload replaces the list', async () => {
    const pool = await openPool(h, LISTED_ENTERPRISES);
    expect((await upload(pool.id, `${ALPHA}\n`)).body).toMatchObject({ stored: 1, header: false, replaced: 0 });

    const alpha = await eligibility(pool.id, 'ent.alpha');
    expect(alpha.eligible).toBe(true);
    expect(alpha.reasons).toContainEqual({ rule: 'listOnly', pass: true, zh: '须在发放名单内', en: 'Must be on the published list' });
    const beta = await eligibility(pool.id, 'ent.beta');
    expect(beta.eligible).toBe(false);
    expect(beta.reasons.filter((r) => !r.pass).map((r) => r.rule)).toEqual(['listOnly']);

    expect((await claim(pool.id, 'ent.alpha')).status).toBe(201);
    const refused = await claim(pool.id, 'ent.beta');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('NOT_ELIGIBLE');

    const replaced = await upload(pool.id, `identifier\n${BETA}\n`);
    expect(replaced.body).toMatchObject({ stored: 1, replaced: 1, header: true });
    expect((await list(pool.id)).body).toMatchObject({ total: 1, items: [{ identifier: BETA }] });
    expect((await eligibility(pool.id, 'ent.alpha')).eligible).toBe(false);
    expect((await eligibility(pool.id, 'ent.beta')).eligible).toBe(true);
    expect((await claim(pool.id, 'ent.beta')).status).toBe(201);
    expect((await claim(pool.id, 'ent.gamma')).body.code).toBe('NOT_ELIGIBLE');
  });

  test('when a consumer pool lists mobile numbers, then +86, spaces and full-width digits are normalised and only listed consumers claim', async () => {
    const pool = await openPool(h, LISTED_CONSUMERS);
    const [unlisted] = await bulkConsumers(h, 1);
    const res = await upload(pool.id, `手机号\n+86 138-0013-8000\n１３９００００００００\n${ALPHA}\n139\u00000000000\n`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ audience: 'consumer', stored: 2, rejected: 2 });
    expect(res.body.rows).toEqual([{ line: 4, code: 'WRONG_AUDIENCE', value: ALPHA }, { line: 5, code: 'INVALID_MOBILE', value: '139\ufffd0000000' }]);
    expect((await list(pool.id)).body.items).toEqual([{ identifier: '13800138000' }, { identifier: '13900000000' }]);
    expect((await claim(pool.id, '13800138000')).status).toBe(201);
    expect((await claim(pool.id, unlisted!, 'bulk-pass-1')).body.code).toBe('NOT_ELIGIBLE');
  });

  test('when more than 100 lines are bad, then all are counted and the first 100 are listed', async () => {
    const pool = await openPool(h, LISTED_ENTERPRISES);
    const bad = Array.from({ length: 150 }, (_, i) => `BAD-${i}`);
    const res = await upload(pool.id, [ALPHA, ...bad].join('\n'));
    expect(res.body).toMatchObject({ stored: 1, rejected: 150, rowsTruncated: true });
    expect(res.body.rows).toHaveLength(100);
    expect(res.body.rows[99]).toEqual({ line: 101, code: 'INVALID_USCC', value: 'BAD-99' });
  });

  test('when an auto-grant pool grants "all matching", then only listed enterprises get vouchers', async () => {
    const pool = await openPool(h, {
      kind: 'innovation', distribution: 'auto_grant', valueRule: { type: 'ratio', ratioBp: 5000, amountFen: 10_000 },
      budgetFen: 1_000_000, perHolderMax: 1, annualCapFen: null, eligibility: { listOnly: true },
    });
    await upload(pool.id, `${ALPHA}\n${GAMMA}\n${freshUscc(2)}\n`);
    const created = await h.http().post(`/api/v1/pools/${pool.id}/grants`).set(bearer(await h.login('jxw.manager'))).send({ mode: 'all_matching' });
    expect(created.status).toBe(201);
    expect(created.body.total).toBe(2);
    expect((await h.services.jobs.run('grants')).status).toBe('succeeded');
    const holders = await h.db.query<{ uscc: string }>(sql`SELECT o.uscc FROM vouchers v JOIN organisations o ON o.id = v.holder_id
      WHERE v.pool_id = ${pool.id} ORDER BY o.uscc`);
    expect(holders.map((r) => r.uscc)).toEqual([ALPHA, GAMMA].sort());
  });

  test('when the same Idempotency-Key comes again, then the first answer is replayed; with another file it is a conflict', async () => {
    const pool = await openPool(h, LISTED_ENTERPRISES);
    const key = idemKey();
    const first = await upload(pool.id, `${ALPHA}\n`, { key });
    expect(first.status).toBe(200);
    await upload(pool.id, `${BETA}\n`);
    const replay = await upload(pool.id, `${ALPHA}\n`, { key });
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect((await list(pool.id)).body.items).toEqual([{ identifier: BETA }]);
    const conflict = await upload(pool.id, `${GAMMA}\n`, { key });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('IDEMPOTENCY_CONFLICT');
    const noKey = await h.http().put(`/api/v1/pools/${pool.id}/eligible-list`).set(bearer(await h.login('jxw.manager')))
      .attach('file', Buffer.from(`${GAMMA}\n`), 'list.csv');
    expect(noKey.status).toBe(400);
    expect((await list(pool.id)).body.items).toEqual([{ identifier: BETA }]);
  });

  test('when a file is refused, then the answer is a problem with a stable code and the current list is kept; a header-only file empties it', async () => {
    const pool = await openPool(h, LISTED_ENTERPRISES);
    await upload(pool.id, `${ALPHA}\n${BETA}\n`);
    const manager = await h.login('jxw.manager');
    const put = () => h.http().put(`/api/v1/pools/${pool.id}/eligible-list`).set(bearer(manager)).set('Idempotency-Key', idemKey());

    const allBad = await upload(pool.id, 'uscc\n13800138000\nnot-a-code\n');
    expect(allBad.status).toBe(422);
    expect(allBad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(allBad.body.code).toBe('ELIGIBLE_LIST_NO_VALID_ROWS');
    expect(allBad.body.errors).toEqual([
      { field: 'file.line.2', message: '13800138000', type: 'WRONG_AUDIENCE' },
      { field: 'file.line.3', message: 'not-a-code', type: 'INVALID_USCC' },
    ]);
    const gbk = await upload(pool.id, Buffer.from([0xc6, 0xf3, 0xd2, 0xb5, 0x0a, 0x31, 0x0a]) /* 企业 in GBK */);
    expect(gbk.status).toBe(400);
    expect(gbk.body.code).toBe('CSV_INVALID');
    const unreadable = await upload(pool.id, `${ALPHA},"${'x'.repeat(5000)}"\n`);
    expect(unreadable.body.code).toBe('CSV_INVALID');
    const tooBig = await put().attach('file', Buffer.alloc(24 * 1024 * 1024 + 1, 0x31), 'big.csv');
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.code).toBe('CSV_INVALID');
    const noFile = await put().field('note', 'x');
    expect(noFile.status).toBe(400);
    const json = await put().send({ file: ALPHA });
    expect(json.status).toBe(400);
    const plainJson = await put().send({});
    expect(plainJson.status).toBe(415);
    expect(plainJson.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect((await list(pool.id)).body).toMatchObject({ total: 2, items: [ALPHA, BETA].sort().map((identifier) => ({ identifier })) });

    const emptied = await upload(pool.id, 'identifier\n');
    expect(emptied.body).toMatchObject({ stored: 0, rejected: 0, replaced: 2 });
    expect((await list(pool.id)).body).toMatchObject({ total: 0, items: [], nextCursor: null });
    expect((await eligibility(pool.id, 'ent.alpha')).eligible).toBe(false);
  });

  test('when two uploads race, then the list is exactly one of them, never a mix, and its count matches', async () => {
    const pool = await openPool(h, LISTED_ENTERPRISES);
    const a = Array.from({ length: 300 }, (_, i) => freshUscc(1000 + i));
    const b = Array.from({ length: 200 }, (_, i) => freshUscc(2000 + i));
    const replies = await Promise.all([upload(pool.id, a.join('\n')), upload(pool.id, b.join('\n'))]);
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    const stored = (await h.db.query<{ identifier: string }>(sql`SELECT identifier FROM pool_eligible_list WHERE pool_id = ${pool.id} ORDER BY 1`))
      .map((r) => r.identifier);
    expect([a.sort(), b.sort()]).toContainEqual(stored);
    expect((await list(pool.id)).body.total).toBe(stored.length);
    expect(replies.map((r) => r.body.replaced).sort((x, y) => x - y)).toEqual([0, stored.length === a.length ? b.length : a.length]);
  });

  test('when the pool is closed, then uploads are refused and the list stays readable', async () => {
    const pool = await openPool(h, LISTED_ENTERPRISES);
    await upload(pool.id, `${ALPHA}\n`);
    const closed = await h.http().post(`/api/v1/pools/${pool.id}/close`).set(bearer(await h.login('jxw.manager')));
    expect(closed.status).toBe(200);
    const refused = await upload(pool.id, `${BETA}\n`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('POOL_STATE_CONFLICT');
    expect((await list(pool.id)).body.items).toEqual([{ identifier: ALPHA }]);
  });

  test('when someone other than the issuer’s staff asks, then another issuer gets 404, other roles 403, and nothing changes', async () => {
    const pool = await openPool(h, LISTED_ENTERPRISES);
    await upload(pool.id, `${ALPHA}\n`);
    const other = await upload(pool.id, `${BETA}\n`, { login: 'swj.manager' });
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('NOT_FOUND');
    const missing = await upload(randomUUID(), `${BETA}\n`, { login: 'jxw.manager' });
    expect(missing.status).toBe(404);
    const approver = await upload(pool.id, `${BETA}\n`, { login: 'jxw.approver' });
    expect(approver.status).toBe(403);
    expect(approver.body.code).toBe('FORBIDDEN');
    expect((await upload(pool.id, `${BETA}\n`, { login: 'ent.alpha' })).status).toBe(403);

    expect((await list(pool.id, '', 'swj.auditor')).status).toBe(404);
    expect((await list(pool.id, '', 'ent.alpha')).status).toBe(403);
    expect((await list(pool.id, '', 'admin')).status).toBe(200);
    expect((await list(pool.id, '', 'jxw.manager')).body.items).toEqual([{ identifier: ALPHA }]);
  });
});
