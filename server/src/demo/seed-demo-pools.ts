/**
 * Demo voucher pools for a fresh installation, made right after `seedDemoIfEmpty` seeded the
 * people, and made the way an agency makes them: drafted and submitted by an issuer's
 * manager, approved (and so funded, in the ledger) by its approver. The first logins then
 * find something to apply for, grab, enter and redeem:
 * - 市经信委 算力券 (compute voucher) for enterprises, by application (申请);
 * - 市商务委 本帮菜消费券 满300减90 for consumers, first come (抢券), at catering merchants;
 * - 市商务委 文旅消费券 for consumers, by lottery (摇号), entries open for a week.
 */
import { createPoolBody, type PoolKind } from '@hqt/shared';
import type { Services } from '../app/create-app';
import type { Clock } from '../platform/clock';
import { sql, type Db } from '../platform/db';
import type { Logger } from '../platform/logger';
import type { Actor } from '../capabilities/identity';
import * as identityRepo from '../capabilities/identity/identity.repository';

const DAY_MS = 86_400_000;
const YUAN = 100;

async function actorOf(db: Db, login: string): Promise<Actor> {
  const [user] = await db.query<{ id: string }>(sql`SELECT id FROM users WHERE login = ${login}`);
  if (!user) throw new Error(`assertion: demo login ${login} is missing`);
  const memberships = await identityRepo.membershipsOf(db, user.id);
  return { userId: user.id, memberships: memberships.map((m) => ({ orgId: m.org_id, role: m.role })) };
}

export interface DemoPool {
  issuer: 'jxw' | 'swj';
  /** a `POST /pools` body */
  body: Record<string, unknown> & { kind: PoolKind };
}

export function demoPools(now: Date): DemoPool[] {
  const at = (days: number) => new Date(now.getTime() + days * DAY_MS).toISOString();
  return [
    {
      issuer: 'jxw',
      body: {
        kind: 'compute', distribution: 'application', nameZh: '2025年算力券（演示）', nameEn: 'Compute voucher 2025 (demo)',
        description: '支持人工智能企业购买智能算力服务，按合同金额30%补贴。Subsidises 30% of AI firms\' compute contracts.',
        budgetFen: 20_000_000 * YUAN, claimOpensAt: at(-1), claimClosesAt: at(90),
      },
    },
    {
      issuer: 'swj',
      body: {
        kind: 'consumption', distribution: 'first_come', nameZh: '本帮菜餐饮消费券 满300减90（演示）',
        nameEn: 'Benbang dining voucher, ¥90 off ¥300 (demo)', budgetFen: 1_000 * 90 * YUAN,
        valueRule: { type: 'fixed', amountFen: 90 * YUAN, minSpendFen: 300 * YUAN },
        merchantScope: { categories: ['catering'] }, claimOpensAt: at(-1), claimClosesAt: at(30), validDays: 30, perHolderMax: 1,
      },
    },
    {
      issuer: 'swj',
      body: {
        kind: 'consumption', distribution: 'lottery', nameZh: '文旅消费券摇号（演示）', nameEn: 'Culture and tourism voucher lottery (demo)',
        budgetFen: 200 * 90 * YUAN, valueRule: { type: 'fixed', amountFen: 90 * YUAN, minSpendFen: 300 * YUAN },
        claimOpensAt: at(-1), claimClosesAt: at(7), validDays: 30, perHolderMax: 1,
      },
    },
  ];
}

/** Creates, submits and approves the demo pools; returns their ids. Call only right after the people were seeded. */
export async function seedDemoPools(db: Db, services: Pick<Services, 'pools'>, clock: Clock, logger: Logger): Promise<string[]> {
  const ids: string[] = [];
  for (const { issuer, body } of demoPools(clock.now())) {
    const manager = await actorOf(db, `${issuer}.manager`);
    const approver = await actorOf(db, `${issuer}.approver`);
    // validated and converted as the route would (Joi: `POST /pools`)
    const { value, error } = createPoolBody.validate(body, { abortEarly: false, convert: true });
    if (error) throw new Error(`assertion: demo pool "${String(body.nameEn)}" is invalid: ${error.message}`);
    const draft = await services.pools.create(manager, value as DemoPool['body']);
    await services.pools.submit(manager, draft.id);
    await services.pools.approve(approver, draft.id);
    ids.push(draft.id);
  }
  logger.info({ pools: ids.length }, 'seeded demo voucher pools');
  return ids;
}
