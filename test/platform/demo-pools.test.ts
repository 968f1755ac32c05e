/**
 * The demo voucher pools a fresh `npm start` seeds after the demo people: made through the
 * pool service by each agency's manager and approver, funded in the ledger, and usable at
 * once by the demo logins (apply, grab, enter).
 */
import { randomUUID } from 'node:crypto';
import { bearer, startHarness, type Harness } from '../helpers/harness';
import { expectReconciled } from '../helpers/reconcile';
import { poolEquation } from '../helpers/factories';
import { createLogger } from '../../server/src/platform/logger';
import { sql } from '../../server/src/platform/db';
import { demoPools, seedDemoPools } from '../../server/src/demo/seed-demo-pools';

describe('demo voucher pools', () => {
  let h: Harness;
  let ids: string[];
  beforeAll(async () => {
    h = await startHarness({ demo: true });
    ids = await seedDemoPools(h.db, h.services, h.clock, createLogger('silent'));
  });
  afterAll(async () => {
    try {
      await expectReconciled(h);
    } finally {
      await h.close();
    }
  });

  test('when seeded, then each demo pool is approved by another person than its author, open and funded with its whole budget', async () => {
    const bodies = demoPools(h.clock.now());
    expect(ids).toHaveLength(bodies.length);
    const rows = await h.db.query<{ id: string; status: string; distribution: string; created_by: string; approved_by: string; budget_fen: number }>(sql`
      SELECT id, status, distribution, created_by, approved_by, budget_fen FROM pools ORDER BY created_at`);
    expect(rows.map((r) => r.id)).toEqual(ids);
    for (const [i, r] of rows.entries()) {
      expect(r).toMatchObject({ status: 'open', distribution: bodies[i]!.body.distribution, budget_fen: bodies[i]!.body.budgetFen });
      expect(r.approved_by).not.toBe(r.created_by);
      const eq = await poolEquation(h, r.id);
      expect(eq.journal).toEqual({ budget: r.budget_fen, available: r.budget_fen, reserved: 0, spent: 0 });
    }
  });

  test('when the demo logins use them, then the consumer grabs the 满300减90 voucher and enters the lottery, and the enterprise may apply for 算力券', async () => {
    const consumer = bearer(await h.login('13800138000'));
    const [dining, lottery] = (await h.db.query<{ id: string }>(sql`SELECT id FROM pools WHERE kind = 'consumption' ORDER BY distribution`));
    const claimed = await h.http().post(`/api/v1/pools/${dining!.id}/claims`).set(consumer).set('Idempotency-Key', randomUUID()).send({});
    expect(claimed.status).toBe(201);
    expect(claimed.body).toMatchObject({ amountFen: 9000, valueRule: { type: 'fixed', amountFen: 9000, minSpendFen: 30000 } });
    const entered = await h.http().post(`/api/v1/pools/${lottery!.id}/lottery/entries`).set(consumer).send({});
    expect(entered.status).toBe(201);

    const enterprise = bearer(await h.login('ent.alpha'));
    const listed = await h.http().get('/api/v1/pools').query({ available: true }).set(enterprise);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((p: { kind: string }) => p.kind)).toContain('compute');
  });
});
