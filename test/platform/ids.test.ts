/**
 * Time-ordered ids (UUIDv7) for vouchers and redemptions: well-formed, accepted by the API's
 * id schema and by PostgreSQL's uuid type, strictly increasing in this process (also within
 * one millisecond, past the counter's end and when the clock steps back), unique, and
 * carrying their millisecond. Issued vouchers carry them, and their ids sort by issue order.
 */
import { uuid } from '@hqt/shared';
import { timeOrderedId, timestampOfId } from '../../server/src/platform/ids';
import { sql } from '../../server/src/platform/db';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { bulkConsumers, idemKey, openPool } from '../helpers/factories';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedId', () => {
  it('is a UUIDv7 the shared id schema accepts, carrying its millisecond', () => {
    const at = Date.UTC(2026, 10, 28, 3, 0, 0, 123);
    const id = timeOrderedId(at + 10_000_000); // ahead of every earlier call in this file
    expect(id).toMatch(V7);
    expect(uuid.validate(id).error).toBeUndefined();
    expect(timestampOfId(id)).toBe(at + 10_000_000);
  });

  it('increases strictly within one millisecond, past 4,096 ids, and when the clock steps back', () => {
    const ms = Date.now() + 20_000_000;
    const ids = Array.from({ length: 10_000 }, () => timeOrderedId(ms));
    ids.push(...Array.from({ length: 100 }, () => timeOrderedId(ms - 5_000)));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // the counter ran out at least once: the timestamp ran ahead of the clock by a few ms only
    expect(timestampOfId(ids[ids.length - 1]!)).toBeGreaterThan(ms);
    expect(timestampOfId(ids[ids.length - 1]!)).toBeLessThan(ms + 10);
  });

  it('differs between processes in the same millisecond by its random bits', () => {
    const ms = Date.now() + 30_000_000;
    const a = timeOrderedId(ms);
    const rest = a.slice(19).replace(/-/g, '');
    expect(rest).toMatch(/^[89ab][0-9a-f]{15}$/);
    // 62 random bits: two ids never share them
    const tails = new Set(Array.from({ length: 5_000 }, () => timeOrderedId(ms).slice(19)));
    expect(tails.size).toBe(5_000);
  });
});

describe('vouchers get time-ordered ids', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it('claims store UUIDv7 ids in PostgreSQL, increasing in the order they were issued', async () => {
    const pool = await openPool(h, {}, 'jxw');
    const phones = await bulkConsumers(h, 3);
    const ids: string[] = [];
    for (const phone of phones) {
      const res = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(await h.login(phone, 'bulk-pass-1')))
        .set('Idempotency-Key', idemKey()).send({});
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    const rows = await h.db.query<{ id: string }>(sql`SELECT id::text FROM vouchers WHERE pool_id = ${pool.id} ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual(ids);
    for (const id of ids) expect(id).toMatch(V7);
  });
});
