/**
 * Migration 0014: the references of vouchers and journal entries are checked once per
 * statement (a trigger over the statement's new rows) instead of by foreign keys, and what
 * the keys also guaranteed — a referenced pool, organisation or journal transaction is never
 * removed or re-keyed — is refused outright. Each rule is tried against the database here.
 */
import { sql } from '../../server/src/platform/db';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { idemKey, openPool } from '../helpers/factories';
import { orgIdOf } from '../security/fixtures';

describe('references checked per statement (migration 0014)', () => {
  let h: Harness;
  let voucherId: string;
  let poolA: { id: string; issuer: string };
  let poolB: { id: string; issuer: string };
  beforeAll(async () => {
    h = await startHarness({ demo: true });
    const a = await openPool(h, {}, 'jxw');
    const b = await openPool(h, {}, 'swj');
    const issuerOf = async (id: string) => (await h.db.query<{ issuer_id: string }>(sql`SELECT issuer_id FROM pools WHERE id = ${id}`))[0]!.issuer_id;
    poolA = { id: a.id, issuer: await issuerOf(a.id) };
    poolB = { id: b.id, issuer: await issuerOf(b.id) };
    const claimed = await h.http().post(`/api/v1/pools/${a.id}/claims`).set(bearer(await h.login('13800138000')))
      .set('Idempotency-Key', idemKey()).send({});
    expect(claimed.status).toBe(201);
    voucherId = claimed.body.voucherId ?? claimed.body.id;
  });
  afterAll(async () => {
    await h.close();
  });

  /** A copy of the claimed voucher under a new id and code, with `pool` and `issuer` as given. */
  const copyVoucher = (pool: string, issuer: string, provider: string | null = null) => h.db.query(sql`
    INSERT INTO vouchers (id, code, pool_id, issuer_id, holder_kind, holder_id, amount_fen, balance_fen, provider_id,
      valid_from, valid_until, status, source, issued_at, updated_at)
    SELECT gen_random_uuid(), 'ZZZZZZZZZZZZZZZZ0', ${pool}::uuid, ${issuer}::uuid, holder_kind, holder_id, amount_fen, balance_fen,
      ${provider}::uuid, valid_from, valid_until, status, source, issued_at, updated_at FROM vouchers WHERE id = ${voucherId}`);
  const orgOf = (login: string) => orgIdOf(h, login);

  test('when a voucher names no pool, another issuer than its pool\'s, or no such provider, then the insert is refused', async () => {
    expect(voucherId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(copyVoucher('00000000-0000-4000-8000-000000000001', poolA.issuer)).rejects.toThrow(/no such pool with that issuer/);
    await expect(copyVoucher(poolA.id, poolB.issuer)).rejects.toThrow(/no such pool with that issuer/);
    await expect(copyVoucher(poolA.id, poolA.issuer, '00000000-0000-4000-8000-000000000002')).rejects.toThrow(/no such organisation/);
    // the same statement with every reference right is accepted (rolled back: it has no journal)
    const provider = await orgOf('mch.compute');
    await expect(h.db.transaction(async (tx) => {
      await tx.query(sql`INSERT INTO vouchers (id, code, pool_id, issuer_id, holder_kind, holder_id, amount_fen, balance_fen, provider_id,
        valid_from, valid_until, status, source, issued_at, updated_at)
        SELECT gen_random_uuid(), 'ZZZZZZZZZZZZZZZZ0', pool_id, issuer_id, holder_kind, holder_id, amount_fen, balance_fen,
          ${provider}::uuid, valid_from, valid_until, status, source, issued_at, updated_at FROM vouchers WHERE id = ${voucherId}`);
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
  });

  test('when a voucher\'s pool or issuer is changed, or its provider set to no organisation, then the update is refused', async () => {
    await expect(h.db.query(sql`UPDATE vouchers SET pool_id = ${poolB.id} WHERE id = ${voucherId}`)).rejects.toThrow(/never removed or re-keyed/);
    await expect(h.db.query(sql`UPDATE vouchers SET issuer_id = ${poolB.issuer} WHERE id = ${voucherId}`)).rejects.toThrow(/never removed or re-keyed/);
    await expect(h.db.query(sql`UPDATE vouchers SET provider_id = '00000000-0000-4000-8000-000000000003' WHERE id = ${voucherId}`))
      .rejects.toThrow(/no such organisation/);
    const provider = await orgOf('mch.compute');
    await h.db.query(sql`UPDATE vouchers SET provider_id = ${provider} WHERE id = ${voucherId}`);
    await h.db.query(sql`UPDATE vouchers SET provider_id = NULL WHERE id = ${voucherId}`);
  });

  test('when a journal entry names no transaction, or one of another pool, then the insert is refused', async () => {
    await expect(h.db.query(sql`INSERT INTO journal_entries (txn_id, account, pool_id, amount_fen, at)
      VALUES (999999999, 'available', ${poolA.id}, 1, now()), (999999999, 'budget', ${poolA.id}, -1, now())`))
      .rejects.toThrow(/no such transaction of that pool/);
    await expect(h.db.transaction(async (tx) => {
      const [t] = await tx.query<{ id: number }>(sql`INSERT INTO journal_transactions (kind, pool_id, at) VALUES ('fund', ${poolA.id}, now()) RETURNING id`);
      await tx.query(sql`INSERT INTO journal_entries (txn_id, account, pool_id, amount_fen, at)
        VALUES (${t!.id}, 'available', ${poolB.id}, 1, now()), (${t!.id}, 'budget', ${poolB.id}, -1, now())`);
    })).rejects.toThrow(/no such transaction of that pool/);
  });

  test('when a pool, an organisation or a journal transaction would be removed or re-keyed, then the database refuses', async () => {
    await expect(h.db.query(sql`DELETE FROM pools WHERE id = ${poolB.id}`)).rejects.toThrow(/never removed/);
    await expect(h.db.query(sql`UPDATE pools SET issuer_id = ${poolA.issuer} WHERE id = ${poolB.id}`)).rejects.toThrow(/never removed or re-keyed/);
    await expect(h.db.query(sql`UPDATE pools SET id = gen_random_uuid() WHERE id = ${poolB.id}`)).rejects.toThrow(/never removed or re-keyed/);
    await expect(h.db.query(sql`TRUNCATE pools CASCADE`)).rejects.toThrow(/pools rows are never removed/);
    const org = await orgOf('mch.catering');
    await expect(h.db.query(sql`DELETE FROM organisations WHERE id = ${org}`)).rejects.toThrow(/never removed/);
    await expect(h.db.query(sql`TRUNCATE journal_transactions CASCADE`)).rejects.toThrow(/journal_transactions is append-only: TRUNCATE refused/);
    // an update that leaves the keys as they are is fine
    await h.db.query(sql`UPDATE pools SET issuer_id = issuer_id WHERE id = ${poolB.id}`);
    const [n] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM pools WHERE id IN (${poolA.id}, ${poolB.id})`);
    expect(n!.n).toBe(2);
  });
});
