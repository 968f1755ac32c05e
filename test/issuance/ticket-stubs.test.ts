import { createHash, createHmac } from 'node:crypto';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { expectReconciled } from '../helpers/reconcile';
import { bulkConsumers, idemKey, openPool, poolEquation } from '../helpers/factories';
import { sql } from '../../server/src/platform/db';

/** What a partner computes: `<payload>.<base64url of the first 16 bytes of HMAC-SHA256(key, payload)>`. */
function partnerSign(key: string, payload: string): string {
  return `${payload}.${createHmac('sha256', key).update(payload).digest().subarray(0, 16).toString('base64url')}`;
}

describe('ticket stubs (票根经济)', () => {
  let h: Harness;
  let holders: string[];
  beforeAll(async () => {
    h = await startHarness({ demo: true });
    holders = await bulkConsumers(h, 8);
  });
  afterAll(async () => {
    await expectReconciled(h);
    await h.close();
  });

  const claim = async (login: string, poolId: string, ticketStub?: string, key = idemKey()) =>
    h.http().post(`/api/v1/pools/${poolId}/claims`).set(bearer(await h.login(login, 'bulk-pass-1')))
      .set('Idempotency-Key', key).send(ticketStub === undefined ? {} : { ticketStub });

  async function importStubs(poolId: string, csv: string) {
    return h.http().post(`/api/v1/pools/${poolId}/ticket-stubs`).set(bearer(await h.login('jxw.manager')))
      .attach('file', Buffer.from(csv), { filename: 'stubs.csv', contentType: 'text/csv' });
  }

  test('when a pool needs a stub, then a claim without one is 400, an imported one works once, and a second holder with it gets 409', async () => {
    const pool = await openPool(h, { ticketStubRequired: true, perHolderMax: 1 });
    const imported = await importStubs(pool.id, '\ufeffcode\nMOVIE-0001\nMOVIE-0002\n\nMOVIE-0002\n');
    expect(imported.status).toBe(200);
    expect(imported.body).toEqual({ imported: 2, alreadyPresent: 1, total: 3 });
    expect((await importStubs(pool.id, 'code\nMOVIE-0001\n')).body).toEqual({ imported: 0, alreadyPresent: 1, total: 1 });

    const none = await claim(holders[0]!, pool.id);
    expect(none.status).toBe(400);
    expect(none.body.code).toBe('TICKET_STUB_REQUIRED');
    const key = idemKey();
    const ok = await claim(holders[0]!, pool.id, 'MOVIE-0001', key);
    expect(ok.status).toBe(201);
    const replay = await claim(holders[0]!, pool.id, 'MOVIE-0001', key);
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(ok.body.id);
    const reused = await claim(holders[1]!, pool.id, 'MOVIE-0001');
    expect(reused.status).toBe(409);
    expect(reused.body.code).toBe('TICKET_STUB_INVALID');
    const unknown = await claim(holders[1]!, pool.id, 'MOVIE-9999');
    expect(unknown.body.code).toBe('TICKET_STUB_INVALID');

    const stored = await h.db.query<{ code_sha256: string }>(sql`SELECT code_sha256 FROM ticket_stubs WHERE pool_id = ${pool.id} ORDER BY 1`);
    const hashes = ['MOVIE-0001', 'MOVIE-0002'].map((c) => createHash('sha256').update(c).digest('hex')).sort();
    expect(stored.map((s) => s.code_sha256)).toEqual(hashes);
    const summary = await h.http().get(`/api/v1/pools/${pool.id}/ticket-stubs`).set(bearer(await h.login('jxw.auditor')));
    expect(summary.body).toMatchObject({ imported: 2, used: 1, partnerKey: null });
  });

  test('when several holders race with one stub, then exactly one claim gets it', async () => {
    const pool = await openPool(h, { ticketStubRequired: true, perHolderMax: 1 });
    await importStubs(pool.id, 'code\nRACE-1\n');
    const replies = await Promise.all(holders.slice(0, 6).map((login) => claim(login, pool.id, 'RACE-1')));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409).every((r) => r.body.code === 'TICKET_STUB_INVALID')).toBe(true);
    const [n] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM vouchers WHERE pool_id = ${pool.id}`);
    expect(n!.n).toBe(1);
  });

  test('when a claim with a good stub is refused for another reason, then the stub is not used up', async () => {
    const pool = await openPool(h, { ticketStubRequired: true, perHolderMax: 1 });
    await importStubs(pool.id, 'code\nT-1\nT-2\n');
    expect((await claim(holders[2]!, pool.id, 'T-1')).status).toBe(201);
    const limit = await claim(holders[2]!, pool.id, 'T-2');
    expect(limit.status).toBe(409);
    expect(limit.body.code).toBe('LIMIT_REACHED');
    expect((await claim(holders[3]!, pool.id, 'T-2')).status).toBe(201);
  });

  test('when a partner signs a stub with the pool key, then it is accepted once; a forged signature is 409', async () => {
    const pool = await openPool(h, { ticketStubRequired: true, perHolderMax: 1 });
    const manager = await h.login('jxw.manager');
    const set = await h.http().put(`/api/v1/pools/${pool.id}/ticket-stubs/partner-key`).set(bearer(manager)).send({});
    expect(set.status).toBe(200);
    expect(set.body.key).toEqual(expect.any(String));
    expect(set.body.fingerprint).toBe(createHash('sha256').update(set.body.key).digest('hex').slice(0, 16));
    const stub = partnerSign(set.body.key, 'SHOW-20251127-A017');
    expect(stub.length).toBeLessThanOrEqual(64);

    expect((await claim(holders[4]!, pool.id, stub)).status).toBe(201);
    const again = await claim(holders[5]!, pool.id, stub);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('TICKET_STUB_INVALID');
    const forged = await claim(holders[5]!, pool.id, partnerSign('a-key-the-partner-does-not-have-0123456789', 'SHOW-20251127-A018'));
    expect(forged.status).toBe(409);
    expect(forged.body.code).toBe('TICKET_STUB_INVALID');
    const tampered = await claim(holders[5]!, pool.id, stub.replace('A017', 'A019'));
    expect(tampered.body.code).toBe('TICKET_STUB_INVALID');

    // rotating the key to one the manager chose: old signatures stop working, new ones work
    const chosen = 'partner-cinema-shared-secret-2025-XYZ';
    const rotated = await h.http().put(`/api/v1/pools/${pool.id}/ticket-stubs/partner-key`).set(bearer(manager)).send({ key: chosen });
    expect(rotated.body.key).toBeUndefined();
    expect((await claim(holders[6]!, pool.id, partnerSign(set.body.key, 'SHOW-20251127-A020'))).body.code).toBe('TICKET_STUB_INVALID');
    expect((await claim(holders[6]!, pool.id, partnerSign(chosen, 'SHOW-20251127-A020'))).status).toBe(201);

    const eq = await poolEquation(h, pool.id);
    expect(eq.journal.reserved).toBe(2 * 9000);
    expect(eq.journal.available).toBe(eq.available);
  });

  test('when the stub list is refused or the caller is not the manager, then nothing is imported', async () => {
    const pool = await openPool(h, { ticketStubRequired: true });
    const noColumn = await importStubs(pool.id, 'ticket\nA\n');
    expect(noColumn.status).toBe(400);
    expect(noColumn.body.code).toBe('CSV_INVALID');
    const tooLong = await importStubs(pool.id, `code\n${'X'.repeat(65)}\n`);
    expect(tooLong.body.code).toBe('CSV_INVALID');
    const approver = await h.http().post(`/api/v1/pools/${pool.id}/ticket-stubs`).set(bearer(await h.login('jxw.approver')))
      .attach('file', Buffer.from('code\nA\n'), 'stubs.csv');
    expect(approver.status).toBe(403);
    const plain = await openPool(h, {});
    expect((await importStubs(plain.id, 'code\nA\n')).body.code).toBe('POOL_CONFIG_INVALID');
    const other = await h.http().put(`/api/v1/pools/${pool.id}/ticket-stubs/partner-key`).set(bearer(await h.login('swj.manager'))).send({});
    expect(other.status).toBe(404);
  });
});
