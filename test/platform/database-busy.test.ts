/**
 * A request that finds no free database connection within DB_CONNECT_WAIT_MS answers 503
 * OVERLOADED with Retry-After, on the hot chain and on the ordinary one, instead of a 500.
 * Found by the lottery bench: with entry batching off, intake runs at full scale answered
 * some hundred INTERNAL_ERRORs with a p99 of 12 s (the pool's 10 s wait plus the request).
 * Nothing is written by such a request, and the same request succeeds once connections are
 * free. The PostgreSQL-server engine only: PGlite has no pool to wait for.
 */
import { sql } from '../../server/src/platform/db';
import { startHarness, bearer, type Harness } from '../helpers/harness';
import { idemKey, openPool } from '../helpers/factories';

const onServer = process.env.DATABASE_URL ? describe : describe.skip;
const POOL_MAX = 2;
const CONNECT_WAIT_MS = 300;

onServer('no free database connection in time', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ demo: true, pool: { max: POOL_MAX, connectWaitMs: CONNECT_WAIT_MS } });
  });
  afterAll(async () => {
    await h.close();
  });

  /** Holds every connection of the pool in an open transaction until the returned function is called. */
  async function holdEveryConnection(): Promise<() => Promise<void>> {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let held = 0;
    const holders = Array.from({ length: POOL_MAX }, () => h.db.transaction(async (tx) => {
      await tx.query(sql`SELECT 1`);
      held++;
      await gate;
    }));
    while (held < POOL_MAX) await new Promise((r) => setTimeout(r, 5));
    return async () => {
      release();
      await Promise.all(holders);
    };
  }

  it('answers 503 OVERLOADED with Retry-After, and the same requests succeed afterwards', async () => {
    const consumer = await h.login('13800138000');
    const manager = await h.login('jxw.manager');
    const pool = await openPool(h);
    const key = idemKey();
    const [{ n: vouchersBefore }] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM vouchers WHERE pool_id = ${pool.id}`) as [{ n: number }];

    const release = await holdEveryConnection();
    let claim: Awaited<ReturnType<ReturnType<Harness['http']>['post']>>;
    let list: Awaited<ReturnType<ReturnType<Harness['http']>['get']>>;
    try {
      const t0 = Date.now();
      [claim, list] = await Promise.all([
        h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(consumer)).set('Idempotency-Key', key).send({}),
        h.http().get('/api/v1/pools?limit=5').set(bearer(manager)),
      ]);
      expect(Date.now() - t0).toBeLessThan(CONNECT_WAIT_MS * 20);
    } finally {
      await release();
    }
    for (const res of [claim, list]) {
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('OVERLOADED');
      expect(res.headers['retry-after']).toBe('1');
      expect(JSON.stringify(res.body)).not.toMatch(/timeout exceeded|at .*\.js/);
    }
    const [{ n: vouchersBetween }] = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM vouchers WHERE pool_id = ${pool.id}`) as [{ n: number }];
    expect(vouchersBetween).toBe(vouchersBefore);

    const again = await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(consumer)).set('Idempotency-Key', key).send({});
    expect(again.status).toBe(201);
    expect((await h.http().get('/api/v1/pools?limit=5').set(bearer(manager))).status).toBe(200);
  });
});
