import { startHarness, bearer, type Harness } from '../helpers/harness';
import { expectReconciled } from '../helpers/reconcile';
import { bulkConsumers, HOUR_MS, idemKey, openPool, poolEquation } from '../helpers/factories';
import { sql } from '../../server/src/platform/db';

describe('pools: presets, four-eyes lifecycle, budget changes, merchants, eligibility', () => {
  let h: Harness;
  let manager: string;
  let approver: string;
  beforeAll(async () => {
    h = await startHarness({ demo: true });
    manager = await h.login('jxw.manager');
    approver = await h.login('jxw.approver');
  });
  afterAll(async () => {
    await expectReconciled(h);
    await h.close();
  });

  const window = () => ({
    claimOpensAt: new Date(h.clock.now().getTime() - HOUR_MS).toISOString(),
    claimClosesAt: new Date(h.clock.now().getTime() + 48 * HOUR_MS).toISOString(),
  });

  test('when a manager drafts a compute pool with only kind, budget and window, then the preset fills the rest', async () => {
    const res = await h.http().post('/api/v1/pools').set(bearer(manager)).send({ kind: 'compute', budgetFen: 100_000_000_00, ...window() });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      kind: 'compute', audience: 'enterprise', nameZh: '算力券', status: 'draft', distribution: 'application',
      redemptionMode: 'confirm', valueRule: { type: 'ratio', ratioBp: 3000, amountFen: 500_000_000 },
      annualCapFen: 100_000_000, merchantScope: { categories: ['compute_provider'] }, availableFen: 0,
    });
  });

  test('when the approver is the submitter, then FOUR_EYES_REQUIRED; another approver approves and the budget is funded', async () => {
    const draft = await h.http().post('/api/v1/pools').set(bearer(manager)).send({ kind: 'consumption', distribution: 'first_come', budgetFen: 900_000, ...window() });
    // the approver drafts nothing, so make the same person submit and approve by giving the manager the approver role
    const [{ id: issuerId }] = await h.db.query<{ id: string }>(sql`SELECT org_id AS id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.login = 'jxw.manager'`);
    await h.db.query(sql`INSERT INTO memberships (user_id, org_id, role) SELECT id, ${issuerId}, 'issuer_approver' FROM users WHERE login = 'jxw.manager'`);
    const dual = await h.login('jxw.manager');
    expect((await h.http().post(`/api/v1/pools/${draft.body.id}/submit`).set(bearer(dual))).body.status).toBe('pending_approval');
    const self = await h.http().post(`/api/v1/pools/${draft.body.id}/approve`).set(bearer(dual));
    expect(self.status).toBe(403);
    expect(self.body.code).toBe('FOUR_EYES_REQUIRED');
    const ok = await h.http().post(`/api/v1/pools/${draft.body.id}/approve`).set(bearer(approver));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'open', availableFen: 900_000, budgetFen: 900_000 });
    const eq = await poolEquation(h, draft.body.id);
    expect(eq.journal).toEqual({ budget: 900_000, available: 900_000, reserved: 0, spent: 0 });
    await h.db.query(sql`DELETE FROM memberships WHERE role = 'issuer_approver' AND user_id = (SELECT id FROM users WHERE login = 'jxw.manager')`);
  });

  test('when a pool is rejected with a reason, then it can be edited (version checked) and resubmitted', async () => {
    const draft = await h.http().post('/api/v1/pools').set(bearer(manager)).send({ kind: 'innovation', budgetFen: 500_000_000, ...window() });
    await h.http().post(`/api/v1/pools/${draft.body.id}/submit`).set(bearer(manager));
    const rejected = await h.http().post(`/api/v1/pools/${draft.body.id}/reject`).set(bearer(approver)).send({ reason: '预算过高' });
    expect(rejected.body).toMatchObject({ status: 'rejected', rejectReason: '预算过高' });
    const stale = await h.http().patch(`/api/v1/pools/${draft.body.id}`).set(bearer(manager)).send({ version: 1, budgetFen: 400_000_000 });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('VERSION_CONFLICT');
    const edited = await h.http().patch(`/api/v1/pools/${draft.body.id}`).set(bearer(manager)).send({ version: rejected.body.version, budgetFen: 400_000_000 });
    expect(edited.body).toMatchObject({ status: 'draft', budgetFen: 400_000_000, rejectReason: null });
    await h.http().post(`/api/v1/pools/${draft.body.id}/submit`).set(bearer(manager));
    const approved = await h.http().post(`/api/v1/pools/${draft.body.id}/approve`).set(bearer(approver));
    expect(approved.body.status).toBe('open');
    const locked = await h.http().patch(`/api/v1/pools/${draft.body.id}`).set(bearer(manager)).send({ version: approved.body.version, budgetFen: 1 });
    expect(locked.body.code).toBe('POOL_NOT_EDITABLE');
    const actions = await h.db.query<{ action: string }>(sql`SELECT action FROM audit_log WHERE target_id = ${draft.body.id} ORDER BY id`);
    expect(actions.map((a) => a.action)).toEqual(['pool.created', 'pool.submitted', 'pool.rejected', 'pool.updated', 'pool.submitted', 'pool.approved']);
  });

  test('when the settings are inconsistent, then 400 with the reason and nothing is stored', async () => {
    const before = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM pools`);
    const funders = await h.http().post('/api/v1/pools').set(bearer(manager)).send({ kind: 'compute', budgetFen: 100_000_000, ...window(), funders: [{ code: 'city', nameZh: '市级', shareBp: 6000 }, { code: 'pudong', nameZh: '浦东', shareBp: 3000 }] });
    expect(funders.body.code).toBe('FUNDERS_INVALID');
    const tooBig = await h.http().post('/api/v1/pools').set(bearer(manager)).send({ kind: 'consumption', budgetFen: 100, ...window() });
    expect(tooBig.body.code).toBe('POOL_CONFIG_INVALID');
    const after = await h.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM pools`);
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  test('when a budget decrease would take available below zero, then BUDGET_DECREASE_TOO_LARGE; an increase works; requester cannot approve', async () => {
    const pool = await openPool(h, { budgetFen: 2 * 9000, perHolderMax: 2 });
    const consumer = await h.login('13800138000');
    await h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(consumer)).set('Idempotency-Key', idemKey()).send({});
    const decrease = await h.http().post(`/api/v1/pools/${pool.id}/budget-changes`).set(bearer(manager)).send({ deltaFen: -9001, reason: '缩减' });
    expect(decrease.status).toBe(201);
    const refused = await h.http().post(`/api/v1/budget-changes/${decrease.body.id}/approve`).set(bearer(approver));
    expect(refused.body.code).toBe('BUDGET_DECREASE_TOO_LARGE');
    const increase = await h.http().post(`/api/v1/pools/${pool.id}/budget-changes`).set(bearer(manager)).send({ deltaFen: 90_000, reason: '追加' });
    const applied = await h.http().post(`/api/v1/budget-changes/${increase.body.id}/approve`).set(bearer(approver));
    expect(applied.body.status).toBe('approved');
    const again = await h.http().post(`/api/v1/budget-changes/${increase.body.id}/approve`).set(bearer(approver));
    expect(again.body.code).toBe('BUDGET_CHANGE_DECIDED');
    const got = await h.http().get(`/api/v1/pools/${pool.id}`).set(bearer(manager));
    expect(got.body).toMatchObject({ budgetFen: 108_000, availableFen: 99_000, reservedFen: 9000, spentFen: 0 });
    const eq = await poolEquation(h, pool.id);
    expect(eq.journal).toEqual({ budget: 108_000, available: 99_000, reserved: 9000, spent: 0 });
  });

  test('when paused, claims are refused; resumed, they work; closed, nothing more', async () => {
    const pool = await openPool(h, { perHolderMax: 5 });
    const consumer = await h.login('13800138000');
    const claim = () => h.http().post(`/api/v1/pools/${pool.id}/claims`).set(bearer(consumer)).set('Idempotency-Key', idemKey()).send({});
    expect((await h.http().post(`/api/v1/pools/${pool.id}/pause`).set(bearer(manager))).body.status).toBe('paused');
    expect((await claim()).body.code).toBe('POOL_NOT_OPEN');
    expect((await h.http().post(`/api/v1/pools/${pool.id}/resume`).set(bearer(manager))).body.status).toBe('open');
    expect((await claim()).status).toBe(201);
    expect((await h.http().post(`/api/v1/pools/${pool.id}/close`).set(bearer(approver))).body.status).toBe('closed');
    expect((await h.http().post(`/api/v1/pools/${pool.id}/resume`).set(bearer(manager))).body.code).toBe('POOL_STATE_CONFLICT');
  });

  test("when another issuer or a holder asks for a draft, then 404; published pools are visible to holders but never to other issuers", async () => {
    const draft = await h.http().post('/api/v1/pools').set(bearer(manager)).send({ kind: 'model', budgetFen: 600_000_000, ...window() });
    const swj = await h.login('swj.manager');
    const ent = await h.login('ent.alpha');
    expect((await h.http().get(`/api/v1/pools/${draft.body.id}`).set(bearer(swj))).status).toBe(404);
    expect((await h.http().get(`/api/v1/pools/${draft.body.id}`).set(bearer(ent))).status).toBe(404);
    const open = await openPool(h, { kind: 'professional_service', budgetFen: 1_000_000, valueRule: { type: 'ratio', ratioBp: 5000, amountFen: 20_000 } });
    expect((await h.http().get(`/api/v1/pools/${open.id}`).set(bearer(ent))).status).toBe(200);
    expect((await h.http().get(`/api/v1/pools/${open.id}`).set(bearer(swj))).status).toBe(404);
    const swjList = await h.http().get('/api/v1/pools').set(bearer(swj));
    expect(swjList.body.items.some((p: { id: string }) => p.id === open.id)).toBe(false);
    const entList = await h.http().get('/api/v1/pools?limit=200').set(bearer(ent));
    expect(entList.body.items.every((p: { audience: string; status: string }) => p.audience === 'enterprise' && p.status !== 'draft')).toBe(true);
  });

  test('when eligibility is asked, then both passing and failing holders get a reason per rule in zh and en', async () => {
    const pool = await openPool(h, {
      kind: 'professional_service', budgetFen: 1_000_000, valueRule: { type: 'ratio', ratioBp: 5000, amountFen: 20_000 },
      eligibility: { districts: ['pudong'], headcountMax: 100, tagsAny: ['high_tech', 'specialised'], foundedWithinYears: 5 },
    });
    const alpha = await h.http().get(`/api/v1/pools/${pool.id}/eligibility`).set(bearer(await h.login('ent.alpha')));
    expect(alpha.body.eligible).toBe(true);
    expect(alpha.body.reasons.map((r: { rule: string }) => r.rule)).toEqual(['audience', 'districts', 'foundedWithinYears', 'headcountMax', 'tagsAny']);
    expect(alpha.body.reasons.every((r: { pass: boolean; zh: string; en: string }) => r.pass && r.zh.length > 0 && r.en.length > 0)).toBe(true);
    const gamma = await h.http().get(`/api/v1/pools/${pool.id}/eligibility`).set(bearer(await h.login('ent.gamma')));
    expect(gamma.body.eligible).toBe(false);
    const failing = gamma.body.reasons.filter((r: { pass: boolean }) => !r.pass).map((r: { rule: string }) => r.rule);
    expect(failing).toEqual(['districts', 'foundedWithinYears', 'tagsAny']);
    expect(gamma.body.reasons.find((r: { rule: string }) => r.rule === 'districts').zh).toBe('注册地须在浦东新区');
  });

  test('when a merchant registers, then it is pending until the platform admin approves; only approved merchants can be enrolled', async () => {
    const reg = await h.http().post('/api/v1/auth/register/merchant').send({
      uscc: '91310000MA1FL8888' + (await import('@hqt/shared')).usccCheckChar('91310000MA1FL8888'),
      orgNameZh: '徐汇体育馆', district: 'xuhui', categories: ['sport'], login: 'mch.sport', password: 'secret-pass-1', displayName: '体育馆',
    });
    expect(reg.body.orgStatus).toBe('pending');
    const pool = await openPool(h, {});
    const early = await h.http().post(`/api/v1/pools/${pool.id}/merchants`).set(bearer(manager)).send({ merchantIds: [reg.body.orgId] });
    expect(early.body.code).toBe('MERCHANT_NOT_ACTIVE');
    const admin = await h.login('admin');
    const pending = await h.http().get('/api/v1/merchants?status=pending').set(bearer(admin));
    expect(pending.body.items.map((m: { id: string }) => m.id)).toContain(reg.body.orgId);
    expect((await h.http().post(`/api/v1/merchants/${reg.body.orgId}/approve`).set(bearer(admin))).body.status).toBe('active');
    const enrol = await h.http().post(`/api/v1/pools/${pool.id}/merchants`).set(bearer(manager)).send({ merchantIds: [reg.body.orgId] });
    expect(enrol.body).toEqual({ enrolled: 1 });
    const again = await h.http().post(`/api/v1/pools/${pool.id}/merchants`).set(bearer(manager)).send({ merchantIds: [reg.body.orgId] });
    expect(again.body).toEqual({ enrolled: 0 });
    const listed = await h.http().get(`/api/v1/pools/${pool.id}/merchants`).set(bearer(manager));
    expect(listed.body.items).toEqual([expect.objectContaining({ id: reg.body.orgId, categories: ['sport'] })]);
  });

  test('when the schedule job runs, then scheduled pools open and expired windows close', async () => {
    const now = h.clock.now().getTime();
    const later = await openPool(h, { claimOpensAt: new Date(now + HOUR_MS).toISOString(), claimClosesAt: new Date(now + 2 * HOUR_MS).toISOString() });
    expect(later.status).toBe('scheduled');
    h.clock.set(new Date(now + HOUR_MS + 1000));
    await h.services.jobs.run('pool-schedule');
    expect((await h.db.query<{ status: string }>(sql`SELECT status FROM pools WHERE id = ${later.id}`))[0]!.status).toBe('open');
    h.clock.set(new Date(now + 2 * HOUR_MS + 1000));
    const run = await h.services.jobs.run('pool-schedule');
    expect(run.status).toBe('succeeded');
    expect((await h.db.query<{ status: string }>(sql`SELECT status FROM pools WHERE id = ${later.id}`))[0]!.status).toBe('closed');
    h.clock.set(new Date(now));
  });
  test('when a holder lists with available=true, then only pools taking claims now, not sold out, with an open round and the holder eligible come back', async () => {
    const t0 = h.clock.now().getTime();
    const iso = (hours: number) => new Date(t0 + hours * HOUR_MS).toISOString();
    const open = await openPool(h, { budgetFen: 5 * 9000 });
    const betweenRounds = await openPool(h, { budgetFen: 5 * 9000, rounds: [{ opensAt: iso(1), closesAt: iso(2) }] });
    const soldOut = await openPool(h, { budgetFen: 9000 });
    const otherDistrict = await openPool(h, { budgetFen: 5 * 9000, eligibility: { residenceDistricts: ['pudong'] } });
    const later = await openPool(h, { budgetFen: 5 * 9000, claimOpensAt: iso(2), claimClosesAt: iso(24) });
    const [buyer] = await bulkConsumers(h, 1);
    const bought = await h.http().post(`/api/v1/pools/${soldOut.id}/claims`).set(bearer(await h.login(buyer!, 'bulk-pass-1'))).set('Idempotency-Key', idemKey()).send({});
    expect(bought.status).toBe(201);

    const consumer = bearer(await h.login('13800138000'));
    const all = await h.http().get('/api/v1/pools').query({ limit: 200 }).set(consumer);
    const available = await h.http().get('/api/v1/pools').query({ limit: 200, available: true }).set(consumer);
    expect(available.status).toBe(200);
    const ids = (r: typeof all) => new Set(r.body.items.map((p: { id: string }) => p.id));
    for (const p of [open, betweenRounds, soldOut, otherDistrict, later]) expect(ids(all).has(p.id)).toBe(true);
    expect(ids(available).has(open.id)).toBe(true);
    for (const p of [betweenRounds, soldOut, otherDistrict, later]) expect(ids(available).has(p.id)).toBe(false);
    // an enterprise is not the audience of these consumer pools
    const enterprise = await h.http().get('/api/v1/pools').query({ limit: 200, available: true }).set(bearer(await h.login('ent.alpha')));
    expect(ids(enterprise).has(open.id)).toBe(false);
  });
});
